//! Scans through the API (the same engine as serial scanners), recent results, the live
//! stream.

use crate::message;
use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, ApiError, Query};
use crate::server::redact::Viewer;
use crate::server::{AppState, RECENT_RESULTS};
use crate::workflow::{ScanResult, WorkstationContext};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::Deserialize;

/// A scan sent over HTTP: a browser page or a keyboard-wedge scanner station.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanRequest {
    #[schemars(length(min = 1))]
    workstation: String,
    #[schemars(length(min = 1))]
    data: String,
    /// The sender's own name for this scan (at most 64 characters), for a scan it may
    /// send more than once (a page's queue, kept while the station could not be reached):
    /// a scan whose id this workstation has run already for the same token owner is not
    /// run again, its first result is answered.
    #[serde(default)]
    #[schemars(length(min = 1, max = 64))]
    id: Option<String>,
}

/// The longest id of a scan ([`ScanRequest`]), in characters.
const MAX_SCAN_ID_CHARS: usize = 64;

/// The longest scan accepted over HTTP, in bytes (a scanner's own limit is far lower).
pub(crate) const MAX_SCAN_BYTES: usize = 4096;

pub(crate) async fn post_scan(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<ScanRequest>,
) -> Result<Json<ScanResult>, ApiError> {
    let request = json_body(body)?;
    if !state.workstations.contains(&request.workstation) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            message!(
                ScanUnknownWorkstation,
                workstation = format!("{:?}", request.workstation)
            ),
        ));
    }
    if request.data.len() > MAX_SCAN_BYTES {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            message!(ScanTooLong, max = MAX_SCAN_BYTES),
        ));
    }
    if let Some(id) = &request.id {
        if id.is_empty() || id.chars().count() > MAX_SCAN_ID_CHARS {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                message!(ScanBadId, max = MAX_SCAN_ID_CHARS),
            ));
        }
    }
    let result = match request.id {
        Some(id) => {
            state
                .archive
                .scan_once_as(
                    request.workstation,
                    request.data,
                    principal.person.clone(),
                    id,
                )
                .await?
        }
        None => {
            state
                .archive
                .scan_as(request.workstation, request.data, principal.person.clone())
                .await?
        }
    };
    // The answer is the token owner's: what they may see of it.
    Ok(Json(Viewer::of(&principal).scan_result(result)))
}

/// A configured workstation and what it holds now.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct WorkstationView {
    /// Its name, as station.toml's `[[workstation]]` gives it (`counter` by default).
    name: String,
    /// Its mode and context now.
    context: WorkstationContext,
    /// The printer its labels go to: its own, else the first configured one; null when
    /// there is none.
    printer: Option<String>,
}

/// The configured workstations, in station.toml's order, each with its current mode and
/// context (the counter page's choice of workstation, and its context after a reload).
pub(crate) async fn workstations(
    State(state): State<AppState>,
) -> Result<Json<Vec<WorkstationView>>, ApiError> {
    let engine = state.archive.engine().clone();
    let names = state.workstations.clone();
    let config = state.config.clone();
    // Rechecking the people a workstation holds may read the store.
    let views = crate::archive::blocking(move || {
        names
            .iter()
            .map(|name| WorkstationView {
                name: name.clone(),
                context: engine.context(name),
                printer: config.printer_for(Some(name)),
            })
            .collect::<Vec<_>>()
    })
    .await?;
    Ok(Json(views))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RecentQuery {
    #[schemars(length(min = 1))]
    workstation: Option<String>,
    /// How many of the latest results, 1–200 (default 50): the station keeps 200, so
    /// one page holds all there is.
    #[schemars(range(min = 1, max = 200))]
    limit: Option<usize>,
}

pub(crate) async fn recent_scans(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<RecentQuery>,
) -> Json<Vec<ScanResult>> {
    let viewer = Viewer::of(&principal);
    let limit = query.limit.unwrap_or(50).clamp(1, RECENT_RESULTS);
    let recent = state
        .recent
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let mut out: Vec<ScanResult> = recent
        .iter()
        .rev()
        .filter(|result| {
            query
                .workstation
                .as_ref()
                .is_none_or(|workstation| *workstation == result.workstation)
        })
        .take(limit)
        .map(|result| viewer.scan_result(result.clone()))
        .collect();
    out.reverse();
    Json(out)
}

#[derive(Deserialize, schemars::JsonSchema)]
pub(crate) struct LiveQuery {
    workstation: Option<String>,
    /// Browsers' EventSource cannot send headers; the middleware reads this.
    #[serde(rename = "token")]
    _token: Option<String>,
}

/// Server-sent events: every scan result (event `scan`, the result as JSON), optionally
/// only those of one workstation, and every committed change (event `change`: seq, count,
/// kind, item by its barcode, actor), each as the token's owner may see it; and the
/// caller's own new notifications (event `notification`: a list of them, oldest first),
/// never another person's (a reminder's `change` is not sent).
pub(crate) async fn live(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<LiveQuery>,
) -> axum::response::sse::Sse<
    impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let results = state.archive.engine().subscribe();
    let changes = state.archive.subscribe();
    let viewer = Viewer::of(&principal);
    // The stream ends as soon as the server begins to stop, so that shutdown never waits
    // for a client that keeps it open all day.
    let stopping = state.stopping.subscribe();
    // The caller's own notifications written from now on (event `notification`): the
    // newest they have now is where it starts.
    let me = principal.person.barcode;
    let newest = state
        .archive
        .run(move |store| store.notifications_of(me, None, 1))
        .await
        .ok()
        .and_then(|list| list.first().map(|n| n.id))
        .unwrap_or(0);
    let mine = (state.clone(), me, newest);
    let stream = futures_util::stream::unfold(
        (results, changes, query.workstation, viewer, stopping, mine),
        |(mut results, mut changes, workstation, viewer, mut stopping, mut mine)| async move {
            loop {
                let event = tokio::select! {
                    () = stopped(&mut stopping) => return None,
                    result = results.recv() => match result {
                        Ok(result) => {
                            if workstation.as_ref().is_some_and(|w| *w != result.workstation) {
                                continue;
                            }
                            Event::default()
                                .event("scan")
                                .json_data(viewer.scan_result(result))
                                .unwrap_or_else(|_| Event::default().event("scan"))
                        }
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    },
                    change = changes.recv() => match change {
                        // A reminder is its recipients' alone: each hears of their own.
                        Ok(change) if change.kind == crate::event::EventKind::TaskReminded => {
                            let (state, me, after) = &mine;
                            let fresh = super::notifications_after(state, *me, *after).await;
                            let Some(last) = fresh.last().map(|n| n.id) else {
                                continue;
                            };
                            mine.2 = last;
                            Event::default()
                                .event("notification")
                                .json_data(&fresh)
                                .unwrap_or_else(|_| Event::default().event("notification"))
                        }
                        Ok(change) => match viewer.change(&change) {
                            Some(change) => Event::default()
                                .event("change")
                                .json_data(&change)
                                .unwrap_or_else(|_| Event::default().event("change")),
                            None => continue,
                        },
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    },
                };
                return Some((
                    Ok(event),
                    (results, changes, workstation, viewer, stopping, mine),
                ));
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// Completes once the server is stopping.
async fn stopped(stopping: &mut tokio::sync::watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stop| *stop).await;
}
