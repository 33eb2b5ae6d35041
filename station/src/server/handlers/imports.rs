//! Ledger uploads: `POST /api/v1/imports?name=FILE` with the file as the raw body (CSV in
//! UTF-8 or GB18030, or `.xlsx`, recognised by content) starts an import in the background
//! and answers 202 `{"id"}`; `GET /api/v1/imports/{id}` follows it (rows done, then the
//! per-line report).
//!
//! Bounds: a body of at most [`MAX_UPLOAD_BYTES`] (413 `import.too_large` beyond, said before
//! the body is read when its length is declared); one import at a time (409 `import.busy`);
//! the last [`KEPT_IMPORTS`] imports are kept **in memory only** (gone when the station
//! restarts; the boxes and their events are in the store, of course), each with at most
//! [`MAX_REPORT_LINES`] report lines and a count of the rest.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::ledger::{ImportExtra, ImportOptions, ImportReport, LedgerError};
use crate::message;
use crate::message::Message;
use crate::server::auth::Principal;
use crate::server::error::{parse_number, ApiError, Path, Query};
use crate::server::AppState;

/// The largest ledger accepted by upload (a bigger one is imported on the station's host
/// with `station import`, which streams it).
pub const MAX_UPLOAD_BYTES: usize = 64 << 20;

/// How many imports (running or finished) the station remembers, in memory.
pub const KEPT_IMPORTS: usize = 20;

/// How many report lines an import keeps; the rest are counted.
pub const MAX_REPORT_LINES: usize = 1000;

/// Where a ledger upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ImportState {
    /// Rows are being imported.
    Running,
    /// Finished: every good row is in the store; `report` lists the rest.
    Done,
    /// Stopped as a whole: `error` says why (rows of chunks before it are kept).
    Failed,
}

/// A message with its code, flat: `{"code", "zh", "en"}`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct CodedText {
    /// The stable code, e.g. `ledger.no_location_column`.
    code: String,
    /// Chinese.
    zh: String,
    /// English.
    en: String,
}

impl From<&Message> for CodedText {
    fn from(message: &Message) -> CodedText {
        CodedText {
            code: message.code.as_str().to_owned(),
            zh: message.text.zh.clone(),
            en: message.text.en.clone(),
        }
    }
}

/// One line of an import's report: a refused or differing row (its line in the file), or a
/// note about the whole file (line 0; the header is line 1).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ReportLine {
    /// Line in the file (a sheet's row number for a workbook); 0 for the whole file.
    line: u64,
    #[serde(flatten)]
    text: CodedText,
}

/// An upload and its import.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct ImportView {
    /// Its number (counted since the station started).
    id: u64,
    /// The file's name as uploaded.
    name: String,
    /// Who uploaded it.
    by: String,
    /// Running, done or failed.
    state: ImportState,
    /// Data rows expected (an estimate until done).
    rows_total: u64,
    /// Data rows read so far.
    rows_done: u64,
    /// Boxes created.
    imported: u64,
    /// Rows whose box was already there, identical.
    unchanged: u64,
    /// Rows refused.
    bad: u64,
    /// The file has no location column: the boxes created have no place.
    without_location: bool,
    /// Refused and differing rows, and notes on the file, by line (at most 1,000).
    report: Vec<ReportLine>,
    /// Report lines left out beyond the first 1,000.
    report_more: u64,
    /// Why the import stopped as a whole, when it failed.
    error: Option<CodedText>,
}

/// `POST /api/v1/imports`'s answer.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ImportStarted {
    /// Follow it at `GET /api/v1/imports/{id}`.
    id: u64,
}

/// `POST /api/v1/imports`'s query string.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ImportQuery {
    /// The file's name, for the report (`ledger.xlsx`).
    #[schemars(length(min = 1, max = 200))]
    name: Option<String>,
    /// Import a ledger that has no location column (its boxes get no place); refused
    /// (`ledger.no_location_column`) otherwise.
    #[serde(default)]
    without_location: bool,
}

/// The recent imports, newest last, and whether one is running.
#[derive(Default)]
pub(crate) struct Imports {
    inner: Mutex<ImportsInner>,
}

#[derive(Default)]
struct ImportsInner {
    next_id: u64,
    running: Option<u64>,
    kept: VecDeque<Arc<Mutex<ImportView>>>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poison| poison.into_inner())
}

impl Imports {
    /// Reserves the one import slot for a new import, or names the running one.
    fn start(&self, name: String, by: String) -> Result<Arc<Mutex<ImportView>>, Message> {
        let mut inner = lock(&self.inner);
        if let Some(running) = inner.running {
            let name = inner
                .kept
                .iter()
                .find(|job| lock(job).id == running)
                .map(|job| lock(job).name.clone())
                .unwrap_or_default();
            return Err(message!(ImportBusy, id = running, name = name));
        }
        inner.next_id += 1;
        let id = inner.next_id;
        let job = Arc::new(Mutex::new(ImportView {
            id,
            name,
            by,
            state: ImportState::Running,
            rows_total: 0,
            rows_done: 0,
            imported: 0,
            unchanged: 0,
            bad: 0,
            without_location: false,
            report: Vec::new(),
            report_more: 0,
            error: None,
        }));
        inner.running = Some(id);
        if inner.kept.len() == KEPT_IMPORTS {
            inner.kept.pop_front();
        }
        inner.kept.push_back(job.clone());
        Ok(job)
    }

    /// Frees the slot after import `id` (done, failed, or never started).
    fn finish(&self, id: u64, forget: bool) {
        let mut inner = lock(&self.inner);
        if inner.running == Some(id) {
            inner.running = None;
        }
        if forget {
            inner.kept.retain(|job| lock(job).id != id);
        }
    }

    fn get(&self, id: u64) -> Option<ImportView> {
        let inner = lock(&self.inner);
        inner
            .kept
            .iter()
            .find(|job| lock(job).id == id)
            .map(|job| lock(job).clone())
    }
}

/// The report lines of a finished import, by line, at most [`MAX_REPORT_LINES`]; and how
/// many more there were.
fn report_lines(report: &ImportReport) -> (Vec<ReportLine>, u64) {
    let mut lines: Vec<(u64, Message)> = Vec::new();
    if report.without_location {
        lines.push((0, message!(LedgerWithoutLocation)));
    }
    for column in &report.ignored_columns {
        lines.push((1, message!(LedgerIgnoredColumn, column = column)));
    }
    for gap in &report.gaps {
        lines.push((0, gap.clone()));
    }
    for bad in &report.bad_rows {
        lines.push((bad.line, bad.reason.clone()));
    }
    for row in &report.differing {
        lines.push((
            row.line,
            message!(
                LedgerDiffering,
                archive_no = &row.archive_no,
                fields = row.fields.join(", ")
            ),
        ));
    }
    lines.sort_by_key(|(line, _)| *line);
    let more = lines.len().saturating_sub(MAX_REPORT_LINES) as u64;
    lines.truncate(MAX_REPORT_LINES);
    let kept = lines
        .into_iter()
        .map(|(line, message)| ReportLine {
            line,
            text: CodedText::from(&message),
        })
        .collect();
    (kept, more)
}

fn too_large() -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        message!(
            ImportTooLarge,
            max = MAX_UPLOAD_BYTES,
            mib = MAX_UPLOAD_BYTES >> 20
        ),
    )
}

/// Starts importing the uploaded ledger.
pub(crate) async fn upload_import(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<ImportQuery>,
    headers: HeaderMap,
    body: axum::body::Body,
) -> Result<(StatusCode, Json<ImportStarted>), ApiError> {
    let declared = headers
        .get(axum::http::header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_UPLOAD_BYTES as u64) {
        return Err(too_large());
    }
    let name = query
        .name
        .map(|name| name.trim().chars().take(200).collect::<String>())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "ledger".to_owned());
    let job = state
        .imports
        .start(name, principal.person.name.clone())
        .map_err(|busy| ApiError::new(StatusCode::CONFLICT, busy))?;
    let id = lock(&job).id;
    let bytes = match axum::body::to_bytes(body, MAX_UPLOAD_BYTES).await {
        Ok(bytes) if bytes.is_empty() => {
            state.imports.finish(id, true);
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                message!(ImportEmptyBody),
            ));
        }
        Ok(bytes) => bytes,
        Err(error) => {
            state.imports.finish(id, true);
            let limited = std::error::Error::source(&error)
                .is_some_and(|source| source.is::<http_body_util::LengthLimitError>())
                || error.into_inner().is::<http_body_util::LengthLimitError>();
            if limited {
                return Err(too_large());
            }
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                message!(ImportEmptyBody),
            ));
        }
    };
    tracing::info!(id, bytes = bytes.len(), by = %principal.person.name, "ledger upload");
    let config = state.config.clone();
    let actor = principal.actor();
    let without_location = query.without_location;
    let imports = state.imports.clone();
    let archive = state.archive.clone();
    tokio::spawn(async move {
        // Frees the slot however the task ends (a panic in the import included).
        let _slot = Slot {
            imports,
            job: job.clone(),
            id,
        };
        let progress_job = job.clone();
        let outcome = archive
            .run(move |store| {
                let schemes = crate::config::effective_schemes(&config, store)?;
                let progress = |rows: u64| {
                    let mut job = lock(&progress_job);
                    job.rows_done = rows;
                    job.rows_total = job.rows_total.max(rows);
                };
                let total = |rows: u64| lock(&progress_job).rows_total = rows;
                let options = ImportOptions {
                    encoding: crate::ledger::Encoding::Auto,
                    schemes: &schemes,
                    actor,
                    progress: &progress,
                };
                let extra = ImportExtra {
                    without_location,
                    total: Some(&total),
                };
                crate::ledger::import_allowing(store, &bytes, &options, extra)
            })
            .await;
        {
            let mut view = lock(&job);
            match outcome {
                Ok(report) => {
                    let (lines, more) = report_lines(&report);
                    view.state = ImportState::Done;
                    view.rows_done = report.rows;
                    view.rows_total = report.rows;
                    view.imported = report.created;
                    view.unchanged = report.unchanged;
                    view.bad = report.bad_rows.len() as u64;
                    view.without_location = report.without_location;
                    view.report = lines;
                    view.report_more = more;
                }
                Err(error) => {
                    if let LedgerError::Interrupted { created, .. } = &error {
                        view.imported = *created;
                    }
                    tracing::warn!(id, %error, "ledger upload failed");
                    view.state = ImportState::Failed;
                    view.error = Some(CodedText::from(&error.message()));
                }
            }
        }
    });
    Ok((StatusCode::ACCEPTED, Json(ImportStarted { id })))
}

/// The running import's hold on the one slot: released when its task ends, however it ends;
/// an import that never finished is marked failed.
struct Slot {
    imports: Arc<Imports>,
    job: Arc<Mutex<ImportView>>,
    id: u64,
}

impl Drop for Slot {
    fn drop(&mut self) {
        {
            let mut view = lock(&self.job);
            if view.state == ImportState::Running {
                view.state = ImportState::Failed;
                view.error = Some(CodedText::from(&message!(InternalError)));
            }
        }
        self.imports.finish(self.id, false);
    }
}

/// An import's progress and report.
pub(crate) async fn get_import(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ImportView>, ApiError> {
    let id = parse_number(&id, ("导入编号", "import id"))?;
    state.imports.get(id).map(Json).ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            message!(ImportNotFound, id = id, kept = KEPT_IMPORTS),
        )
    })
}
