//! Items, box search, locations and what stands at them, an item's history.

use crate::message;
use crate::model::{ArchiveBox, Item, Role};
use crate::server::auth::Principal;
use crate::server::error::{parse_barcode, ApiError, Path, Query};
use crate::server::paging::{number_key, page_of, page_size, Page, PageQuery};
use crate::server::redact::Viewer;
use crate::server::views::{box_view, history_views, item_view, EventView, ItemView, LocationView};
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
    let checklists = state.archive.engine().checklists().clone();
    Ok(Json(
        visible_item(&state, &principal, barcode, move |store, item| {
            let contents = match &item {
                Item::Box(archive_box) => {
                    Some(super::contents_summary(store, &checklists, archive_box)?)
                }
                _ => None,
            };
            let mut view = item_view(store, item)?;
            view.contents = contents;
            Ok(view)
        })
        .await?,
    ))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoxQuery {
    /// Search as you type: a barcode finds its item (a box; a certificate for supervisors
    /// only; a location); otherwise every word (split by spaces) must stand somewhere in
    /// the box's customer name or archive number ("丽勇" finds 马丽勇, "2024 借字" finds
    /// 2024鸿借字第003号). The other filters narrow the matches.
    #[schemars(length(min = 1, max = 200))]
    q: Option<String>,
    /// The order of the matches of `q`: `archive_no` (the default), `customer` (then
    /// archive number), `year` (then archive number; no year last) or `barcode`. Without
    /// `q` only `barcode` is accepted (filtered lists come in the index's order), and any
    /// other is refused with `request.sort_needs_query`; an unknown one with
    /// `request.bad_sort`.
    sort: Option<String>,
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
    /// The last barcode of the previous page (the `x-next-after` header of its answer).
    #[schemars(length(min = 1))]
    after: Option<String>,
    #[schemars(range(min = 1, max = 500))]
    limit: Option<usize>,
}

/// How many boxes a filtered search looks at for one page before it stops (the caller
/// continues from the cursor in the `x-next-after` header).
pub(crate) const MAX_SCANNED: usize = 100_000;

/// The longest search (`q`) in characters.
const MAX_QUERY: usize = 200;

/// The orders of a search's matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortBy {
    ArchiveNo,
    Customer,
    Year,
    Barcode,
}

impl SortBy {
    fn parse(text: Option<&str>, searching: bool) -> Result<SortBy, ApiError> {
        let sort = match text {
            None => {
                return Ok(if searching {
                    SortBy::ArchiveNo
                } else {
                    SortBy::Barcode
                })
            }
            Some("archive_no") => SortBy::ArchiveNo,
            Some("customer") => SortBy::Customer,
            Some("year") => SortBy::Year,
            Some("barcode") => SortBy::Barcode,
            Some(other) => {
                return Err(ApiError::new(
                    StatusCode::BAD_REQUEST,
                    message!(RequestBadSort, text = format!("{other:?}")),
                ))
            }
        };
        if !searching && sort != SortBy::Barcode {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                message!(RequestSortNeedsQuery, sort = text.unwrap_or_default()),
            ));
        }
        Ok(sort)
    }

    /// Where `archive_box` stands in this order (ties broken by the barcode).
    fn key(self, archive_box: &ArchiveBox) -> (u32, String, String, crate::barcode::Barcode) {
        let (first, second, third) = match self {
            SortBy::ArchiveNo => (0, archive_box.archive_no.clone(), String::new()),
            SortBy::Customer => (
                0,
                crate::model::customer_key(&archive_box.customer),
                archive_box.archive_no.clone(),
            ),
            SortBy::Year => (
                archive_box.year.map_or(u32::MAX, u32::from),
                archive_box.archive_no.clone(),
                String::new(),
            ),
            SortBy::Barcode => (0, String::new(), String::new()),
        };
        (first, second, third, archive_box.barcode)
    }
}

/// Boxes by a search (`q`, sorted by `sort`), or by archive number (exact), customer
/// prefix, location, category, year, status; `limit` per page (≤ 500), `after` = the
/// cursor; the next cursor comes back in the `x-next-after` header when there may be more.
pub(crate) async fn find_boxes(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<BoxQuery>,
) -> Result<Response, ApiError> {
    let search = query
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .map(str::to_owned);
    if search
        .as_ref()
        .is_some_and(|q| q.chars().count() > MAX_QUERY)
    {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            message!(
                RequestBadQuery,
                detail = crate::message::Bilingual::new(
                    format!("q 超过 {MAX_QUERY} 个字"),
                    format!("q is longer than {MAX_QUERY} characters")
                )
            ),
        ));
    }
    let sort = SortBy::parse(query.sort.as_deref(), search.is_some())?;
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
    let viewer = Viewer::of(&principal);
    let (views, next) = state
        .archive
        .run(move |store| match search {
            Some(search) => search_page(store, &query, &search, sort, status, after, limit, viewer),
            None => find_page(store, &query, status, after, limit),
        })
        .await?;
    let mut response = Json(views).into_response();
    if let Some(next) = next {
        if let Ok(value) = axum::http::HeaderValue::from_str(&next.to_string()) {
            response.headers_mut().insert("x-next-after", value);
        }
    }
    Ok(response)
}

/// Whether `archive_box` passes `query`'s filters besides `q`.
fn passes(
    query: &BoxQuery,
    status: Option<crate::model::ItemStatus>,
    archive_box: &ArchiveBox,
) -> Result<bool, ApiError> {
    let location = query.location.as_deref().map(parse_barcode).transpose()?;
    Ok(query
        .category
        .as_ref()
        .is_none_or(|c| archive_box.category == *c)
        && query.year.is_none_or(|y| archive_box.year == Some(y))
        && status.is_none_or(|s| archive_box.status == s)
        && query
            .archive_no
            .as_ref()
            .is_none_or(|n| archive_box.archive_no == n.trim())
        && query.customer.as_ref().is_none_or(|c| {
            crate::model::customer_key(&archive_box.customer)
                .starts_with(&crate::model::customer_key(c))
        })
        && location.is_none_or(|l| archive_box.place == Some(l)))
}

/// One page of a search's matches in `sort` order, and the cursor of the next page when
/// there is more. A barcode finds its item, as `viewer` may see it (certificates only for
/// supervisors: the rule of [`Viewer`]).
#[allow(clippy::too_many_arguments)]
fn search_page(
    store: &crate::store::Store,
    query: &BoxQuery,
    search: &str,
    sort: SortBy,
    status: Option<crate::model::ItemStatus>,
    after: Option<crate::barcode::Barcode>,
    limit: usize,
    viewer: Viewer,
) -> Result<(Vec<ItemView>, Option<crate::barcode::Barcode>), ApiError> {
    if let Ok(barcode) = crate::barcode::Barcode::parse(search) {
        let found = match store.get_item(barcode)? {
            Some(Item::Box(archive_box)) if after.is_none() => vec![box_view(store, archive_box)?],
            Some(item @ Item::Certificate(_)) if after.is_none() && viewer.sees_certificates() => {
                vec![item_view(store, item)?]
            }
            Some(item @ Item::Location(_)) if after.is_none() => vec![item_view(store, item)?],
            _ => Vec::new(),
        };
        return Ok((found, None));
    }
    let mut matches = Vec::new();
    for archive_box in store.search_boxes(search)? {
        if passes(query, status, &archive_box)? {
            matches.push((sort.key(&archive_box), archive_box));
        }
    }
    matches.sort_by(|a, b| a.0.cmp(&b.0));
    let start = match after {
        None => 0,
        Some(after) => {
            let Some(Item::Box(last)) = store.get_item(after)? else {
                return Err(StoreError::from(Refusal::NotFound(after)).into());
            };
            let last = sort.key(&last);
            matches.partition_point(|(key, _)| *key <= last)
        }
    };
    let rest = matches.get(start..).unwrap_or_default();
    let page: Vec<&ArchiveBox> = rest.iter().take(limit).map(|(_, b)| b).collect();
    let next = if rest.len() > limit {
        page.last().map(|b| b.barcode)
    } else {
        None
    };
    let views = page
        .into_iter()
        .map(|b| box_view(store, b.clone()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((views, next))
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
    let sees_safes = Viewer::of(&principal).sees_safes();
    let seen = state
        .archive
        .run(move |store| {
            match store.get_item(barcode)? {
                Some(Item::Location(location))
                    if location.kind.keeps_certificates() && !sees_safes =>
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
    let viewer = Viewer::of(&principal);
    let events = visible_item(&state, &principal, barcode, move |store, _| {
        let history = store.history(barcode)?;
        history_views(store, barcode, history, viewer)
    })
    .await?;
    Ok(page_of(
        events,
        |event: &EventView| number_key(event.seq),
        query.after.as_deref(),
        limit,
    ))
}

/// Every location in path order (a tree by its paths), with what stands there (a safe's
/// count only for those who see safes), a page at a time (the cursor is a path).
pub(crate) async fn locations(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<PageQuery>,
) -> Result<Page<LocationView>, ApiError> {
    let limit = page_size(query.limit, MAX_PAGE)?;
    let viewer = Viewer::of(&principal);
    let out = state
        .archive
        .run(move |store| {
            let mut out = Vec::new();
            for item in store.items_of_kind(crate::barcode::Kind::Location) {
                if let Item::Location(location) = item? {
                    out.push(LocationView::seen_by(store, location, viewer)?);
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
