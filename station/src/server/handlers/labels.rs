//! Printing labels, the print queue, cancelling a waiting label.

use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, parse_number, ApiError, Path, Query};
use crate::server::redact::Viewer;
use crate::server::views::JobView;
use crate::server::AppState;
use crate::store::Refusal;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::Deserialize;

/// Labels to print.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LabelsRequest {
    #[schemars(length(min = 1), inner(pattern(crate::server::error::BARCODE_PATTERN)))]
    barcodes: Vec<String>,
    #[schemars(length(min = 1))]
    printer: Option<String>,
    #[schemars(length(min = 1))]
    workstation: Option<String>,
    /// For a reprint: the job reprinted.
    reprint_of: Option<u64>,
    /// Why it is printed again (required with `reprint_of`).
    #[schemars(length(min = 1))]
    reason: Option<String>,
}

/// A reprint (the job reprinted and why), or none; a reprint without a reason is refused.
fn reprint(of: Option<u64>, reason: Option<String>) -> Result<Option<(u64, String)>, ApiError> {
    match (of, reason) {
        (Some(job), Some(reason)) => Ok(Some((job, reason))),
        (Some(_), None) => Err(Refusal::ReprintReason.into()),
        (None, _) => Ok(None),
    }
}

/// The answer to a print request: the queued jobs as `principal` may see them, 201.
fn queued(
    principal: &Principal,
    jobs: Vec<crate::model::PrintJob>,
) -> (StatusCode, Json<Vec<JobView>>) {
    let viewer = Viewer::of(principal);
    (
        StatusCode::CREATED,
        Json(
            jobs.into_iter()
                .map(|job| JobView::from(job).seen_by(viewer))
                .collect(),
        ),
    )
}

pub(crate) async fn print_labels(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<LabelsRequest>,
) -> Result<(StatusCode, Json<Vec<JobView>>), ApiError> {
    let request = json_body(body)?;
    let reprint = reprint(request.reprint_of, request.reason)?;
    let jobs = state
        .print_labels(
            &principal,
            request.barcodes,
            request.printer,
            request.workstation.as_deref(),
            reprint,
        )
        .await?;
    Ok(queued(&principal, jobs))
}

/// Why a waiting label is cancelled.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CancelRequest {
    /// Recorded with the cancellation, e.g. "printer replaced".
    #[schemars(length(min = 1))]
    reason: String,
}

/// Cancels a waiting label: a person's decision, recorded as an event.
pub(crate) async fn cancel_label(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: JsonBody<CancelRequest>,
) -> Result<StatusCode, ApiError> {
    let id = parse_number(&id, ("打印任务编号", "print job number"))?;
    let request = json_body(body)?;
    let actor = principal.actor();
    state
        .archive
        .run(move |store| store.cancel_print(&actor, id, &request.reason))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Labels waiting for their printer, by job id, a page at a time.
pub(crate) async fn label_queue(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<crate::server::paging::PageQuery>,
) -> Result<crate::server::paging::Page<JobView>, ApiError> {
    use crate::server::paging::{number_key, page_of, page_size};
    let viewer = Viewer::of(&principal);
    let limit = page_size(query.limit, crate::server::MAX_PAGE)?;
    let jobs = state.archive.run(|store| store.pending_jobs()).await?;
    Ok(page_of(
        jobs.into_iter()
            .map(|job| JobView::from(job).seen_by(viewer))
            .collect(),
        |job: &JobView| number_key(job.id),
        query.after.as_deref(),
        limit,
    ))
}

/// Who may have a safe's label: supervisors and administrators (the one `sees_safes` rule).
fn sees_safes(principal: &Principal) -> bool {
    crate::server::redact::Viewer::of(principal).sees_safes()
}

/// Refuses `principal` (a 403, recorded) when `under` is a safe or one of its drawers and
/// they may not see safes; answers whether safes are included in what they print.
async fn safe_rule(state: &AppState, principal: &Principal, under: &str) -> Result<bool, ApiError> {
    if sees_safes(principal) {
        return Ok(true);
    }
    let named = under.to_owned();
    let root = state
        .archive
        .run(move |store| crate::printing::location_named(store, &named))
        .await
        .map_err(crate::server::label_error)?;
    if root.kind.keeps_certificates() {
        state
            .require(
                principal,
                crate::model::Role::Supervisor,
                ("打印保险柜标签", "print safe labels"),
            )
            .await?;
    }
    Ok(false)
}

/// The labels of every shelf under a location, for a printer.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ShelfLabelsRequest {
    /// The location's barcode or path: a room, a rack, a side, a section, a shelf (or, for
    /// supervisors, a safe with its drawers), e.g. `2号库房/01列`.
    #[schemars(length(min = 1))]
    under: String,
    #[schemars(length(min = 1))]
    printer: Option<String>,
    #[schemars(length(min = 1))]
    workstation: Option<String>,
    /// For a reprint: the job reprinted.
    reprint_of: Option<u64>,
    /// Why they are printed again (required with `reprint_of`).
    #[schemars(length(min = 1))]
    reason: Option<String>,
}

/// Queues the labels of every shelf under a location on a printer, in walking order.
pub(crate) async fn print_shelf_labels(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<ShelfLabelsRequest>,
) -> Result<(StatusCode, Json<Vec<JobView>>), ApiError> {
    let request = json_body(body)?;
    let reprint = reprint(request.reprint_of, request.reason)?;
    if state.archive.printing().is_none() {
        return Err(crate::server::label_error(
            crate::printing::LabelError::NotSetUp,
        ));
    }
    let include_safes = safe_rule(&state, &principal, &request.under).await?;
    let printer = request
        .printer
        .or_else(|| state.config.printer_for(request.workstation.as_deref()))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                crate::message!(PrintingNoPrinter),
            )
        })?;
    let jobs = state
        .archive
        .queue_labels(
            principal.actor(),
            printer,
            crate::printing::LabelRequest::Under {
                under: request.under,
                include_safes,
                reprint,
            },
        )
        .await
        .map_err(crate::server::label_error)?;
    Ok(queued(&principal, jobs))
}

/// Which location's shelf labels to put on A4 sheets.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SheetQuery {
    /// The location's barcode or path (as for `POST /api/v1/labels/shelves`).
    #[schemars(length(min = 1))]
    under: String,
}

/// The labels of every shelf under a location on A4 sticker sheets, one PDF to download.
pub(crate) async fn shelf_label_sheet(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<SheetQuery>,
) -> Result<axum::response::Response, ApiError> {
    let include_safes = safe_rule(&state, &principal, &query.under).await?;
    let (pdf, _) = state
        .archive
        .shelf_sheet(query.under, include_safes)
        .await
        .map_err(crate::server::label_error)?;
    Ok(crate::server::reports::download(
        pdf,
        "application/pdf",
        "shelf-labels.pdf",
    ))
}
