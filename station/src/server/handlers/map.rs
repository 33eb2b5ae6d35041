//! The rack map: a rack as it stands (sides × sections × shelves, each shelf's fill), the
//! room overview (every rack's fill; safes and counters), where a box is in words, and the
//! boxes by category and year. Every figure comes from the store's tallies (`tally.rs`):
//! no box is read. A safe's figures are shown only to those who may see safes' contents
//! (the rule of [`Viewer::sees_safes`]).

use crate::barcode::Barcode;
use crate::message;
use crate::model::Role;
use crate::model::{Item, Location, LocationKind};
use crate::server::auth::Principal;
use crate::server::error::{parse_barcode, ApiError, Path};
use crate::server::redact::Viewer;
use crate::server::AppState;
use crate::store::{Fill, Refusal, Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::Serialize;

/// A location's figures: boxes there, capacity, % used, on loan and missing (over itself
/// and everything under it). The counts are absent where the viewer may not see them (a
/// safe, for a clerk).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct FillView {
    /// Boxes standing there.
    pub(crate) boxes: Option<u64>,
    /// Boxes that fit (0: no capacity recorded).
    pub(crate) capacity: u64,
    /// Boxes ÷ capacity, in whole percent (none without a capacity).
    pub(crate) percent: Option<u64>,
    /// Boxes whose home is there that are on loan.
    pub(crate) on_loan: Option<u64>,
    /// Boxes whose home is there flagged missing.
    pub(crate) missing: Option<u64>,
}

impl FillView {
    fn of(fill: Fill) -> FillView {
        FillView {
            boxes: Some(fill.boxes),
            capacity: fill.capacity,
            percent: percent(fill.boxes, fill.capacity),
            on_loan: Some(fill.on_loan),
            missing: Some(fill.missing),
        }
    }

    fn hidden() -> FillView {
        FillView {
            boxes: None,
            capacity: 0,
            percent: None,
            on_loan: None,
            missing: None,
        }
    }
}

/// `part` of `whole` in whole percent, rounded to nearest.
pub(crate) fn percent(part: u64, whole: u64) -> Option<u64> {
    (whole > 0).then(|| (part.saturating_mul(200) / whole).div_ceil(2))
}

/// One shelf of a rack map.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct ShelfCell {
    /// Its barcode.
    pub(crate) barcode: String,
    /// Its own name (`3层`).
    pub(crate) name: String,
    /// Its full path.
    pub(crate) path: String,
    /// Retired: nothing can be put here.
    pub(crate) retired: bool,
    /// Its figures.
    pub(crate) fill: FillView,
}

/// One section (节) of a side: its shelves, lowest first (draw them bottom up).
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct SectionColumn {
    pub(crate) barcode: String,
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) retired: bool,
    pub(crate) fill: FillView,
    pub(crate) shelves: Vec<ShelfCell>,
}

/// One side (面) of a rack: its sections in walking order.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct SideView {
    pub(crate) barcode: String,
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) retired: bool,
    pub(crate) fill: FillView,
    pub(crate) sections: Vec<SectionColumn>,
}

/// A rack drawn as it stands.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct RackMap {
    pub(crate) barcode: String,
    pub(crate) name: String,
    pub(crate) path: String,
    /// Mobile dense shelving (密集架).
    pub(crate) mobile: bool,
    pub(crate) retired: bool,
    pub(crate) fill: FillView,
    pub(crate) sides: Vec<SideView>,
}

/// A rack, safe, counter or other place in an overview.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct PlaceView {
    pub(crate) barcode: String,
    pub(crate) name: String,
    pub(crate) path: String,
    /// `rack`, `safe`, `counter`, `shelf`, …
    pub(crate) kind: String,
    /// For a rack: mobile dense shelving.
    pub(crate) mobile: bool,
    pub(crate) retired: bool,
    pub(crate) fill: FillView,
    /// What stands there (a safe's certificates and boxes), for holding places the
    /// viewer may see; none otherwise.
    pub(crate) items: Option<u64>,
}

/// A room and what stands in it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct RoomView {
    pub(crate) barcode: String,
    pub(crate) name: String,
    pub(crate) path: String,
    pub(crate) retired: bool,
    /// The room's figures (for a clerk: of what they may see in it).
    pub(crate) fill: FillView,
    /// Its racks in walking order.
    pub(crate) racks: Vec<PlaceView>,
    /// Its safes, counters and other places.
    pub(crate) places: Vec<PlaceView>,
}

/// The overview of the archive: every room with every rack's fill; the safes and
/// counters outside rooms.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct MapOverview {
    pub(crate) rooms: Vec<RoomView>,
    pub(crate) places: Vec<PlaceView>,
}

/// One level of where something is.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct LevelView {
    /// `room`, `rack`, `side`, `section`, `shelf`, `safe`, `counter`, …
    pub(crate) kind: String,
    pub(crate) name: String,
    pub(crate) barcode: String,
    pub(crate) path: String,
}

/// Where a box is, in words (room → rack → side → section → shelf), with the barcodes of
/// its rack and shelf for the map.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct WhereView {
    pub(crate) barcode: String,
    pub(crate) archive_no: String,
    pub(crate) title: String,
    /// Its status, as item views give it (`stored`, `on loan`, …).
    pub(crate) status: String,
    /// `place` when it stands somewhere, `home` when it is away (on loan) and the levels
    /// are of its home shelf, absent when it has neither.
    pub(crate) at: Option<String>,
    /// From the room down.
    pub(crate) levels: Vec<LevelView>,
    /// The rack of those levels, if any.
    pub(crate) rack: Option<String>,
    /// The shelf (or other holding place) of those levels.
    pub(crate) shelf: Option<String>,
}

/// How many boxes one category has of one year.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct CategoryView {
    pub(crate) category: String,
    pub(crate) year: Option<u16>,
    pub(crate) boxes: u64,
}

fn kind_code(kind: LocationKind) -> String {
    format!("{kind:?}").to_lowercase()
}

fn fill_of(store: &Store, location: &Location, viewer: Viewer) -> Result<FillView, StoreError> {
    if location.kind.keeps_certificates() && !viewer.sees_safes() {
        return Ok(FillView::hidden());
    }
    Ok(FillView::of(store.fill(location.barcode)?))
}

fn place_view(store: &Store, location: Location, viewer: Viewer) -> Result<PlaceView, StoreError> {
    let visible = !location.kind.keeps_certificates() || viewer.sees_safes();
    let items = if visible && location.kind.holds_items() {
        Some(store.count_at(location.barcode)? as u64)
    } else {
        None
    };
    Ok(PlaceView {
        fill: fill_of(store, &location, viewer)?,
        barcode: location.barcode.to_string(),
        kind: kind_code(location.kind),
        mobile: location.mobile,
        retired: location.retired,
        name: location.name,
        path: location.path,
        items,
    })
}

/// The overview of every room (see [`MapOverview`]).
pub(crate) fn overview(store: &Store, viewer: Viewer) -> Result<MapOverview, StoreError> {
    let mut rooms = Vec::new();
    let mut places = Vec::new();
    for top in store.children_of(None)? {
        if top.kind != LocationKind::Room {
            places.push(place_view(store, top, viewer)?);
            continue;
        }
        let mut racks = Vec::new();
        let mut inside = Vec::new();
        let mut hidden = false;
        for child in store.children_of(Some(&top))? {
            hidden |= child.kind.keeps_certificates() && !viewer.sees_safes();
            let view = place_view(store, child, viewer)?;
            if view.kind == "rack" {
                racks.push(view);
            } else {
                inside.push(view);
            }
        }
        let fill = if hidden {
            // A clerk's figure of the room: the sum of what they may see in it, so that no
            // safe's count can be worked out from it.
            let mut sum = Fill::default();
            for child in store.children_of(Some(&top))? {
                if !child.kind.keeps_certificates() {
                    let fill = store.fill(child.barcode)?;
                    sum.boxes += fill.boxes;
                    sum.capacity += fill.capacity;
                    sum.on_loan += fill.on_loan;
                    sum.missing += fill.missing;
                }
            }
            sum.capacity += u64::from(if top.retired {
                0
            } else {
                top.capacity.unwrap_or(0)
            });
            FillView::of(sum)
        } else {
            FillView::of(store.fill(top.barcode)?)
        };
        rooms.push(RoomView {
            barcode: top.barcode.to_string(),
            name: top.name,
            path: top.path,
            retired: top.retired,
            fill,
            racks,
            places: inside,
        });
    }
    Ok(MapOverview { rooms, places })
}

fn cell(store: &Store, location: &Location) -> Result<ShelfCell, StoreError> {
    Ok(ShelfCell {
        barcode: location.barcode.to_string(),
        name: location.name.clone(),
        path: location.path.clone(),
        retired: location.retired,
        fill: FillView::of(store.fill(location.barcode)?),
    })
}

/// The map of `rack` (a rack's location).
pub(crate) fn rack_map(store: &Store, rack: Location) -> Result<RackMap, StoreError> {
    let under = store.locations_under(&rack)?;
    let children = |parent: Barcode, kind: LocationKind| {
        under
            .iter()
            .filter(move |location| location.parent == Some(parent) && location.kind == kind)
    };
    let mut sides = Vec::new();
    for side in children(rack.barcode, LocationKind::Side) {
        let mut sections = Vec::new();
        for section in children(side.barcode, LocationKind::Section) {
            let shelves = children(section.barcode, LocationKind::Shelf)
                .map(|shelf| cell(store, shelf))
                .collect::<Result<Vec<_>, _>>()?;
            sections.push(SectionColumn {
                barcode: section.barcode.to_string(),
                name: section.name.clone(),
                path: section.path.clone(),
                retired: section.retired,
                fill: FillView::of(store.fill(section.barcode)?),
                shelves,
            });
        }
        sides.push(SideView {
            barcode: side.barcode.to_string(),
            name: side.name.clone(),
            path: side.path.clone(),
            retired: side.retired,
            fill: FillView::of(store.fill(side.barcode)?),
            sections,
        });
    }
    Ok(RackMap {
        fill: FillView::of(store.fill(rack.barcode)?),
        barcode: rack.barcode.to_string(),
        mobile: rack.mobile,
        retired: rack.retired,
        name: rack.name,
        path: rack.path,
        sides,
    })
}

/// The levels from the room down to `location`.
fn levels(store: &Store, location: Location) -> Result<Vec<Location>, StoreError> {
    let mut out = vec![location];
    while out.len() < 16 {
        let Some(parent) = out.last().and_then(|location| location.parent) else {
            break;
        };
        match store.get_item(parent)? {
            Some(Item::Location(parent)) => out.push(parent),
            _ => break,
        }
    }
    out.reverse();
    Ok(out)
}

/// What a request for the map finds, short of an error of the store.
enum Seen<T> {
    Shown(T),
    /// The location asked for as a rack is not one (its path).
    NotARack(String),
    /// A certificate, or a box in a safe, asked for by someone who may not see it.
    Hidden(Refused),
}

enum Refused {
    Certificates,
    Safes,
}

/// `GET /api/v1/map`: every room with every rack's fill; safes and counters.
pub(crate) async fn map_overview(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<MapOverview>, ApiError> {
    let viewer = Viewer::of(&principal);
    Ok(Json(
        state
            .archive
            .run(move |store| overview(store, viewer))
            .await?,
    ))
}

/// `GET /api/v1/map/racks/{barcode}`: a rack drawn as it stands.
pub(crate) async fn map_rack(
    State(state): State<AppState>,
    Path(barcode): Path<String>,
) -> Result<Json<RackMap>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let seen = state
        .archive
        .run(move |store| match store.get_item(barcode)? {
            Some(Item::Location(location)) if location.kind == LocationKind::Rack => {
                Ok(Seen::Shown(rack_map(store, location)?))
            }
            Some(Item::Location(location)) => Ok(Seen::NotARack(location.path)),
            Some(_) | None => Err(StoreError::from(Refusal::NotFound(barcode))),
        })
        .await?;
    shown(&state, None, seen).await
}

async fn shown<T>(
    state: &AppState,
    principal: Option<&Principal>,
    seen: Seen<T>,
) -> Result<Json<T>, ApiError> {
    match seen {
        Seen::Shown(answer) => Ok(Json(answer)),
        Seen::NotARack(path) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            message!(LocationNotARack, path = path),
        )),
        Seen::Hidden(refused) => {
            let action = match refused {
                Refused::Certificates => ("查看权证", "see certificates"),
                Refused::Safes => ("查看保险柜", "see a safe's contents"),
            };
            match principal {
                Some(principal) => Err(state.refuse(principal, Role::Supervisor, action).await),
                None => Err(ApiError::internal()),
            }
        }
    }
}

/// `GET /api/v1/map/where/{barcode}`: where a box is, in words, with its rack and shelf.
pub(crate) async fn map_where(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
) -> Result<Json<WhereView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let viewer = Viewer::of(&principal);
    let seen = state
        .archive
        .run(move |store| where_is(store, barcode, viewer))
        .await?;
    shown(&state, Some(&principal), seen).await
}

fn where_is(
    store: &Store,
    barcode: Barcode,
    viewer: Viewer,
) -> Result<Seen<WhereView>, StoreError> {
    let (archive_no, title, place, home, status) = match store.get_item(barcode)? {
        Some(Item::Box(archive_box)) => (
            archive_box.archive_no,
            archive_box.title,
            archive_box.place,
            archive_box.home,
            archive_box.status,
        ),
        Some(Item::Certificate(certificate)) => {
            if !viewer.sees_certificates() {
                return Ok(Seen::Hidden(Refused::Certificates));
            }
            (
                certificate.archive_no,
                String::new(),
                certificate.place,
                None,
                certificate.status,
            )
        }
        Some(_) | None => return Err(Refusal::NotFound(barcode).into()),
    };
    let (at, location) = match (place, home) {
        (Some(place), _) => (Some("place"), Some(place)),
        (None, Some(home)) => (Some("home"), Some(home)),
        (None, None) => (None, None),
    };
    let levels = match location.map(|at| store.get_item(at)).transpose()?.flatten() {
        Some(Item::Location(location)) => levels(store, location)?,
        _ => Vec::new(),
    };
    if levels.iter().any(|level| level.kind.keeps_certificates()) && !viewer.sees_safes() {
        return Ok(Seen::Hidden(Refused::Safes));
    }
    let rack = levels
        .iter()
        .find(|level| level.kind == LocationKind::Rack)
        .map(|rack| rack.barcode.to_string());
    let shelf = levels
        .last()
        .filter(|level| level.kind.holds_items())
        .map(|shelf| shelf.barcode.to_string());
    Ok(Seen::Shown(WhereView {
        barcode: barcode.to_string(),
        archive_no,
        title,
        status: status_code(status),
        at: at.map(str::to_owned),
        levels: levels
            .into_iter()
            .map(|level| LevelView {
                kind: kind_code(level.kind),
                name: level.name,
                barcode: level.barcode.to_string(),
                path: level.path,
            })
            .collect(),
        rack,
        shelf,
    }))
}

fn status_code(status: crate::model::ItemStatus) -> String {
    status.label().1.to_owned()
}

/// `GET /api/v1/map/categories`: how many boxes each category has of each year.
pub(crate) async fn map_categories(
    State(state): State<AppState>,
) -> Result<Json<Vec<CategoryView>>, ApiError> {
    Ok(Json(state.archive.run(category_views).await?))
}

pub(crate) fn category_views(store: &Store) -> Result<Vec<CategoryView>, StoreError> {
    Ok(store
        .boxes_by_category_year()?
        .into_iter()
        .map(|count| CategoryView {
            category: count.category,
            year: count.year,
            boxes: count.boxes,
        })
        .collect())
}
