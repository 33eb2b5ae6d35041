//! Loan slips (档案资料出借单): filled in for a borrower (purpose, boxes with the documents or
//! pages wanted, due date), approved or refused by a supervisor, lent against at CHECKOUT,
//! printed as an A4 PDF; and handovers' deadlines extended by a supervisor with a reason.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::barcode::Barcode;
use crate::message;
use crate::model::{Item, Millis};
use crate::server::auth::Principal;
use crate::server::error::{json_body, parse_barcode, parse_number, ApiError, JsonBody, Path};
use crate::server::redact::Viewer;
use crate::server::AppState;
use crate::store::{LoanSlip, NewLoanSlip, Refusal, SlipState, Store, StoreError};

/// One box asked for on a loan slip.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlipBoxRequest {
    /// The box: its barcode or exactly its archive number.
    #[serde(rename = "box")]
    #[schemars(length(min = 1, max = 100))]
    item: String,
    /// The documents or pages wanted of it (absent: the whole box).
    documents: Option<String>,
}

/// A loan slip to fill in.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoanSlipRequest {
    /// The borrower's badge.
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    borrower: String,
    /// What the boxes are borrowed for.
    purpose: String,
    /// The boxes, each with the documents or pages wanted.
    boxes: Vec<SlipBoxRequest>,
    /// The day they are due back; today plus the loan period when absent.
    due: Option<NaiveDate>,
}

/// A supervisor's refusal of a loan slip.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefuseRequest {
    /// Why (required).
    reason: String,
}

/// One box of a loan slip.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SlipBoxView {
    /// Its barcode.
    barcode: String,
    /// Its archive number.
    archive_no: String,
    /// The documents or pages wanted (empty: the whole box).
    documents: String,
    /// The loan opened against the slip for it, once lent.
    loan: Option<u64>,
    /// Whether that loan came back.
    returned: bool,
}

/// A loan slip.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct LoanSlipView {
    /// Its number.
    id: u64,
    /// The code printed on it (Code 128).
    code: String,
    /// requested, approved, refused, lent or closed.
    state: SlipState,
    /// The state in words.
    state_text: crate::message::Bilingual,
    /// The borrower's badge (masked for clerks).
    borrower: String,
    /// The borrower's name.
    borrower_name: String,
    /// What for.
    purpose: String,
    /// The boxes.
    boxes: Vec<SlipBoxView>,
    /// The day they are due back.
    due: NaiveDate,
    /// Who filled it in.
    requested_by: String,
    /// When (ms since the epoch).
    requested_at: Millis,
    /// The supervisor who approved or refused it (badge, masked for clerks).
    approver: Option<String>,
    /// Their name.
    approver_name: Option<String>,
    /// When they decided.
    decided_at: Option<Millis>,
    /// Why it was refused.
    reason: Option<String>,
    /// When its first box was lent.
    lent_at: Option<Millis>,
    /// When its last box came back.
    closed_at: Option<Millis>,
}

fn name_of(store: &Store, barcode: Barcode) -> Result<String, StoreError> {
    Ok(match store.get_item(barcode)? {
        Some(Item::Person(person)) => person.name,
        _ => String::new(),
    })
}

fn slip_view(store: &Store, slip: &LoanSlip, viewer: Viewer) -> Result<LoanSlipView, StoreError> {
    let mut boxes = Vec::with_capacity(slip.entries.len());
    for entry in &slip.entries {
        let archive_no = match store.get_item(entry.item)? {
            Some(Item::Box(archive_box)) => archive_box.archive_no,
            _ => String::new(),
        };
        boxes.push(SlipBoxView {
            barcode: entry.item.to_string(),
            archive_no,
            documents: entry.documents.clone(),
            loan: entry.loan,
            returned: entry.returned,
        });
    }
    let (zh, en) = slip.state.label();
    Ok(LoanSlipView {
        id: slip.id,
        code: crate::printing::loan_slip_code(slip.id),
        state: slip.state,
        state_text: crate::message::Bilingual::new(zh, en),
        borrower: viewer.code(&slip.borrower.to_string()),
        borrower_name: name_of(store, slip.borrower)?,
        purpose: slip.purpose.clone(),
        boxes,
        due: slip.due,
        requested_by: viewer.code(&slip.requested_by),
        requested_at: slip.requested_at,
        approver: slip
            .approver
            .map(|approver| viewer.code(&approver.to_string())),
        approver_name: slip
            .approver
            .map(|approver| name_of(store, approver))
            .transpose()?,
        decided_at: slip.decided_at,
        reason: slip.reason.clone(),
        lent_at: slip.lent_at,
        closed_at: slip.closed_at,
    })
}

/// The box a request's `n`th entry names (its barcode, or exactly its archive number), or
/// why it names none (`picklist.line_unknown`, …), never a guess.
fn resolve_box(
    store: &Store,
    n: usize,
    text: &str,
) -> Result<Result<Barcode, crate::message::Message>, StoreError> {
    let (boxes, problems) = store.resolve_pick_rows(&[(n, vec![text.to_owned()])])?;
    if let Some(problem) = problems.into_iter().next() {
        return Ok(Err(problem.message));
    }
    Ok(match boxes.first() {
        Some(barcode) => Ok(*barcode),
        None => Err(message!(LoanSlipEmpty)),
    })
}

/// Fills in a loan slip: it waits for a supervisor's approval.
pub(crate) async fn create_loan_slip(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<LoanSlipRequest>,
) -> Result<(StatusCode, Json<LoanSlipView>), ApiError> {
    let request = json_body(body)?;
    let borrower = parse_barcode(&request.borrower)?;
    let viewer = Viewer::of(&principal);
    let actor = principal.actor();
    let loan_days = i64::from(state.config.loan_days);
    let view = state
        .archive
        .run(move |store| -> Result<_, StoreError> {
            let mut boxes = Vec::with_capacity(request.boxes.len());
            for (n, wanted) in request.boxes.iter().enumerate() {
                match resolve_box(store, n + 1, &wanted.item)? {
                    Ok(item) => boxes.push((item, wanted.documents.clone().unwrap_or_default())),
                    Err(message) => return Ok(Err(message)),
                }
            }
            let due = request
                .due
                .unwrap_or_else(|| store.today() + chrono::Duration::days(loan_days));
            let slip = store.create_loan_slip(
                &actor,
                &NewLoanSlip {
                    borrower,
                    purpose: request.purpose,
                    boxes,
                    due,
                },
            )?;
            slip_view(store, &slip, viewer).map(Ok)
        })
        .await?
        .map_err(|message| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message))?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// The loan slips, newest first (at most 200).
pub(crate) async fn loan_slips(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Result<Json<Vec<LoanSlipView>>, ApiError> {
    let viewer = Viewer::of(&principal);
    let views = state
        .archive
        .run(move |store| -> Result<_, StoreError> {
            store
                .loan_slips(200)?
                .iter()
                .map(|slip| slip_view(store, slip, viewer))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(Json(views))
}

fn slip_number(text: &str) -> Result<u64, ApiError> {
    parse_number(text, ("出借单号", "loan slip number"))
}

/// A loan slip.
pub(crate) async fn get_loan_slip(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<LoanSlipView>, ApiError> {
    let id = slip_number(&id)?;
    let viewer = Viewer::of(&principal);
    let view = state
        .archive
        .run(move |store| -> Result<_, StoreError> {
            let slip = store.loan_slip(id)?.ok_or(Refusal::UnknownLoanSlip(id))?;
            slip_view(store, &slip, viewer)
        })
        .await?;
    Ok(Json(view))
}

/// Approves a loan slip as the token's owner (a supervisor).
pub(crate) async fn approve_loan_slip(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<LoanSlipView>, ApiError> {
    let id = slip_number(&id)?;
    let viewer = Viewer::of(&principal);
    let approver = principal.person.barcode;
    let actor = principal.actor();
    let view = state
        .archive
        .run(move |store| -> Result<_, StoreError> {
            let slip = store.approve_loan_slip(&actor, id, approver)?;
            slip_view(store, &slip, viewer)
        })
        .await?;
    Ok(Json(view))
}

/// Refuses a loan slip as the token's owner (a supervisor), with a reason.
pub(crate) async fn refuse_loan_slip(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: JsonBody<RefuseRequest>,
) -> Result<Json<LoanSlipView>, ApiError> {
    let id = slip_number(&id)?;
    let request = json_body(body)?;
    let viewer = Viewer::of(&principal);
    let approver = principal.person.barcode;
    let actor = principal.actor();
    let view = state
        .archive
        .run(move |store| -> Result<_, StoreError> {
            let slip = store.refuse_loan_slip(&actor, id, approver, &request.reason)?;
            slip_view(store, &slip, viewer)
        })
        .await?;
    Ok(Json(view))
}

/// Why a paper could not be made: the store's answer, the printing setup (503), or the
/// rendering (500).
fn paper_error(error: crate::printing::LabelError) -> ApiError {
    match error {
        crate::printing::LabelError::Store(error) => ApiError::from(error),
        crate::printing::LabelError::Setup(message) => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message)
        }
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.message()),
    }
}

/// A loan slip as an A4 PDF to print (again).
pub(crate) async fn loan_slip_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = slip_number(&id)?;
    let Some(printing) = state.archive.printing().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            message!(LoanSlipNoPrinting),
        ));
    };
    let store = state.archive.engine().store().clone();
    let pdf =
        super::off_thread(move || printing.loan_slip_pdf(&store, id).map_err(paper_error)).await?;
    Ok(super::pdf_answer(pdf, &format!("loanslip-{id}.pdf")))
}

/// Where to print a loan slip again.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SlipPrintRequest {
    /// The printer: one that prints A4 (PDF to a folder, or CUPS); a label printer (ZPL)
    /// is refused.
    #[schemars(length(min = 1))]
    printer: String,
}

/// Queues loan slip `id` (again) on an A4 printer: the queued job. A label printer (ZPL)
/// has no A4 paper and is refused with nothing queued.
pub(crate) async fn print_loan_slip(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: JsonBody<SlipPrintRequest>,
) -> Result<(StatusCode, Json<crate::server::views::JobView>), ApiError> {
    let id = slip_number(&id)?;
    let request = json_body(body)?;
    let Some(printing) = state.archive.printing().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            message!(LoanSlipNoPrinting),
        ));
    };
    let store = state.archive.engine().store().clone();
    let actor = principal.actor();
    let printer = request.printer;
    let job = super::off_thread(move || {
        printing
            .queue_loan_slip(&store, &actor, &printer, id)
            .map_err(crate::server::label_error)?
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    message!(LoanSlipPrinterNotA4, printer = printer),
                )
            })
    })
    .await?;
    let viewer = Viewer::of(&principal);
    Ok((
        StatusCode::CREATED,
        Json(crate::server::views::JobView::from(job).seen_by(viewer)),
    ))
}

/// A supervisor's extension of a handover's deadline.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExtendRequest {
    /// The new deadline: later than the current one.
    until: NaiveDate,
    /// Why (required).
    reason: String,
}

/// One extension of a handover's deadline.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ExtensionView {
    /// The deadline before.
    from: NaiveDate,
    /// The deadline after.
    until: NaiveDate,
    /// The supervisor who approved it (badge, masked for clerks).
    approver: String,
    /// Why.
    reason: String,
    /// When (ms since the epoch).
    at: Millis,
}

/// A handover's deadline after an extension.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ExtendedView {
    /// The handover.
    id: u64,
    /// Its deadline now.
    deadline: NaiveDate,
    /// `normal`, `warning` (due today) or `overdue`, by the new deadline.
    #[schemars(extend("enum" = ["normal", "warning", "overdue"]))]
    state: &'static str,
    /// Every extension, oldest first.
    extensions: Vec<ExtensionView>,
}

/// Extends an open handover's deadline as the token's owner (a supervisor), with a reason.
pub(crate) async fn extend_handover(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: JsonBody<ExtendRequest>,
) -> Result<Json<ExtendedView>, ApiError> {
    let id = parse_number(&id, ("移交单号", "handover number"))?;
    let request = json_body(body)?;
    let viewer = Viewer::of(&principal);
    let approver = principal.person.barcode;
    let actor = principal.actor();
    let today = state.archive.today();
    let (handover, extensions) = state
        .archive
        .run(move |store| -> Result<_, StoreError> {
            store.extend_handover(&actor, id, approver, request.until, &request.reason)
        })
        .await?;
    Ok(Json(ExtendedView {
        id: handover.id,
        deadline: handover.deadline,
        state: crate::server::views::deadline_state(handover.deadline, today),
        extensions: extensions
            .into_iter()
            .map(|extension| ExtensionView {
                from: extension.from,
                until: extension.until,
                approver: viewer.code(&extension.approver.to_string()),
                reason: extension.reason,
                at: extension.at,
            })
            .collect(),
    }))
}

/// The boxes of approved loan slip `id`, for a pick list; a slip not approved (or lent
/// against already) is refused.
pub(crate) fn slip_boxes_to_pick(store: &Store, id: u64) -> Result<Vec<Barcode>, StoreError> {
    let slip = store.loan_slip(id)?.ok_or(Refusal::UnknownLoanSlip(id))?;
    if slip.state != SlipState::Approved {
        return Err(Refusal::PickListSlipNotApproved {
            id,
            state: slip.state,
        }
        .into());
    }
    Ok(slip.entries.iter().map(|entry| entry.item).collect())
}

/// A handover's certificate list (权证移交清单) in three copies (A角联, B角联, 档案联) as an
/// A4 PDF: supervisors only, like every certificate detail.
pub(crate) async fn certificate_handover_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_number(&id, ("移交单号", "handover number"))?;
    let Some(printing) = state.archive.printing().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            message!(LoanSlipNoPrinting),
        ));
    };
    let store = state.archive.engine().store().clone();
    let pdf = super::off_thread(move || {
        printing
            .certificate_handover_pdf(&store, id)
            .map_err(paper_error)
    })
    .await?;
    let Some(pdf) = pdf else {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            message!(HandoverNoCertificates, id = id),
        ));
    };
    Ok(super::pdf_answer(
        pdf,
        &format!("handover-{id}-certificates.pdf"),
    ))
}
