//! Boxes' contents lists (册内资料清单), their completeness against the category
//! checklists (典型资料清单), handovers started with a reason, and the reviewer's
//! supplement list (补充资料清单).

use crate::barcode::Barcode;
use crate::contents::{Checklist, Completeness, Document, Lack};
use crate::model::{ArchiveBox, HandoverStage, Role};
use crate::server::auth::Principal;
use crate::server::error::{json_body, parse_barcode, parse_number, ApiError, JsonBody, Path};
use crate::server::redact::Viewer;
use crate::server::AppState;
use crate::store::{BoxContents, ContentsEdit, Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One document with its position (from 1).
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct DocumentView {
    position: usize,
    #[serde(flatten)]
    document: Document,
}

/// What a box lacks against its category's checklist.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct CompletenessView {
    /// The checklist used (none: the category has none, and nothing is required).
    checklist: Option<String>,
    complete: bool,
    missing: Vec<Lack>,
    unsigned: Vec<Lack>,
}

impl From<Completeness> for CompletenessView {
    fn from(completeness: Completeness) -> Self {
        CompletenessView {
            complete: completeness.is_complete(),
            checklist: completeness.checklist,
            missing: completeness.missing,
            unsigned: completeness.unsigned,
        }
    }
}

/// The supplement a box waits for.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SupplementView {
    handover: u64,
    /// Who asked (B).
    by: String,
    /// Who must add the documents (A).
    to: String,
    lacks: Vec<Lack>,
}

/// A box's contents list with its totals and completeness.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ContentsView {
    barcode: String,
    archive_no: String,
    category: String,
    documents: Vec<DocumentView>,
    document_count: usize,
    /// Total pages, covers included.
    pages: u64,
    /// The box's expiry date (合同到期日).
    expiry: Option<NaiveDate>,
    completeness: CompletenessView,
    /// `complete`, `incomplete`, or `awaiting_supplement` (B asked for documents that are
    /// not all there yet).
    #[schemars(extend("enum" = ["complete", "incomplete", "awaiting_supplement"]))]
    state: &'static str,
    supplement: Option<SupplementView>,
}

/// The short form in a box's detail.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ContentsSummary {
    document_count: usize,
    pages: u64,
    expiry: Option<NaiveDate>,
    #[schemars(extend("enum" = ["complete", "incomplete", "awaiting_supplement"]))]
    state: &'static str,
    missing: Vec<Lack>,
    unsigned: Vec<Lack>,
}

fn state_of(completeness: &Completeness, contents: &BoxContents) -> &'static str {
    match (completeness.is_complete(), contents.supplement.is_some()) {
        (true, _) => "complete",
        (false, true) => "awaiting_supplement",
        (false, false) => "incomplete",
    }
}

pub(crate) fn contents_summary(
    store: &Store,
    checklists: &crate::contents::Checklists,
    archive_box: &ArchiveBox,
) -> Result<ContentsSummary, StoreError> {
    let contents = store.box_contents(archive_box)?;
    let completeness = checklists.check(&archive_box.category, &contents.documents);
    Ok(ContentsSummary {
        document_count: contents.documents.len(),
        pages: contents.pages(),
        expiry: contents.expiry,
        state: state_of(&completeness, &contents),
        missing: completeness.missing,
        unsigned: completeness.unsigned,
    })
}

fn contents_view(
    viewer: Viewer,
    checklists: &crate::contents::Checklists,
    archive_box: &ArchiveBox,
    contents: BoxContents,
) -> ContentsView {
    let completeness = checklists.check(&archive_box.category, &contents.documents);
    ContentsView {
        barcode: archive_box.barcode.to_string(),
        archive_no: archive_box.archive_no.clone(),
        category: archive_box.category.clone(),
        document_count: contents.documents.len(),
        pages: contents.pages(),
        expiry: contents.expiry,
        state: state_of(&completeness, &contents),
        completeness: completeness.into(),
        supplement: contents.supplement.map(|supplement| SupplementView {
            handover: supplement.handover,
            by: viewer.code(&supplement.by.to_string()),
            to: viewer.code(&supplement.to.to_string()),
            lacks: supplement.lacks,
        }),
        documents: contents
            .documents
            .into_iter()
            .enumerate()
            .map(|(index, document)| DocumentView {
                position: index + 1,
                document,
            })
            .collect(),
    }
}

async fn answer(
    state: &AppState,
    principal: &Principal,
    barcode: Barcode,
    change: impl FnOnce(&Store, &crate::contents::Checklists) -> Result<(), StoreError> + Send + 'static,
) -> Result<Json<ContentsView>, ApiError> {
    let viewer = Viewer::of(principal);
    let checklists = state.archive.engine().checklists().clone();
    let view = state
        .archive
        .run(move |store| {
            store.require_box(barcode)?;
            change(store, &checklists)?;
            let archive_box = store.require_box(barcode)?;
            let contents = store.box_contents(&archive_box)?;
            Ok::<_, StoreError>(contents_view(viewer, &checklists, &archive_box, contents))
        })
        .await?;
    Ok(Json(view))
}

/// `GET /api/v1/boxes/{barcode}/contents`.
pub(crate) async fn box_contents(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
) -> Result<Json<ContentsView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    answer(&state, &principal, barcode, |_, _| Ok(())).await
}

/// A box's whole contents list, replacing the one it has.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContentsRequest {
    documents: Vec<Document>,
    /// The box's own expiry date (合同到期日); absent leaves it, null clears it.
    #[serde(default, deserialize_with = "present")]
    #[schemars(with = "Option<NaiveDate>")]
    expiry: Option<Option<NaiveDate>>,
}

/// A field that may be absent (outer `None`) or null (inner `None`).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<NaiveDate>>, D::Error> {
    Option::<NaiveDate>::deserialize(deserializer).map(Some)
}

/// `PUT /api/v1/boxes/{barcode}/contents`.
pub(crate) async fn replace_box_contents(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    body: JsonBody<ContentsRequest>,
) -> Result<Json<ContentsView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let request = json_body(body)?;
    let actor = principal.actor();
    answer(&state, &principal, barcode, move |store, checklists| {
        store.write(&actor, |tx| {
            tx.replace_contents(
                barcode,
                &request.documents,
                checklists,
                crate::event::EventKind::ContentsChanged,
            )?;
            if let Some(expiry) = request.expiry {
                tx.set_box_expiry(barcode, expiry)?;
            }
            Ok(())
        })
    })
    .await
}

/// One change to a box's contents list: `add` (at `position`, else at the end), `set`
/// (the document at `position`), `remove` (the one at `position`), or `expiry` (the box's
/// expiry date; null clears it).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ContentsEditRequest {
    #[schemars(extend("enum" = ["add", "set", "remove", "expiry"]))]
    op: String,
    position: Option<usize>,
    document: Option<Document>,
    expiry: Option<NaiveDate>,
}

/// `POST /api/v1/boxes/{barcode}/contents`.
pub(crate) async fn edit_box_contents(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    body: JsonBody<ContentsEditRequest>,
) -> Result<Json<ContentsView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let request = json_body(body)?;
    let bad = |what: &str| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            crate::message!(RequestMissingField, field = what),
        )
    };
    let edit = match request.op.as_str() {
        "add" => Some(ContentsEdit::Add {
            at: request.position,
            document: request.document.ok_or_else(|| bad("document"))?,
        }),
        "set" => Some(ContentsEdit::Set {
            position: request.position.ok_or_else(|| bad("position"))?,
            document: request.document.ok_or_else(|| bad("document"))?,
        }),
        "remove" => Some(ContentsEdit::Remove {
            position: request.position.ok_or_else(|| bad("position"))?,
        }),
        "expiry" => None,
        _ => return Err(bad("op")),
    };
    let expiry = request.expiry;
    let actor = principal.actor();
    answer(&state, &principal, barcode, move |store, checklists| {
        store.write(&actor, |tx| match &edit {
            Some(edit) => tx.edit_contents(barcode, edit, checklists).map(|_| ()),
            None => tx.set_box_expiry(barcode, expiry),
        })
    })
    .await
}

/// `GET /api/v1/checklists`: every category checklist with its items.
pub(crate) async fn checklists(State(state): State<AppState>) -> Json<Vec<Checklist>> {
    Json(state.archive.engine().checklists().all().cloned().collect())
}

/// A handover to start: the boxes (and certificates) `items` from `from` (default: the
/// caller) to `to`. A box lacking required documents needs a `reason`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct HandoverRequest {
    from: Option<String>,
    to: String,
    #[schemars(length(min = 1))]
    items: Vec<String>,
    reason: Option<String>,
}

/// A handover started.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct HandoverStarted {
    id: u64,
    #[schemars(extend("enum" = ["officer_to_officer", "officer_to_archivist"]))]
    stage: &'static str,
    deadline: NaiveDate,
}

/// `POST /api/v1/handovers`.
pub(crate) async fn start_handover(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<HandoverRequest>,
) -> Result<(StatusCode, Json<HandoverStarted>), ApiError> {
    let request = json_body(body)?;
    let from = match &request.from {
        Some(code) => parse_barcode(code)?,
        None => principal.person.barcode,
    };
    let to = parse_barcode(&request.to)?;
    let items = request
        .items
        .iter()
        .map(|code| parse_barcode(code))
        .collect::<Result<Vec<_>, _>>()?;
    if items.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::message!(HandoverEmpty),
        ));
    }
    let engine = state.archive.engine().clone();
    let checklists = engine.checklists().clone();
    let today = state.archive.today();
    let actor = principal.actor();
    let reason = request.reason.clone();
    let viewer = Viewer::of(&principal);
    let handover = state
        .archive
        .run(move |store| {
            let receiver = person_of(store, to)?;
            let sender = person_of(store, from)?;
            // A → B is the first step (3 working days); B → the archive the second (2 more).
            let stage = if receiver.role >= Role::Supervisor || sender.role < receiver.role {
                HandoverStage::OfficerToArchivist
            } else {
                HandoverStage::OfficerToOfficer
            };
            let days = match stage {
                HandoverStage::OfficerToOfficer => 3,
                HandoverStage::OfficerToArchivist => 2,
            };
            let deadline = engine.calendar().add_working_days(today, days);
            store.write(&actor, |tx| {
                for item in &items {
                    if let Some(crate::model::Item::Certificate(_)) = tx.item(*item)? {
                        if !viewer.sees_certificates() {
                            return Err(crate::store::Refusal::NotFound(*item).into());
                        }
                    }
                }
                tx.check_handover_items(&items, &checklists, reason.as_deref())?;
                tx.start_handover(stage, from, to, &items, &[], deadline)
            })
        })
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(HandoverStarted {
            id: handover.id,
            stage: match handover.stage {
                HandoverStage::OfficerToOfficer => "officer_to_officer",
                HandoverStage::OfficerToArchivist => "officer_to_archivist",
            },
            deadline: handover.deadline,
        }),
    ))
}

fn person_of(store: &Store, barcode: Barcode) -> Result<crate::model::Person, StoreError> {
    match store.get_item(barcode)? {
        Some(crate::model::Item::Person(person)) => Ok(person),
        Some(_) => Err(crate::store::Refusal::WrongKind {
            barcode,
            expected: crate::barcode::Kind::Person,
        }
        .into()),
        None => Err(crate::store::Refusal::NotFound(barcode).into()),
    }
}

/// One box of a supplement list.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SupplementBox {
    barcode: String,
    archive_no: String,
    customer: String,
    lacks: Vec<Lack>,
}

/// The reviewer's supplement list (补充资料清单) for a handover.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SupplementList {
    handover: u64,
    /// Who asked (B).
    by: String,
    /// Who must add the documents (A).
    to: String,
    /// B's name.
    by_name: String,
    /// A's name.
    to_name: String,
    boxes: Vec<SupplementBox>,
}

fn supplement_list(
    store: &Store,
    viewer: Viewer,
    checklists: &crate::contents::Checklists,
    id: u64,
) -> Result<SupplementList, StoreError> {
    let handover = store
        .handover(id)?
        .ok_or(crate::store::Refusal::UnknownHandover(id))?;
    let mut boxes = Vec::new();
    for item in &handover.items {
        let Some(crate::model::Item::Box(archive_box)) = store.get_item(*item)? else {
            continue;
        };
        let contents = store.box_contents(&archive_box)?;
        let lacks = checklists
            .check(&archive_box.category, &contents.documents)
            .lacks();
        if lacks.is_empty() {
            continue;
        }
        boxes.push(SupplementBox {
            barcode: archive_box.barcode.to_string(),
            archive_no: archive_box.archive_no,
            customer: archive_box.customer,
            lacks,
        });
    }
    let name = |barcode: Barcode| -> Result<String, StoreError> {
        Ok(match store.get_item(barcode)? {
            Some(crate::model::Item::Person(person)) => person.name,
            _ => String::new(),
        })
    };
    Ok(SupplementList {
        by_name: name(handover.to)?,
        to_name: name(handover.from)?,
        handover: id,
        by: viewer.code(&handover.to.to_string()),
        to: viewer.code(&handover.from.to_string()),
        boxes,
    })
}

/// `POST /api/v1/handovers/{id}/supplement`: B's review asks A for what the boxes lack;
/// each such box waits for supplements until its contents are complete.
pub(crate) async fn request_supplement(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SupplementList>), ApiError> {
    let id = parse_number(&id, ("移交单号", "handover number"))?;
    let checklists = state.archive.engine().checklists().clone();
    let actor = principal.actor();
    let viewer = Viewer::of(&principal);
    let list = state
        .archive
        .run(move |store| {
            store.write(&actor, |tx| tx.request_supplement(id, &checklists))?;
            supplement_list(store, viewer, &checklists, id)
        })
        .await?;
    Ok((StatusCode::CREATED, Json(list)))
}

/// `GET /api/v1/handovers/{id}/supplement`: what the handover's boxes still lack.
pub(crate) async fn get_supplement(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<SupplementList>, ApiError> {
    let id = parse_number(&id, ("移交单号", "handover number"))?;
    let checklists = state.archive.engine().checklists().clone();
    let viewer = Viewer::of(&principal);
    let list = state
        .archive
        .run(move |store| supplement_list(store, viewer, &checklists, id))
        .await?;
    Ok(Json(list))
}

/// `GET /api/v1/handovers/{id}/list.pdf`: the handover list (移交清单) of every box of the
/// handover, three copies each (A角联 / B角联 / 档案联), with the box's barcode, a QR of
/// this address, the contents with page counts and totals, and the signature lines.
pub(crate) async fn handover_list_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: axum::http::HeaderMap,
) -> Result<axum::response::Response, ApiError> {
    let id = parse_number(&id, ("移交单号", "handover number"))?;
    let Some(printing) = state.archive.printing().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            crate::message!(PickListNoPrinting),
        ));
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|host| host.to_str().ok())
        .filter(|host| {
            host.chars()
                .all(|c| c.is_ascii_alphanumeric() || ".:-[]".contains(c))
        })
        .unwrap_or("localhost")
        .to_owned();
    let scheme = if state.secure_cookies {
        "https"
    } else {
        "http"
    };
    let qr = format!("{scheme}://{host}/api/v1/handovers/{id}/list.pdf");
    let date = state.archive.today();
    let lists = state
        .archive
        .run(move |store| handover_lists(store, id, &qr, date))
        .await?;
    if lists.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::message!(HandoverNoBoxes, id = id),
        ));
    }
    let pdf = super::off_thread(move || {
        let mut pages = Vec::new();
        for list in &lists {
            pages.extend(list.templates().map_err(|error| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.problem.clone())
            })?);
        }
        let labels = printing
            .labels()
            .map_err(|message| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message))?;
        labels
            .pages_pdf("handover-list", &pages)
            .map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.message()))
    })
    .await?;
    Ok(super::pdf_answer(pdf, &format!("handover-{id}.pdf")))
}

/// The handover list of each box of handover `id`.
fn handover_lists(
    store: &Store,
    id: u64,
    qr: &str,
    date: NaiveDate,
) -> Result<Vec<crate::paper::HandoverList>, StoreError> {
    let handover = store
        .handover(id)?
        .ok_or(crate::store::Refusal::UnknownHandover(id))?;
    let name = |barcode: Barcode| -> Result<String, StoreError> {
        Ok(match store.get_item(barcode)? {
            Some(crate::model::Item::Person(person)) => person.name,
            _ => String::new(),
        })
    };
    let (officer_a, officer_b, archivist, stage) = match handover.stage {
        HandoverStage::OfficerToOfficer => (
            name(handover.from)?,
            name(handover.to)?,
            String::new(),
            "A角 → B角",
        ),
        HandoverStage::OfficerToArchivist => (
            String::new(),
            name(handover.from)?,
            name(handover.to)?,
            "B角 → 档案室",
        ),
    };
    let mut lists = Vec::new();
    for item in &handover.items {
        let Some(crate::model::Item::Box(archive_box)) = store.get_item(*item)? else {
            continue;
        };
        let contents = store.box_contents(&archive_box)?;
        lists.push(crate::paper::HandoverList {
            handover: id,
            stage: stage.to_owned(),
            barcode: archive_box.barcode.to_string(),
            archive_no: archive_box.archive_no,
            customer: archive_box.customer,
            title: archive_box.title,
            documents: contents.documents,
            officer_a: officer_a.clone(),
            officer_b: officer_b.clone(),
            archivist: archivist.clone(),
            date,
            qr: qr.to_owned(),
        });
    }
    Ok(lists)
}

/// `GET /api/v1/handovers/{id}/supplement.pdf`: the supplement list (补充资料清单) printed
/// for A: every box of the handover with what it still lacks, and the signature lines.
pub(crate) async fn supplement_pdf(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<axum::response::Response, ApiError> {
    let id = parse_number(&id, ("移交单号", "handover number"))?;
    let Some(printing) = state.archive.printing().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            crate::message!(PickListNoPrinting),
        ));
    };
    let checklists = state.archive.engine().checklists().clone();
    let viewer = Viewer::of(&principal);
    let list = state
        .archive
        .run(move |store| supplement_list(store, viewer, &checklists, id))
        .await?;
    if list.boxes.is_empty() {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            crate::message!(HandoverNoSupplement, id = id),
        ));
    }
    let paper = crate::paper::SupplementPaper {
        handover: id,
        by: list.by_name,
        to: list.to_name,
        boxes: list
            .boxes
            .into_iter()
            .map(|found| crate::paper::SupplementBox {
                barcode: found.barcode,
                archive_no: found.archive_no,
                customer: found.customer,
                lacks: found.lacks,
            })
            .collect(),
        date: state.archive.today(),
    };
    let pdf = super::off_thread(move || {
        let pages = paper.templates().map_err(|error| {
            ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, error.problem.clone())
        })?;
        let labels = printing
            .labels()
            .map_err(|message| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message))?;
        labels
            .pages_pdf("supplement-list", &pages)
            .map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.message()))
    })
    .await?;
    Ok(super::pdf_answer(pdf, &format!("supplement-{id}.pdf")))
}

/// Most bytes of a contents file sent to `POST /api/v1/contents/import`.
const MAX_CONTENTS_FILE: usize = 16 * 1024 * 1024;

/// What an import did.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ContentsImportView {
    boxes: usize,
    documents: usize,
}

/// `POST /api/v1/contents/import`: the raw file as the body (CSV in UTF-8 or GB18030, or
/// .xlsx), one row per document; all or nothing.
pub(crate) async fn import_contents_file(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: axum::body::Body,
) -> Result<Json<ContentsImportView>, ApiError> {
    use crate::contents_import::{import_contents, read_rows, ContentsImportError};
    let bytes = axum::body::to_bytes(body, MAX_CONTENTS_FILE)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                crate::message!(RequestTooLarge, max = MAX_CONTENTS_FILE),
            )
        })?;
    let checklists = state.archive.engine().checklists().clone();
    let actor = principal.actor();
    let imported = state
        .archive
        .run(move |store| {
            let rows = read_rows(&bytes)?;
            import_contents(store, &actor, &checklists, rows)
        })
        .await
        .map_err(|error| match error {
            ContentsImportError::Store(error) => ApiError::from(error),
            other => ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, other.message()),
        })?;
    Ok(Json(ContentsImportView {
        boxes: imported.boxes,
        documents: imported.documents,
    }))
}
