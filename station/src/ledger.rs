//! The ledger (台帐) as a CSV file: import an existing spreadsheet, export the store back.
//!
//! Columns are found by header name, Chinese or English, in any order: 档案号/archive_no,
//! 题名/title, 客户名称/customer, 类别/category, 年度/year, 保管期限/retention,
//! 位置/location, 条码/barcode. Files may be UTF-8 (with or without BOM) or GB18030 (what
//! Excel saves on a Chinese Windows). Every bad row is reported with its line number and
//! changes nothing; good rows are imported; importing the same file twice creates nothing
//! new; export → import → export is a fixed point.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use crate::barcode::{Barcode, Kind};
use crate::message;
use crate::message::{display_by_message, Message};
use crate::model::{check_text, Item, Retention};
use crate::numbering::{check_archive_no, Scheme};
use crate::store::{Actor, ImportOutcome, ImportRow, Store, StoreError};

/// Rows per store transaction during import.
pub const IMPORT_CHUNK: usize = 1000;

/// The largest ledger file accepted, in bytes.
pub const MAX_FILE_BYTES: usize = 1 << 30;

/// The longest line accepted in a ledger file.
const MAX_FIELD_CHARS: usize = 1000;

/// A ledger column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    /// 档案号
    ArchiveNo,
    /// 题名
    Title,
    /// 客户名称
    Customer,
    /// 类别
    Category,
    /// 年度
    Year,
    /// 保管期限
    Retention,
    /// 位置
    Location,
    /// 条码
    Barcode,
}

impl Column {
    /// All columns in export order.
    pub const ALL: [Column; 8] = [
        Column::ArchiveNo,
        Column::Title,
        Column::Customer,
        Column::Category,
        Column::Year,
        Column::Retention,
        Column::Location,
        Column::Barcode,
    ];

    /// Chinese header.
    pub fn zh(self) -> &'static str {
        match self {
            Column::ArchiveNo => "档案号",
            Column::Title => "题名",
            Column::Customer => "客户名称",
            Column::Category => "类别",
            Column::Year => "年度",
            Column::Retention => "保管期限",
            Column::Location => "位置",
            Column::Barcode => "条码",
        }
    }

    /// English header.
    pub fn en(self) -> &'static str {
        match self {
            Column::ArchiveNo => "archive_no",
            Column::Title => "title",
            Column::Customer => "customer",
            Column::Category => "category",
            Column::Year => "year",
            Column::Retention => "retention",
            Column::Location => "location",
            Column::Barcode => "barcode",
        }
    }

    /// The column a header names, Chinese or English, case and spaces ignored.
    pub fn from_header(header: &str) -> Option<Column> {
        let header = header.trim().trim_start_matches('\u{feff}').trim();
        let lower = header.to_ascii_lowercase().replace([' ', '-'], "_");
        Column::ALL
            .into_iter()
            .find(|column| column.zh() == header || column.en() == lower)
    }
}

/// Which text encoding a ledger file uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Encoding {
    /// UTF-8 if the file is valid UTF-8, otherwise GB18030.
    #[default]
    Auto,
    /// UTF-8 (a BOM is allowed).
    Utf8,
    /// GB18030 (also reads GBK and GB2312).
    Gb18030,
}

/// Why a whole ledger file was refused (nothing was imported).
#[derive(Debug)]
pub enum LedgerError {
    /// The file is not valid text in the given or detected encoding.
    Encoding {
        /// The encoding tried.
        encoding: &'static str,
        /// Line of the first bad byte.
        line: usize,
    },
    /// A required column is missing.
    MissingColumn {
        /// The missing column, both names.
        missing: String,
        /// The headers found.
        found: String,
    },
    /// A column appears twice.
    DuplicateColumn(String),
    /// The file is empty or has no header.
    Empty,
    /// The file is too large.
    TooLarge,
    /// The CSV header cannot be read.
    Header(String),
    /// The store failed; rows before `line` were imported and are kept.
    Interrupted {
        /// First line of the chunk that failed.
        line: u64,
        /// Boxes created before the failure.
        created: u64,
        /// What failed.
        source: StoreError,
    },
    /// Reading the store failed.
    Store(StoreError),
    /// Writing the export failed.
    Write(std::io::Error),
}

impl LedgerError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            LedgerError::Encoding { encoding, line } => {
                message!(LedgerBadEncoding, encoding = *encoding, line = line)
            }
            LedgerError::MissingColumn { missing, found } => {
                message!(LedgerMissingColumn, missing = missing, found = found)
            }
            LedgerError::DuplicateColumn(column) => {
                message!(LedgerDuplicateColumn, column = column)
            }
            LedgerError::Empty => message!(LedgerEmpty),
            LedgerError::TooLarge => message!(LedgerTooLarge, max = MAX_FILE_BYTES),
            LedgerError::Header(reason) => message!(LedgerBadHeader, reason = reason),
            LedgerError::Interrupted {
                line,
                created,
                source,
            } => message!(
                LedgerInterrupted,
                line = line,
                created = created,
                reason = source.message()
            ),
            LedgerError::Store(error) => error.message(),
            LedgerError::Write(error) => message!(LedgerWriteFailed, reason = error),
        }
    }
}

display_by_message!(LedgerError);

impl From<StoreError> for LedgerError {
    fn from(error: StoreError) -> Self {
        LedgerError::Store(error)
    }
}

impl From<std::io::Error> for LedgerError {
    fn from(error: std::io::Error) -> Self {
        LedgerError::Write(error)
    }
}

/// A refused row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// Line number in the file (1-based, the header is line 1).
    pub line: u64,
    /// What is wrong.
    pub reason: Message,
}

/// A row whose box exists with other values (nothing was changed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DifferingRow {
    /// Line number.
    pub line: u64,
    /// The archive number.
    pub archive_no: String,
    /// The fields that differ.
    pub fields: Vec<String>,
}

/// What an import did.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: u64,
    /// Boxes created.
    pub created: u64,
    /// Rows whose box was already there, identical.
    pub unchanged: u64,
    /// Rows whose box was already there with other values.
    pub differing: Vec<DifferingRow>,
    /// Rows refused.
    pub bad_rows: Vec<BadRow>,
    /// Headers that name no known column (ignored).
    pub ignored_columns: Vec<String>,
    /// Missing numbers per series, e.g. `2012鸿借字第*号: 004–006`.
    pub gaps: Vec<Message>,
    /// The encoding the file was read in.
    pub encoding: &'static str,
}

/// Turns the file's bytes into text, detecting UTF-8 or GB18030.
pub fn decode_text(
    bytes: &[u8],
    encoding: Encoding,
) -> Result<(String, &'static str), LedgerError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let try_utf8 = matches!(encoding, Encoding::Auto | Encoding::Utf8);
    if try_utf8 {
        match std::str::from_utf8(bytes) {
            Ok(text) => return Ok((text.to_owned(), "UTF-8")),
            Err(error) if encoding == Encoding::Utf8 => {
                let line = bytes
                    .get(..error.valid_up_to())
                    .map_or(0, |valid| valid.iter().filter(|b| **b == b'\n').count())
                    + 1;
                return Err(LedgerError::Encoding {
                    encoding: "UTF-8",
                    line,
                });
            }
            Err(_) => {}
        }
    }
    let (text, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(bytes);
    if had_errors {
        let line = text
            .find('\u{fffd}')
            .map_or(0, |at| text[..at].matches('\n').count())
            + 1;
        return Err(LedgerError::Encoding {
            encoding: if encoding == Encoding::Auto {
                "UTF-8 / GB18030"
            } else {
                "GB18030"
            },
            line,
        });
    }
    Ok((text.into_owned(), "GB18030"))
}

/// Options of an import.
pub struct ImportOptions<'a> {
    /// Encoding of the file.
    pub encoding: Encoding,
    /// Numbering schemes, to find each number's series.
    pub schemes: &'a [Scheme],
    /// Who imports (stamped on events).
    pub actor: Actor,
    /// Called after each chunk with the rows done so far.
    pub progress: &'a dyn Fn(u64),
}

fn parse_row(
    record: &csv::StringRecord,
    columns: &HashMap<Column, usize>,
    schemes: &[Scheme],
) -> Result<ImportRow, Message> {
    let field = |column: Column| -> Result<&str, Message> {
        let value = columns
            .get(&column)
            .and_then(|idx| record.get(*idx))
            .unwrap_or("")
            .trim();
        if value.chars().count() > MAX_FIELD_CHARS {
            return Err(message!(
                LedgerFieldTooLong,
                column = (column.zh(), column.en())
            ));
        }
        Ok(value)
    };
    if record.iter().any(|value| value.contains('\n')) {
        return Err(message!(LedgerMultilineField));
    }
    let archive_no = check_archive_no(field(Column::ArchiveNo)?).map_err(|e| e.message())?;
    let title =
        check_text(field(Column::Title)?, "题名", "title", true).map_err(|e| e.message())?;
    let customer = check_text(field(Column::Customer)?, "客户名称", "customer", true)
        .map_err(|e| e.message())?;
    let category =
        check_text(field(Column::Category)?, "类别", "category", false).map_err(|e| e.message())?;
    let series = schemes.iter().find_map(|scheme| {
        scheme
            .parse(&archive_no)
            .map(|(year, seq)| (scheme.name().to_owned(), year, seq))
    });
    let year = match field(Column::Year)? {
        "" => series
            .as_ref()
            .and_then(|(_, year, _)| (*year > 0).then_some(*year)),
        text => {
            let text = text.trim_end_matches('年');
            match text.parse::<u16>() {
                Ok(year) if (1900..=2200).contains(&year) => Some(year),
                _ => return Err(message!(LedgerBadYear, text = format!("{text:?}"))),
            }
        }
    };
    let retention = match field(Column::Retention)? {
        "" => None,
        text => Some(Retention::parse(text).ok_or_else(|| {
            message!(
                LedgerBadRetention,
                text = format!("{text:?}"),
                examples = ("永久、30年、10年", "permanent, 30 years, 10 years")
            )
        })?),
    };
    let location = match field(Column::Location)? {
        "" => None,
        text => Some(text.to_owned()),
    };
    let barcode = match field(Column::Barcode)? {
        "" => None,
        text => {
            let barcode = Barcode::parse(text).map_err(|e| e.message())?;
            if barcode.kind() != Kind::Box {
                return Err(message!(LedgerNotABoxBarcode, barcode = barcode));
            }
            Some(barcode)
        }
    };
    Ok(ImportRow {
        archive_no,
        title,
        customer,
        category,
        year,
        retention,
        location,
        barcode,
        series,
    })
}

/// Imports a ledger file's bytes into `store`.
pub fn import(
    store: &Store,
    bytes: &[u8],
    options: &ImportOptions<'_>,
) -> Result<ImportReport, LedgerError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(LedgerError::TooLarge);
    }
    let (text, encoding) = decode_text(bytes, options.encoding)?;
    let mut report = ImportReport {
        encoding,
        ..ImportReport::default()
    };
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader
        .headers()
        .map_err(|e| LedgerError::Header(e.to_string()))?
        .clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(LedgerError::Empty);
    }
    let mut columns = HashMap::new();
    for (idx, header) in headers.iter().enumerate() {
        match Column::from_header(header) {
            Some(column) => {
                if columns.insert(column, idx).is_some() {
                    return Err(LedgerError::DuplicateColumn(format!(
                        "{}/{}",
                        column.zh(),
                        column.en()
                    )));
                }
            }
            None if header.trim().is_empty() => {}
            None => report.ignored_columns.push(header.trim().to_owned()),
        }
    }
    for required in [Column::ArchiveNo, Column::Title, Column::Customer] {
        if !columns.contains_key(&required) {
            return Err(LedgerError::MissingColumn {
                missing: format!("{}/{}", required.zh(), required.en()),
                found: headers.iter().collect::<Vec<_>>().join(", "),
            });
        }
    }

    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut series_seqs: BTreeMap<(String, u16), Vec<u64>> = BTreeMap::new();
    let mut chunk: Vec<ImportRow> = Vec::with_capacity(IMPORT_CHUNK);
    let mut chunk_lines: Vec<u64> = Vec::with_capacity(IMPORT_CHUNK);
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                report.rows += 1;
                report.bad_rows.push(BadRow {
                    line: error.position().map_or(line, |p| p.line()),
                    reason: message!(LedgerMalformedCsv, reason = error.to_string()),
                });
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        if record.iter().all(|field| field.trim().is_empty()) {
            continue;
        }
        report.rows += 1;
        if record.len() > headers.len() {
            report.bad_rows.push(BadRow {
                line,
                reason: message!(
                    LedgerTooManyFields,
                    found = record.len(),
                    columns = headers.len()
                ),
            });
            continue;
        }
        let row = match parse_row(&record, &columns, options.schemes) {
            Ok(row) => row,
            Err(reason) => {
                report.bad_rows.push(BadRow { line, reason });
                continue;
            }
        };
        if let Some(first) = seen.get(&row.archive_no) {
            report.bad_rows.push(BadRow {
                line,
                reason: message!(
                    LedgerDuplicateArchiveNo,
                    archive_no = &row.archive_no,
                    first = first
                ),
            });
            continue;
        }
        seen.insert(row.archive_no.clone(), line);
        if let Some((scheme, year, seq)) = &row.series {
            series_seqs
                .entry((scheme.clone(), *year))
                .or_default()
                .push(*seq);
        }
        chunk.push(row);
        chunk_lines.push(line);
        if chunk.len() == IMPORT_CHUNK {
            apply_chunk(store, options, &mut chunk, &mut chunk_lines, &mut report)?;
        }
    }
    apply_chunk(store, options, &mut chunk, &mut chunk_lines, &mut report)?;
    report.bad_rows.sort_by_key(|bad| bad.line);
    report.gaps = gap_report(&series_seqs, options.schemes);
    Ok(report)
}

fn apply_chunk(
    store: &Store,
    options: &ImportOptions<'_>,
    chunk: &mut Vec<ImportRow>,
    lines: &mut Vec<u64>,
    report: &mut ImportReport,
) -> Result<(), LedgerError> {
    if chunk.is_empty() {
        return Ok(());
    }
    let outcomes =
        store
            .import_rows(&options.actor, chunk)
            .map_err(|source| LedgerError::Interrupted {
                line: lines.first().copied().unwrap_or(0),
                created: report.created,
                source,
            })?;
    for ((outcome, line), row) in outcomes.into_iter().zip(lines.iter()).zip(chunk.iter()) {
        match outcome {
            Ok(ImportOutcome::Created(_)) => report.created += 1,
            Ok(ImportOutcome::Unchanged(_)) => report.unchanged += 1,
            Ok(ImportOutcome::Differs(_, fields)) => report.differing.push(DifferingRow {
                line: *line,
                archive_no: row.archive_no.clone(),
                fields,
            }),
            Err(error) => report.bad_rows.push(BadRow {
                line: *line,
                reason: error.message(),
            }),
        }
    }
    chunk.clear();
    lines.clear();
    (options.progress)(report.rows);
    Ok(())
}

fn gap_report(series: &BTreeMap<(String, u16), Vec<u64>>, schemes: &[Scheme]) -> Vec<Message> {
    const MAX_RANGES: usize = 20;
    let mut out = Vec::new();
    for ((scheme_name, year), seqs) in series {
        let Some(scheme) = schemes.iter().find(|s| s.name() == scheme_name) else {
            continue;
        };
        let mut seqs = seqs.clone();
        seqs.sort_unstable();
        seqs.dedup();
        let mut ranges = Vec::new();
        let mut expected = 1u64;
        for seq in &seqs {
            if *seq > expected {
                ranges.push((expected, seq - 1));
            }
            expected = seq + 1;
        }
        if ranges.is_empty() {
            continue;
        }
        let missing: u64 = ranges.iter().map(|(a, b)| b - a + 1).sum();
        let shown: Vec<String> = ranges
            .iter()
            .take(MAX_RANGES)
            .map(|(from, to)| {
                if from == to {
                    scheme.format(*year, *from)
                } else {
                    format!(
                        "{} – {}",
                        scheme.format(*year, *from),
                        scheme.format(*year, *to)
                    )
                }
            })
            .collect();
        let series = scheme.series_label(*year);
        let ranges_shown = shown.join(", ");
        out.push(if ranges.len() > MAX_RANGES {
            message!(
                LedgerGapTruncated,
                series = series,
                missing = missing,
                ranges = ranges_shown,
                more = ranges.len() - MAX_RANGES
            )
        } else {
            message!(
                LedgerGap,
                series = series,
                missing = missing,
                ranges = ranges_shown
            )
        });
    }
    out
}

/// Calls `row` with every box as a ledger row (the columns of [`Column::ALL`]), in
/// barcode order; returns the number of rows.
pub fn for_each_row(
    store: &Store,
    mut row: impl FnMut([String; 8]) -> Result<(), LedgerError>,
) -> Result<u64, LedgerError> {
    let mut paths: HashMap<Barcode, String> = HashMap::new();
    let mut rows = 0u64;
    for archive_box in store.boxes() {
        let archive_box = archive_box?;
        let location = match archive_box.home.or(archive_box.place) {
            Some(location) => match paths.get(&location) {
                Some(path) => path.clone(),
                None => {
                    let path = match store.get_item(location)? {
                        Some(Item::Location(found)) => found.path,
                        _ => String::new(),
                    };
                    paths.insert(location, path.clone());
                    path
                }
            },
            None => String::new(),
        };
        row([
            archive_box.archive_no,
            archive_box.title,
            archive_box.customer,
            archive_box.category,
            archive_box.year.map(|y| y.to_string()).unwrap_or_default(),
            archive_box
                .retention
                .map(Retention::to_text)
                .unwrap_or_default(),
            location,
            archive_box.barcode.to_string(),
        ])?;
        rows += 1;
    }
    Ok(rows)
}

/// Writes every box as a ledger row (Chinese headers, UTF-8 with BOM so that Excel opens
/// it correctly); returns the number of rows.
pub fn export_csv(store: &Store, out: impl Write) -> Result<u64, LedgerError> {
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::Writer::from_writer(out);
    writer
        .write_record(Column::ALL.iter().map(|column| column.zh()))
        .map_err(csv_io)?;
    let rows = for_each_row(store, |row| writer.write_record(&row).map_err(csv_io))?;
    writer.flush()?;
    Ok(rows)
}

/// A sheet as an XLSX workbook: a header row, then the rows.
pub fn xlsx(sheet: &str, header: &[&str], rows: &[Vec<String>]) -> Result<Vec<u8>, LedgerError> {
    let xlsx_error = |error: rust_xlsxwriter::XlsxError| {
        LedgerError::Write(std::io::Error::other(error.to_string()))
    };
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let worksheet = workbook.add_worksheet();
    worksheet.set_name(sheet).map_err(xlsx_error)?;
    for (col, title) in header.iter().enumerate() {
        worksheet
            .write_string(0, col as u16, *title)
            .map_err(xlsx_error)?;
    }
    for (idx, row) in rows.iter().enumerate() {
        for (col, value) in row.iter().enumerate() {
            worksheet
                .write_string(idx as u32 + 1, col as u16, value)
                .map_err(xlsx_error)?;
        }
    }
    workbook.save_to_buffer().map_err(xlsx_error)
}

/// The ledger as an XLSX workbook (sheet 台帐, the same columns as the CSV).
pub fn export_xlsx(store: &Store) -> Result<Vec<u8>, LedgerError> {
    let mut rows = Vec::new();
    for_each_row(store, |row| {
        rows.push(row.to_vec());
        Ok(())
    })?;
    let header: Vec<&str> = Column::ALL.iter().map(|column| column.zh()).collect();
    xlsx("台帐", &header, &rows)
}

fn csv_io(error: csv::Error) -> LedgerError {
    LedgerError::Write(std::io::Error::other(error.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;

    #[test]
    fn headers_in_both_languages() {
        assert_eq!(Column::from_header("档案号"), Some(Column::ArchiveNo));
        assert_eq!(
            Column::from_header("\u{feff}档案号"),
            Some(Column::ArchiveNo)
        );
        assert_eq!(Column::from_header(" Archive No "), Some(Column::ArchiveNo));
        assert_eq!(Column::from_header("archive-no"), Some(Column::ArchiveNo));
        assert_eq!(Column::from_header("保管期限"), Some(Column::Retention));
        assert_eq!(Column::from_header("备注"), None);
    }

    #[test]
    fn utf8_and_gb18030_are_detected() {
        let text = "档案号,题名\n2012鸿借字第001号,借款合同\n";
        let (utf8, name) = decode_text(text.as_bytes(), Encoding::Auto).expect("utf-8");
        assert_eq!((utf8.as_str(), name), (text, "UTF-8"));
        let (gb, _, _) = encoding_rs::GB18030.encode(text);
        let (decoded, name) = decode_text(&gb, Encoding::Auto).expect("gb18030");
        assert_eq!((decoded.as_str(), name), (text, "GB18030"));
        assert!(matches!(
            decode_text(&gb, Encoding::Utf8),
            Err(LedgerError::Encoding {
                encoding: "UTF-8",
                line: 1
            })
        ));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_text(&bom, Encoding::Auto).expect("bom").0, text);
    }

    #[test]
    fn gaps_are_listed_as_ranges() {
        let scheme = Scheme::new("loan", "{year}鸿借字第{seq:03}号").expect("valid");
        let mut series = BTreeMap::new();
        series.insert(("loan".to_owned(), 2012), vec![1, 2, 6, 8, 3]);
        let gaps = gap_report(&series, std::slice::from_ref(&scheme));
        assert_eq!(gaps.len(), 1);
        let gap = &gaps[0];
        assert_eq!(gap.code, Code::LedgerGap);
        assert_eq!(
            gap.text.en,
            "2012鸿借字第*号: 3 missing: 2012鸿借字第004号 – 2012鸿借字第005号, 2012鸿借字第007号"
        );
        assert_eq!(
            gap.text.zh,
            "2012鸿借字第*号：缺 3 号：2012鸿借字第004号 – 2012鸿借字第005号, 2012鸿借字第007号"
        );
    }

    #[test]
    fn more_than_twenty_gaps_are_cut_short_and_counted() {
        let scheme = Scheme::new("loan", "{year}鸿借字第{seq:03}号").expect("valid");
        let mut series = BTreeMap::new();
        series.insert(("loan".to_owned(), 2012), (1..=25).map(|n| n * 2).collect());
        let gaps = gap_report(&series, std::slice::from_ref(&scheme));
        assert_eq!(gaps.len(), 1);
        assert_eq!(gaps[0].code, Code::LedgerGapTruncated, "{}", gaps[0]);
        assert!(gaps[0].text.en.ends_with("(5 more ranges)"), "{}", gaps[0]);
        assert!(gaps[0].text.zh.ends_with("（另有 5 段）"), "{}", gaps[0]);
    }
}
