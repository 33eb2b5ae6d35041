//! Supervisors' reports: the ledger (台帐) and the loans, as CSV (UTF-8 with BOM, for
//! Excel) or XLSX.

use crate::message;
use crate::server::auth::Principal;
use crate::server::error::{ApiError, Path};
use crate::server::handlers::FillView;
use crate::server::redact::Viewer;
use crate::server::views::loan_views;
use crate::server::AppState;
use crate::store::{Store, StoreError};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;

pub(crate) const LOAN_COLUMNS: [&str; 8] = [
    "借阅号",
    "条码",
    "档案号",
    "题名",
    "借阅人",
    "借出时间",
    "应还日期",
    "逾期",
];

/// The columns of the overdue report: the overdue loans, most days late first.
pub(crate) const OVERDUE_COLUMNS: [&str; 7] = [
    "档案号",
    "题名",
    "条码",
    "借阅人",
    "借出时间",
    "应还日期",
    "逾期天数",
];

/// The columns of the fill report: a row per room (its total), then one per rack of it.
pub(crate) const FILL_COLUMNS: [&str; 9] = [
    "库房",
    "列",
    "密集架",
    "盒数",
    "容量",
    "使用率%",
    "借出",
    "缺失",
    "条码",
];

/// The columns of the certificate ledger (权证台帐).
pub(crate) const CERTIFICATE_COLUMNS: [&str; 9] = [
    "权证名称",
    "权证号",
    "档案号",
    "条码",
    "保险柜",
    "状态",
    "持有人",
    "移交日期",
    "档案盒条码",
];

/// One certificate of the ledger (权证台帐): supervisors only, like every certificate.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct CertificateRow {
    /// Its name (kind), e.g. 不动产权证.
    pub(crate) name: String,
    /// The number printed on it.
    pub(crate) number: String,
    /// The archive number of its project.
    pub(crate) archive_no: String,
    /// Its system barcode.
    pub(crate) barcode: String,
    /// The safe (or drawer) it is in, as a path.
    pub(crate) safe: Option<String>,
    /// Its status (English word).
    pub(crate) status: &'static str,
    /// Its status in Chinese.
    pub(crate) status_zh: &'static str,
    /// Who holds it: the receiver of its latest handover, if it was handed over.
    pub(crate) holder: Option<String>,
    /// Its handovers: the day each was started and, once confirmed, the day of that.
    pub(crate) handovers: Vec<CertificateHandover>,
    /// The box of its project, when registered.
    pub(crate) box_barcode: Option<String>,
}

/// A handover of a certificate.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct CertificateHandover {
    /// The handover's number.
    pub(crate) id: u64,
    /// The day it was started.
    pub(crate) started: chrono::NaiveDate,
    /// The day it was confirmed.
    pub(crate) confirmed: Option<chrono::NaiveDate>,
}

/// Every certificate with its name, number, archive number, safe, status, holder and
/// handover dates, by barcode. Callers are supervisors (the routes say so).
pub(crate) fn certificate_ledger(store: &Store) -> Result<Vec<CertificateRow>, StoreError> {
    let zone = store.time_zone().clone();
    let handovers = store.all_handovers()?;
    let mut names: std::collections::HashMap<crate::barcode::Barcode, String> =
        std::collections::HashMap::new();
    let mut name_of = |barcode: crate::barcode::Barcode| -> Result<String, StoreError> {
        if let Some(name) = names.get(&barcode) {
            return Ok(name.clone());
        }
        let name = match store.get_item(barcode)? {
            Some(crate::model::Item::Person(person)) => person.name,
            Some(crate::model::Item::Location(location)) => location.path,
            _ => barcode.to_string(),
        };
        names.insert(barcode, name.clone());
        Ok(name)
    };
    let mut rows = Vec::new();
    for item in store.items_of_kind(crate::barcode::Kind::Certificate) {
        let crate::model::Item::Certificate(certificate) = item? else {
            continue;
        };
        let mine: Vec<&crate::model::Handover> = handovers
            .iter()
            .filter(|handover| handover.items.contains(&certificate.barcode))
            .collect();
        let holder = match mine.last() {
            Some(handover) => Some(name_of(handover.to)?),
            None => None,
        };
        let (status_zh, status) = certificate.status.label();
        rows.push(CertificateRow {
            name: certificate.kind.to_text().to_owned(),
            number: certificate.number.clone(),
            archive_no: certificate.archive_no.clone(),
            barcode: certificate.barcode.to_string(),
            safe: certificate.place.map(&mut name_of).transpose()?,
            status,
            status_zh,
            holder,
            handovers: mine
                .iter()
                .map(|handover| CertificateHandover {
                    id: handover.id,
                    started: zone.date_at(handover.created_at),
                    confirmed: handover.confirmed_at.map(|at| zone.date_at(at)),
                })
                .collect(),
            box_barcode: certificate.box_barcode.map(|b| b.to_string()),
        });
    }
    Ok(rows)
}

/// The certificate ledger as report rows.
pub(crate) fn certificate_rows(store: &Store) -> Result<Vec<Vec<String>>, StoreError> {
    Ok(certificate_ledger(store)?
        .into_iter()
        .map(|row| {
            let dates = row
                .handovers
                .iter()
                .map(|handover| match handover.confirmed {
                    Some(confirmed) => format!("{} → {confirmed}", handover.started),
                    None => format!("{} →", handover.started),
                })
                .collect::<Vec<_>>()
                .join("; ");
            vec![
                row.name,
                row.number,
                row.archive_no,
                row.barcode,
                row.safe.unwrap_or_default(),
                row.status_zh.to_owned(),
                row.holder.unwrap_or_default(),
                dates,
                row.box_barcode.unwrap_or_default(),
            ]
        })
        .collect())
}

/// The certificate ledger (权证台帐) as JSON, for the supervisor page.
pub(crate) async fn certificate_ledger_json(
    State(state): State<AppState>,
) -> Result<axum::Json<Vec<CertificateRow>>, ApiError> {
    Ok(axum::Json(state.archive.run(certificate_ledger).await?))
}

/// The columns of the boxes by category and year.
pub(crate) const CATEGORY_COLUMNS: [&str; 3] = ["类别", "年度", "盒数"];

pub(crate) fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

pub(crate) const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

pub(crate) fn report_error(error: crate::ledger::LedgerError) -> ApiError {
    tracing::error!(%error, "writing a report failed");
    ApiError::internal()
}

/// The ledger (台帐) as CSV or XLSX.
pub(crate) async fn ledger_report(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let viewer = Viewer::of(&principal);
    match file.as_str() {
        "ledger.csv" => {
            let bytes = state
                .archive
                .run(move |store| {
                    let mut out = Vec::new();
                    crate::ledger::export_csv(store, &mut out)
                        .map(|_| out)
                        .map_err(report_error)
                })
                .await?;
            Ok(download(bytes, "text/csv; charset=utf-8", "ledger.csv"))
        }
        "ledger.xlsx" => {
            let bytes = state
                .archive
                .run(|store| crate::ledger::export_xlsx(store).map_err(report_error))
                .await?;
            Ok(download(bytes, XLSX, "ledger.xlsx"))
        }
        "loans.csv" | "loans.xlsx" => {
            let rows = state.archive.run(loan_rows).await?;
            table(&file, "借阅", &LOAN_COLUMNS, rows)
        }
        "overdue.csv" | "overdue.xlsx" => {
            let rows = state.archive.run(overdue_rows).await?;
            table(&file, "逾期", &OVERDUE_COLUMNS, rows)
        }
        "fill.csv" | "fill.xlsx" => {
            let rows = state
                .archive
                .run(move |store| fill_rows(store, viewer))
                .await?;
            table(&file, "使用率", &FILL_COLUMNS, rows)
        }
        "certificates.csv" | "certificates.xlsx" => {
            let rows = state.archive.run(certificate_rows).await?;
            table(&file, "权证台帐", &CERTIFICATE_COLUMNS, rows)
        }
        "categories.csv" | "categories.xlsx" => {
            let rows = state.archive.run(category_rows).await?;
            table(&file, "类别年度", &CATEGORY_COLUMNS, rows)
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            message!(ReportUnknown),
        )),
    }
}

pub(crate) fn loan_rows(store: &Store) -> Result<Vec<Vec<String>>, StoreError> {
    Ok(loan_views(store, false, None)?
        .into_iter()
        .map(|loan| {
            vec![
                loan.id.to_string(),
                loan.item,
                loan.archive_no.unwrap_or_default(),
                loan.title.unwrap_or_default(),
                loan.borrower_name.unwrap_or(loan.borrower),
                store.time_zone().minute_at(loan.out_at),
                loan.due.to_string(),
                if loan.overdue { "是" } else { "否" }.to_owned(),
            ]
        })
        .collect())
}

/// The overdue loans, most days late first: archive number, title, barcode, the
/// borrower's name, when it went out (local time), the due date and the days late (by
/// local business dates).
pub(crate) fn overdue_rows(store: &Store) -> Result<Vec<Vec<String>>, StoreError> {
    let mut loans = loan_views(store, true, None)?;
    loans.sort_by(|a, b| b.days_late.cmp(&a.days_late).then(a.id.cmp(&b.id)));
    Ok(loans
        .into_iter()
        .map(|loan| {
            vec![
                loan.archive_no.unwrap_or_default(),
                loan.title.unwrap_or_default(),
                loan.item,
                loan.borrower_name.unwrap_or(loan.borrower),
                store.time_zone().minute_at(loan.out_at),
                loan.due.to_string(),
                loan.days_late.to_string(),
            ]
        })
        .collect())
}

/// A report of `rows` under the headers `columns` as the download `file` names: `.xlsx`
/// (one sheet called `sheet`), else CSV with a BOM (for Excel).
fn table(
    file: &str,
    sheet: &str,
    columns: &[&str],
    rows: Vec<Vec<String>>,
) -> Result<Response, ApiError> {
    if file.ends_with(".xlsx") {
        let bytes = crate::ledger::xlsx(sheet, columns, &rows).map_err(report_error)?;
        return Ok(download(bytes, XLSX, file));
    }
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    let written = std::iter::once(columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
        .chain(rows)
        .try_for_each(|row| writer.write_record(&row));
    let bytes = written
        .ok()
        .and_then(|()| writer.into_inner().ok())
        .ok_or_else(ApiError::internal)?;
    Ok(download(bytes, "text/csv; charset=utf-8", file))
}

/// The fill report: every room (its total), then each of its racks, in walking order;
/// from the tallies (no box is read). Its figures are the room overview's as `viewer`
/// sees it (the one `sees_safes` rule: a safe counts in a room's total only for those who
/// may see safes; the route is for supervisors, who do).
pub(crate) fn fill_rows(store: &Store, viewer: Viewer) -> Result<Vec<Vec<String>>, StoreError> {
    let overview = crate::server::handlers::overview(store, viewer)?;
    let number = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_default();
    let row = |room: &str, rack: &str, mobile: &str, fill: &FillView, barcode: &str| {
        vec![
            room.to_owned(),
            rack.to_owned(),
            mobile.to_owned(),
            number(fill.boxes),
            fill.capacity.to_string(),
            number(fill.percent),
            number(fill.on_loan),
            number(fill.missing),
            barcode.to_owned(),
        ]
    };
    let mut rows = Vec::new();
    for room in overview.rooms {
        rows.push(row(&room.name, "", "", &room.fill, &room.barcode));
        for rack in room.racks {
            let mobile = if rack.mobile { "是" } else { "否" };
            rows.push(row(
                &room.name,
                &rack.name,
                mobile,
                &rack.fill,
                &rack.barcode,
            ));
        }
    }
    Ok(rows)
}

/// Boxes by category and year, from the tallies.
pub(crate) fn category_rows(store: &Store) -> Result<Vec<Vec<String>>, StoreError> {
    Ok(crate::server::handlers::category_views(store)?
        .into_iter()
        .map(|count| {
            vec![
                count.category,
                count.year.map(|year| year.to_string()).unwrap_or_default(),
                count.boxes.to_string(),
            ]
        })
        .collect())
}
