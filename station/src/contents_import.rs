//! Contents lists imported from a file: a CSV (UTF-8 or GB18030, read like a ledger) or an
//! .xlsx workbook (its first sheet), one row per document, headers named in Chinese or
//! English by [`SYNONYMS`]. The rows of each box (by archive number or barcode) become its
//! contents list, in the order of their `序号` (else of the file).
//!
//! **Invariant:** an import is all or nothing: every row is checked and every box found
//! before anything is written, and all boxes' lists are written in one transaction. A bad
//! row refuses the file, naming its line.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::barcode::Barcode;
use crate::contents::{Checklists, Document, MAX_DOCUMENTS};
use crate::event::EventKind;
use crate::ledger::{decode_text, excel_date_text, is_xlsx, parse_date, Encoding};
use crate::message;
use crate::message::Message;
use crate::store::{Actor, Refusal, Store, StoreError};

/// Most rows one file may hold.
pub const MAX_ROWS: usize = 100_000;

/// A column of a contents file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    /// The box's archive number.
    ArchiveNo,
    /// The box's system barcode.
    Barcode,
    /// The document's position in the box.
    Position,
    /// The document's name.
    Name,
    /// Its type (a checklist item).
    Type,
    /// Page count.
    Pages,
    /// Its date.
    Date,
    /// Original or copy.
    Original,
    /// Expiry date.
    Expiry,
    /// Signed or not.
    Signed,
}

/// The header names of each column (compared without case and spaces).
pub const SYNONYMS: [(Column, &[&str]); 10] = [
    (
        Column::ArchiveNo,
        &[
            "档案号",
            "档案编号",
            "案卷号",
            "archive_no",
            "archivenumber",
        ],
    ),
    (Column::Barcode, &["条码", "系统条码", "barcode"]),
    (Column::Position, &["序号", "顺序号", "no", "position"]),
    (
        Column::Name,
        &["资料名称", "文件名称", "名称", "document", "name"],
    ),
    (
        Column::Type,
        &["资料类型", "类型", "文件类型", "type", "doc_type"],
    ),
    (Column::Pages, &["页数", "pages"]),
    (Column::Date, &["日期", "形成日期", "文件日期", "date"]),
    (
        Column::Original,
        &["原件", "原件/复印件", "原件或复印件", "original"],
    ),
    (Column::Expiry, &["到期日", "合同到期日", "expiry"]),
    (Column::Signed, &["签字", "已签字", "是否签字", "signed"]),
];

fn column_of(header: &str) -> Option<Column> {
    let wanted: String = header
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    SYNONYMS.iter().find_map(|(column, names)| {
        names
            .iter()
            .any(|name| name.to_lowercase() == wanted)
            .then_some(*column)
    })
}

/// Which box a row names.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum BoxRef {
    /// By archive number.
    ArchiveNo(String),
    /// By system barcode.
    Barcode(Barcode),
}

/// One checked row.
#[derive(Debug, Clone, PartialEq)]
pub struct ContentsRow {
    /// Its line in the file (1-based, the header is line 1).
    pub line: u64,
    /// The box.
    pub target: BoxRef,
    /// Its position, if the file gives one.
    pub position: Option<u32>,
    /// The document.
    pub document: Document,
}

/// A contents file could not be imported: nothing was written.
#[derive(Debug)]
pub enum ContentsImportError {
    /// The file cannot be read as CSV or XLSX.
    Unreadable(Message),
    /// A row or a box named is wrong.
    Row {
        /// Its line.
        line: u64,
        /// What is wrong.
        problem: Message,
    },
    /// The store refused or failed.
    Store(StoreError),
}

impl ContentsImportError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            ContentsImportError::Unreadable(message) => message.clone(),
            ContentsImportError::Row { line, problem } => {
                message!(ContentsImportBadRow, line = line, problem = problem.clone())
            }
            ContentsImportError::Store(error) => error.message(),
        }
    }
}

crate::message::display_by_message!(ContentsImportError);

impl From<StoreError> for ContentsImportError {
    fn from(error: StoreError) -> Self {
        ContentsImportError::Store(error)
    }
}

fn parse_yes(text: &str, yes: &[&str], no: &[&str]) -> Option<Option<bool>> {
    let text = text.trim().to_lowercase();
    if text.is_empty() {
        return Some(None);
    }
    if yes.contains(&text.as_str()) || ["是", "yes", "y", "true", "1"].contains(&text.as_str()) {
        return Some(Some(true));
    }
    if no.contains(&text.as_str()) || ["否", "no", "n", "false", "0"].contains(&text.as_str()) {
        return Some(Some(false));
    }
    None
}

/// Reads the rows of a contents file (CSV or XLSX, by content).
pub fn read_rows(bytes: &[u8]) -> Result<Vec<ContentsRow>, ContentsImportError> {
    let table = if is_xlsx(bytes) {
        xlsx_table(bytes)?
    } else {
        csv_table(bytes)?
    };
    let mut lines = table.into_iter();
    let Some((_, headers)) = lines.next() else {
        return Err(ContentsImportError::Unreadable(message!(
            ContentsImportNoHeader
        )));
    };
    let columns: Vec<Option<Column>> = headers.iter().map(|h| column_of(h)).collect();
    let has = |wanted: Column| columns.contains(&Some(wanted));
    if !(has(Column::ArchiveNo) || has(Column::Barcode))
        || !has(Column::Name)
        || !has(Column::Pages)
    {
        return Err(ContentsImportError::Unreadable(message!(
            ContentsImportNoHeader
        )));
    }
    let mut rows = Vec::new();
    for (line, fields) in lines {
        if fields.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        if rows.len() >= MAX_ROWS {
            return Err(ContentsImportError::Row {
                line,
                problem: message!(ContentsTooMany, max = MAX_ROWS),
            });
        }
        let field = |wanted: Column| -> &str {
            columns
                .iter()
                .position(|column| *column == Some(wanted))
                .and_then(|index| fields.get(index))
                .map_or("", |text| text.trim())
        };
        let bad = |problem: Message| ContentsImportError::Row { line, problem };
        let invalid = |what: &str, text: &str| {
            bad(message!(
                RequestInvalidField,
                detail = format!("{what}: {text:?}")
            ))
        };
        let target = match (field(Column::Barcode), field(Column::ArchiveNo)) {
            (code, _) if !code.is_empty() => {
                BoxRef::Barcode(Barcode::parse(code).map_err(|error| bad(error.message()))?)
            }
            (_, number) if !number.is_empty() => BoxRef::ArchiveNo(number.to_owned()),
            _ => return Err(bad(message!(RequestMissingField, field = "档案号"))),
        };
        let pages_text = field(Column::Pages);
        let pages = pages_text
            .trim_end_matches('页')
            .parse::<u32>()
            .map_err(|_| invalid("页数", pages_text))?;
        let date_field =
            |column: Column, what: &str| -> Result<Option<NaiveDate>, ContentsImportError> {
                let text = field(column);
                if text.is_empty() {
                    return Ok(None);
                }
                parse_date(text)
                    .map(Some)
                    .ok_or_else(|| invalid(what, text))
            };
        let original_text = field(Column::Original);
        let original = parse_yes(
            original_text,
            &["原件", "正本"],
            &["复印件", "副本", "copy"],
        )
        .ok_or_else(|| invalid("原件", original_text))?
        .unwrap_or(true);
        let signed_text = field(Column::Signed);
        let signed = parse_yes(signed_text, &["已签", "已签字"], &["未签", "未签字"])
            .ok_or_else(|| invalid("签字", signed_text))?;
        let position_text = field(Column::Position);
        let position = if position_text.is_empty() {
            None
        } else {
            Some(
                position_text
                    .parse::<u32>()
                    .map_err(|_| invalid("序号", position_text))?,
            )
        };
        let document = Document {
            name: field(Column::Name).to_owned(),
            doc_type: field(Column::Type).to_owned(),
            pages,
            date: date_field(Column::Date, "日期")?,
            original,
            expiry: date_field(Column::Expiry, "到期日")?,
            signed,
        };
        document.check().map_err(bad)?;
        rows.push(ContentsRow {
            line,
            target,
            position,
            document,
        });
    }
    Ok(rows)
}

fn csv_table(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, ContentsImportError> {
    let (text, _) = decode_text(bytes, Encoding::Auto)
        .map_err(|error| ContentsImportError::Unreadable(error.message()))?;
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|error| {
            ContentsImportError::Unreadable(message!(
                LedgerMalformedCsv,
                reason = error.to_string()
            ))
        })?;
        let line = record.position().map_or(0, |position| position.line());
        table.push((line, record.iter().map(str::to_owned).collect()));
        if table.len() > MAX_ROWS + 1 {
            break;
        }
    }
    Ok(table)
}

fn xlsx_table(bytes: &[u8]) -> Result<Vec<(u64, Vec<String>)>, ContentsImportError> {
    use calamine::Reader as _;
    let unreadable = |error: calamine::XlsxError| {
        ContentsImportError::Unreadable(message!(LedgerMalformedCsv, reason = error.to_string()))
    };
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).map_err(unreadable)?;
    let Some(first) = workbook.sheet_names().into_iter().next() else {
        return Err(ContentsImportError::Unreadable(message!(
            ContentsImportNoHeader
        )));
    };
    let range = workbook.worksheet_range(&first).map_err(unreadable)?;
    let start = range.start().map_or(0, |(row, _)| u64::from(row));
    Ok(range
        .rows()
        .take(MAX_ROWS + 1)
        .enumerate()
        .map(|(index, cells)| {
            (
                start + index as u64 + 1,
                cells.iter().map(cell_text).collect(),
            )
        })
        .collect())
}

fn cell_text(cell: &calamine::Data) -> String {
    use calamine::Data;
    match cell {
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::DateTime(when) => excel_date_text(when),
        other => other.to_string(),
    }
}

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContentsImported {
    /// Boxes whose list was replaced.
    pub boxes: usize,
    /// Documents written.
    pub documents: usize,
}

/// Replaces the contents list of every box the rows name with its rows, in one
/// transaction, each box's change a `ContentsImported` event.
pub fn import_contents(
    store: &Store,
    actor: &Actor,
    checklists: &Checklists,
    rows: Vec<ContentsRow>,
) -> Result<ContentsImported, ContentsImportError> {
    let mut by_box: BTreeMap<Barcode, Vec<ContentsRow>> = BTreeMap::new();
    let mut order: Vec<Barcode> = Vec::new();
    for row in rows {
        let barcode = match &row.target {
            BoxRef::Barcode(barcode) => {
                store
                    .require_box(*barcode)
                    .map_err(|error| ContentsImportError::Row {
                        line: row.line,
                        problem: error.message(),
                    })?
                    .barcode
            }
            BoxRef::ArchiveNo(number) => {
                store
                    .box_by_archive_no(number)?
                    .ok_or_else(|| ContentsImportError::Row {
                        line: row.line,
                        problem: message!(ContentsImportUnknownBox, archive_no = number),
                    })?
                    .barcode
            }
        };
        if !by_box.contains_key(&barcode) {
            order.push(barcode);
        }
        by_box.entry(barcode).or_default().push(row);
    }
    let mut lists: Vec<(Barcode, Vec<Document>)> = Vec::new();
    for barcode in order {
        let mut rows = by_box.remove(&barcode).unwrap_or_default();
        // Stable: rows without a position keep the file's order after those with one.
        rows.sort_by_key(|row| row.position.unwrap_or(u32::MAX));
        if rows.len() > MAX_DOCUMENTS {
            return Err(ContentsImportError::Store(
                Refusal::TooManyDocuments(MAX_DOCUMENTS).into(),
            ));
        }
        lists.push((barcode, rows.into_iter().map(|row| row.document).collect()));
    }
    let documents = lists.iter().map(|(_, list)| list.len()).sum();
    store.write(actor, |tx| {
        for (barcode, list) in &lists {
            tx.replace_contents(*barcode, list, checklists, EventKind::ContentsImported)?;
        }
        Ok(())
    })?;
    Ok(ContentsImported {
        boxes: lists.len(),
        documents,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;
    use crate::store::{NewBox, StoreOptions};

    fn store_with_box() -> (tempfile::TempDir, Store, Barcode) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("store opens");
        let archive_box = store
            .register_box(
                &Actor::new("test"),
                &NewBox {
                    archive_no: Some("2026鸿借字第001号".to_owned()),
                    title: "借款项目".to_owned(),
                    customer: "鸿达".to_owned(),
                    category: "借款".to_owned(),
                    ..NewBox::default()
                },
            )
            .expect("box");
        (dir, store, archive_box.barcode)
    }

    const CSV: &str =
        "档案编号, 序号,文件名称,资料类型,页数,形成日期,原件/复印件,合同到期日,是否签字\n\
        2026鸿借字第001号,2,借款合同（主合同）,借款合同,12页,2026/11/20,复印件,2029-11-30,已签\n\
        2026鸿借字第001号,1,项目审批表,,2,20261101,原件,,\n";

    #[test]
    fn a_csv_with_synonym_headers_becomes_the_boxs_list_in_position_order() {
        let (_dir, store, barcode) = store_with_box();
        let rows = read_rows(CSV.as_bytes()).expect("rows");
        assert_eq!(rows.len(), 2);
        let checklists = Checklists::builtin().expect("valid");
        let imported =
            import_contents(&store, &Actor::new("test"), &checklists, rows).expect("imported");
        assert_eq!(
            imported,
            ContentsImported {
                boxes: 1,
                documents: 2
            }
        );
        let archive_box = store.require_box(barcode).expect("box");
        let contents = store.box_contents(&archive_box).expect("contents");
        let names: Vec<&str> = contents.documents.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["项目审批表", "借款合同（主合同）"]);
        let contract = &contents.documents[1];
        assert_eq!(
            (contract.pages, contract.original, contract.signed),
            (12, false, Some(true))
        );
        assert_eq!(contract.expiry, NaiveDate::from_ymd_opt(2029, 11, 30));
        assert_eq!(contract.date, NaiveDate::from_ymd_opt(2026, 11, 20));
        let kinds: Vec<EventKind> = store
            .history(barcode)
            .expect("history")
            .iter()
            .map(|event| event.body.kind)
            .collect();
        assert!(kinds.contains(&EventKind::ContentsImported));
    }

    #[test]
    fn an_xlsx_file_is_read_like_the_csv() {
        let (_dir, store, barcode) = store_with_box();
        let header = ["档案号", "资料名称", "页数"];
        let rows = vec![
            vec![
                "2026鸿借字第001号".to_owned(),
                "营业执照".to_owned(),
                "1".to_owned(),
            ],
            vec![
                "2026鸿借字第001号".to_owned(),
                "财务报表".to_owned(),
                "15".to_owned(),
            ],
        ];
        let bytes = crate::ledger::xlsx("资料清单", &header, &rows).expect("xlsx");
        let read = read_rows(&bytes).expect("rows");
        let checklists = Checklists::builtin().expect("valid");
        import_contents(&store, &Actor::new("test"), &checklists, read).expect("imported");
        let archive_box = store.require_box(barcode).expect("box");
        assert_eq!(
            store.box_contents(&archive_box).expect("contents").pages(),
            16
        );
    }

    #[test]
    fn a_bad_row_or_an_unknown_box_refuses_the_whole_file_naming_its_line() {
        let (_dir, store, barcode) = store_with_box();
        let bad_pages = format!("{CSV}2026鸿借字第001号,3,保证合同,,十二,,,,\n");
        match read_rows(bad_pages.as_bytes()) {
            Err(ContentsImportError::Row { line, problem }) => {
                assert_eq!((line, problem.code), (4, Code::RequestInvalidField));
            }
            other => panic!("expected a bad row, got {other:?}"),
        }
        let unknown = format!("{CSV}2099鸿借字第999号,1,保证合同,,3,,,,\n");
        let rows = read_rows(unknown.as_bytes()).expect("rows read");
        let checklists = Checklists::builtin().expect("valid");
        let head = store.head().0;
        match import_contents(&store, &Actor::new("test"), &checklists, rows) {
            Err(ContentsImportError::Row { line, problem }) => {
                assert_eq!((line, problem.code), (4, Code::ContentsImportUnknownBox));
            }
            other => panic!("expected an unknown box, got {other:?}"),
        }
        assert_eq!(store.head().0, head, "nothing written");
        let archive_box = store.require_box(barcode).expect("box");
        assert!(store
            .box_contents(&archive_box)
            .expect("c")
            .documents
            .is_empty());
        match read_rows("名称,页数\n甲,1\n".as_bytes()) {
            Err(ContentsImportError::Unreadable(message)) => {
                assert_eq!(message.code, Code::ContentsImportNoHeader);
            }
            other => panic!("expected no header, got {other:?}"),
        }
    }
}
