//! The archive's things and their rules: boxes, certificates, locations, people, loans
//! and handovers, with the text fields checked the way clerks type them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::barcode::Barcode;
use crate::message::StoredMessage;

/// Longest title, customer or other descriptive text accepted, in characters.
pub const MAX_TEXT_CHARS: usize = 200;

/// Milliseconds since the Unix epoch, UTC.
pub type Millis = i64;

/// How long a box must be kept (保管期限).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Retention {
    /// Kept for ever (永久).
    Permanent,
    /// Kept for this many years (e.g. 30年).
    Years(u16),
}

impl Retention {
    /// Parses `永久`, `长期`, `permanent`, `30年`, `30 years`, `30y` or `30`.
    pub fn parse(text: &str) -> Option<Retention> {
        let text = text.trim();
        let lower = text.to_ascii_lowercase();
        if matches!(text, "永久" | "长期") || lower == "permanent" {
            return Some(Retention::Permanent);
        }
        let digits = ["年", "years", "year", "y"]
            .iter()
            .find_map(|suffix| lower.strip_suffix(suffix))
            .unwrap_or(&lower)
            .trim();
        match digits.parse::<u16>() {
            Ok(years) if (1..=999).contains(&years) => Some(Retention::Years(years)),
            _ => None,
        }
    }

    /// The ledger's spelling: `永久` or `30年`.
    pub fn to_text(self) -> String {
        match self {
            Retention::Permanent => "永久".to_owned(),
            Retention::Years(years) => format!("{years}年"),
        }
    }
}

/// One line of a contents checklist: a document and its page count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChecklistEntry {
    /// Document name.
    pub name: String,
    /// Number of pages.
    pub pages: u32,
}

/// Where a box or certificate stands in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ItemStatus {
    /// Registered, label printed, not yet shelved.
    Registered,
    /// On a shelf (or, for a certificate, in a safe).
    Stored,
    /// At the counter, waiting to be re-shelved.
    AtCounter,
    /// Lent out.
    OnLoan,
    /// In a handover between officers and the archivist.
    InHandover,
    /// Expected somewhere and not found at a stock-take.
    Missing,
}

impl ItemStatus {
    /// Bilingual name for people.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            ItemStatus::Registered => ("已登记", "registered"),
            ItemStatus::Stored => ("在架", "stored"),
            ItemStatus::AtCounter => ("待上架", "at counter"),
            ItemStatus::OnLoan => ("借出", "on loan"),
            ItemStatus::InHandover => ("移交中", "in handover"),
            ItemStatus::Missing => ("缺失", "missing"),
        }
    }
}

/// A kraft-paper archive box: one customer or project (一户一档).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ArchiveBox {
    /// The system barcode on its label.
    pub barcode: Barcode,
    /// The human archive number (档案号).
    pub archive_no: String,
    /// Title (题名).
    pub title: String,
    /// Customer or project name (客户名称).
    pub customer: String,
    /// Category (类别).
    pub category: String,
    /// Year (年度).
    pub year: Option<u16>,
    /// Retention period (保管期限).
    pub retention: Option<Retention>,
    /// This box's number within its series (box n of m).
    pub box_no: u16,
    /// How many boxes the series has.
    pub box_count: u16,
    /// What the box holds.
    pub checklist: Vec<ChecklistEntry>,
    /// The shelf the box belongs on.
    pub home: Option<Barcode>,
    /// Where the box is now (a location; none while on loan).
    pub place: Option<Barcode>,
    /// Current status.
    pub status: ItemStatus,
}

/// The kind of an ownership certificate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CertificateKind {
    /// 不动产权证 (real-estate title).
    RealEstate,
    /// 他项权证 (mortgage registration).
    Mortgage,
    /// 动产抵押登记 (chattel mortgage registration).
    ChattelMortgage,
    /// 股权出质登记 (equity pledge registration).
    EquityPledge,
    /// Anything else, named.
    Other(String),
}

impl CertificateKind {
    /// Parses the Chinese or English name.
    pub fn parse(text: &str) -> CertificateKind {
        match text.trim() {
            "不动产权证" | "real_estate" => CertificateKind::RealEstate,
            "他项权证" | "mortgage" => CertificateKind::Mortgage,
            "动产抵押登记" | "chattel_mortgage" => CertificateKind::ChattelMortgage,
            "股权出质登记" | "equity_pledge" => CertificateKind::EquityPledge,
            other => CertificateKind::Other(other.to_owned()),
        }
    }

    /// The Chinese name.
    pub fn to_text(&self) -> &str {
        match self {
            CertificateKind::RealEstate => "不动产权证",
            CertificateKind::Mortgage => "他项权证",
            CertificateKind::ChattelMortgage => "动产抵押登记",
            CertificateKind::EquityPledge => "股权出质登记",
            CertificateKind::Other(name) => name,
        }
    }
}

/// An original ownership certificate (权证), kept in a safe.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Certificate {
    /// The system barcode on its folder.
    pub barcode: Barcode,
    /// Kind of certificate.
    pub kind: CertificateKind,
    /// The number printed on the certificate itself.
    pub number: String,
    /// The archive number of the project it belongs to (the box's number).
    pub archive_no: String,
    /// The box of that project, when registered.
    pub box_barcode: Option<Barcode>,
    /// The safe it is in, if any.
    pub place: Option<Barcode>,
    /// Current status.
    pub status: ItemStatus,
}

/// What a location is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LocationKind {
    /// A store room (库房).
    Room,
    /// A rack of a mobile shelving system (列).
    Rack,
    /// One face of a rack (A面 / B面).
    Side,
    /// A section of a face (节).
    Section,
    /// A shelf (层): boxes stand here.
    Shelf,
    /// A safe: the only place for certificates.
    Safe,
    /// A counter where boxes wait to be lent or shelved.
    Counter,
    /// A drawer of a safe: a place for certificates, like the safe itself.
    Drawer,
}

impl LocationKind {
    /// Whether boxes or certificates can be put here directly.
    pub fn holds_items(self) -> bool {
        matches!(
            self,
            LocationKind::Shelf | LocationKind::Safe | LocationKind::Counter | LocationKind::Drawer
        )
    }

    /// Whether certificates may be kept here: a safe or one of its drawers.
    pub fn keeps_certificates(self) -> bool {
        matches!(self, LocationKind::Safe | LocationKind::Drawer)
    }
}

/// A place in the archive, with its barcode and human path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The barcode on its label.
    pub barcode: Barcode,
    /// What it is.
    pub kind: LocationKind,
    /// Its own name, e.g. `4层`.
    pub name: String,
    /// The location that contains it.
    pub parent: Option<Barcode>,
    /// Full human path, e.g. `1号库房/05列/A面/3节/4层`.
    pub path: String,
    /// How many boxes fit, if known.
    pub capacity: Option<u32>,
    /// For a rack: mobile dense shelving (密集架), whose aisles are opened one at a time;
    /// false for a fixed rack and for every other kind.
    pub mobile: bool,
    /// Taken out of use once empty: nothing can be put here any more; its history stays.
    pub retired: bool,
}

/// A person's role in the archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Role {
    /// Counter clerk or shelver.
    Clerk,
    /// Approves loans, owns the safe.
    Supervisor,
    /// Sets schemes, locations, people, devices.
    Admin,
}

/// Someone with a badge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    /// The barcode on the badge.
    pub barcode: Barcode,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Executives may borrow without a supervisor's approval.
    pub borrow_directly: bool,
}

/// A loan of a box (借阅).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    /// Loan number.
    pub id: u64,
    /// The box lent.
    pub item: Barcode,
    /// Who has it.
    pub borrower: Barcode,
    /// Who approved it (none for executives who borrow directly).
    pub approver: Option<Barcode>,
    /// When it left.
    pub out_at: Millis,
    /// When it is due back.
    pub due: NaiveDate,
    /// When it came back.
    pub returned_at: Option<Millis>,
    /// Whether it was taken back (UNDO) rather than returned.
    pub cancelled: bool,
}

/// A supervisor's approval for someone to borrow, recorded ahead of the checkout.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoanApproval {
    /// Who may borrow.
    pub borrower: Barcode,
    /// The supervisor who approved.
    pub approver: Barcode,
    /// When it was granted.
    pub granted_at: Millis,
    /// The last day it may be used.
    pub valid_until: NaiveDate,
}

/// A step of the handover chain after a loan is disbursed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum HandoverStage {
    /// Project officer A to officer B (3 working days).
    OfficerToOfficer,
    /// Officer B to the archivist (2 more working days).
    OfficerToArchivist,
}

/// Documents handed from one person to another, confirmed by the receiver.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    /// Handover number.
    pub id: u64,
    /// Which step of the chain.
    pub stage: HandoverStage,
    /// The boxes and certificates handed over.
    pub items: Vec<Barcode>,
    /// Who hands over.
    pub from: Barcode,
    /// Who receives.
    pub to: Barcode,
    /// What is handed over, page by page.
    pub checklist: Vec<ChecklistEntry>,
    /// When the handover was started.
    pub created_at: Millis,
    /// The day it must be confirmed by.
    pub deadline: NaiveDate,
    /// When the receiver confirmed it.
    pub confirmed_at: Option<Millis>,
    /// Items found missing, to go back to the sender.
    pub missing: Vec<String>,
}

/// Anything that has a system barcode and a record in the store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Item {
    /// An archive box.
    Box(ArchiveBox),
    /// A certificate.
    Certificate(Certificate),
    /// A location.
    Location(Location),
    /// A person.
    Person(Person),
}

impl Item {
    /// The item's barcode.
    pub fn barcode(&self) -> Barcode {
        match self {
            Item::Box(item) => item.barcode,
            Item::Certificate(item) => item.barcode,
            Item::Location(item) => item.barcode,
            Item::Person(item) => item.barcode,
        }
    }
}

/// Why a text field was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FieldError {
    /// A required field is empty.
    Empty {
        /// Field name, Chinese.
        field_zh: &'static str,
        /// Field name, English.
        field_en: &'static str,
    },
    /// The field is longer than [`MAX_TEXT_CHARS`].
    TooLong {
        /// Field name, Chinese.
        field_zh: &'static str,
        /// Field name, English.
        field_en: &'static str,
    },
    /// The field contains a control character.
    Control {
        /// Field name, Chinese.
        field_zh: &'static str,
        /// Field name, English.
        field_en: &'static str,
    },
}

impl FieldError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match *self {
            FieldError::Empty { field_zh, field_en } => {
                message!(FieldEmpty, field = (field_zh, field_en))
            }
            FieldError::TooLong { field_zh, field_en } => {
                message!(
                    FieldTooLong,
                    field = (field_zh, field_en),
                    max = MAX_TEXT_CHARS
                )
            }
            FieldError::Control { field_zh, field_en } => {
                message!(FieldControl, field = (field_zh, field_en))
            }
        }
    }
}

crate::message::display_by_message!(FieldError);

/// Trims a descriptive field and checks its length and characters.
pub fn check_text(
    text: &str,
    field_zh: &'static str,
    field_en: &'static str,
    required: bool,
) -> Result<String, FieldError> {
    let text = text.trim();
    if required && text.is_empty() {
        return Err(FieldError::Empty { field_zh, field_en });
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(FieldError::TooLong { field_zh, field_en });
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::Control { field_zh, field_en });
    }
    Ok(text.to_owned())
}

/// The key customers are searched by: trimmed, inner whitespace removed, ASCII lower-cased.
pub fn customer_key(customer: &str) -> String {
    customer
        .chars()
        .filter(|ch| !ch.is_whitespace())
        .map(|ch| ch.to_ascii_lowercase())
        .collect()
}

/// The order a person walks the archive in: a location path compared level by level
/// (room, then rack, side, section, shelf), each level in natural order, so `2号库房` comes
/// before `10号库房`, `05列` before `12列` and `A面` before `B面`. Works for any path, not
/// only the five-level shelf paths: safes and counters sort among their neighbours by name.
/// Shelf labels, pick lists and the rack map all sort by it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct WalkingOrder(Vec<Vec<WalkChunk>>);

/// One run of a path segment in [`WalkingOrder`]: numbers compare as numbers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum WalkChunk {
    Number(u64),
    Text(String),
}

impl WalkingOrder {
    /// The walking order of `path` (segments separated by `/`).
    pub fn of(path: &str) -> WalkingOrder {
        WalkingOrder(
            path.split('/')
                .map(|segment| {
                    let mut chunks = Vec::new();
                    let mut digits = String::new();
                    let mut text = String::new();
                    for ch in segment.trim().chars() {
                        if ch.is_ascii_digit() {
                            if !text.is_empty() {
                                chunks.push(WalkChunk::Text(std::mem::take(&mut text)));
                            }
                            digits.push(ch);
                        } else {
                            if !digits.is_empty() {
                                chunks.push(number_chunk(&std::mem::take(&mut digits)));
                            }
                            text.push(ch);
                        }
                    }
                    if !digits.is_empty() {
                        chunks.push(number_chunk(&digits));
                    }
                    if !text.is_empty() {
                        chunks.push(WalkChunk::Text(text));
                    }
                    chunks
                })
                .collect(),
        )
    }
}

/// A run of ASCII digits as a number (a run too long for u64 compares as text).
fn number_chunk(digits: &str) -> WalkChunk {
    digits
        .parse()
        .map_or_else(|_| WalkChunk::Text(digits.to_owned()), WalkChunk::Number)
}

/// A shelf path split into the five levels of the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShelfPath {
    /// Room name, e.g. `1号库房`.
    pub room: String,
    /// Rack number (列).
    pub rack: u32,
    /// Face letter (面).
    pub side: char,
    /// Section number (节).
    pub section: u32,
    /// Shelf number (层).
    pub shelf: u32,
}

/// Why a location path does not fit the hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathError {
    /// Not five levels.
    Levels {
        /// The path as given.
        path: String,
    },
    /// One level is not of its expected form.
    Segment {
        /// The path as given.
        path: String,
        /// 1-based level.
        level: usize,
        /// The offending segment.
        segment: String,
        /// An example of the expected form.
        expected: &'static str,
    },
}

impl PathError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            PathError::Levels { path } => message!(
                PathLevels,
                path = format!("{path:?}"),
                example = "1号库房/05列/A面/3节/4层"
            ),
            PathError::Segment {
                path,
                level,
                segment,
                expected,
            } => message!(
                PathSegment,
                path = format!("{path:?}"),
                level = level,
                segment = format!("{segment:?}"),
                expected = *expected
            ),
        }
    }
}

crate::message::display_by_message!(PathError);

fn number_with_suffix(segment: &str, suffix: &str) -> Option<u32> {
    let digits = segment.strip_suffix(suffix)?;
    if let Some(number) = chinese_number(digits) {
        return Some(number).filter(|n| *n > 0);
    }
    if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|n| *n > 0)
}

fn chinese_digit(ch: char) -> Option<u32> {
    Some(match ch {
        '〇' | '零' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

fn is_chinese_numeral(ch: char) -> bool {
    ch == '十' || chinese_digit(ch).is_some()
}

/// The value of a Chinese numeral: 〇 to 九十九 with 十 (`十二`, `二十`, `三十五`; 两 is 2),
/// or digit by digit (`一〇五` is 105, at most four digits). `None` for anything else.
pub fn chinese_number(text: &str) -> Option<u32> {
    let chars: Vec<char> = text.chars().collect();
    match chars.iter().position(|ch| *ch == '十') {
        Some(at) => {
            let (before, after) = (chars.get(..at)?, chars.get(at + 1..)?);
            let tens = match before {
                [] => 1,
                [digit] => chinese_digit(*digit).filter(|d| *d > 0)?,
                _ => return None,
            };
            let ones = match after {
                [] => 0,
                [digit] => chinese_digit(*digit).filter(|d| *d > 0)?,
                _ => return None,
            };
            Some(tens * 10 + ones)
        }
        None if !chars.is_empty() && chars.len() <= 4 => chars
            .iter()
            .try_fold(0u32, |n, ch| Some(n * 10 + chinese_digit(*ch)?)),
        None => None,
    }
}

/// A room's name with its Chinese numerals in Arabic digits: a numeral directly before 号
/// or directly after 第 (`一号库房` → `1号库房`, `第十二档案室` → `第12档案室`); other
/// characters, even numerals (`统一库房`), stay as they are.
pub fn arabic_numerals(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut at = 0;
    while let Some(ch) = chars.get(at) {
        if !is_chinese_numeral(*ch) {
            out.push(*ch);
            at += 1;
            continue;
        }
        let end = chars
            .iter()
            .skip(at)
            .position(|ch| !is_chinese_numeral(*ch))
            .map_or(chars.len(), |len| at + len);
        let run: String = chars.get(at..end).unwrap_or_default().iter().collect();
        let after_di = at > 0 && chars.get(at - 1) == Some(&'第');
        let before_hao = chars.get(end) == Some(&'号');
        match chinese_number(&run) {
            Some(number) if after_di || before_hao => out.push_str(&number.to_string()),
            _ => out.push_str(&run),
        }
        at = end;
    }
    out
}

impl ShelfPath {
    /// Parses `1号库房/05列/A面/3节/4层` (spaces around `/` allowed; `5列` and `05列` are
    /// the same rack). Chinese numerals are the same numbers: `一号库房/五列/A面/三节/四层`
    /// is that same shelf (see [`chinese_number`] and [`arabic_numerals`]).
    pub fn parse(path: &str) -> Result<ShelfPath, PathError> {
        let segments: Vec<&str> = path.split('/').map(str::trim).collect();
        let [room, rack, side, section, shelf] = segments.as_slice() else {
            return Err(PathError::Levels {
                path: path.to_owned(),
            });
        };
        let bad = |level: usize, segment: &str, expected: &'static str| PathError::Segment {
            path: path.to_owned(),
            level,
            segment: segment.to_owned(),
            expected,
        };
        if room.is_empty() || room.chars().count() > 32 || room.chars().any(char::is_control) {
            return Err(bad(1, room, "1号库房"));
        }
        let room = arabic_numerals(room);
        let rack_no = number_with_suffix(rack, "列").ok_or_else(|| bad(2, rack, "05列"))?;
        let side_letter = match side
            .strip_suffix('面')
            .map(|s| s.chars().collect::<Vec<_>>())
        {
            Some(letters) if letters.len() == 1 && letters[0].is_ascii_alphabetic() => {
                letters[0].to_ascii_uppercase()
            }
            _ => return Err(bad(3, side, "A面")),
        };
        let section_no = number_with_suffix(section, "节").ok_or_else(|| bad(4, section, "3节"))?;
        let shelf_no = number_with_suffix(shelf, "层").ok_or_else(|| bad(5, shelf, "4层"))?;
        Ok(ShelfPath {
            room,
            rack: rack_no,
            side: side_letter,
            section: section_no,
            shelf: shelf_no,
        })
    }

    /// The levels from the room down, each as (kind, name, full path so far).
    pub fn levels(&self) -> Vec<(LocationKind, String, String)> {
        let levels = [
            (LocationKind::Room, self.room.clone()),
            (LocationKind::Rack, format!("{:02}列", self.rack)),
            (LocationKind::Side, format!("{}面", self.side)),
            (LocationKind::Section, format!("{}节", self.section)),
            (LocationKind::Shelf, format!("{}层", self.shelf)),
        ];
        let mut path = String::new();
        let mut out = Vec::with_capacity(levels.len());
        for (kind, name) in levels {
            if !path.is_empty() {
                path.push('/');
            }
            path.push_str(&name);
            out.push((kind, name, path.clone()));
        }
        out
    }

    /// The canonical full path.
    pub fn canonical(&self) -> String {
        format!(
            "{}/{:02}列/{}面/{}节/{}层",
            self.room, self.rack, self.side, self.section, self.shelf
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retention_spellings() {
        assert_eq!(Retention::parse("永久"), Some(Retention::Permanent));
        assert_eq!(Retention::parse("Permanent"), Some(Retention::Permanent));
        assert_eq!(Retention::parse("30年"), Some(Retention::Years(30)));
        assert_eq!(Retention::parse("10 years"), Some(Retention::Years(10)));
        assert_eq!(Retention::parse("10"), Some(Retention::Years(10)));
        assert_eq!(Retention::parse("十年"), None);
        assert_eq!(Retention::parse("0年"), None);
        assert_eq!(Retention::Years(30).to_text(), "30年");
    }

    #[test]
    fn shelf_paths_parse_to_canonical_form() {
        let path = ShelfPath::parse("1号库房 / 5列/a面/3节/4层").expect("valid");
        assert_eq!(path.canonical(), "1号库房/05列/A面/3节/4层");
        assert_eq!(path.levels()[1].2, "1号库房/05列");
        assert_eq!(
            ShelfPath::parse("1号库房/05列/A面/3节/4层").map(|p| p.canonical()),
            Ok("1号库房/05列/A面/3节/4层".to_owned())
        );
    }

    #[test]
    fn paths_sort_in_the_order_a_person_walks() {
        let mut paths = vec![
            "10号库房/01列/A面/1节/1层",
            "2号库房/12列/A面/1节/1层",
            "2号库房/02列/B面/1节/1层",
            "2号库房/02列/A面/10节/1层",
            "2号库房/02列/A面/2节/3层",
            "2号库房/02列/A面/2节/12层",
            "2号库房/02列",
            "2号库房/保险柜1",
            "2号库房",
        ];
        paths.sort_by_key(|path| WalkingOrder::of(path));
        assert_eq!(
            paths,
            [
                "2号库房",
                "2号库房/02列",
                "2号库房/02列/A面/2节/3层",
                "2号库房/02列/A面/2节/12层",
                "2号库房/02列/A面/10节/1层",
                "2号库房/02列/B面/1节/1层",
                "2号库房/12列/A面/1节/1层",
                "2号库房/保险柜1",
                "10号库房/01列/A面/1节/1层",
            ]
        );
    }

    #[test]
    fn chinese_numerals_are_the_same_numbers() {
        let numbers = [
            ("一", 1),
            ("两", 2),
            ("九", 9),
            ("十", 10),
            ("十二", 12),
            ("二十", 20),
            ("九十九", 99),
            ("〇", 0),
            ("一〇五", 105),
        ];
        for (text, number) in numbers {
            assert_eq!(chinese_number(text), Some(number), "{text}");
        }
        for text in ["", "百", "十十", "二十二十", "〇十", "一二三四五", "1"] {
            assert_eq!(chinese_number(text), None, "{text}");
        }
        assert_eq!(arabic_numerals("一号库房"), "1号库房");
        assert_eq!(arabic_numerals("二十三号库房"), "23号库房");
        assert_eq!(arabic_numerals("第两档案室"), "第2档案室");
        assert_eq!(arabic_numerals("统一库房"), "统一库房");
        assert_eq!(arabic_numerals("1号库房"), "1号库房");
    }

    #[test]
    fn shelf_paths_with_chinese_numerals_are_the_same_shelf() {
        let canonical = Ok("1号库房/05列/A面/3节/4层".to_owned());
        for path in [
            "一号库房/05列/A面/3节/4层",
            "1号库房/五列/A面/三节/四层",
            "一号库房 / 〇五列 / a面 / 三节 / 四层",
        ] {
            assert_eq!(ShelfPath::parse(path).map(|p| p.canonical()), canonical);
        }
        assert_eq!(
            ShelfPath::parse("十二号库房/十二列/B面/两节/十层").map(|p| p.canonical()),
            Ok("12号库房/12列/B面/2节/10层".to_owned())
        );
        assert!(matches!(
            ShelfPath::parse("1号库房/零列/A面/3节/4层"),
            Err(PathError::Segment { level: 2, .. })
        ));
    }

    #[test]
    fn shelf_paths_that_do_not_fit_say_which_level() {
        assert!(matches!(
            ShelfPath::parse("1号库房/05列/A面"),
            Err(PathError::Levels { .. })
        ));
        assert!(matches!(
            ShelfPath::parse("1号库房/05排/A面/3节/4层"),
            Err(PathError::Segment { level: 2, .. })
        ));
        assert!(matches!(
            ShelfPath::parse("1号库房/05列/AB面/3节/4层"),
            Err(PathError::Segment { level: 3, .. })
        ));
        assert!(matches!(
            ShelfPath::parse("1号库房/05列/A面/节/4层"),
            Err(PathError::Segment { level: 4, .. })
        ));
        assert!(matches!(
            ShelfPath::parse("1号库房/05列/A面/3节/0层"),
            Err(PathError::Segment { level: 5, .. })
        ));
        assert!(matches!(
            ShelfPath::parse("/05列/A面/3节/4层"),
            Err(PathError::Segment { level: 1, .. })
        ));
    }

    #[test]
    fn text_fields_are_trimmed_and_bounded() {
        assert_eq!(
            check_text("  鸿达 ", "客户名称", "customer", true),
            Ok("鸿达".into())
        );
        assert!(check_text("", "客户名称", "customer", true).is_err());
        assert_eq!(check_text("", "类别", "category", false), Ok(String::new()));
        assert!(check_text(&"字".repeat(201), "题名", "title", true).is_err());
        assert!(check_text("a\tb", "题名", "title", true).is_err());
    }

    #[test]
    fn customer_keys_ignore_case_and_spaces() {
        assert_eq!(customer_key(" Hong Da 贸易 "), "hongda贸易");
    }
}

/// The bytes a printer is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PrintFormat {
    /// ZPL II for thermal printers.
    Zpl,
    /// PDF for office printers and archived copies.
    Pdf,
}

/// Where a print job stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PrintState {
    /// Waiting to be sent (again).
    Pending,
    /// Sent to the printer.
    Printed {
        /// When.
        at: Millis,
    },
    /// Cancelled by a person.
    Cancelled {
        /// When.
        at: Millis,
        /// Why.
        reason: String,
    },
}

/// A label waiting for, or done with, its printer. Kept in the store, so jobs survive a
/// restart and are never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintJob {
    /// Job number.
    pub id: u64,
    /// The configured printer's name.
    pub printer: String,
    /// What the label is for (e.g. the item's barcode, or `command cards`).
    pub subject: String,
    /// The rendered bytes.
    pub format: PrintFormat,
    /// ZPL or PDF, as rendered (and read back) when queued.
    pub payload: Vec<u8>,
    /// When it was queued.
    pub queued_at: Millis,
    /// Attempts so far.
    pub attempts: u32,
    /// When the next attempt is due.
    pub next_attempt_at: Millis,
    /// Why the last attempt failed: its catalog code and text in both languages.
    pub last_error: Option<StoredMessage>,
    /// The job this one reprints, with the reason given.
    pub reprint: Option<(u64, String)>,
    /// Where it stands.
    pub state: PrintState,
    /// Deliveries begun, each recorded before its bytes go out. More than the recorded
    /// outcomes ([`attempts`](Self::attempts)) plus the one under way means an earlier
    /// delivery was interrupted (the station stopped mid-delivery): the next one is a
    /// re-delivery, and may print the label a second time on a TCP or serial printer.
    pub deliveries: u32,
}

impl PrintJob {
    /// The barcodes of the items this job labels (its subject: one barcode, or several
    /// separated by commas for a PDF of several labels), boxes, certificates and
    /// locations only: the job's events are in their histories.
    pub fn labelled_items(&self) -> Vec<Barcode> {
        labelled_items(&self.subject)
    }
}

/// The items a print job's `subject` names; see [`PrintJob::labelled_items`].
pub fn labelled_items(subject: &str) -> Vec<Barcode> {
    let mut items: Vec<Barcode> = Vec::new();
    for part in subject.split(',') {
        if let Ok(barcode) = Barcode::parse(part) {
            let item = matches!(
                barcode.kind(),
                crate::barcode::Kind::Box
                    | crate::barcode::Kind::Certificate
                    | crate::barcode::Kind::Location
            );
            if item && !items.contains(&barcode) {
                items.push(barcode);
            }
        }
    }
    items
}

/// An API token: it belongs to a person and acts with that person's role. Only the
/// SHA-256 of its secret is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Token {
    /// Token number.
    pub id: u64,
    /// Whose it is.
    pub person: Barcode,
    /// A note: where or what it is for.
    pub label: String,
    /// When it was created.
    pub created_at: Millis,
    /// When it was revoked.
    pub revoked_at: Option<Millis>,
}
