//! The ledger (台帐) as a CSV or XLSX file: import an existing spreadsheet, export the store
//! back.
//!
//! Columns are found by header name, Chinese or English, in any order, under the common
//! names of [`SYNONYMS`] (档案号/档案编号/案卷号, 题名/案卷题名/标题, 客户名称/客户/户名,
//! 类别/分类, 年度/年份, 保管期限, 位置/存放位置/库位, 条码, 合同到期日/到期日). A file is a
//! workbook when its content says so (the zip signature `PK\x03\x04`), whatever its name:
//! its first sheet is read, the first non-empty row being the header and line numbers
//! being the sheet's row numbers. Otherwise it is CSV in UTF-8 (with or without BOM) or
//! GB18030 (what Excel saves on a Chinese Windows). Every bad row is reported with its line number and changes
//! nothing; good rows are imported; importing the same file twice creates nothing new;
//! export → import → export is a fixed point, for the CSV and the XLSX export alike.
//!
//! A file without a location column is refused ([`LedgerError::NoLocationColumn`]) unless
//! the import allows it ([`ImportExtra::without_location`], `station import
//! --without-location`): the boxes would be created without a place, and an archivist
//! would then have to shelve every one of them by hand.
//!
//! **Memory.** CSV is read as a stream: a file on disk ([`import_file`]) is read twice in
//! 64 KiB pieces (the first pass checks the encoding and counts lines), and only the current
//! chunk of [`IMPORT_CHUNK`] rows is held. An XLSX sheet is streamed cell by cell too, but a
//! workbook keeps its text cells in one shared-strings part that is held in memory whole:
//! a workbook whose shared strings are declared larger than [`MAX_XLSX_STRINGS`] bytes
//! (uncompressed) is refused before anything is read, so an import holds at most that much
//! plus the file's central directory and one chunk of rows.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Seek, Write};
use std::path::Path;

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

/// The largest shared-strings part (uncompressed, as the workbook declares it) of an XLSX
/// ledger: calamine holds it in memory whole.
pub const MAX_XLSX_STRINGS: u64 = 256 << 20;

/// The most columns a ledger row may have (Excel's own limit).
const MAX_COLUMNS: usize = 16_384;

/// The header names each column is recognised by (besides its own [`Column::zh`] and
/// [`Column::en`]): the one table of synonyms. Chinese names match exactly (after trimming);
/// English ones ignoring case, with spaces and hyphens read as `_`.
pub const SYNONYMS: [(Column, &[&str]); 9] = [
    (
        Column::ArchiveNo,
        &[
            "档案号",
            "档案编号",
            "档号",
            "案卷号",
            "卷号",
            "archive_no",
            "archive_number",
            "file_no",
        ],
    ),
    (
        Column::Title,
        &["题名", "案卷题名", "标题", "案卷标题", "文件题名", "title"],
    ),
    (
        Column::Customer,
        &[
            "客户名称",
            "客户",
            "客户名",
            "户名",
            "customer",
            "customer_name",
            "client",
        ],
    ),
    (
        Column::Category,
        &["类别", "分类", "档案类别", "类型", "category", "class"],
    ),
    (Column::Year, &["年度", "年份", "年", "year"]),
    (
        Column::Retention,
        &["保管期限", "保存期限", "期限", "retention"],
    ),
    (
        Column::Location,
        &[
            "位置",
            "存放位置",
            "库位",
            "存放地点",
            "架位",
            "location",
            "shelf",
            "place",
        ],
    ),
    (Column::Barcode, &["条码", "条形码", "系统条码", "barcode"]),
    (
        Column::Expiry,
        &[
            "合同到期日",
            "到期日",
            "到期日期",
            "合同到期日期",
            "expiry",
            "expires",
            "expiry_date",
            "expiration_date",
        ],
    ),
];

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
    /// 合同到期日: the box's expiry date, set as the contents API sets it (on a new box;
    /// another date for an existing box is reported, never written).
    Expiry,
}

impl Column {
    /// The columns the export writes, in its order (the barcode last).
    pub const ALL: [Column; 9] = [
        Column::ArchiveNo,
        Column::Title,
        Column::Customer,
        Column::Category,
        Column::Year,
        Column::Retention,
        Column::Location,
        Column::Expiry,
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
            Column::Expiry => "合同到期日",
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
            Column::Expiry => "expiry",
        }
    }

    /// The column a header names by any of its [`SYNONYMS`], Chinese or English, case and
    /// spaces ignored.
    pub fn from_header(header: &str) -> Option<Column> {
        let header = header.trim().trim_start_matches('\u{feff}').trim();
        let lower = header.to_ascii_lowercase().replace([' ', '-'], "_");
        SYNONYMS.iter().find_map(|(column, names)| {
            names
                .iter()
                .any(|name| *name == header || *name == lower)
                .then_some(*column)
        })
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
    /// No column names a location, and the import did not allow that.
    NoLocationColumn {
        /// The headers found.
        found: String,
    },
    /// The workbook cannot be read.
    Xlsx(String),
    /// The workbook's shared strings are declared larger than [`MAX_XLSX_STRINGS`].
    XlsxTooLarge {
        /// Their declared size in bytes.
        size: u64,
    },
    /// The file cannot be read.
    Read(std::io::Error),
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
            LedgerError::NoLocationColumn { found } => {
                message!(LedgerNoLocationColumn, found = found)
            }
            LedgerError::Xlsx(reason) => message!(LedgerBadXlsx, reason = reason),
            LedgerError::XlsxTooLarge { size } => {
                message!(LedgerXlsxTooLarge, size = size, max = MAX_XLSX_STRINGS)
            }
            LedgerError::Read(error) => message!(LedgerReadFailed, reason = error),
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
    /// The encoding the file was read in (`XLSX` for a workbook).
    pub encoding: &'static str,
    /// The file has no location column (allowed by [`ImportExtra::without_location`]):
    /// the boxes created have no place.
    pub without_location: bool,
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
    record: &[String],
    columns: &HashMap<Column, usize>,
    schemes: &[Scheme],
) -> Result<ImportRow, Message> {
    let field = |column: Column| -> Result<&str, Message> {
        let value = columns
            .get(&column)
            .and_then(|idx| record.get(*idx))
            .map_or("", String::as_str)
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
    let expiry = match field(Column::Expiry)? {
        "" => None,
        text => Some(parse_date(text).ok_or_else(|| {
            message!(
                LedgerBadDate,
                column = (Column::Expiry.zh(), Column::Expiry.en()),
                text = format!("{text:?}"),
                examples = (
                    "2027-06-30、2027/6/30、2027年6月30日",
                    "2027-06-30, 2027/6/30, 20270630"
                )
            )
        })?),
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
        expiry,
    })
}

/// What an import may go ahead without, and whom to tell how many rows there are: beside
/// [`ImportOptions`], so that code building those keeps compiling.
#[derive(Clone, Copy, Default)]
pub struct ImportExtra<'a> {
    /// Import a file that has no location column (the boxes get no place); refused
    /// otherwise.
    pub without_location: bool,
    /// Called once, before the first row, with the number of data rows expected (an
    /// estimate: lines of a CSV file, rows of the sheet).
    pub total: Option<&'a dyn Fn(u64)>,
}

/// Whether `bytes` begin like a zip archive (an XLSX workbook).
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Imports a ledger file's bytes into `store` (a file without a location column is
/// refused: see [`import_allowing`]).
pub fn import(
    store: &Store,
    bytes: &[u8],
    options: &ImportOptions<'_>,
) -> Result<ImportReport, LedgerError> {
    import_allowing(store, bytes, options, ImportExtra::default())
}

/// Imports a ledger file's bytes (CSV or XLSX, recognised by content) into `store`.
pub fn import_allowing(
    store: &Store,
    bytes: &[u8],
    options: &ImportOptions<'_>,
    extra: ImportExtra<'_>,
) -> Result<ImportReport, LedgerError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(LedgerError::TooLarge);
    }
    if is_xlsx(bytes) {
        return import_xlsx(store, std::io::Cursor::new(bytes), options, extra);
    }
    import_csv(store, || Ok(bytes), options, extra)
}

/// Imports the ledger file at `path` (CSV or XLSX, recognised by content), reading it as a
/// stream: see the module's notes on memory.
pub fn import_file(
    store: &Store,
    path: &Path,
    options: &ImportOptions<'_>,
    extra: ImportExtra<'_>,
) -> Result<ImportReport, LedgerError> {
    let open = || std::fs::File::open(path).map(std::io::BufReader::new);
    let mut file = open().map_err(LedgerError::Read)?;
    let size = file.get_ref().metadata().map_err(LedgerError::Read)?.len();
    if size > MAX_FILE_BYTES as u64 {
        return Err(LedgerError::TooLarge);
    }
    let mut magic = [0u8; 4];
    let magic_len = file.read(&mut magic).map_err(LedgerError::Read)?;
    if is_xlsx(magic.get(..magic_len).unwrap_or_default()) {
        file.rewind().map_err(LedgerError::Read)?;
        return import_xlsx(store, file, options, extra);
    }
    import_csv(store, open, options, extra)
}

const PIECE: usize = 64 * 1024;

/// First pass over a CSV file: whether it is UTF-8 (checked to the end) and how many lines
/// it has; `None` when it is not UTF-8 and the encoding is left to detection.
fn check_utf8<R: Read>(
    mut reader: R,
    encoding: Encoding,
) -> Result<Option<(&'static str, u64)>, LedgerError> {
    let io = LedgerError::Read;
    if matches!(encoding, Encoding::Auto | Encoding::Utf8) {
        let mut buf = vec![0u8; PIECE];
        let mut carry = 0usize;
        let mut lines = 0u64;
        let mut valid = true;
        loop {
            let read = reader.read(buf.get_mut(carry..).unwrap_or_default());
            let read = read.map_err(io)?;
            let filled = carry + read;
            let piece = buf.get(..filled).unwrap_or_default();
            let (good, rest) = match std::str::from_utf8(piece) {
                Ok(_) => (filled, 0),
                // An incomplete character at the end of the piece: carry it over.
                Err(error) if error.error_len().is_none() && read > 0 => {
                    (error.valid_up_to(), filled - error.valid_up_to())
                }
                Err(error) => {
                    lines += count_lines(piece.get(..error.valid_up_to()).unwrap_or_default());
                    valid = false;
                    break;
                }
            };
            lines += count_lines(piece.get(..good).unwrap_or_default());
            buf.copy_within(good..filled, 0);
            carry = rest;
            if read == 0 {
                break;
            }
        }
        if valid {
            return Ok(Some(("UTF-8", lines)));
        }
        if encoding == Encoding::Utf8 {
            return Err(LedgerError::Encoding {
                encoding: "UTF-8",
                line: lines as usize + 1,
            });
        }
    }
    Ok(None)
}

fn check_gb18030<R: Read>(
    mut reader: R,
    encoding: Encoding,
) -> Result<(&'static str, u64), LedgerError> {
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut buf = vec![0u8; PIECE];
    let mut text = String::new();
    let mut lines = 0u64;
    loop {
        let read = reader.read(&mut buf).map_err(LedgerError::Read)?;
        let last = read == 0;
        text.clear();
        let needed = decoder
            .max_utf8_buffer_length(read)
            .unwrap_or(read * 4 + 16);
        text.reserve(needed);
        let (_, _, had_errors) =
            decoder.decode_to_string(buf.get(..read).unwrap_or_default(), &mut text, last);
        if had_errors {
            let at = text.find('\u{fffd}').unwrap_or(text.len());
            lines += text.get(..at).unwrap_or_default().matches('\n').count() as u64;
            return Err(LedgerError::Encoding {
                encoding: if encoding == Encoding::Auto {
                    "UTF-8 / GB18030"
                } else {
                    "GB18030"
                },
                line: lines as usize + 1,
            });
        }
        lines += text.matches('\n').count() as u64;
        if last {
            return Ok(("GB18030", lines));
        }
    }
}

fn count_lines(bytes: &[u8]) -> u64 {
    bytes.iter().filter(|b| **b == b'\n').count() as u64
}

/// GB18030 bytes read as UTF-8 (the file was checked before: no errors remain).
struct Gb18030Reader<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    output: String,
    at: usize,
    done: bool,
}

impl<R: Read> Read for Gb18030Reader<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.at >= self.output.len() {
            if self.done {
                return Ok(0);
            }
            self.input.resize(PIECE, 0);
            let read = self.inner.read(&mut self.input)?;
            self.done = read == 0;
            self.output.clear();
            self.at = 0;
            let needed = self
                .decoder
                .max_utf8_buffer_length(read)
                .unwrap_or(read * 4 + 16);
            self.output.reserve(needed);
            let input = self.input.get(..read).unwrap_or_default();
            let _ = self
                .decoder
                .decode_to_string(input, &mut self.output, self.done);
        }
        let rest = self.output.as_bytes().get(self.at..).unwrap_or_default();
        let n = rest.len().min(out.len());
        if let (Some(dst), Some(src)) = (out.get_mut(..n), rest.get(..n)) {
            dst.copy_from_slice(src);
        }
        self.at += n;
        Ok(n)
    }
}

fn import_csv<R: Read>(
    store: &Store,
    open: impl Fn() -> std::io::Result<R>,
    options: &ImportOptions<'_>,
    extra: ImportExtra<'_>,
) -> Result<ImportReport, LedgerError> {
    let first = open().map_err(LedgerError::Read)?;
    let (encoding, lines) = match check_utf8(first, options.encoding)? {
        Some(found) => found,
        None => check_gb18030(open().map_err(LedgerError::Read)?, options.encoding)?,
    };
    if let Some(total) = extra.total {
        total(lines.saturating_sub(1));
    }
    let mut reader = open().map_err(LedgerError::Read)?;
    if encoding == "UTF-8" {
        let mut bom = [0u8; 3];
        let mut got = 0;
        // Skip a BOM (`csv` would keep it in the first header).
        while got < 3 {
            let n = reader
                .read(bom.get_mut(got..).unwrap_or_default())
                .map_err(LedgerError::Read)?;
            if n == 0 {
                break;
            }
            got += n;
        }
        let head = bom.get(..got).unwrap_or_default().to_vec();
        let head = if head == b"\xEF\xBB\xBF" {
            Vec::new()
        } else {
            head
        };
        let chained = std::io::Cursor::new(head).chain(reader);
        read_csv(store, chained, encoding, options, extra)
    } else {
        let decoded = Gb18030Reader {
            inner: reader,
            decoder: encoding_rs::GB18030.new_decoder_without_bom_handling(),
            input: Vec::new(),
            output: String::new(),
            at: 0,
            done: false,
        };
        read_csv(store, decoded, encoding, options, extra)
    }
}

fn read_csv<R: Read>(
    store: &Store,
    text: R,
    encoding: &'static str,
    options: &ImportOptions<'_>,
    extra: ImportExtra<'_>,
) -> Result<ImportReport, LedgerError> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text);
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| LedgerError::Header(e.to_string()))?
        .iter()
        .map(str::to_owned)
        .collect();
    let mut importer = Importer::new(store, options, extra, encoding, &headers)?;
    let mut record = csv::StringRecord::new();
    loop {
        let line = reader.position().line();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(error) => {
                importer.report.rows += 1;
                importer.report.bad_rows.push(BadRow {
                    line: error.position().map_or(line, |p| p.line()),
                    reason: message!(LedgerMalformedCsv, reason = error.to_string()),
                });
                continue;
            }
        }
        let line = record.position().map_or(line, |p| p.line());
        let fields: Vec<String> = record.iter().map(str::to_owned).collect();
        importer.row(line, &fields)?;
    }
    importer.finish()
}

/// Refuses a workbook whose shared strings would take more than [`MAX_XLSX_STRINGS`].
fn check_xlsx_size<R: Read + Seek>(file: &mut R) -> Result<(), LedgerError> {
    let mut archive =
        zip::ZipArchive::new(&mut *file).map_err(|e| LedgerError::Xlsx(e.to_string()))?;
    let declared = match archive.index_for_name("xl/sharedStrings.xml") {
        Some(index) => archive
            .by_index_raw(index)
            .map_err(|e| LedgerError::Xlsx(e.to_string()))?
            .size(),
        None => 0,
    };
    if declared > MAX_XLSX_STRINGS {
        return Err(LedgerError::XlsxTooLarge { size: declared });
    }
    Ok(())
}

/// A date as files write it: `2026-11-20`, `2026/11/20`, `2026.11.20`, `20261120`,
/// `2026年11月20日`, or a workbook's date-time text (`2026-11-20 00:00:00`): the one reading
/// of dates in imported files, the ledger and contents lists alike.
pub(crate) fn parse_date(text: &str) -> Option<chrono::NaiveDate> {
    let text = text.trim();
    for format in ["%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y%m%d", "%Y年%m月%d日"] {
        if let Ok(date) = chrono::NaiveDate::parse_from_str(text, format) {
            return Some(date);
        }
    }
    // An .xlsx date cell read as text: `2026-11-20 00:00:00`.
    text.get(..10)
        .and_then(|day| chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok())
}

/// A workbook's date cell as text: its day (`2026-11-20`) when it is a date, else its
/// number as Excel stores it.
pub(crate) fn excel_date_text(when: &calamine::ExcelDateTime) -> String {
    if !when.is_datetime() {
        return when.to_string();
    }
    // Excel's day serial (1900 system): day 0 is 1899-12-30.
    chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|epoch| {
            epoch.checked_add_signed(chrono::Duration::days(when.as_f64().floor() as i64))
        })
        .map_or_else(|| when.to_string(), |day| day.to_string())
}

fn cell_text(value: &calamine::DataRef<'_>) -> String {
    use calamine::DataRef;
    match value {
        DataRef::Int(n) => n.to_string(),
        DataRef::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        DataRef::Float(f) => f.to_string(),
        DataRef::String(text) => text.clone(),
        DataRef::SharedString(text) => (*text).to_owned(),
        DataRef::Bool(b) => b.to_string(),
        DataRef::DateTime(when) => excel_date_text(when),
        DataRef::DateTimeIso(text) | DataRef::DurationIso(text) => text.clone(),
        DataRef::Error(error) => error.to_string(),
        DataRef::Empty => String::new(),
    }
}

fn import_xlsx<R: Read + Seek>(
    store: &Store,
    mut file: R,
    options: &ImportOptions<'_>,
    extra: ImportExtra<'_>,
) -> Result<ImportReport, LedgerError> {
    use calamine::Reader as _;
    let bad = |error: calamine::XlsxError| LedgerError::Xlsx(error.to_string());
    check_xlsx_size(&mut file)?;
    file.rewind().map_err(LedgerError::Read)?;
    let mut workbook: calamine::Xlsx<R> = calamine::open_workbook_from_rs(file).map_err(bad)?;
    let Some(first) = workbook.sheet_names().into_iter().next() else {
        return Err(LedgerError::Empty);
    };
    let mut cells = workbook.worksheet_cells_reader(&first).map_err(bad)?;
    let dimensions = cells.dimensions();
    let mut importer: Option<Importer<'_>> = None;
    let mut row: Vec<String> = Vec::new();
    let mut row_no: Option<u32> = None;
    let sheet = Sheet {
        store,
        options,
        extra,
        last_row: dimensions.end.0,
    };
    while let Some(cell) = cells.next_cell().map_err(bad)? {
        let (r, c) = cell.get_position();
        if row_no != Some(r) {
            if let Some(previous) = row_no {
                sheet.flush(&mut importer, previous, &mut row)?;
            }
            row_no = Some(r);
        }
        let c = c as usize;
        if c >= MAX_COLUMNS {
            continue;
        }
        if row.len() <= c {
            row.resize(c + 1, String::new());
        }
        if let Some(slot) = row.get_mut(c) {
            *slot = cell_text(cell.get_value());
        }
    }
    if let Some(previous) = row_no {
        sheet.flush(&mut importer, previous, &mut row)?;
    }
    match importer {
        Some(importer) => importer.finish(),
        None => Err(LedgerError::Empty),
    }
}

/// What a sheet's rows go into.
struct Sheet<'a> {
    store: &'a Store,
    options: &'a ImportOptions<'a>,
    extra: ImportExtra<'a>,
    last_row: u32,
}

impl<'a> Sheet<'a> {
    /// Hands one row (0-based `row_no`) on: the first non-empty one is the header.
    fn flush(
        &self,
        importer: &mut Option<Importer<'a>>,
        row_no: u32,
        row: &mut Vec<String>,
    ) -> Result<(), LedgerError> {
        let mut fields = std::mem::take(row);
        // Trailing empty cells (a spreadsheet's formatting) are not fields.
        while fields.last().is_some_and(|f| f.trim().is_empty()) {
            fields.pop();
        }
        match importer {
            Some(importer) => importer.row(u64::from(row_no) + 1, &fields),
            None if fields.is_empty() => Ok(()),
            None => {
                if let Some(total) = self.extra.total {
                    total(u64::from(self.last_row.saturating_sub(row_no)));
                }
                *importer = Some(Importer::new(
                    self.store,
                    self.options,
                    self.extra,
                    "XLSX",
                    &fields,
                )?);
                Ok(())
            }
        }
    }
}

/// The rows of one file on their way into the store, a chunk at a time.
struct Importer<'a> {
    store: &'a Store,
    options: &'a ImportOptions<'a>,
    report: ImportReport,
    columns: HashMap<Column, usize>,
    header_len: usize,
    seen: HashMap<String, u64>,
    series_seqs: BTreeMap<(String, u16), Vec<u64>>,
    chunk: Vec<ImportRow>,
    chunk_lines: Vec<u64>,
}

impl<'a> Importer<'a> {
    fn new(
        store: &'a Store,
        options: &'a ImportOptions<'a>,
        extra: ImportExtra<'_>,
        encoding: &'static str,
        headers: &[String],
    ) -> Result<Importer<'a>, LedgerError> {
        let mut report = ImportReport {
            encoding,
            ..ImportReport::default()
        };
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
        let found = || {
            headers
                .iter()
                .map(|h| h.trim().trim_start_matches('\u{feff}'))
                .filter(|h| !h.is_empty())
                .collect::<Vec<_>>()
                .join(", ")
        };
        for required in [Column::ArchiveNo, Column::Title, Column::Customer] {
            if !columns.contains_key(&required) {
                return Err(LedgerError::MissingColumn {
                    missing: format!("{}/{}", required.zh(), required.en()),
                    found: found(),
                });
            }
        }
        if !columns.contains_key(&Column::Location) {
            if !extra.without_location {
                return Err(LedgerError::NoLocationColumn { found: found() });
            }
            report.without_location = true;
        }
        Ok(Importer {
            store,
            options,
            report,
            columns,
            header_len: headers.len(),
            seen: HashMap::new(),
            series_seqs: BTreeMap::new(),
            chunk: Vec::with_capacity(IMPORT_CHUNK),
            chunk_lines: Vec::with_capacity(IMPORT_CHUNK),
        })
    }

    fn row(&mut self, line: u64, record: &[String]) -> Result<(), LedgerError> {
        if record.iter().all(|field| field.trim().is_empty()) {
            return Ok(());
        }
        let report = &mut self.report;
        report.rows += 1;
        if record.len() > self.header_len {
            report.bad_rows.push(BadRow {
                line,
                reason: message!(
                    LedgerTooManyFields,
                    found = record.len(),
                    columns = self.header_len
                ),
            });
            return Ok(());
        }
        let row = match parse_row(record, &self.columns, self.options.schemes) {
            Ok(row) => row,
            Err(reason) => {
                report.bad_rows.push(BadRow { line, reason });
                return Ok(());
            }
        };
        if let Some(first) = self.seen.get(&row.archive_no) {
            report.bad_rows.push(BadRow {
                line,
                reason: message!(
                    LedgerDuplicateArchiveNo,
                    archive_no = &row.archive_no,
                    first = first
                ),
            });
            return Ok(());
        }
        self.seen.insert(row.archive_no.clone(), line);
        if let Some((scheme, year, seq)) = &row.series {
            self.series_seqs
                .entry((scheme.clone(), *year))
                .or_default()
                .push(*seq);
        }
        self.chunk.push(row);
        self.chunk_lines.push(line);
        if self.chunk.len() == IMPORT_CHUNK {
            apply_chunk(
                self.store,
                self.options,
                &mut self.chunk,
                &mut self.chunk_lines,
                &mut self.report,
            )?;
        }
        Ok(())
    }

    fn finish(mut self) -> Result<ImportReport, LedgerError> {
        apply_chunk(
            self.store,
            self.options,
            &mut self.chunk,
            &mut self.chunk_lines,
            &mut self.report,
        )?;
        self.report.bad_rows.sort_by_key(|bad| bad.line);
        self.report.gaps = gap_report(&self.series_seqs, self.options.schemes);
        Ok(self.report)
    }
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
/// barcode order; returns the number of rows. The expiry dates are read in one pass beside
/// the boxes (both in barcode order), not one read per box.
pub fn for_each_row(
    store: &Store,
    mut row: impl FnMut([String; 9]) -> Result<(), LedgerError>,
) -> Result<u64, LedgerError> {
    let mut paths: HashMap<Barcode, String> = HashMap::new();
    let mut rows = 0u64;
    let mut expiries = store.box_expiries().peekable();
    for archive_box in store.boxes() {
        let archive_box = archive_box?;
        let here = archive_box.barcode.to_key();
        let mut expiry = String::new();
        while let Some(next) = expiries.peek() {
            let (barcode, day) = match next {
                Ok(found) => *found,
                Err(_) => {
                    expiries.next().transpose()?;
                    continue;
                }
            };
            match barcode.to_key().as_slice().cmp(here.as_slice()) {
                std::cmp::Ordering::Less => {
                    expiries.next();
                }
                std::cmp::Ordering::Equal => {
                    expiry = day.format("%Y-%m-%d").to_string();
                    expiries.next();
                    break;
                }
                std::cmp::Ordering::Greater => break,
            }
        }
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
            expiry,
            archive_box.barcode.to_string(),
        ])?;
        rows += 1;
    }
    Ok(rows)
}

/// The export's column before the barcode (which stays last): how many certificates the
/// box's project has (not a column import reads: an exported ledger imports with it
/// ignored).
pub const CERTIFICATES_HEADER: &str = "权证数";

/// The export's headers: the ledger's columns, with [`CERTIFICATES_HEADER`] before the
/// barcode.
fn export_header() -> Vec<&'static str> {
    let mut header: Vec<&str> = Column::ALL.iter().map(|column| column.zh()).collect();
    let at = header.len().saturating_sub(1);
    header.insert(at, CERTIFICATES_HEADER);
    header
}

/// A box's export row: its ledger row with its project's certificate count before the
/// barcode.
fn export_row(store: &Store, row: [String; 9]) -> Result<Vec<String>, LedgerError> {
    let count = certificate_count(store, &row[0])?;
    let mut row = row.to_vec();
    let at = row.len().saturating_sub(1);
    row.insert(at, count);
    Ok(row)
}

/// How many certificates the project of archive number `archive_no` has.
fn certificate_count(store: &Store, archive_no: &str) -> Result<String, LedgerError> {
    if archive_no.is_empty() {
        return Ok("0".to_owned());
    }
    Ok(store.certificates_of(archive_no)?.len().to_string())
}

/// Writes every box as a ledger row (Chinese headers, UTF-8 with BOM so that Excel opens
/// it correctly); returns the number of rows.
pub fn export_csv(store: &Store, out: impl Write) -> Result<u64, LedgerError> {
    let mut out = out;
    out.write_all(b"\xEF\xBB\xBF")?;
    let mut writer = csv::Writer::from_writer(out);
    writer.write_record(export_header()).map_err(csv_io)?;
    let rows = for_each_row(store, |row| {
        writer
            .write_record(&export_row(store, row)?)
            .map_err(csv_io)
    })?;
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
        rows.push(export_row(store, row)?);
        Ok(())
    })?;
    let header = export_header();
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
    fn common_header_variants_name_their_column() {
        let variants = [
            (Column::ArchiveNo, ["档案编号", "档案号", "案卷号"]),
            (Column::Title, ["案卷题名", "题名", "标题"]),
            (Column::Customer, ["客户", "客户名称", "户名"]),
            (Column::Location, ["存放位置", "位置", "库位"]),
            (Column::Year, ["年份", "年度", "Year"]),
            (Column::Category, ["类别", "分类", "category"]),
        ];
        for (column, headers) in variants {
            for header in headers {
                assert_eq!(Column::from_header(header), Some(column), "{header}");
            }
        }
        // One table: every column's own names are in it, and no name is in two rows.
        let mut names = std::collections::HashSet::new();
        for (column, synonyms) in SYNONYMS {
            assert!(synonyms.contains(&column.zh()) && synonyms.contains(&column.en()));
            for name in synonyms {
                assert!(names.insert(*name), "{name} names two columns");
            }
        }
    }

    #[test]
    fn an_expiry_column_sets_each_new_box_s_expiry_and_a_bad_date_refuses_its_row() {
        use crate::store::{Actor, StoreOptions};
        use chrono::NaiveDate;
        for header in ["合同到期日", "到期日", "expiry", "Expires"] {
            assert_eq!(
                Column::from_header(header),
                Some(Column::Expiry),
                "{header}"
            );
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(dir.path(), StoreOptions::default()).expect("store");
        let options = ImportOptions {
            encoding: Encoding::Auto,
            schemes: &[],
            actor: Actor::new("import"),
            progress: &|_| {},
        };
        let ledger = "档案号,题名,客户名称,位置,合同到期日\n\
             E-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层,2027-06-30\n\
             E-2,抵押资料,华南电力,1号库房/05列/A面/3节/4层,2028年1月5日\n\
             E-3,担保资料,东方机械,1号库房/05列/A面/3节/4层,\n\
             E-4,授信资料,南方纺织,1号库房/05列/A面/3节/4层,明年\n";
        let report = import(&store, ledger.as_bytes(), &options).expect("import");
        assert_eq!(report.created, 3);
        // The bad date: its row (line 5), its code naming the column; the box not made.
        assert_eq!(report.bad_rows.len(), 1, "{:?}", report.bad_rows);
        let bad = &report.bad_rows[0];
        assert_eq!((bad.line, bad.reason.code), (5, Code::LedgerBadDate));
        assert!(bad.reason.text.zh.contains("合同到期日"), "{}", bad.reason);
        assert!(store.box_by_archive_no("E-4").expect("read").is_none());
        let expiry = |number: &str| {
            let archive_box = store
                .box_by_archive_no(number)
                .expect("read")
                .expect("the box");
            let expiry = store.box_contents(&archive_box).expect("contents").expiry;
            (archive_box.barcode, expiry)
        };
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("a date");
        let (e1, first) = expiry("E-1");
        let (e2, second) = expiry("E-2");
        assert_eq!(first, Some(day(2027, 6, 30)));
        assert_eq!(second, Some(day(2028, 1, 5)));
        assert_eq!(expiry("E-3").1, None);
        // Set as the contents API sets it: indexed for reminders, and in the box's history.
        assert!(store.box_expiry_indexed(day(2027, 6, 30), e1));
        assert!(store.box_expiry_indexed(day(2028, 1, 5), e2));
        let kinds: Vec<_> = store
            .history(e1)
            .expect("history")
            .into_iter()
            .map(|event| event.body.kind)
            .collect();
        assert!(
            kinds.contains(&crate::event::EventKind::ExpirySet),
            "{kinds:?}"
        );

        // The same ledger again changes nothing: no event, every good row unchanged.
        let head = store.head();
        let again = import(&store, ledger.as_bytes(), &options).expect("again");
        assert_eq!((again.created, again.unchanged), (0, 3));
        assert!(again.differing.is_empty(), "{:?}", again.differing);
        assert_eq!(store.head(), head);
        // Another date for an existing box is reported, never written.
        let other = "档案号,题名,客户名称,位置,到期日\n\
             E-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层,2029-01-01\n";
        let differs = import(&store, other.as_bytes(), &options).expect("other");
        assert_eq!(differs.differing.len(), 1, "{:?}", differs.differing);
        assert_eq!(differs.differing[0].fields, ["合同到期日/expiry"]);
        assert_eq!(expiry("E-1").1, Some(day(2027, 6, 30)));
        assert_eq!(store.head(), head);
    }

    #[test]
    fn an_exported_ledger_carries_the_expiry_dates_and_imports_as_it_was() {
        use crate::store::{Actor, StoreOptions};
        let options = ImportOptions {
            encoding: Encoding::Auto,
            schemes: &[],
            actor: Actor::new("import"),
            progress: &|_| {},
        };
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Store::open(&dir.path().join("a"), StoreOptions::default()).expect("store");
        let ledger = "档案号,题名,客户名称,位置,合同到期日\n\
             E-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层,2027-06-30\n\
             E-2,抵押资料,华南电力,1号库房/05列/A面/3节/4层,\n\
             E-3,担保资料,东方机械,,2028年1月5日\n";
        let report = import(&store, ledger.as_bytes(), &options).expect("import");
        assert_eq!(report.created, 3, "{:?}", report.bad_rows);
        let mut csv = Vec::new();
        assert_eq!(export_csv(&store, &mut csv).expect("export"), 3);
        let text = String::from_utf8(csv.clone()).expect("UTF-8");
        let header = text.lines().next().expect("a header");
        assert!(header.ends_with(",位置,合同到期日,权证数,条码"), "{header}");
        let expiry_of = |number: &str| {
            text.lines()
                .find(|line| line.starts_with(&format!("{number},")))
                .and_then(|line| line.split(',').nth(7))
                .map(str::to_owned)
        };
        assert_eq!(expiry_of("E-1").as_deref(), Some("2027-06-30"), "{text}");
        assert_eq!(expiry_of("E-2").as_deref(), Some(""), "{text}");
        assert_eq!(expiry_of("E-3").as_deref(), Some("2028-01-05"), "{text}");

        // Into the same store, CSV or XLSX: nothing changes, nothing differs.
        let head = store.head();
        let xlsx = export_xlsx(&store).expect("xlsx");
        for bytes in [&csv, &xlsx] {
            let again = import(&store, bytes, &options).expect("again");
            assert_eq!((again.created, again.unchanged), (0, 3));
            assert!(again.differing.is_empty(), "{:?}", again.differing);
            assert!(again.bad_rows.is_empty(), "{:?}", again.bad_rows);
            assert_eq!(store.head(), head);
        }

        // Into an empty store: the same boxes with the same dates, exported alike.
        let copy = Store::open(&dir.path().join("b"), StoreOptions::default()).expect("store");
        let report = import(&copy, &csv, &options).expect("import");
        assert_eq!(report.created, 3, "{:?}", report.bad_rows);
        let mut copied = Vec::new();
        export_csv(&copy, &mut copied).expect("export");
        assert_eq!(String::from_utf8(copied).expect("UTF-8"), text);
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
