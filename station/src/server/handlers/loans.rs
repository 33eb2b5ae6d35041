//! Loans: open, overdue, by borrower; approvals recorded ahead; renewals.

use crate::message;
use crate::model::Role;
use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, parse_barcode, parse_number, ApiError, Path, Query};
use crate::server::paging::{number_key, page_of, page_size, Page};
use crate::server::redact::Viewer;
use crate::server::views::{loan_views, LoanView};
use crate::server::AppState;
use crate::server::MAX_PAGE;
use crate::store::{CheckOutcome, Refusal, ReturnCheckView};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};

/// A supervisor's approval for someone to borrow, recorded before the checkout.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ApprovalRequest {
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    borrower: String,
    /// The approving supervisor; the token's owner when absent.
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    approver: Option<String>,
    /// Last day it may be used; today when absent.
    valid_until: Option<chrono::NaiveDate>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ApprovalView {
    borrower: String,
    approver: String,
    valid_until: chrono::NaiveDate,
}

pub(crate) async fn approve_borrower(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<ApprovalRequest>,
) -> Result<(StatusCode, Json<ApprovalView>), ApiError> {
    let request = json_body(body)?;
    let borrower = parse_barcode(&request.borrower)?;
    let approver = match &request.approver {
        Some(text) => parse_barcode(text)?,
        None => principal.person.barcode,
    };
    if approver != principal.person.barcode && principal.person.role < Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            message!(ApprovalOwnNameOnly),
        ));
    }
    let today = state.archive.today();
    let valid_until = request.valid_until.unwrap_or(today);
    if valid_until < today {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            message!(ApprovalExpired),
        ));
    }
    // The event names who recorded it (an administrator may record a supervisor's
    // approval); the approver is named in its changes.
    let actor = principal.actor();
    let approval = state
        .archive
        .run(move |store| store.approve_borrower(&actor, borrower, approver, valid_until))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(ApprovalView {
            borrower: approval.borrower.to_string(),
            approver: approval.approver.to_string(),
            valid_until: approval.valid_until,
        }),
    ))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoanQuery {
    /// Only loans past their due date.
    overdue: Option<bool>,
    /// Only this borrower's loans.
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    borrower: Option<String>,
    /// Page size, 1–500 (default 500).
    #[schemars(range(min = 1, max = 500))]
    limit: Option<usize>,
    /// The cursor: the `x-next-after` header of the previous page.
    #[schemars(length(min = 1))]
    after: Option<String>,
}

/// Open loans: all, overdue (`?overdue=true`), or one borrower's (`?borrower=P…`), by due
/// date, a page at a time.
pub(crate) async fn loans(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<LoanQuery>,
) -> Result<Page<LoanView>, ApiError> {
    let viewer = Viewer::of(&principal);
    let borrower = query.borrower.as_deref().map(parse_barcode).transpose()?;
    let overdue = query.overdue == Some(true);
    let limit = page_size(query.limit, MAX_PAGE)?;
    let views = state
        .archive
        .run(move |store| loan_views(store, overdue, borrower))
        .await?;
    Ok(page_of(
        views.into_iter().map(|view| view.seen_by(viewer)).collect(),
        |loan: &LoanView| format!("{}/{}", loan.due, number_key(loan.id)),
        query.after.as_deref(),
        limit,
    ))
}

pub(crate) async fn renew_loan(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<LoanView>, ApiError> {
    let id = parse_number(&id, ("借阅单号", "loan number"))?;
    let days = i64::from(state.config.loan_days);
    let actor = principal.actor();
    let views = state
        .archive
        .run(move |store| {
            let loan = store.loan(id)?.ok_or(Refusal::UnknownLoan(id))?;
            let from = loan.due.max(store.today());
            let loan = store.renew_loan(&actor, id, from + chrono::Duration::days(days))?;
            loan_views(store, false, Some(loan.borrower))
        })
        .await?;
    views
        .into_iter()
        .find(|view| view.id == id)
        .map(Json)
        .ok_or_else(|| Refusal::UnknownLoan(id).into())
}

/// The clerk's check of a returned box: the positions (on the list lent) still missing;
/// empty when everything came back.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckRequest {
    /// Positions of the documents still missing (from 1); empty: the return is complete.
    missing: Vec<u16>,
    /// A note (what the borrower said, when the rest will come).
    #[serde(default)]
    #[schemars(length(max = 500))]
    note: Option<String>,
}

/// What a check recorded.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct CheckAnswer {
    /// complete (the check is closed) or incomplete (the missing documents are still out).
    #[schemars(extend("enum" = ["complete", "incomplete"]))]
    state: &'static str,
    /// What happened, as a stable code.
    code: crate::message::Code,
    /// What happened, for people.
    message: crate::message::Bilingual,
    /// The check as it stands now.
    check: ReturnCheckView,
}

/// Records the check of a returned box: `missing` empty confirms it complete; otherwise
/// those documents stay out on the loan (and later calls naming fewer record them back).
pub(crate) async fn check_return(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: JsonBody<CheckRequest>,
) -> Result<Json<CheckAnswer>, ApiError> {
    let id = parse_number(&id, ("借阅单号", "loan number"))?;
    let request = json_body(body)?;
    let actor = principal.actor();
    let (outcome, view) = state
        .archive
        .run(move |store| {
            let note = request.note.unwrap_or_default();
            let outcome = store.check_return(&actor, id, &request.missing, &note)?;
            let mut view = store.return_check_view(outcome.check())?;
            if let CheckOutcome::Complete(_) = outcome {
                view.missing.clear();
                view.outstanding.clear();
            }
            Ok::<_, crate::store::StoreError>((outcome, view))
        })
        .await?;
    let item = match &view.archive_no {
        Some(archive_no) => format!("{archive_no} {}", view.item),
        None => view.item.clone(),
    };
    let (state_name, message) = match &outcome {
        CheckOutcome::Complete(_) => (
            "complete",
            message!(ReturnConfirmed, loan = id, item = item),
        ),
        CheckOutcome::Incomplete(check) => (
            "incomplete",
            message!(ReturnIncomplete, loan = id, missing = check.missing_text()),
        ),
    };
    Ok(Json(CheckAnswer {
        state: state_name,
        code: message.code,
        message: message.text,
        check: view,
    }))
}

/// The check of a returned box, while it awaits confirmation or is incomplete.
pub(crate) async fn get_return_check(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ReturnCheckView>, ApiError> {
    let id = parse_number(&id, ("借阅单号", "loan number"))?;
    let view = state
        .archive
        .run(move |store| {
            let check = store.return_check(id)?.ok_or(Refusal::NoReturnCheck(id))?;
            store.return_check_view(&check)
        })
        .await?;
    Ok(Json(view))
}

/// Returns not yet confirmed complete: awaiting their check, or incomplete (documents
/// still out), by loan number.
pub(crate) async fn unchecked_returns(
    State(state): State<AppState>,
) -> Result<Json<Vec<ReturnCheckView>>, ApiError> {
    let views = state
        .archive
        .run(move |store| {
            store
                .unchecked_returns()?
                .iter()
                .map(|check| store.return_check_view(check))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(Json(views))
}
