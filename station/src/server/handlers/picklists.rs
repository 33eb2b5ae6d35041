//! Pick lists: made from pasted lines, an uploaded CSV or a box search; read laid out for
//! walking (aisles of mobile racks, fixed racks, places away); printed as an A4 PDF with
//! each box's Code 128 barcode.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::barcode::Barcode;
use crate::label::LabelData;
use crate::message;
use crate::message::{Bilingual, Code};
use crate::model::{ItemStatus, Millis};
use crate::picking::PickPlace;
use crate::server::auth::Principal;
use crate::server::error::{json_body, parse_number, ApiError, JsonBody, Path};
use crate::server::AppState;
use crate::store::{
    pick_list_barcode, PickLine, PickLineProblem, PickList, PickSheet, PickState, MAX_PICK_LIST,
};

/// Where a pick list's boxes come from: exactly one of `lines`, `csv`, `search`,
/// `loan_slip`.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PickListRequest {
    /// Pasted lines, one box a line: its barcode or exactly its archive number.
    lines: Option<Vec<String>>,
    /// An uploaded CSV: one box a row; a cell is the box's barcode or exactly its
    /// archive number (other cells are ignored; a row naming two boxes is refused).
    csv: Option<String>,
    /// The CSV's first row is a header, skipped.
    header: Option<bool>,
    /// A box search, as `GET /api/v1/boxes` takes it: `q` and filters.
    search: Option<PickSearch>,
    /// An approved loan slip's number: its boxes.
    loan_slip: Option<u64>,
}

/// A box search for a pick list.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PickSearch {
    /// Every word must stand in the box's customer name or archive number.
    #[schemars(length(min = 1, max = 200))]
    q: String,
    /// Category, exactly.
    category: Option<String>,
    /// Year.
    year: Option<u16>,
    /// Status (English or Chinese word), e.g. `stored`.
    status: Option<String>,
}

/// A pick list in short, for the list of lists.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PickListSummary {
    /// Its number.
    id: u64,
    /// The barcode printed on its sheet: scanned at a workstation it chooses the list.
    barcode: String,
    /// open or done.
    state: PickState,
    /// Where its boxes came from.
    source: String,
    /// When it was made (ms since the epoch).
    created_at: Millis,
    /// Boxes on it.
    total: usize,
    /// Boxes ticked off.
    picked: usize,
}

/// One box of a pick list.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PickLineView {
    /// Its barcode.
    barcode: String,
    /// Its archive number.
    archive_no: String,
    /// Its title.
    title: String,
    /// Where it stands (path), if anywhere.
    path: Option<String>,
    /// Ticked off.
    picked: bool,
    /// Its status (English word).
    status: &'static str,
}

/// The boxes fetched at one place.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PickGroupView {
    /// The room.
    room: String,
    /// The aisle to open, the fixed rack, or another place.
    place: PickPlace,
    /// The place for people.
    label: Bilingual,
    /// Its boxes in walking order.
    lines: Vec<PickLineView>,
}

/// A box of the list that is not on a shelf, and why.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PickAwayView {
    /// The box.
    line: PickLineView,
    /// Why it is not on a shelf (`picklist.away_on_loan`, …).
    code: Code,
    /// Why, for people.
    why: Bilingual,
}

/// A pick list laid out for walking.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PickListView {
    #[serde(flatten)]
    summary: PickListSummary,
    /// How many aisles of mobile racks are opened (each once).
    aisles: usize,
    /// Groups in walking order.
    groups: Vec<PickGroupView>,
    /// Boxes not on a shelf.
    away: Vec<PickAwayView>,
    /// Boxes DONE did not find.
    not_found: Vec<String>,
}

/// A line that names no box, or more than one.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PickLineProblemView {
    /// Line number, from 1.
    line: usize,
    /// The line as given.
    text: String,
    /// What is wrong, as a code.
    error: Code,
    /// What is wrong, for people.
    message: Bilingual,
}

/// The answer when some lines name no single box: nothing was made.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PickBadLines {
    /// `picklist.bad_lines`.
    error: Code,
    /// For people.
    message: Bilingual,
    /// Each line at fault.
    lines: Vec<PickLineProblemView>,
}

fn summary(list: &PickList) -> PickListSummary {
    PickListSummary {
        id: list.id,
        barcode: pick_list_barcode(list.id)
            .map(|barcode| barcode.to_string())
            .unwrap_or_default(),
        state: list.state,
        source: list.source.clone(),
        created_at: list.created_at,
        total: list.entries.len(),
        picked: list
            .entries
            .iter()
            .filter(|entry| entry.picked_at.is_some())
            .count(),
    }
}

fn line_view(line: &PickLine) -> PickLineView {
    PickLineView {
        barcode: line.item.to_string(),
        archive_no: line.archive_no.clone(),
        title: line.title.clone(),
        path: line.path.clone(),
        picked: line.picked,
        status: line.status.label().1,
    }
}

/// The last segment of a rack path (`01列`).
fn rack_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// A group's place in words.
pub(crate) fn place_label(place: &PickPlace) -> Bilingual {
    match place {
        PickPlace::Aisle { left, right } => {
            let zh = match (left, right) {
                (Some(left), Some(right)) => {
                    format!("通道：{}B面 | {}A面", rack_name(left), rack_name(right))
                }
                (Some(left), None) => format!("通道：{}B面（端头）", rack_name(left)),
                (None, Some(right)) => format!("通道：{}A面（端头）", rack_name(right)),
                (None, None) => "通道".to_owned(),
            };
            let en = match (left, right) {
                (Some(left), Some(right)) => format!(
                    "aisle: {} side B | {} side A",
                    rack_name(left),
                    rack_name(right)
                ),
                (Some(left), None) => format!("end aisle: {} side B", rack_name(left)),
                (None, Some(right)) => format!("end aisle: {} side A", rack_name(right)),
                (None, None) => "aisle".to_owned(),
            };
            Bilingual::new(zh, en)
        }
        PickPlace::Rack { rack } => Bilingual::new(
            format!("固定架 {}", rack_name(rack)),
            format!("fixed rack {}", rack_name(rack)),
        ),
        PickPlace::Other { path } => Bilingual::new(path.clone(), path.clone()),
    }
}

fn sheet_view(sheet: &PickSheet) -> PickListView {
    PickListView {
        summary: summary(&sheet.list),
        aisles: sheet
            .groups
            .iter()
            .filter(|(group, _)| matches!(group.place, PickPlace::Aisle { .. }))
            .count(),
        groups: sheet
            .groups
            .iter()
            .map(|(group, lines)| PickGroupView {
                room: group.room.clone(),
                place: group.place.clone(),
                label: place_label(&group.place),
                lines: lines.iter().map(line_view).collect(),
            })
            .collect(),
        away: sheet
            .away
            .iter()
            .map(|(line, why)| PickAwayView {
                line: line_view(line),
                code: why.code,
                why: why.text.clone(),
            })
            .collect(),
        not_found: sheet
            .list
            .not_found
            .iter()
            .map(ToString::to_string)
            .collect(),
    }
}

fn bad_request(detail: Bilingual) -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        message!(RequestBadQuery, detail = detail),
    )
}

/// The rows of a request's `lines` or `csv`, numbered from 1.
fn rows_of(request: &PickListRequest) -> Result<Vec<(usize, Vec<String>)>, ApiError> {
    if let Some(lines) = &request.lines {
        return Ok(lines
            .iter()
            .enumerate()
            .map(|(idx, line)| (idx + 1, vec![line.clone()]))
            .collect());
    }
    let Some(csv_text) = &request.csv else {
        return Ok(Vec::new());
    };
    let header = request.header.unwrap_or(false);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(header)
        .flexible(true)
        .from_reader(csv_text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| {
            bad_request(Bilingual::new(
                format!("CSV 无法读取：{error}"),
                format!("the CSV cannot be read: {error}"),
            ))
        })?;
        let line = record
            .position()
            .map_or(rows.len() + 1, |position| position.line() as usize);
        rows.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(rows)
}

fn bad_lines(problems: Vec<PickLineProblem>) -> Response {
    let message = message!(PickListBadLines, count = problems.len());
    let body = PickBadLines {
        error: message.code,
        message: message.text,
        lines: problems
            .into_iter()
            .map(|problem| PickLineProblemView {
                line: problem.line,
                text: problem.text,
                error: problem.message.code,
                message: problem.message.text,
            })
            .collect(),
    };
    (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response()
}

/// Makes a pick list from pasted lines, a CSV or a search; lines that name no single box
/// are answered each with its code (422, `picklist.bad_lines`) and nothing is made.
pub(crate) async fn create_pick_list(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<PickListRequest>,
) -> Result<Response, ApiError> {
    let mut request = json_body(body)?;
    let sources = [
        request.lines.is_some(),
        request.csv.is_some(),
        request.search.is_some(),
        request.loan_slip.is_some(),
    ];
    if sources.iter().filter(|given| **given).count() != 1 {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            message!(PickListOneSource),
        ));
    }
    let actor = principal.actor();
    if let Some(slip) = request.loan_slip {
        let list = state
            .archive
            .run(move |store| {
                let boxes = super::loanslips::slip_boxes_to_pick(store, slip)?;
                let source = format!("loan slip: {slip}");
                store.create_pick_list(&actor, &boxes, &source)
            })
            .await?;
        return created(&state, list.id).await;
    }
    if let Some(search) = request.search.take() {
        let status = match search.status.as_deref() {
            Some(text) => Some(
                [
                    ItemStatus::Registered,
                    ItemStatus::Stored,
                    ItemStatus::AtCounter,
                    ItemStatus::OnLoan,
                    ItemStatus::InHandover,
                    ItemStatus::Missing,
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
        let list = state
            .archive
            .run(move |store| {
                let boxes: Vec<Barcode> = store
                    .search_boxes(&search.q)?
                    .into_iter()
                    .filter(|archive_box| {
                        search
                            .category
                            .as_ref()
                            .is_none_or(|c| archive_box.category == *c)
                            && search.year.is_none_or(|y| archive_box.year == Some(y))
                            && status.is_none_or(|s| archive_box.status == s)
                    })
                    .map(|archive_box| archive_box.barcode)
                    .collect();
                let source = format!("search: {}", search.q.trim());
                store.create_pick_list(&actor, &boxes, &source)
            })
            .await?;
        return created(&state, list.id).await;
    }
    let rows = rows_of(&request)?;
    if rows.len() > MAX_PICK_LIST * 2 {
        return Err(
            crate::store::StoreError::from(crate::store::Refusal::PickListTooLarge {
                count: rows.len(),
                max: MAX_PICK_LIST,
            })
            .into(),
        );
    }
    let source = if request.csv.is_some() {
        format!("csv: {} rows", rows.len())
    } else {
        format!("lines: {}", rows.len())
    };
    let outcome = state
        .archive
        .run(move |store| {
            let (boxes, problems) = store.resolve_pick_rows(&rows)?;
            if !problems.is_empty() {
                return Ok(Err(problems));
            }
            store.create_pick_list(&actor, &boxes, &source).map(Ok)
        })
        .await?;
    match outcome {
        Ok(list) => created(&state, list.id).await,
        Err(problems) => Ok(bad_lines(problems)),
    }
}

async fn created(state: &AppState, id: u64) -> Result<Response, ApiError> {
    let sheet = state.archive.run(move |store| store.pick_sheet(id)).await?;
    Ok((StatusCode::CREATED, Json(sheet_view(&sheet))).into_response())
}

/// The pick lists, newest first (at most 200).
pub(crate) async fn pick_lists(
    State(state): State<AppState>,
) -> Result<Json<Vec<PickListSummary>>, ApiError> {
    let lists = state.archive.run(|store| store.pick_lists(200)).await?;
    Ok(Json(lists.iter().map(summary).collect()))
}

/// A pick list laid out for walking, from where its boxes are now.
pub(crate) async fn get_pick_list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PickListView>, ApiError> {
    let id = parse_number(&id, ("取件单号", "pick list number"))?;
    let sheet = state.archive.run(move |store| store.pick_sheet(id)).await?;
    Ok(Json(sheet_view(&sheet)))
}

/// The rows of a pick list's printed sheet: the list itself first (its barcode chooses it
/// at a workstation), then every box on a shelf in walking order, then the boxes away.
pub(crate) fn sheet_rows(sheet: &PickSheet) -> Vec<LabelData> {
    let mut rows = Vec::new();
    let list_barcode = pick_list_barcode(sheet.list.id)
        .map(|barcode| barcode.to_string())
        .unwrap_or_default();
    rows.push(
        LabelData::new()
            .with("barcode", list_barcode)
            .with("archive_no", format!("取件单 {}", sheet.list.id))
            .with("title", sheet.list.source.clone())
            .with(
                "location_path",
                format!(
                    "共 {} 盒；开启通道 {} 次",
                    sheet.list.entries.len(),
                    crate::picking::aisle_openings(
                        &sheet
                            .groups
                            .iter()
                            .map(|(group, _)| group.clone())
                            .collect::<Vec<_>>()
                    )
                ),
            ),
    );
    for (group, lines) in &sheet.groups {
        let place = place_label(&group.place).zh;
        for line in lines {
            rows.push(
                LabelData::new()
                    .with("barcode", line.item.to_string())
                    .with("archive_no", line.archive_no.clone())
                    .with("title", line.title.clone())
                    .with(
                        "location_path",
                        format!("{place} · {}", line.path.clone().unwrap_or_default()),
                    ),
            );
        }
    }
    for (line, why) in &sheet.away {
        rows.push(
            LabelData::new()
                .with("barcode", line.item.to_string())
                .with("archive_no", line.archive_no.clone())
                .with("title", line.title.clone())
                .with("location_path", format!("不在架：{}", why.text.zh)),
        );
    }
    rows
}

/// A pick list as an A4 PDF to print: each box's Code 128 barcode, archive number, title
/// and shelf, in walking order.
pub(crate) async fn pick_list_pdf(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = parse_number(&id, ("取件单号", "pick list number"))?;
    let sheet = state.archive.run(move |store| store.pick_sheet(id)).await?;
    let Some(printing) = state.archive.printing().cloned() else {
        return Err(ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            message!(PickListNoPrinting),
        ));
    };
    let rows = sheet_rows(&sheet);
    let pdf = super::off_thread(move || {
        let labels = printing
            .labels()
            .map_err(|message| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message))?;
        labels
            .sheet_pdf("pick-line", &rows)
            .map_err(|error| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, error.message()))
    })
    .await?;
    Ok(super::pdf_answer(pdf, &format!("picklist-{id}.pdf")))
}
