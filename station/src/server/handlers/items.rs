//! Items, box search, locations and what stands at them, an item's history.

use crate::message;
use crate::model::{ArchiveBox, Item, LocationKind, Role};
use crate::server::auth::Principal;
use crate::server::error::{parse_barcode, ApiError, Path, Query};
use crate::server::paging::{number_key, page_of, page_size, Page, PageQuery};
use crate::server::redact::Viewer;
use crate::server::views::{box_view, item_view, EventView, ItemView, LocationView};
use crate::server::{AppState, MAX_PAGE};
use crate::store::{Refusal, Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::Deserialize;

/// What `see` makes of the item with `barcode`, in one trip to the store, if `principal`
/// may see it: certificates only to supervisors (the rule of [`Viewer`], which every other
/// path that shows an item applies too); a refusal is recorded.
async fn visible_item<T: Send + 'static>(
    state: &AppState,
    principal: &Principal,
    barcode: crate::barcode::Barcode,
    see: impl FnOnce(&Store, Item) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    let sees_certificates = Viewer::of(principal).sees_certificates();
    let seen = state
        .archive
        .run(move |store| {
            let item = store.get_item(barcode)?.ok_or(Refusal::NotFound(barcode))?;
            if matches!(item, Item::Certificate(_)) && !sees_certificates {
                return Ok(None);
            }
            see(store, item).map(Some)
        })
        .await?;
    match seen {
        Some(seen) => Ok(seen),
        None => Err(state
            .refuse(
                principal,
                Role::Supervisor,
                ("查看权证", "see certificates"),
            )
            .await),
    }
}

pub(crate) async fn get_item(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
) -> Result<Json<ItemView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    Ok(Json(
        visible_item(&state, &principal, barcode, item_view).await?,
    ))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoxQuery {
    #[schemars(length(min = 1))]
    archive_no: Option<String>,
    #[schemars(length(min = 1))]
    customer: Option<String>,
    #[schemars(length(min = 1))]
    category: Option<String>,
    year: Option<u16>,
    /// registered, stored, at counter, on loan, in handover, missing.
    #[schemars(length(min = 1))]
    status: Option<String>,
    /// A location's barcode: the boxes standing there.
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    location: Option<String>,
    /// The last barcode of the previous page.
    #[schemars(length(min = 1))]
    after: Option<String>,
    #[schemars(range(min = 1, max = 500))]
    limit: Option<usize>,
}

/// How many boxes a filtered search looks at for one page before it stops (the caller
/// continues from the cursor in the `x-next-after` header).
pub(crate) const MAX_SCANNED: usize = 100_000;

/// Boxes by archive number (exact), customer prefix, location, category, year, status;
/// `limit` per page (≤ 500), `after` = the cursor; the next cursor comes back in the
/// `x-next-after` header when there may be more.
pub(crate) async fn find_boxes(
    State(state): State<AppState>,
    Query(query): Query<BoxQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            message!(RequestBadLimit, max = MAX_PAGE),
        ));
    }
    let after = query.after.as_deref().map(parse_barcode).transpose()?;
    let status = match query.status.as_deref() {
        Some(text) => Some(
            [
                crate::model::ItemStatus::Registered,
                crate::model::ItemStatus::Stored,
                crate::model::ItemStatus::AtCounter,
                crate::model::ItemStatus::OnLoan,
                crate::model::ItemStatus::InHandover,
                crate::model::ItemStatus::Missing,
            ]
            .into_iter()
            .find(|status| status.label().1 == text || status.label().0 == text)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    message!(RequestBadStatus, text = format!("{text:?}")),
                )
            })?,
        ),
        None => None,
    };
    let (views, next) = state
        .archive
        .run(move |store| find_page(store, &query, status, after, limit))
        .await?;
    let mut response = Json(views).into_response();
    if let Some(next) = next {
        if let Ok(value) = axum::http::HeaderValue::from_str(&next.to_string()) {
            response.headers_mut().insert("x-next-after", value);
        }
    }
    Ok(response)
}

/// One page of `query`'s boxes from `store`, and the cursor of the next page when there
/// may be more.
fn find_page(
    store: &crate::store::Store,
    query: &BoxQuery,
    status: Option<crate::model::ItemStatus>,
    after: Option<crate::barcode::Barcode>,
    limit: usize,
) -> Result<(Vec<ItemView>, Option<crate::barcode::Barcode>), ApiError> {
    let keep = |b: &ArchiveBox| {
        query.category.as_ref().is_none_or(|c| b.category == *c)
            && query.year.is_none_or(|y| b.year == Some(y))
            && status.is_none_or(|s| b.status == s)
    };
    let mut boxes = Vec::new();
    let mut next = None;
    if let Some(number) = &query.archive_no {
        boxes.extend(store.box_by_archive_no(number.trim())?.filter(|b| keep(b)));
    } else if let Some(customer) = &query.customer {
        let page = store.search_customer(customer, after, limit)?;
        if page.len() == limit {
            next = page.last().map(|b| b.barcode);
        }
        boxes.extend(page.into_iter().filter(|b| keep(b)));
    } else if let Some(location) = &query.location {
        let location = parse_barcode(location)?;
        for barcode in store.barcodes_at(location, usize::MAX)? {
            if after.is_some_and(|after| barcode <= after) {
                continue;
            }
            if let Some(Item::Box(archive_box)) = store.get_item(barcode)? {
                if keep(&archive_box) {
                    if boxes.len() == limit {
                        next = boxes.last().map(|b: &ArchiveBox| b.barcode);
                        break;
                    }
                    boxes.push(archive_box);
                }
            }
        }
    } else if query.category.is_some() || query.year.is_some() || status.is_some() {
        for (scanned, archive_box) in store.boxes_after(after).enumerate() {
            let archive_box = archive_box?;
            if scanned == MAX_SCANNED {
                next = Some(archive_box.barcode);
                break;
            }
            if keep(&archive_box) {
                boxes.push(archive_box);
                if boxes.len() == limit {
                    next = boxes.last().map(|b| b.barcode);
                    break;
                }
            }
        }
    }
    let views = boxes
        .into_iter()
        .map(|b| box_view(store, b))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((views, next))
}

/// What stands at a location, a page at a time in barcode order.
pub(crate) async fn location_items(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Page<ItemView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let limit = page_size(query.limit, MAX_PAGE)?;
    let after = query.after;
    let sees_safes = principal.person.role >= Role::Supervisor;
    let seen = state
        .archive
        .run(move |store| {
            match store.get_item(barcode)? {
                Some(Item::Location(location))
                    if location.kind == LocationKind::Safe && !sees_safes =>
                {
                    return Ok(None)
                }
                Some(Item::Location(_)) => {}
                Some(_) | None => return Err(Refusal::NotFound(barcode).into()),
            }
            let page = page_of(
                store.barcodes_at(barcode, usize::MAX)?,
                ToString::to_string,
                after.as_deref(),
                limit,
            );
            let mut views = Vec::with_capacity(page.items.len());
            for barcode in page.items {
                if let Some(item) = store.get_item(barcode)? {
                    views.push(item_view(store, item)?);
                }
            }
            Ok::<_, StoreError>(Some(Page {
                items: views,
                next: page.next,
            }))
        })
        .await?;
    let Some(page) = seen else {
        return Err(state
            .refuse(
                &principal,
                Role::Supervisor,
                ("查看保险柜", "see a safe's contents"),
            )
            .await);
    };
    Ok(page)
}

/// An item's events, oldest first, a page at a time (the cursor is an event's sequence
/// number).
pub(crate) async fn item_history(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    Query(query): Query<PageQuery>,
) -> Result<Page<EventView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let limit = page_size(query.limit, MAX_PAGE)?;
    // Refused (404 or 403) unless the item exists and the principal may see it.
    let history = visible_item(&state, &principal, barcode, move |store, _| {
        store.history(barcode)
    })
    .await?;
    let viewer = Viewer::of(&principal);
    let events = history
        .into_iter()
        .map(|event| EventView {
            seq: event.seq,
            at: event.body.at,
            station: event.body.station,
            actor: viewer.code(&event.body.actor),
            kind: format!("{:?}", event.body.kind),
            changes: event
                .body
                .changes
                .into_iter()
                .map(|change| crate::event::Change {
                    before: change.before.map(|text| viewer.code(&text)),
                    after: change.after.map(|text| viewer.code(&text)),
                    ..change
                })
                .collect(),
        })
        .collect();
    Ok(page_of(
        events,
        |event: &EventView| number_key(event.seq),
        query.after.as_deref(),
        limit,
    ))
}

/// Every location in path order (a tree by its paths), with what stands there, a page at a
/// time (the cursor is a path).
pub(crate) async fn locations(
    State(state): State<AppState>,
    Query(query): Query<PageQuery>,
) -> Result<Page<LocationView>, ApiError> {
    let limit = page_size(query.limit, MAX_PAGE)?;
    let out = state
        .archive
        .run(|store| {
            let mut out = Vec::new();
            for item in store.items_of_kind(crate::barcode::Kind::Location) {
                if let Item::Location(location) = item? {
                    out.push(LocationView {
                        barcode: location.barcode.to_string(),
                        items: store.count_at(location.barcode)?,
                        path: location.path,
                        kind: format!("{:?}", location.kind).to_lowercase(),
                        parent: location.parent.map(|p| p.to_string()),
                        capacity: location.capacity,
                    });
                }
            }
            Ok::<_, crate::store::StoreError>(out)
        })
        .await?;
    Ok(page_of(
        out,
        |location: &LocationView| location.path.clone(),
        query.after.as_deref(),
        limit,
    ))
}
