//! Defining the room: a location added, a whole block laid out, a location edited or
//! retired (supervisors and administrators; the route table says so).

use crate::model::LocationKind;
use crate::server::auth::Principal;
use crate::server::error::{json_body, ApiError, JsonBody, Path};
use crate::server::redact::Viewer;
use crate::server::views::LocationView;
use crate::server::AppState;
use crate::store::{Block, LocationEdit, NewLocation, Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};

/// A location to add.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AddLocationRequest {
    /// What it is.
    #[schemars(extend("enum" = ["room", "rack", "side", "section", "shelf", "safe", "drawer", "counter"]))]
    kind: String,
    /// Its own name (`2号库房`, `05列`, `保险柜1`, `1号抽屉`).
    #[schemars(length(min = 1))]
    name: String,
    /// The location it stands in, by barcode or path; none for the top.
    parent: Option<String>,
    /// Boxes that fit (shelves, safes, drawers, counters).
    capacity: Option<u32>,
    /// A rack of mobile dense shelving.
    #[serde(default)]
    mobile: bool,
}

/// A location defined, and whether this request created it (`false`: it existed already
/// with this path and kind; nothing changed).
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct DefinedView {
    created: bool,
    location: LocationView,
}

fn parse_kind(text: &str) -> Result<LocationKind, ApiError> {
    Ok(match text {
        "room" => LocationKind::Room,
        "rack" => LocationKind::Rack,
        "side" => LocationKind::Side,
        "section" => LocationKind::Section,
        "shelf" => LocationKind::Shelf,
        "safe" => LocationKind::Safe,
        "drawer" => LocationKind::Drawer,
        "counter" => LocationKind::Counter,
        other => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                crate::message!(RequestBadLocationKind, text = format!("{other:?}")),
            ))
        }
    })
}

/// `location` as `viewer` may see it (one `sees_safes` rule for every answer).
fn view(
    store: &Store,
    location: crate::model::Location,
    viewer: Viewer,
) -> Result<LocationView, StoreError> {
    LocationView::seen_by(store, location, viewer)
}

pub(crate) async fn add_location(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<AddLocationRequest>,
) -> Result<Json<DefinedView>, ApiError> {
    let request = json_body(body)?;
    let kind = parse_kind(&request.kind)?;
    let actor = principal.actor();
    let viewer = Viewer::of(&principal);
    let defined = state
        .archive
        .run(move |store| {
            let parent = match &request.parent {
                Some(parent) if !parent.trim().is_empty() => {
                    Some(store.find_location(parent)?.barcode)
                }
                _ => None,
            };
            let new = NewLocation {
                kind,
                name: request.name,
                parent,
                capacity: request.capacity,
            };
            let defined = store.define_location(&actor, &new, request.mobile)?;
            Ok::<_, StoreError>(DefinedView {
                created: defined.created,
                location: view(store, defined.location, viewer)?,
            })
        })
        .await?;
    Ok(Json(defined))
}

/// A block of racks to lay out in one write: every shelf of racks `first_rack` to
/// `last_rack`, each of `sides`, `sections` sections of `shelves` shelves.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LayoutRequest {
    /// The room (`2号库房`), created when missing.
    #[schemars(length(min = 1))]
    room: String,
    #[schemars(range(min = 1))]
    first_rack: u32,
    #[schemars(range(min = 1))]
    last_rack: u32,
    /// Side letters, e.g. `["A", "B"]`.
    sides: Vec<String>,
    #[schemars(range(min = 1))]
    sections: u32,
    #[schemars(range(min = 1))]
    shelves: u32,
    /// Boxes per shelf: new shelves get it, and existing shelves that have none.
    capacity: Option<u32>,
    /// New racks are mobile dense shelving.
    #[serde(default)]
    mobile: bool,
}

/// What a layout did.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct LayoutView {
    /// Locations created.
    created: u64,
    /// Locations of the block that existed already (left as they were).
    existing: u64,
    /// Shelves in the block.
    shelves: u64,
    /// Existing shelves without a capacity that got the block's.
    capacity_set: u64,
    /// Retired locations met: they stay retired and nothing was created under them.
    retired: Vec<String>,
    /// The room's barcode.
    room: Option<String>,
}

pub(crate) async fn lay_out_locations(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<LayoutRequest>,
) -> Result<Json<LayoutView>, ApiError> {
    let request = json_body(body)?;
    let Some(sides) = crate::store::parse_sides(request.sides.iter().map(String::as_str)) else {
        return Err(ApiError::from(StoreError::from(
            crate::store::LayoutRefusal::BlockInvalid {
                detail: ("面是不重复的字母 A–Z", "sides are distinct letters A–Z"),
            },
        )));
    };
    let block = Block {
        room: request.room,
        racks: (request.first_rack, request.last_rack),
        sides,
        sections: request.sections,
        shelves: request.shelves,
        capacity: request.capacity,
        mobile: request.mobile,
    };
    let actor = principal.actor();
    let outcome = state
        .archive
        .run(move |store| store.lay_out(&actor, &block))
        .await?;
    Ok(Json(LayoutView {
        created: outcome.created,
        existing: outcome.existing,
        shelves: outcome.shelves,
        capacity_set: outcome.capacity_set,
        retired: outcome.retired,
        room: outcome.room.map(|room| room.to_string()),
    }))
}

/// Changes to a location; absent fields stay.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditLocationRequest {
    /// Boxes that fit (shelves, safes, drawers, counters).
    capacity: Option<u32>,
    /// A rack of mobile dense shelving (racks only).
    mobile: Option<bool>,
}

pub(crate) async fn edit_location(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(location): Path<String>,
    body: JsonBody<EditLocationRequest>,
) -> Result<Json<LocationView>, ApiError> {
    let request = json_body(body)?;
    let actor = principal.actor();
    let viewer = Viewer::of(&principal);
    let edit = LocationEdit {
        capacity: request.capacity.map(Some),
        mobile: request.mobile,
    };
    let edited = state
        .archive
        .run(move |store| {
            let location = store.find_location(&location)?;
            let edited = store.edit_location(&actor, location.barcode, &edit)?;
            view(store, edited, viewer)
        })
        .await?;
    Ok(Json(edited))
}

/// Why a location is retired.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RetireLocationRequest {
    #[schemars(length(min = 1))]
    reason: String,
}

/// A location retired, and how many locations (it and those under it) this request retired.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct RetiredView {
    retired: u64,
    location: LocationView,
}

pub(crate) async fn retire_location(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(location): Path<String>,
    body: JsonBody<RetireLocationRequest>,
) -> Result<Json<RetiredView>, ApiError> {
    let request = json_body(body)?;
    let actor = principal.actor();
    let viewer = Viewer::of(&principal);
    let retired = state
        .archive
        .run(move |store| {
            let location = store.find_location(&location)?;
            let retired = store.retire_location(&actor, location.barcode, &request.reason)?;
            Ok::<_, StoreError>(RetiredView {
                retired: retired.count,
                location: view(store, retired.location, viewer)?,
            })
        })
        .await?;
    Ok(Json(retired))
}
