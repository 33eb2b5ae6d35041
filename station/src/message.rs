//! What the station says to people: a stable machine [`Code`] and the text in Chinese and
//! English ([`Bilingual`]), each half written once in its own language.
//!
//! Every refusal, warning and result of the station is one row of the catalog below: a code
//! (`checkout.needs_approval`), a Chinese template and an English template with the same
//! named `{placeholders}`. A [`Message`] is a code with its templates filled
//! ([`message!`](crate::message!)). Programs and tests match the code; people read the text.
//! Values put into a template are data (a name, a shelf path) and appear as given; words of
//! the language itself come in pairs ([`IntoArg`] for `(zh, en)`), so the English half of
//! a message never contains Chinese that the station wrote.
//!
//! **Invariant:** a code, once published, keeps its meaning; the list is in the OpenAPI
//! document (the `Code` schema) and in ARCHITECTURE.md (checked by a test).

use std::fmt;

use serde::Serialize;

/// A message in both languages, each half in its own language only.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct Bilingual {
    /// Chinese.
    pub zh: String,
    /// English.
    pub en: String,
}

impl Bilingual {
    /// A pair of texts.
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Bilingual {
        Bilingual {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// This text followed by `other`, in each language with its own separator.
    pub fn join(&self, other: &Bilingual) -> Bilingual {
        Bilingual {
            zh: format!("{}；{}", self.zh, other.zh),
            en: format!("{}; {}", self.en, other.en),
        }
    }

    /// Both halves on one line, `中文 / English`, for logs and the command line.
    pub fn joined(&self) -> String {
        format!("{} / {}", self.zh, self.en)
    }
}

/// A message as the store keeps it: its code as published and its text, so that a stored
/// record still reads when the catalog changes (a code retired, a template reworded).
/// Serialized like a [`Message`]: `{"code": …, "text": {"zh": …, "en": …}}`.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, Serialize, serde::Deserialize, schemars::JsonSchema,
)]
pub struct StoredMessage {
    /// The stable machine code, e.g. `printer.connect_failed`.
    pub code: String,
    /// What it said, in Chinese and English.
    pub text: Bilingual,
}

impl From<&Message> for StoredMessage {
    fn from(message: &Message) -> StoredMessage {
        StoredMessage {
            code: message.code.as_str().to_owned(),
            text: message.text.clone(),
        }
    }
}

impl From<Message> for StoredMessage {
    fn from(message: Message) -> StoredMessage {
        StoredMessage::from(&message)
    }
}

/// A value put into a message's template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Data, shown as it is in both languages (a name, a path, a number).
    Same(String),
    /// A word of each language.
    Pair(&'static str, &'static str),
    /// A text of each language, e.g. another message.
    Text(Bilingual),
}

/// What can be put into a template: data (shown as it is in both halves), a `(zh, en)` pair
/// of words, or a [`Bilingual`] text.
pub trait IntoArg {
    /// The value.
    fn into_arg(self) -> Arg;
}

/// Data types, by value and by reference: shown as they are in both halves.
macro_rules! data_args {
    ($($data:ty),* $(,)?) => {
        $(
            impl IntoArg for $data {
                fn into_arg(self) -> Arg {
                    Arg::Same(self.to_string())
                }
            }

            impl IntoArg for &$data {
                fn into_arg(self) -> Arg {
                    Arg::Same(self.to_string())
                }
            }
        )*
    };
}

data_args!(
    String,
    char,
    u16,
    u32,
    u64,
    usize,
    i64,
    chrono::NaiveDate,
    std::io::Error,
);

impl IntoArg for &str {
    fn into_arg(self) -> Arg {
        Arg::Same(self.to_owned())
    }
}

impl IntoArg for (&'static str, &'static str) {
    fn into_arg(self) -> Arg {
        Arg::Pair(self.0, self.1)
    }
}

impl IntoArg for Bilingual {
    fn into_arg(self) -> Arg {
        Arg::Text(self)
    }
}

impl IntoArg for Message {
    fn into_arg(self) -> Arg {
        Arg::Text(self.text)
    }
}

impl IntoArg for &Message {
    fn into_arg(self) -> Arg {
        Arg::Text(self.text.clone())
    }
}

/// A code with its text: one refusal, warning or result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Message {
    /// The stable machine code.
    pub code: Code,
    /// What it says, in Chinese and English.
    pub text: Bilingual,
}

impl Message {
    /// `code`'s templates filled with `args` (`name` → value). A placeholder without a
    /// value stays as written (and fails the catalog's tests).
    pub fn fill(code: Code, args: &[(&str, Arg)]) -> Message {
        let (zh, en) = code.templates();
        Message {
            code,
            text: Bilingual {
                zh: fill(zh, args, |arg| match arg {
                    Arg::Same(text) => text,
                    Arg::Pair(zh, _) => zh,
                    Arg::Text(text) => &text.zh,
                }),
                en: fill(en, args, |arg| match arg {
                    Arg::Same(text) => text,
                    Arg::Pair(_, en) => en,
                    Arg::Text(text) => &text.en,
                }),
            },
        }
    }

    /// This message's text followed by `other`'s, under this message's code.
    pub fn join(mut self, other: &Message) -> Message {
        self.text = self.text.join(&other.text);
        self
    }

    /// The same text under another code (a result whose most important part is `code`).
    pub fn recode(mut self, code: Code) -> Message {
        self.code = code;
        self
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text.joined())
    }
}

/// One pass over `template`: `{name}` is replaced by its value in `args` (`{{` and `}}`
/// stand for braces); the values are never scanned again, so data that looks like a
/// placeholder stays as it is.
fn fill(template: &str, args: &[(&str, Arg)], half: impl Fn(&Arg) -> &str) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut rest = template;
    while let Some(at) = rest.find(['{', '}']) {
        out.push_str(&rest[..at]);
        let brace = &rest[at..];
        if let Some(after) = brace
            .strip_prefix("{{")
            .or_else(|| brace.strip_prefix("}}"))
        {
            out.push_str(&brace[..1]);
            rest = after;
            continue;
        }
        let name_and_rest = &brace[1..];
        match (brace.starts_with('{'), name_and_rest.find('}')) {
            (true, Some(close)) => {
                let name = &name_and_rest[..close];
                match args.iter().find(|(arg, _)| *arg == name) {
                    Some((_, value)) => out.push_str(half(value)),
                    None => out.push_str(&brace[..close + 2]),
                }
                rest = &name_and_rest[close + 1..];
            }
            _ => {
                out.push_str(&brace[..1]);
                rest = name_and_rest;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Builds a [`Message`]: `message!(LoanOnLoan, item = barcode, borrower = name)`.
#[macro_export]
macro_rules! message {
    ($code:ident $(, $name:ident = $value:expr)* $(,)?) => {
        $crate::message::Message::fill(
            $crate::message::Code::$code,
            &[$((stringify!($name), $crate::message::IntoArg::into_arg($value))),*],
        )
    };
}

/// Implements `Display` (both halves, `中文 / English`, for logs and the command line) and
/// `std::error::Error` for an error type with a `message()` method.
macro_rules! display_by_message {
    ($($error:ty),* $(,)?) => {
        $(
            impl std::fmt::Display for $error {
                fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    std::fmt::Display::fmt(&self.message(), f)
                }
            }

            impl std::error::Error for $error {}
        )*
    };
}
pub(crate) use display_by_message;

macro_rules! catalog {
    ($( $variant:ident = $code:literal { $zh:literal, $en:literal } )*) => {
        /// Every message the station can give, by its stable code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Code {
            $(
                #[doc = $en]
                $variant,
            )*
        }

        impl Code {
            /// Every code, in catalog order.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The code as published, e.g. `checkout.needs_approval`.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }

            /// The Chinese and English templates.
            pub const fn templates(self) -> (&'static str, &'static str) {
                match self {
                    $(Code::$variant => ($zh, $en),)*
                }
            }
        }
    };
}

impl Code {
    /// The message of a code whose templates have no placeholders.
    pub fn message(self) -> Message {
        Message::fill(self, &[])
    }

    /// The code of a published name.
    pub fn parse(text: &str) -> Option<Code> {
        Code::ALL.iter().copied().find(|code| code.as_str() == text)
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for Code {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Code".into()
    }

    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let codes: Vec<&str> = Code::ALL.iter().map(|code| code.as_str()).collect();
        schemars::json_schema!({
            "description": "A stable machine code; the list is in ARCHITECTURE.md.",
            "type": "string",
            "enum": codes,
        })
    }
}

catalog! {
    // The store's health: not the caller's fault, never a rule.
    StoreLocked = "store.locked" {
        "数据目录 {path} 正被另一个 station 进程使用{holder}",
        "data directory {path} is in use by another station process{holder}"
    }
    StoreSchemaTooNew = "store.schema_too_new" {
        "数据目录 {path} 的格式版本为 {found}，本程序只支持 {supported}：请升级 station",
        "data directory {path} has schema version {found}; this build supports {supported}: upgrade station"
    }
    StoreSchemaUnknown = "store.schema_unknown" {
        "数据目录 {path} 不是可识别的 station 数据库（缺少或损坏的格式版本）",
        "data directory {path} is not a station store this build recognises (schema version missing or unreadable)"
    }
    StoreFailure = "store.failure" {
        "存储错误（{context}）",
        "storage failure ({context})"
    }
    StoreDiskFull = "store.disk_full" {
        "磁盘已满（{context}）：此操作未执行，已确认的数据不受影响；请腾出空间",
        "the disk is full ({context}): this change was not made and nothing acknowledged is affected; free some space"
    }
    StoreIo = "store.io" {
        "文件错误（{context}）：{reason}",
        "file error ({context}): {reason}"
    }
    StoreCorrupt = "store.corrupt" {
        "记录 {key} 已损坏，无法解码",
        "record {key} is damaged and cannot be decoded"
    }
    StoreConflict = "store.conflict" {
        "事务冲突，请重试",
        "transaction conflict, try again"
    }
    StoreOpenToOthers = "store.open_to_others" {
        "数据目录 {path} 的权限为 {mode}，其他用户可以读取整个账本和标签：请运行 {command}",
        "the data directory {path} has mode {mode}: other users can read the whole ledger and the labels; run {command}"
    }
    BackupBadTarget = "backup.bad_target" {
        "备份目录 {path} 不可用：{reason}",
        "backup directory {path} cannot be used: {reason}"
    }
    StoreFamilyTooNew = "store.family_too_new" {
        "数据目录 {path} 中的 {family} 记录为第 {found} 版，本程序只认识到第 {supported} 版：请升级 station",
        "data directory {path} holds {family} records of version {found}; this build knows up to version {supported}: upgrade station"
    }
    StoreNoMigration = "store.no_migration" {
        "本程序缺少把 {family} 记录从第 {from} 版升级的步骤，无法打开数据目录",
        "this build has no step to migrate {family} records from version {from}, so it cannot open the store"
    }
    ChainHashMismatch = "chain.hash_mismatch" {
        "事件 #{seq} 的哈希不符：该事件或其前一事件被修改",
        "event #{seq}: hash mismatch, this event or the one before it was altered"
    }
    ChainGap = "chain.gap" {
        "事件 #{expected} 缺失（下一个是 #{found}）：历史被删除",
        "event #{expected} is missing (next is #{found}): history was removed"
    }
    ChainTruncated = "chain.truncated" {
        "事件日志在 #{last} 结束，但记录的最新事件是 #{head}：末尾事件被删除",
        "the event log ends at #{last} but the recorded head is #{head}: the latest events were removed"
    }
    ChainHeadMismatch = "chain.head_mismatch" {
        "最新事件 #{seq} 的哈希与记录的链头不符",
        "the latest event #{seq} does not match the recorded chain head"
    }
    ChainUndecodable = "chain.undecodable" {
        "事件 #{seq} 无法解码",
        "event #{seq} cannot be decoded"
    }
    EventFormatTooNew = "event.format_too_new" {
        "事件 #{seq} 以格式 {format} 存储，本程序只认识到格式 {supported}：请升级 station",
        "event #{seq} is stored in format {format}; this build knows formats up to {supported}: upgrade station"
    }
    VerifyKeyMismatch = "verify.key_mismatch" {
        "记录 {key} 的条码 {barcode} 与键不符",
        "record {key} holds barcode {barcode}"
    }
    VerifyCustomerIndexMissing = "verify.customer_index_missing" {
        "档案盒 {barcode} 缺少客户索引",
        "box {barcode} is missing from the customer index"
    }
    VerifyLoanStatusMismatch = "verify.loan_status_mismatch" {
        "档案盒 {barcode} 的借出状态与借阅记录不符",
        "box {barcode}: loan status and open-loan index disagree"
    }
    VerifyIndexEntryMissing = "verify.index_entry_missing" {
        "{barcode} 缺少索引项 {key}",
        "{barcode} is missing index entry {key}"
    }
    VerifyContentsUnreadable = "verify.contents_unreadable" {
        "位置内容 {key} 无法解析",
        "location contents {key} cannot be read"
    }
    VerifyListedElsewhere = "verify.listed_elsewhere" {
        "位置 {location} 列有 {item}，但记录不在此处",
        "location {location} lists {item}, whose record is elsewhere"
    }
    VerifyMissingFromContents = "verify.missing_from_contents" {
        "{item} 在 {location}，但位置内容中没有它",
        "{item} is at {location} but missing from its contents"
    }
    VerifyIndexEntryUnreadable = "verify.index_entry_unreadable" {
        "索引项 {key} 无法解析",
        "index entry {key} cannot be read"
    }
    VerifyIndexEntryDisagrees = "verify.index_entry_disagrees" {
        "索引项 {key} 指向不符的记录 {target}",
        "index entry {key} points at a record that disagrees ({target})"
    }
    VerifyOpenLoanMismatch = "verify.open_loan_mismatch" {
        "借阅索引项 {key} 与借阅记录不符",
        "open-loan entry {key} does not match its loan"
    }
    VerifySchemeRecordInvalid = "verify.scheme_record_invalid" {
        "编号方案记录 {key} 无效或与键不符",
        "scheme record {key} is invalid or does not match its key"
    }
    VerifyDeviceRecordInvalid = "verify.device_record_invalid" {
        "设备记录 {key} 无效或与键不符",
        "device record {key} is invalid or does not match its key"
    }
    VerifyEntryMissing = "verify.entry_missing" {
        "记录 {record} 缺少索引项 {key}",
        "record {record} is missing its entry {key}"
    }
    VerifyEntryDangling = "verify.entry_dangling" {
        "索引项 {key} 没有与之相符的记录",
        "entry {key} has no record that agrees with it"
    }
    VerifyTallyWrong = "verify.tally_wrong" {
        "统计 {key} 记为 {stored}，按记录应为 {expected}",
        "tally {key} reads {stored}; the records make it {expected}"
    }
    VerifyRecordMisplaced = "verify.record_misplaced" {
        "记录 {key} 存放的键不对（应为 {expected}）",
        "record {key} is stored under the wrong key (it belongs under {expected})"
    }

    // Barcodes and fields.
    BarcodeEmpty = "barcode.empty" {
        "条码为空",
        "the barcode is empty"
    }
    BarcodeUnknownPrefix = "barcode.unknown_prefix" {
        "未知的条码前缀 {prefix}（应为 B/C/L/P/K）",
        "unknown barcode prefix {prefix} (expected B, C, L, P or K)"
    }
    BarcodeBadLength = "barcode.bad_length" {
        "条码长度为 {found}，应为 {expected}",
        "barcode has {found} characters, expected {expected}"
    }
    BarcodeNotADigit = "barcode.not_a_digit" {
        "条码第 {position} 位 {found} 不是数字",
        "barcode character {position} ({found}) is not a digit"
    }
    BarcodeBadCheckDigit = "barcode.bad_check_digit" {
        "条码校验位错误（误读或输错）",
        "bad check digit in barcode (misread or mistyped)"
    }
    BarcodeSeqOutOfRange = "barcode.seq_out_of_range" {
        "条码序号 {seq} 超出范围",
        "barcode sequence {seq} is out of range"
    }
    FieldEmpty = "field.empty" {
        "{field}不能为空",
        "{field} must not be empty"
    }
    FieldTooLong = "field.too_long" {
        "{field}超过 {max} 个字符",
        "{field} is longer than {max} characters"
    }
    FieldControl = "field.control_character" {
        "{field}含有控制字符",
        "{field} contains a control character"
    }
    PathLevels = "location.path_levels" {
        "位置 {path} 应为 库房/列/面/节/层 五级，例如 {example}",
        "location {path} must have five levels room/rack/side/section/shelf, e.g. {example}"
    }
    PathSegment = "location.path_segment" {
        "位置 {path} 的第 {level} 级 {segment} 应形如 {expected}",
        "level {level} ({segment}) of location {path} should look like {expected}"
    }
    ArchiveNoEmpty = "archive_no.empty" {
        "档案号为空",
        "the archive number is empty"
    }
    ArchiveNoTooLong = "archive_no.too_long" {
        "档案号超过 {max} 个字符",
        "the archive number is longer than {max} characters"
    }
    ArchiveNoControl = "archive_no.control_character" {
        "档案号含有控制字符",
        "the archive number contains a control character"
    }
    SchemeUnclosedBrace = "scheme.unclosed_brace" {
        "编号模板 {template} 的花括号不成对",
        "numbering template {template} has an unclosed brace"
    }
    SchemeUnknownPlaceholder = "scheme.unknown_placeholder" {
        "编号模板 {template} 含未知占位符 {placeholder}（可用 {{year}}、{{seq}}、{{seq:03}}）",
        "numbering template {template} has unknown placeholder {placeholder} (use {{year}}, {{seq}}, {{seq:03}})"
    }
    SchemePlaceholderCount = "scheme.placeholder_count" {
        "编号模板 {template} 必须恰好含一个 {{seq}}，至多一个 {{year}}",
        "numbering template {template} needs exactly one {{seq}} and at most one {{year}}"
    }
    SchemeAmbiguous = "scheme.ambiguous" {
        "编号模板 {template} 中 {{seq}} 后紧跟数字，编号无法唯一解析",
        "numbering template {template} puts digits right after {{seq}}, so numbers cannot be parsed back"
    }
    SchemeBadName = "scheme.bad_name" {
        "编号方案名称 {name} 无效（1–32 个字母、数字、- 或 _）",
        "scheme name {name} is invalid (1–32 letters, digits, - or _)"
    }

    // The archive's rules, as the store enforces them.
    ItemNotRegistered = "item.not_registered" {
        "条码 {barcode} 未登记",
        "barcode {barcode} is not registered"
    }
    ItemWrongKind = "item.wrong_kind" {
        "条码 {barcode} 是{found}，此处需要{expected}",
        "barcode {barcode} is a {found}, expected a {expected}"
    }
    ItemBarcodeTaken = "item.barcode_taken" {
        "条码 {barcode} 已被其他物品使用",
        "barcode {barcode} already belongs to another item"
    }
    BoxArchiveNoExists = "box.archive_no_exists" {
        "档案号 {archive_no} 已存在",
        "archive number {archive_no} already exists"
    }
    LocationExists = "location.exists" {
        "位置 {path} 已存在",
        "location {path} already exists"
    }
    LocationNotARack = "location.not_a_rack" {
        "{path} 不是一列货架：只有一列货架有货架图",
        "{path} is not a rack: only a rack has a rack map"
    }
    LocationNotHolding = "location.not_holding" {
        "{path} 不能直接存放物品（请扫描具体的层、保险柜或柜台）",
        "nothing can be put on {path} directly (use a shelf, safe or counter)"
    }
    LocationWrongParent = "location.wrong_parent" {
        "{kind}“{name}”不能放在{parent} {path} 之下，只能放在{allowed}之下",
        "a {kind} ({name}) cannot stand in {parent} {path}: it belongs in {allowed}"
    }
    LocationNeedsParent = "location.needs_parent" {
        "{kind}“{name}”不能单独建立，只能放在{allowed}之下",
        "a {kind} ({name}) cannot stand on its own: it belongs in {allowed}"
    }
    LocationKindClash = "location.kind_clash" {
        "位置 {path} 已存在，但它是{existing}，不是{wanted}",
        "location {path} exists as a {existing}, not a {wanted}"
    }
    LocationBadName = "location.bad_name" {
        "{name} 不是有效的{kind}名称（例如 {example}）",
        "{name} is not a valid {kind} name (for example {example})"
    }
    LocationBlockTooLarge = "location.block_too_large" {
        "一次布置 {shelves} 个层位过多，最多 {max} 个；请分几次布置",
        "a block of {shelves} shelves is too large (at most {max}); lay it out in parts"
    }
    LocationBlockInvalid = "location.block_invalid" {
        "无法布置：{detail}",
        "cannot lay out this block: {detail}"
    }
    LocationFieldNotForKind = "location.field_not_for_kind" {
        "{kind} {path} 没有“{field}”这一项",
        "a {kind} has no {field} ({path})"
    }
    LocationRetired = "location.retired" {
        "位置 {path} 已停用，不能再放入物品或在其下新建位置",
        "location {path} is retired: nothing can be put in it or created under it"
    }
    LocationNotEmpty = "location.not_empty" {
        "{path} 还存放着 {count} 件物品，清空后才能停用",
        "{path} still holds {count} items: it can be retired only when empty"
    }
    LocationRetireReason = "location.retire_reason" {
        "停用位置须写明原因",
        "retiring a location needs a reason"
    }
    LocationUnknown = "location.unknown" {
        "找不到位置 {what}（请给出位置条码或完整路径，如 2号库房/01列/A面/1节/1层）",
        "no location {what} (give its barcode or its full path, room to shelf)"
    }
    LocationAdded = "location.added" {
        "已新建{kind} {path}（条码 {barcode}）",
        "{kind} {path} created (barcode {barcode})"
    }
    LocationAlreadyThere = "location.already_there" {
        "{kind} {path} 已存在（条码 {barcode}），未做改动",
        "{kind} {path} exists already (barcode {barcode}); nothing changed"
    }
    LocationLaidOut = "location.laid_out" {
        "{room}：共 {shelves} 个层位；新建位置 {created} 个，已存在 {existing} 个，补设容量 {capacity_set} 个",
        "{room}: {shelves} shelves; {created} locations created, {existing} existed, {capacity_set} given a capacity"
    }
    LocationLaidOutRetired = "location.laid_out_retired" {
        "以下位置已停用，保持停用，其下未新建任何位置：{paths}",
        "these locations are retired and stay so; nothing was created under them: {paths}"
    }
    LocationRetireDone = "location.retire_done" {
        "{path} 已停用（连同其下位置共 {count} 个）",
        "{path} retired ({count} locations with those under it)"
    }
    CertificateOutsideSafe = "certificate.outside_safe" {
        "权证只能存放在保险柜，{path} 不是保险柜",
        "certificates may only be stored in a safe; {path} is not a safe"
    }
    BoxInSafe = "box.in_safe" {
        "保险柜只存放权证，档案盒不能放入 {path}",
        "safes keep certificates only; a box cannot go into {path}"
    }
    LoanOnLoan = "loan.on_loan" {
        "档案盒 {item} 已被 {borrower} 于 {since} 借出",
        "box {item} is on loan to {borrower} since {since}"
    }
    LoanNotOnLoan = "loan.not_on_loan" {
        "档案盒 {item} 未借出",
        "box {item} is not on loan"
    }
    LoanUnknown = "loan.unknown" {
        "借阅单 {id} 不存在",
        "loan {id} does not exist"
    }
    LoanSlipUnknown = "loanslip.unknown" {
        "出借单 {id} 不存在",
        "loan slip {id} does not exist"
    }
    LoanSlipEmpty = "loanslip.empty" {
        "出借单须列出至少一个档案盒",
        "a loan slip must name at least one box"
    }
    LoanSlipTooLarge = "loanslip.too_large" {
        "一张出借单最多列 {max} 个档案盒，此单列了 {count} 个",
        "a loan slip names at most {max} boxes; this one names {count}"
    }
    LoanSlipPurposeMissing = "loanslip.purpose_missing" {
        "出借单须写明借阅用途",
        "a loan slip must say what the boxes are borrowed for"
    }
    LoanSlipTextTooLong = "loanslip.text_too_long" {
        "{field}过长：最多 {max} 字",
        "{field} is too long: at most {max} characters"
    }
    LoanSlipDuePast = "loanslip.due_past" {
        "应还日期 {due} 早于今天（{today}）",
        "the due date {due} is before today ({today})"
    }
    LoanSlipWrongState = "loanslip.wrong_state" {
        "出借单 {id} {state}，不能{action}",
        "loan slip {id} is {state}: it cannot be {action}"
    }
    LoanSlipReasonMissing = "loanslip.reason_missing" {
        "拒绝出借单须写明理由",
        "refusing a loan slip needs a reason"
    }
    LoanSlipNotOnSlip = "checkout.not_on_slip" {
        "档案盒 {item} 不在出借单 {id} 上，未借出",
        "box {item} is not on loan slip {id}: it was not lent"
    }
    LoanSlipAlreadyLent = "loanslip.already_lent" {
        "档案盒 {item} 已按出借单 {id} 借出过",
        "box {item} has been lent against loan slip {id} already"
    }
    LoanSlipNoPrinting = "loanslip.no_printing" {
        "本站未启用打印，无法生成出借单 PDF",
        "printing is not set up on this station: the loan slip PDF cannot be made"
    }
    LoanSlipPrinterNotA4 = "loanslip.printer_not_a4" {
        "打印机 {printer} 是标签打印机，没有 A4 纸，不能打印出借单；请选一台 PDF 或 CUPS 打印机",
        "printer {printer} is a label printer with no A4 paper: it cannot print a loan slip; choose a PDF or CUPS printer"
    }
    HandoverNoCertificates = "handover.no_certificates" {
        "移交单 {id} 不含权证，没有权证移交清单",
        "handover {id} holds no certificate: it has no certificate handover list"
    }
    HandoverExtensionReason = "handover.extension_reason" {
        "延长移交期限须写明理由",
        "extending a handover's deadline needs a reason"
    }
    HandoverExtensionNotLater = "handover.extension_not_later" {
        "新期限 {until} 须晚于现期限 {deadline}",
        "the new deadline {until} must be after the current one, {deadline}"
    }
    CheckoutNeedsApproval = "checkout.needs_approval" {
        "{name} 借阅需主管批准",
        "{name} needs a supervisor's approval to borrow"
    }
    CheckoutNotApprover = "checkout.not_approver" {
        "{name} 不是主管，不能批准借阅",
        "{name} is not a supervisor and cannot approve loans"
    }
    HandoverUnknown = "handover.unknown" {
        "移交单 {id} 不存在",
        "handover {id} does not exist"
    }
    HandoverClosed = "handover.closed" {
        "移交单 {id} 已确认",
        "handover {id} has already been confirmed"
    }
    HandoverIncomplete = "handover.incomplete" {
        "档案盒 {barcode} 资料不全（{lacks}）：须注明原因才能移交",
        "box {barcode} is incomplete ({lacks}): a handover needs a reason"
    }
    HandoverNoSupplement = "handover.no_supplement" {
        "移交单 {id} 的档案资料齐全，无需补充",
        "the boxes of handover {id} are complete: nothing to supplement"
    }
    HandoverNoBoxes = "handover.no_boxes" {
        "移交单 {id} 没有档案盒，无移交清单可打印",
        "handover {id} holds no box: there is no handover list to print"
    }
    TaskUnknown = "task.unknown" {
        "档案任务 {id} 不存在",
        "archive task {id} does not exist"
    }
    TaskConflict = "task.conflict" {
        "外部编号 {external_id} 已用于档案任务 {id}，但这次的内容不同：同一编号只能重发完全相同的内容",
        "external id {external_id} already made archive task {id} with a different body: an id may only be sent again with the same body"
    }
    TaskField = "task.field" {
        "档案任务的 {field} 缺失或过长（最多 {max} 个字符）",
        "the archive task's {field} is missing or too long (at most {max} characters)"
    }
    TaskNoSubject = "task.no_subject" {
        "档案任务须注明客户或项目：客户名称、档案号或档案盒条码",
        "an archive task must name its customer or project: a customer name, an archive number or a box barcode"
    }
    TaskUnknownCategory = "task.unknown_category" {
        "本站没有类别 {category}（既无资料清单，也无此类档案盒）",
        "the station does not know the category {category} (no checklist covers it and no box has it)"
    }
    TaskLimit = "task.limit" {
        "“{step}”的时限 {limit} 不可用：须在 1 到 8784 之间",
        "the limit {limit} for \"{step}\" cannot be used: it must be from 1 to 8784"
    }
    TaskInFuture = "task.in_future" {
        "业务环节完成时间 {at} 还没有到",
        "the business step cannot have finished at {at}, which is still to come"
    }
    TaskScope = "task.scope" {
        "任务范围 {scope} 无效：可用 mine（我的）、room（档案室的）或 all（全部，主管）",
        "the task scope {scope} is not known: use mine, room or all (supervisors)"
    }
    TaskUnknownStep = "task.unknown_step" {
        "任务环节 {step} 无效：可用 add、send、review、handover、shelve",
        "the task step {step} is not known: use add, send, review, handover or shelve"
    }
    TaskDone = "task.done" {
        "档案任务 {id} 已全部完成",
        "archive task {id} is already done"
    }
    TaskWrongStep = "task.wrong_step" {
        "档案任务 {id} 当前环节是“{step}”，不是“{expected}”",
        "archive task {id} is at \"{step}\", not \"{expected}\""
    }
    NotificationUnknown = "notification.unknown" {
        "您没有编号为 {id} 的提醒",
        "you have no notification number {id}"
    }
    TaskNotYours = "task.not_yours" {
        "档案任务 {id} 的“{step}”环节由 {owner} 办理，只有本人或主管可以完成",
        "the \"{step}\" step of archive task {id} is {owner}'s: only they or a supervisor may complete it"
    }
    ContentsImportNoHeader = "contents.import_no_header" {
        "资料清单文件须有表头：档案号（或条码）、资料名称、页数",
        "a contents file needs a header naming the archive number (or barcode), the document name and the pages"
    }
    ContentsImportBadRow = "contents.import_bad_row" {
        "第 {line} 行：{problem}（未导入任何资料）",
        "line {line}: {problem} (nothing was imported)"
    }
    ContentsImportUnknownBox = "contents.import_unknown_box" {
        "档案号 {archive_no} 没有登记的档案盒",
        "no box is registered under archive number {archive_no}"
    }
    ContentsImportDone = "contents.imported" {
        "已导入 {documents} 份资料到 {boxes} 个档案盒",
        "imported {documents} documents into {boxes} boxes"
    }
    ContentsNoName = "contents.no_name" {
        "资料名称不能为空",
        "a document needs a name"
    }
    ContentsBadText = "contents.bad_text" {
        "“{text}”过长或含控制字符（最多 {max} 个字）",
        "\"{text}\" is too long or has control characters (at most {max} characters)"
    }
    ContentsBadPages = "contents.bad_pages" {
        "{name} 的页数 {pages} 不对：应为 1 至 100000",
        "{name}: {pages} is not a page count (1 to 100000)"
    }
    ContentsTooMany = "contents.too_many" {
        "一盒最多登记 {max} 份资料",
        "a box's contents list holds at most {max} documents"
    }
    ContentsNoPosition = "contents.no_position" {
        "档案盒 {barcode} 的资料清单没有第 {position} 项",
        "box {barcode}'s contents list has no document {position}"
    }
    PickListUnknown = "picklist.unknown" {
        "取件单 {id} 不存在",
        "pick list {id} does not exist"
    }
    PickListEmpty = "picklist.empty" {
        "取件单没有任何档案盒",
        "the pick list names no box"
    }
    PickListTooLarge = "picklist.too_large" {
        "取件单最多 {max} 盒，这里有 {count} 盒：请分成几张",
        "a pick list holds at most {max} boxes, this one would hold {count}: split it"
    }
    PickListClosed = "picklist.closed" {
        "取件单 {id} 已完成",
        "pick list {id} is done already"
    }
    PickListOneSource = "picklist.one_source" {
        "请只给出一种来源：逐行粘贴（lines）、CSV（csv）、检索（search）或已批准的出借单（loan_slip）",
        "give exactly one source: pasted lines (lines), a CSV (csv), a search (search) or an approved loan slip (loan_slip)"
    }
    PickListNoPrinting = "picklist.no_printing" {
        "本站未启用打印，无法生成取件单 PDF",
        "printing is not set up at this station: no pick list PDF can be made"
    }
    PickListBadLines = "picklist.bad_lines" {
        "有 {count} 行没有对应唯一的档案盒，取件单未建立",
        "{count} lines do not name exactly one box; no pick list was made"
    }
    PickListLineUnknown = "picklist.line_unknown" {
        "第 {line} 行“{text}”不是已登记档案盒的条码或档案号",
        "line {line} \"{text}\" is no registered box's barcode or archive number"
    }
    PickListLineAmbiguous = "picklist.line_ambiguous" {
        "第 {line} 行“{text}”对应 {count} 个不同的档案盒",
        "line {line} \"{text}\" names {count} different boxes"
    }
    PickListLineNotABox = "picklist.line_not_a_box" {
        "第 {line} 行的 {barcode} 是{kind}，不是档案盒",
        "line {line}: {barcode} is a {kind}, not a box"
    }
    PickListSlipNotApproved = "picklist.slip_not_approved" {
        "出借单 {id} {state}：只有已批准的出借单可生成取件单",
        "loan slip {id} is {state}: only an approved slip makes a pick list"
    }
    PickListAwayOnLoan = "picklist.away_on_loan" {
        "已借出",
        "on loan"
    }
    PickListAwayAtCounter = "picklist.away_at_counter" {
        "在柜台 {place}",
        "at the counter {place}"
    }
    PickListAwayMissing = "picklist.away_missing" {
        "已标记缺失",
        "flagged missing"
    }
    PickListAwayInHandover = "picklist.away_in_handover" {
        "移交中",
        "in a handover"
    }
    PickListAwayNotShelved = "picklist.away_not_shelved" {
        "尚未上架",
        "not on a shelf"
    }
    NumberingExhausted = "numbering.exhausted" {
        "{what} 的序号已用尽",
        "the sequence of {what} is exhausted"
    }
    SchemeUnknown = "scheme.unknown" {
        "编号方案 {name} 不存在",
        "numbering scheme {name} does not exist"
    }
    SchemeExists = "scheme.exists" {
        "编号方案 {name} 已存在（{place}）",
        "numbering scheme {name} already exists ({place})"
    }
    SchemeInConfig = "scheme.in_config" {
        "编号方案 {name} 在 station.toml 中定义，请在文件中修改",
        "numbering scheme {name} is defined in station.toml; change it there"
    }
    SchemeRetired = "scheme.retired" {
        "编号方案 {name} 已停用",
        "numbering scheme {name} is already retired"
    }
    SchemeNotInUse = "scheme.not_in_use" {
        "编号方案 {name} 已停用，不再分配新编号",
        "numbering scheme {name} is retired and hands out no new numbers"
    }
    TokenUnknown = "token.unknown" {
        "令牌 {id} 不存在",
        "token {id} does not exist"
    }
    TokenUnknownKind = "token.unknown_kind" {
        "令牌种类 {kind} 无效：可用 person（个人）或 integration（业务系统集成）",
        "the token kind {kind} is not known: use person or integration (a business system's)"
    }
    LabelUnknownJob = "label.unknown_job" {
        "打印任务 {id} 不存在",
        "print job {id} does not exist"
    }
    LabelJobDone = "label.job_done" {
        "打印任务 {id} 已打印或已取消",
        "print job {id} is already printed or cancelled"
    }
    LabelReprintReason = "label.reprint_needs_reason" {
        "重打标签必须说明原因",
        "a reprint needs a reason"
    }
    DeviceUnknown = "device.unknown" {
        "设备 {name} 不存在",
        "device {name} does not exist"
    }
    DeviceExists = "device.exists" {
        "设备名 {name} 已被使用（{place}）",
        "device name {name} is already used ({place})"
    }
    DeviceInConfig = "device.in_config" {
        "设备 {name} 在 station.toml 中定义，请在文件中修改",
        "device {name} is defined in station.toml; change it there"
    }
    DeviceInvalid = "device.invalid" {
        "设备 {name} 的设置无效：{problem}",
        "device {name} is not valid: {problem}"
    }
    DeviceNameInvalid = "device.name_invalid" {
        "名称须为 1–{max} 个字符，不含控制字符，首尾无空格",
        "the name must be 1 to {max} characters, without control characters or surrounding spaces"
    }
    DevicePortInvalid = "device.port_invalid" {
        "串口路径为空或无效",
        "the port path is empty or not valid text"
    }
    DeviceBaudZero = "device.baud_zero" {
        "波特率须大于 0",
        "the baud rate must be above 0"
    }
    DeviceNoWorkstation = "device.no_workstation" {
        "未指定工作站",
        "no workstation is given"
    }
    DevicePrefixInvalid = "device.prefix_invalid" {
        "前缀至多 {max} 个字符，不含控制字符",
        "the prefix must be at most {max} characters, without control characters"
    }
    DeviceDpiUnsupported = "device.dpi_unsupported" {
        "分辨率 {dpi} dpi 不受支持（可用 152、203、300、600）",
        "a resolution of {dpi} dpi is not supported (use 152, 203, 300 or 600)"
    }
    DeviceConnectInvalid = "device.connect_invalid" {
        "连接地址 {address} 无效：{problem}",
        "the connect address {address} is not valid: {problem}"
    }
    DeviceUnknownWorkstation = "device.unknown_workstation" {
        "扫描枪 {scanner} 的工作站 {workstation} 未定义（已定义：{known}）",
        "scanner {scanner} names workstation {workstation}, which is not defined (defined: {known})"
    }
    DevicePrinterHasJobs = "device.printer_has_jobs" {
        "打印机 {name} 还有 {count} 张标签等待打印：请先打印或取消它们，已确认的标签不会丢失",
        "printer {name} still has {count} label(s) waiting: they must be printed or cancelled first, so that nothing acknowledged is lost"
    }
    DeviceScannerDisconnected = "device.scanner_disconnected" {
        "扫描枪断开：{reason}；稍后自动重连",
        "the scanner was disconnected: {reason}; it is reopened by itself"
    }
    DeviceScannerUnavailable = "device.scanner_unavailable" {
        "扫描枪串口无法打开：{reason}；稍后自动重试",
        "the scanner's port cannot be opened: {reason}; it is tried again by itself"
    }
    DeviceScannerSkipped = "device.scanner_skipped" {
        "扫描枪发来无法识别的数据，已跳过 {bytes} 字节（{fragments} 段），最后一段：{detail}",
        "the scanner sent data that is not a scan: {bytes} bytes in {fragments} pieces skipped, the last: {detail}"
    }
    DeviceLabelDirUnusable = "device.label_dir_unusable" {
        "无法使用标签目录 {path}：{reason}",
        "cannot use the label directory {path}: {reason}"
    }
    PersonLastAdmin = "person.last_admin" {
        "这是最后一位在职的管理员，不能降级或停用",
        "this is the last active administrator: they cannot be demoted or deactivated"
    }
    PersonBadgeReplaced = "person.badge_replaced" {
        "此工牌已换发新工牌，不再有效；请使用新工牌",
        "this badge was replaced by a new one and no longer works: use the new badge"
    }
    PersonLeft = "person.left" {
        "{name}（{barcode}）已离职，工牌已停用",
        "{name} ({barcode}) has left: the badge is no longer valid"
    }
    ShelveNotHomeShelf = "shelve.not_home_shelf" {
        "不是该盒的归属位置（应在 {home}）",
        "not this box's home shelf (belongs on {home})"
    }
    ShelveOverCapacity = "shelve.over_capacity" {
        "该位置已超容量：{count}/{capacity}",
        "location over capacity: {count}/{capacity}"
    }

    // Scanning at a workstation (the workflow engine).
    ScanRepeated = "scan.repeated" {
        "重复扫描，只处理一次",
        "repeated scan, applied once"
    }
    ScanUnreadable = "scan.unreadable" {
        "无法识别的条码",
        "unreadable code"
    }
    ScanUnknownCommandCard = "scan.unknown_command_card" {
        "未知的命令卡",
        "unknown command card"
    }
    ScanWrongKindForMode = "scan.wrong_kind_for_mode" {
        "{mode}模式下请扫描{what}",
        "in {mode} scan {what}"
    }
    ScanOperator = "scan.operator" {
        "操作员：{name}",
        "operator: {name}"
    }
    ScanBadgeNotOwn = "scan.badge_not_own" {
        "通过接口扫描的工牌只能指定借阅人或接收人：{name} 须本人扫描工牌才能签到或批准",
        "a badge scanned through the API can only name a borrower or a receiver: {name} must scan their own badge to sign in or approve"
    }
    ModeEntered = "mode.entered" {
        "{mode}模式：{next}",
        "{mode} mode: {next}"
    }
    ModeCancelled = "mode.cancelled" {
        "已取消{mode}，回到查询模式",
        "{mode} cancelled, back to LOOKUP"
    }
    ModeDone = "mode.done" {
        "{mode}完成，回到查询模式",
        "{mode} done, back to LOOKUP"
    }
    LookupFound = "lookup.found" {
        "查询结果",
        "found"
    }
    ShelveNotAShelf = "shelve.not_a_shelf" {
        "{path} 不能直接存放档案，请扫描具体的层",
        "{path} cannot hold boxes directly: scan a shelf"
    }
    ShelveShelf = "shelve.shelf" {
        "当前层位：{path}，请扫描档案盒",
        "shelf {path}: scan the boxes"
    }
    ShelveNeedsShelf = "shelve.needs_shelf" {
        "请先扫描层位条码",
        "scan the shelf first"
    }
    ShelveDone = "shelve.done" {
        "已上架到 {path}",
        "shelved on {path}"
    }
    CertificateNeedsSupervisor = "certificate.needs_supervisor" {
        "权证只能由主管{action}：请主管先扫描工牌",
        "only supervisors may {action} certificates: a supervisor must scan their badge first"
    }
    CheckoutApproved = "checkout.approved" {
        "{name} 已批准，请扫描档案盒",
        "approved by {name}: scan the boxes"
    }
    CheckoutBorrowerApproved = "checkout.borrower_approved" {
        "借阅人：{name}（已由 {approver} 批准），请扫描档案盒",
        "borrower: {name} (approved by {approver}): scan the boxes"
    }
    CheckoutBorrower = "checkout.borrower" {
        "借阅人：{name}，请扫描档案盒",
        "borrower: {name}: scan the boxes"
    }
    CheckoutBorrowerNeedsApproval = "checkout.borrower_needs_approval" {
        "借阅人：{name}，需主管扫描工牌批准",
        "borrower: {name}: a supervisor must scan their badge to approve"
    }
    CheckoutNeedsBorrower = "checkout.needs_borrower" {
        "请先扫描借阅人工牌",
        "scan the borrower's badge first"
    }
    CheckoutApprovalBadge = "checkout.approval_badge_needed" {
        "{name} 借阅需主管批准：请主管扫描工牌",
        "{name} needs approval: a supervisor must scan their badge"
    }
    CheckoutLent = "checkout.lent" {
        "已借给 {name}，{due} 前归还",
        "lent to {name}, due {due}"
    }
    CheckoutSlip = "checkout.slip" {
        "借阅人：{name}，按出借单 {id} 借阅（{approver} 批准，{due} 前归还），请扫描单上的档案盒",
        "borrower: {name}, against loan slip {id} (approved by {approver}, due {due}): scan the boxes on the slip"
    }
    CheckoutSlipPrinted = "checkout.slip_printed" {
        "出借单已发送到 {printer}",
        "the loan slip was sent to {printer}"
    }
    CheckoutCertificate = "checkout.certificate" {
        "权证不能在柜台借出",
        "certificates are not lent at the counter"
    }
    ReturnDone = "return.done" {
        "已归还，待上架到 {home}（此盒没有册内清单，未核对文件）",
        "returned; to be shelved on {home} (the box has no contents list: no documents were checked)"
    }
    ReturnCheck = "return.check" {
        "已归还（借阅 {loan}），待上架到 {home}；借出 {count} 份文件共 {pages} 页：请核对，齐全请扫描“齐全”卡，缺少的请在页面上标出",
        "returned (loan {loan}); to be shelved on {home}; {count} documents, {pages} pages were lent: check them, then scan COMPLETE, or mark what is missing on the page"
    }
    ReturnConfirmed = "return.complete" {
        "借阅 {loan} 的归还已确认齐全：{item}",
        "the return of loan {loan} is confirmed complete: {item}"
    }
    ReturnIncomplete = "return.incomplete" {
        "借阅 {loan} 归还不全，仍缺：{missing}；这些文件仍算借出，并已提示主管",
        "the return of loan {loan} is incomplete; still out: {missing}; the loan stays open for them and the supervisor is told"
    }
    ReturnNothingPending = "return.nothing_pending" {
        "本工作站没有待确认的归还：请先在归还模式下扫描档案盒",
        "no return is waiting for its check at this workstation: scan the returned box in RETURN first"
    }
    ReturnNoCheck = "return.no_check" {
        "借阅 {loan} 没有待核对的归还",
        "loan {loan} has no return waiting for its check"
    }
    ReturnCheckNotLent = "return.not_lent" {
        "借阅 {loan} 借出的文件中没有第 {position} 项，未作任何更改",
        "loan {loan} lent no document at position {position}; nothing was changed"
    }
    ReturnCheckAlreadyBack = "return.already_back" {
        "借阅 {loan} 的第 {position} 项已登记归还，未作任何更改",
        "document {position} of loan {loan} is already recorded back; nothing was changed"
    }
    ReturnMarkedIncomplete = "return.marked_incomplete" {
        "借阅 {loan} 已在页面上登记为归还不全：缺少的文件交回时请在页面上逐项登记，未作任何更改",
        "the return of loan {loan} was marked incomplete at the page: record the missing documents there as they come back; nothing was changed"
    }
    ReturnCheckNoteTooLong = "return.note_too_long" {
        "备注最多 {max} 个字",
        "the note may have at most {max} characters"
    }
    HandoverReceiver = "handover.receiver" {
        "接收人：{name}，请扫描移交的档案",
        "receiver: {name}: scan the items handed over"
    }
    HandoverNeedsReceiver = "handover.needs_receiver" {
        "请先扫描接收人工牌",
        "scan the receiver's badge first"
    }
    HandoverAdded = "handover.added" {
        "已加入移交清单（{count} 件），扫描完成卡结束",
        "added ({count} items); scan DONE to finish"
    }
    HandoverNeedsParties = "handover.needs_parties" {
        "请先扫描交出人（操作员）和接收人的工牌",
        "scan the handing-over person's badge (operator) and the receiver's badge first"
    }
    HandoverEmpty = "handover.empty" {
        "移交清单为空",
        "nothing to hand over"
    }
    HandoverConfirmed = "handover.confirmed" {
        "移交单 {id} 已由 {name} 确认（{count} 件）",
        "handover {id} confirmed by {name} ({count} items)"
    }
    AuditStarted = "audit.started" {
        "盘点 {path}：应有 {count} 件，请逐一扫描，完成后扫描完成卡",
        "checking {path}: {count} expected; scan every box, then DONE"
    }
    AuditNeedsShelf = "audit.needs_shelf" {
        "请先扫描要盘点的层位",
        "scan the shelf to check first"
    }
    AuditSafeNeedsSupervisor = "audit.safe_needs_supervisor" {
        "保险柜只能由主管盘点：{path}，请主管先扫描工牌",
        "only supervisors may check a safe ({path}): a supervisor must scan their badge first"
    }
    AuditAnotherShelf = "audit.another_shelf" {
        "正在盘点另一层位：请先扫描完成卡或取消卡",
        "another shelf is being checked: scan DONE or CANCEL first"
    }
    AuditRecorded = "audit.recorded" {
        "已记录（{count}）",
        "recorded ({count})"
    }
    AuditMisplaced = "audit.misplaced" {
        "{item} 不属于本层位，记录在 {place}",
        "{item} does not belong on this shelf: it is recorded at {place}"
    }
    AuditMisplacedNowhere = "audit.misplaced_nowhere" {
        "{item} 不属于本层位，也没有记录在任何层位",
        "{item} does not belong on this shelf, and is recorded on no shelf"
    }
    AuditUnknown = "audit.unknown" {
        "{item} 未登记",
        "{item} is not registered"
    }
    AuditDuplicate = "audit.duplicate" {
        "{item} 已扫描过，不重复计数",
        "{item} was scanned already: it is not counted twice"
    }
    AuditNotStarted = "audit.not_started" {
        "没有进行中的盘点",
        "no stock-take in progress"
    }
    AuditDone = "audit.done" {
        "盘点完成：在架 {present}，缺失 {missing}，错架 {misplaced}，未知 {unknown}，重复 {duplicates}",
        "stock-take done: present {present}, missing {missing}, misplaced {misplaced}, unknown {unknown}, duplicates {duplicates}"
    }
    AuditDiscrepancies = "audit.discrepancies" {
        "盘点完成，有差异：在架 {present}，缺失 {missing}，错架 {misplaced}，未知 {unknown}，重复 {duplicates}",
        "stock-take done with discrepancies: present {present}, missing {missing}, misplaced {misplaced}, unknown {unknown}, duplicates {duplicates}"
    }
    PickChosen = "pick.chosen" {
        "取件单 {id}：共 {count} 盒，待取 {left} 盒；请逐一扫描取出的档案盒，完成后扫描完成卡",
        "pick list {id}: {count} boxes, {left} to fetch; scan each box taken, then DONE"
    }
    PickNeedsList = "pick.needs_list" {
        "请先扫描取件单上的条码",
        "scan the pick list's barcode first"
    }
    PickAt = "pick.at" {
        "当前位置：{path}",
        "now at {path}"
    }
    PickTicked = "pick.ticked" {
        "{archive_no} 已取出，还剩 {left} 盒",
        "{archive_no} picked; {left} left"
    }
    PickAgain = "pick.again" {
        "{archive_no} 已经取过",
        "{archive_no} was picked already"
    }
    PickNotOnList = "pick.not_on_list" {
        "{item} 不在取件单 {id} 上",
        "{item} is not on pick list {id}"
    }
    PickWrongPlace = "pick.wrong_place" {
        "{archive_no} 记录在 {recorded}，不在刚扫描的 {scanned}",
        "{archive_no} is recorded at {recorded}, not at {scanned} scanned last"
    }
    PickDone = "pick.done" {
        "取件单 {id} 完成：{picked} 盒全部取出",
        "pick list {id} done: all {picked} boxes picked"
    }
    PickNotFound = "pick.not_found" {
        "取件单 {id} 完成：取出 {picked} 盒，未找到 {missing} 盒（标记缺失 {flagged} 盒，不在架 {away} 盒）：{items}",
        "pick list {id} done: {picked} picked, {missing} not found ({flagged} flagged missing, {away} not on a shelf): {items}"
    }
    IntakeActivated = "intake.activated" {
        "{archive_no} 已激活，在柜台待上架",
        "{archive_no} activated; at the counter for shelving"
    }
    IntakeAlreadyRegistered = "intake.already_registered" {
        "{archive_no} 已登记过（{status}）",
        "{archive_no} is registered already ({status})"
    }
    IntakeNoScheme = "intake.no_scheme" {
        "未配置编号方案，无法登记空白标签",
        "no numbering scheme is configured, so blank labels cannot be registered"
    }
    IntakeRegistered = "intake.registered" {
        "新档案 {archive_no} 已登记，请补录题名和客户",
        "new box {archive_no} registered: fill in its title and customer"
    }
    LabelSent = "label.sent" {
        "正式标签已发送到 {printer}",
        "its label was sent to {printer}"
    }
    LabelNotPrinted = "label.not_printed" {
        "标签未能打印",
        "its label was not printed"
    }
    LabelNotPrintedEarlier = "label.not_printed_earlier" {
        "标签未能打印（早前版本记录的原因）：{reason}",
        "label not printed (the reason as an earlier version recorded it): {reason}"
    }
    UndoNothing = "undo.nothing" {
        "没有可撤销的操作",
        "nothing to undo"
    }
    UndoDone = "undo.done" {
        "已撤销：将 {item} 放到 {place}",
        "Undone: moving {item} to {place}"
    }
    UndoLoan = "undo.loan" {
        "已撤销：借给{borrower}的 {item}",
        "Undone: loan of {item} to {borrower}"
    }
    UndoReturn = "undo.return" {
        "已撤销：{borrower}归还的 {item}，仍为借出",
        "Undone: return of {item} by {borrower}; it is on loan again"
    }

    // The HTTP API: requests, access, and what the station cannot do right now.
    RequestNoRoute = "request.no_route" {
        "没有这个地址",
        "no such endpoint"
    }
    RequestMethodNotAllowed = "request.method_not_allowed" {
        "此地址不接受 {method} 请求",
        "this endpoint does not accept {method}"
    }
    RequestMalformedJson = "request.malformed_json" {
        "请求体不是有效的 JSON：{detail}",
        "the request body is not valid JSON: {detail}"
    }
    RequestUnknownField = "request.unknown_field" {
        "请求含有未知字段 {field}",
        "the request has an unknown field {field}"
    }
    RequestMissingField = "request.missing_field" {
        "请求缺少字段 {field}",
        "the request lacks the field {field}"
    }
    RequestInvalidField = "request.invalid_value" {
        "请求中的值无效：{detail}",
        "a value in the request is not valid: {detail}"
    }
    RequestNotJson = "request.not_json" {
        "请求体须为 JSON（Content-Type: application/json）",
        "the request body must be JSON (Content-Type: application/json)"
    }
    RequestBadQuery = "request.bad_query" {
        "查询参数无效：{detail}",
        "the query string is not valid: {detail}"
    }
    RequestBadPath = "request.bad_path" {
        "地址中的参数无效：{detail}",
        "a parameter in the path is not valid: {detail}"
    }
    RequestNotANumber = "request.not_a_number" {
        "{what} {text} 无效",
        "{what} {text} is not a number"
    }
    RequestTooLarge = "request.too_large" {
        "请求体超过 {max} 字节",
        "the request body is larger than {max} bytes"
    }
    RequestTimeout = "request.timeout" {
        "请求超时，未做任何更改",
        "the request took too long; nothing was changed"
    }
    ServerTooManyConnections = "server.too_many_connections" {
        "本站同时服务的连接已达上限（{max} 个），请稍后再试",
        "the station is serving its limit of {max} connections; try again shortly"
    }
    ServerHttpsOnly = "server.https_only" {
        "本站此端口只接受 HTTPS：请把地址中的 http:// 改为 https://",
        "this port of the station speaks HTTPS only: use https:// instead of http://"
    }
    ServerPlainHttpBeyondLoopback = "server.plain_http_beyond_loopback" {
        "本站在 {addr} 上以未加密的 HTTP 对本机以外提供服务：网络上的他人可截获密码和会话。请在 station.toml 的 [server.tls] 中配置证书（可用 `station tls self-signed` 生成），或放在 HTTPS 反向代理之后并设 behind_https_proxy = true",
        "the station serves plain, unencrypted HTTP beyond this machine on {addr}: others on the network can read passwords and sessions. Configure a certificate in station.toml's [server.tls] (`station tls self-signed` makes one), or run behind an HTTPS reverse proxy and set behind_https_proxy = true"
    }
    TlsFileUnreadable = "tls.file_unreadable" {
        "无法读取 TLS {what}文件 {path}：{reason}",
        "cannot read the TLS {what} file {path}: {reason}"
    }
    TlsNotPem = "tls.not_pem" {
        "{path} 中没有 PEM 格式的{what}（{reason}）",
        "{path} holds no PEM {what} ({reason})"
    }
    TlsKeyMismatch = "tls.key_mismatch" {
        "私钥 {key} 与证书 {cert} 不是一对",
        "the key {key} does not belong to the certificate {cert}"
    }
    TlsUnusable = "tls.unusable" {
        "证书 {cert} 或私钥 {key} 无法使用：{reason}",
        "the certificate {cert} or the key {key} cannot be used: {reason}"
    }
    TlsFingerprint = "tls.fingerprint" {
        "证书的 SHA-256 指纹：{fingerprint}",
        "the certificate's SHA-256 fingerprint: {fingerprint}"
    }
    TlsSelfSignedWritten = "tls.self_signed_written" {
        "已生成自签名证书 {cert} 和私钥 {key}（适用于：{hosts}）",
        "wrote a self-signed certificate {cert} and its key {key} (valid for: {hosts})"
    }
    TlsConfigLines = "tls.config_lines" {
        "把以下几行加入 station.toml，然后重启本站：",
        "put these lines into station.toml, then restart the station:"
    }
    TlsFilesExist = "tls.files_exist" {
        "{path} 已存在，未做任何更改；要替换请加 --force（其他电脑须重新信任新的指纹）",
        "{path} exists already; nothing was changed. Add --force to replace it (other PCs must then trust the new fingerprint)"
    }
    TlsBadHost = "tls.bad_host" {
        "{host} 不是有效的主机名或 IP 地址：{reason}",
        "{host} is not a valid host name or IP address: {reason}"
    }
    RequestBadLimit = "request.bad_limit" {
        "limit 应在 1–{max} 之间",
        "limit must be between 1 and {max}"
    }
    RequestBadSort = "request.bad_sort" {
        "排序方式 {text} 无效，可用：archive_no、customer、year、barcode",
        "sort {text} is not known; use archive_no, customer, year or barcode"
    }
    RequestSortNeedsQuery = "request.sort_needs_query" {
        "按 {sort} 排序只能用于搜索（q=…）；按档案号、客户、位置等筛选时按条码排序",
        "sorting by {sort} needs a search (q=…); filtered lists (archive_no, customer, location, …) come in barcode order"
    }
    RequestBadStatus = "request.bad_status" {
        "状态 {text} 无效",
        "status {text} is not known"
    }
    RequestBadRetention = "request.bad_retention" {
        "保管期限 {text} 无效",
        "retention {text} is not valid"
    }
    RequestBadRole = "request.bad_role" {
        "角色 {text} 无效（clerk、supervisor、admin）",
        "role {text} is not clerk, supervisor or admin"
    }
    RequestBadLocationKind = "request.bad_location_kind" {
        "位置类型 {text} 无效（room、rack、side、section、shelf、safe、drawer、counter）",
        "location kind {text} is not room, rack, side, section, shelf, safe, drawer or counter"
    }
    InternalError = "internal.error" {
        "内部错误，已记录日志",
        "internal error, logged on the station"
    }
    AuthMissingToken = "auth.missing_token" {
        "需要令牌（Authorization: Bearer …）",
        "a bearer token is required (Authorization: Bearer …)"
    }
    AuthInvalidToken = "auth.invalid_token" {
        "令牌无效或已吊销",
        "the token is invalid or revoked"
    }
    AuthForbidden = "auth.forbidden" {
        "只有{role}可以{action}",
        "only {role} may {action}"
    }
    AuthIntegrationOnly = "auth.integration_only" {
        "集成令牌只能提交业务系统的档案任务，不能用于 {method} {path}",
        "an integration token may only post the business systems' archive tasks, not {method} {path}"
    }
    AuthSignInFailed = "auth.sign_in_failed" {
        "登录信息不正确：请检查姓名和密码（或工牌和 PIN）",
        "these sign-in details are not right: check the name and password (or the badge and PIN)"
    }
    AuthSignInFields = "auth.sign_in_fields" {
        "请填写姓名和密码，或扫描工牌并输入 PIN",
        "give a name and password, or scan a badge and enter its PIN"
    }
    AuthNameAmbiguous = "auth.name_ambiguous" {
        "不止一人叫{name}：请扫描工牌并输入 PIN 登录",
        "more than one person is called {name}: sign in with your badge and PIN"
    }
    AuthThrottled = "auth.throttled" {
        "登录失败次数过多，请 {seconds} 秒后再试",
        "too many failed sign-ins: try again in {seconds} seconds"
    }
    AuthSessionEnded = "auth.session_ended" {
        "登录已失效（已退出、超时或工作站重启），请重新登录",
        "this sign-in has ended (signed out, timed out or the station restarted): sign in again"
    }
    AuthCsrfMissing = "auth.csrf_missing" {
        "请求缺少正确的 X-CSRF-Token，未做任何更改（请刷新页面）",
        "the request lacks the right X-CSRF-Token and changed nothing (reload the page)"
    }
    AuthWrongPassword = "auth.wrong_password" {
        "原密码不正确",
        "the current password is not right"
    }
    PasswordTooShort = "password.too_short" {
        "密码至少需要 {min} 个字符",
        "a password needs at least {min} characters"
    }
    PasswordTooLong = "password.too_long" {
        "密码最多 {max} 个字符",
        "a password has at most {max} characters"
    }
    PasswordOnlyDigits = "password.only_digits" {
        "密码不能只有数字",
        "a password may not be digits only"
    }
    PasswordIsName = "password.is_name" {
        "密码不能是本人的姓名或工牌号",
        "a password may not be the person's name or badge code"
    }
    PinInvalid = "pin.invalid" {
        "PIN 须为 {min}–{max} 位数字",
        "a PIN is {min} to {max} digits"
    }
    ApprovalOwnNameOnly = "approval.own_name_only" {
        "只能以自己的名义批准",
        "you may approve only in your own name"
    }
    ApprovalExpired = "approval.expired" {
        "批准的有效期已过",
        "the approval would already have expired"
    }
    ScanUnknownWorkstation = "scan.unknown_workstation" {
        "工作站 {workstation} 未配置",
        "workstation {workstation} is not configured"
    }
    ScanTooLong = "scan.too_long" {
        "扫描内容超过 {max} 字节",
        "scan longer than {max} bytes"
    }
    ScanBadId = "scan.bad_id" {
        "扫描编号应为 1–{max} 个字符",
        "a scan's id must be 1 to {max} characters"
    }
    ImportTooLarge = "import.too_large" {
        "上传的台帐超过 {max} 字节（{mib} MiB）；请拆分后分批上传，或在站点主机上用 station import 导入",
        "the uploaded ledger is larger than {max} bytes ({mib} MiB); split it, or import it on the station's host with station import"
    }
    ImportBusy = "import.busy" {
        "已有一个导入（#{id} {name}）正在进行，请等它完成后再上传",
        "an import (#{id} {name}) is already running; upload again when it is done"
    }
    ImportNotFound = "import.not_found" {
        "没有编号为 {id} 的导入（本站只在内存中保留最近 {kept} 次导入，重启后清空）",
        "no import {id} (the station keeps only its last {kept} imports, in memory, until it restarts)"
    }
    ImportEmptyBody = "import.empty_body" {
        "上传的文件是空的",
        "the uploaded file is empty"
    }
    ImportFailed = "import.failed" {
        "导入中断：{reason}",
        "the import stopped: {reason}"
    }
    ReportUnknown = "report.unknown" {
        "报表只有 ledger、loans、overdue、fill（库房与列的使用率）、categories（按类别与年度的盒数）、certificates（权证台帐），各为 .csv 或 .xlsx",
        "reports are ledger, loans, overdue, fill (rooms' and racks' fill), categories (boxes by category and year) and certificates (the certificate ledger), each .csv or .xlsx"
    }
    PrintingNotSetUp = "printing.not_set_up" {
        "本站未启用打印",
        "printing is not set up on this station"
    }
    PrintingNoPrinter = "printing.no_printer" {
        "没有配置打印机",
        "no printer is configured"
    }
    DevicesNotRunning = "devices.not_running" {
        "本站未运行设备管理",
        "device management is not running on this station"
    }
    LabelUnknownPrinter = "label.unknown_printer" {
        "打印机 {name} 未配置",
        "printer {name} is not configured"
    }
    LabelAlreadyPrinted = "label.already_printed" {
        "{barcode} 的标签已打印过：重打须注明原任务号和原因（--reprint 任务号 --reason 原因）",
        "the label of {barcode} was printed before: a reprint needs the job number and a reason (--reprint JOB --reason WHY)"
    }
    LabelUnknownLocation = "label.unknown_location" {
        "没有条码或路径为 {location} 的位置",
        "there is no location with the barcode or path {location}"
    }
    LabelNoShelves = "label.no_shelves" {
        "{location} 下没有需要贴标签的层位",
        "there is no shelf to label under {location}"
    }
    LabelTooMany = "label.too_many" {
        "{location} 下有 {count} 张标签，一次最多打印 {max} 张：请按列或按面分次打印",
        "{location} has {count} labels, more than the {max} one request may print: print it a rack or a side at a time"
    }
    LabelSafeLabel = "label.safe_label" {
        "保险柜 {location} 的标签只有主管或管理员可以打印",
        "only a supervisor or an administrator may print the labels of the safe {location}"
    }
    LabelNoTemplate = "label.no_template" {
        "没有 {kind} 标签模板",
        "there is no {kind} label template"
    }
    LabelRenderFailed = "label.render_failed" {
        "标签 {subject} 无法生成：{reason}",
        "label {subject} cannot be rendered: {reason}"
    }
    LabelReadBackFailed = "label.read_back_failed" {
        "标签 {subject} 读回校验失败，未打印：{reason}",
        "label {subject} failed its read-back check and was not printed: {reason}"
    }
    LabelSetupFailed = "label.setup_failed" {
        "标签模板或字体无法加载：{reason}",
        "label templates or the font cannot be loaded: {reason}"
    }

    // The command line.
    CliSchemeNotAvailable = "cli.scheme_not_available" {
        "编号方案 {name} 未配置或已停用",
        "numbering scheme {name} is not configured (or is retired)"
    }
    CliFirstAdminToken = "cli.first_admin_token" {
        "首个管理员令牌（只显示这一次）",
        "first administrator's token (shown this once)"
    }
    CliFirstAdminPassword = "cli.first_admin_password" {
        "首个管理员「{name}」（{barcode}）请在 {url} 登录，初始密码（只显示这一次，登录后请修改）",
        "the first administrator {name} ({barcode}) signs in at {url} with this initial password (shown this once; change it after signing in)"
    }
    CliCreateTokens = "cli.create_tokens" {
        "API 令牌用 `station token create` 创建",
        "create API tokens with `station token create`"
    }
    CliImportRead = "cli.import_read" {
        "读取 {rows} 行（{encoding}），用时 {seconds} 秒",
        "read {rows} rows ({encoding}) in {seconds}s"
    }
    CliImportCounts = "cli.import_counts" {
        "新建 {created} · 已存在 {unchanged} · 与库中不同 {differing} · 错误行 {bad}",
        "created {created} · unchanged {unchanged} · differing {differing} · bad rows {bad}"
    }
    CliImportIgnoredColumn = "cli.import_ignored_column" {
        "忽略未知列 {column}",
        "ignored unknown column {column}"
    }
    CliImportBadRow = "cli.import_bad_row" {
        "第 {line} 行：{reason}",
        "line {line}: {reason}"
    }
    CliImportDiffering = "cli.import_differing" {
        "第 {line} 行：{archive_no} 已存在但字段不同，未修改：{fields}",
        "line {line}: {archive_no} exists with different fields, not changed: {fields}"
    }
    CliImportGap = "cli.import_gap" {
        "编号缺口：{gap}",
        "gap: {gap}"
    }
    CliVerifyChecked = "cli.verify_checked" {
        "检查 {events} 个事件、{items} 条记录、{entries} 个索引项",
        "checked {events} events, {items} records, {entries} index entries"
    }
    CliVerifyChainIntact = "cli.verify_chain_intact" {
        "事件链完好，链头 #{seq} {hash}",
        "event chain intact, head #{seq} {hash}"
    }
    CliVerifyChainBroken = "cli.verify_chain_broken" {
        "事件链断裂：{error}",
        "event chain broken: {error}"
    }
    CliVerifyIndexProblem = "cli.verify_index_problem" {
        "索引问题：{problem}",
        "index problem: {problem}"
    }
    CliVerifyConsistent = "cli.verify_consistent" {
        "一致",
        "consistent"
    }
    CliBackupWritten = "cli.backup_written" {
        "备份完成：{path}（{keys} 个键）",
        "backup written: {path} ({keys} keys)"
    }
    CliOnlineBackupWritten = "cli.online_backup_written" {
        "在线备份完成：{path}（{keys} 个键）",
        "online backup written: {path} ({keys} keys)"
    }
    CliLabelQueued = "cli.label_queued" {
        "已排队：任务 {job} {subject} → {printer}",
        "queued: job {job} {subject} → {printer}"
    }
    CliPrinterDisabled = "cli.printer_disabled" {
        "打印机 {printer} 已停用，标签在队列中等待",
        "printer {printer} is disabled: the labels wait in the queue"
    }
    CliLabelFile = "cli.label_file" {
        "任务 {job} 已由打印机 {printer} 输出到文件 {path}",
        "job {job} went to printer {printer}: file {path}"
    }
    CliSheetWritten = "cli.sheet_written" {
        "已把 {count} 张层位标签（A4 页）写入 {path}",
        "{count} shelf labels (A4 sheets) written to {path}"
    }
    CliLabelPrinter = "cli.label_printer" {
        "任务 {job} 已在打印机 {printer} 上打印",
        "job {job} printed on {printer}"
    }
    CliPrinted = "cli.printed" {
        "已打印 {printed}，队列中还有 {pending}",
        "printed {printed}, {pending} waiting in the queue"
    }
    CliQueuedAtStation = "cli.queued_at_station" {
        "已交给运行中的 station：任务 {job} {subject} → {printer}",
        "queued at the running station: job {job} {subject} → {printer}"
    }
    CliTokensExist = "cli.tokens_exist" {
        "已有令牌，不再创建首个管理员（请用 `station token create`）",
        "tokens exist already: no first administrator is created (use `station token create`)"
    }
    CliAdministrator = "cli.administrator" {
        "管理员：{barcode} {name}",
        "administrator: {barcode} {name}"
    }
    CliTokenShownOnce = "cli.token_shown_once" {
        "令牌只显示这一次，请妥善保存",
        "the token is shown this once, keep it safe"
    }
    CliTokenCreated = "cli.token_created" {
        "令牌 {id} 已创建，只显示这一次",
        "token {id} created, shown this once"
    }
    CliPasswordSet = "cli.password_set" {
        "已为 {name}（{badge}）设置新密码",
        "new password set for {name} ({badge})"
    }
    CliBadgeReplaced = "cli.badge_replaced" {
        "已为 {name}（{badge}）换发新工牌，旧工牌作废；新工牌条码",
        "new badge issued for {name} ({badge}), the earlier ones no longer work; the new badge's code"
    }
    CliPinSet = "cli.pin_set" {
        "已为 {name}（{badge}）设置工牌 PIN",
        "badge PIN set for {name} ({badge})"
    }
    CliTokenRevoked = "cli.token_revoked" {
        "令牌 {id} 已吊销",
        "token {id} revoked"
    }
    CliHint = "cli.hint" {
        "提示：{hint}",
        "hint: {hint}"
    }
    CliConfigMissingHint = "cli.config_missing_hint" {
        "请检查路径；不用 --config（也不设 STATION_CONFIG）则使用默认配置",
        "check the path; without --config (and STATION_CONFIG) the defaults apply"
    }
    CliDataDirCreated = "cli.data_dir_created" {
        "未指定 --config 或 --data：在当前目录下创建数据目录 {path}",
        "no --config or --data given: creating the data directory {path} here"
    }
    CliOpenStoreFailed = "cli.open_store_failed" {
        "无法打开数据目录 {path}：{reason}",
        "cannot open the data directory {path}: {reason}"
    }
    CliDaemonUnreachable = "cli.daemon_unreachable" {
        "数据目录正被运行中的 station 使用，但无法通过 {path} 联系它：{reason}",
        "the store is in use, and the running station cannot be reached at {path}: {reason}"
    }
    CliReadFileFailed = "cli.read_file_failed" {
        "无法读取文件 {path}：{reason}",
        "cannot read the file {path}: {reason}"
    }
    CliImportFailed = "cli.import_failed" {
        "无法导入 {path}：{reason}",
        "cannot import {path}: {reason}"
    }
    CliXlsxHint = "cli.xlsx_hint" {
        "这个 Excel 工作簿（.xlsx）读不出来：请在 Excel/WPS 中重新“另存为” .xlsx 或 CSV（UTF-8）后再导入",
        "this Excel workbook (.xlsx) cannot be read: save it again from Excel/WPS as .xlsx or as CSV (UTF-8) and import that"
    }
    CliPersonUnknown = "cli.person_unknown" {
        "没有工牌号或姓名为 {who} 的人员",
        "no person has the badge or the name {who}"
    }
    CliPersonListHint = "cli.person_list_hint" {
        "`station person list` 列出所有人员及其工牌号",
        "`station person list` lists everyone with their badge"
    }
    CliPersonAmbiguous = "cli.person_ambiguous" {
        "有多人名为 {who}，请用工牌号指定：{people}",
        "more than one person is named {who}; name them by badge: {people}"
    }
    CliPersonSameName = "cli.person_same_name" {
        "已有同名人员：{people}",
        "someone of this name exists already: {people}"
    }
    CliPersonSameNameHint = "cli.person_same_name_hint" {
        "确是另一人时加上 --allow-same-name（命令行不做交互确认）",
        "if this is another person, add --allow-same-name (the command line does not ask interactively)"
    }
    CliPortInUse = "cli.port_in_use" {
        "无法监听 {addr}：该端口已被占用",
        "cannot listen on {addr}: the port is in use"
    }
    CliPortHeldBy = "cli.port_held_by" {
        "占用者：{process}；请停止它，或在 station.toml 中用 `listen` 键（或 --listen）换一个端口",
        "held by {process}; stop it, or choose another port with the `listen` key in station.toml (or --listen)"
    }
    CliPortHolderUnknown = "cli.port_holder_unknown" {
        "无法查明占用该端口的进程（可能属于其他用户）；请在 station.toml 中用 `listen` 键（或 --listen）换一个端口",
        "the process holding it cannot be found (it may belong to another user); choose another port with the `listen` key in station.toml (or --listen)"
    }

    // Labels and printers.
    LabelPdfTitle = "label.pdf_title" {
        "档案标签",
        "Archive station labels"
    }
    LabelMissingField = "label.missing_field" {
        "标签 {template} 缺少字段 {field}",
        "label {template} needs a value for `{field}`"
    }
    LabelCode128Invalid = "label.code128_invalid" {
        "标签 {template} 第 {element} 个元素：{problem}",
        "label {template}, element {element}: {problem}"
    }
    LabelCode128Empty = "label.code128_empty" {
        "条码内容为空",
        "the Code 128 value is empty"
    }
    LabelCode128Character = "label.code128_character" {
        "条码不能包含字符 {ch}（仅限可打印 ASCII）",
        "a Code 128 label value cannot contain {ch} (printable ASCII only)"
    }
    LabelCode128Encoder = "label.code128_encoder" {
        "条码 {value} 编码失败",
        "the Code 128 encoder refused {value}"
    }
    LabelBarcodeTooWide = "label.barcode_too_wide" {
        "标签 {template} 第 {element} 个元素的条码 {value} 太长，需要 {needed_mm} mm，只有 {width_mm} mm",
        "label {template}, element {element}: barcode {value} needs {needed_mm} mm, the box is {width_mm} mm"
    }
    LabelQrFailed = "label.qr_failed" {
        "标签 {template} 第 {element} 个元素的二维码无法生成：{problem}",
        "label {template}, element {element}: QR code: {problem}"
    }
    LabelQrUnencodable = "label.qr_unencodable" {
        "内容无法编码（{reason}）",
        "the value cannot be encoded ({reason})"
    }
    LabelQrDoesNotFit = "label.qr_does_not_fit" {
        "{side}×{side} 个模块在 {dpi} dpi 下放不进 {size} mm",
        "{side}×{side} modules do not fit in {size} mm at {dpi} dpi"
    }
    LabelMissingGlyph = "label.missing_glyph" {
        "字体 {font} 缺少字符 {ch}",
        "font {font} has no glyph for {ch}"
    }
    LabelUnsupportedDpi = "label.unsupported_dpi" {
        "不支持的分辨率 {dpi} dpi（100–600）",
        "unsupported resolution {dpi} dpi (100–600)"
    }
    LabelNoLabels = "label.no_labels" {
        "没有要打印的标签",
        "no labels to render"
    }
    LabelFontMissing = "label.font_missing" {
        "找不到标签字体 {path}：请安装文泉驿微米黑（sudo apt-get install fonts-wqy-microhei）或在配置中指定字体文件（{reason}）",
        "label font not found at {path}: install WenQuanYi Micro Hei (sudo apt-get install fonts-wqy-microhei) or configure a TrueType font path ({reason})"
    }
    LabelFontInvalid = "label.font_invalid" {
        "字体文件 {path} 无法解析（第 {face} 个字体）",
        "{path} is not a usable TrueType font (face {face})"
    }
    LabelCode128ReadBack = "label.code128_read_back" {
        "标签 {template} 第 {element} 个元素的条码读回失败（应为 {expected}，读到 {found}）",
        "label {template}, element {element}: Code 128 reads back as {found}, expected {expected}"
    }
    LabelQrReadBack = "label.qr_read_back" {
        "标签 {template} 第 {element} 个元素的二维码读回失败（应为 {expected}）：{problem}",
        "label {template}, element {element}: QR code does not read back as {expected}: {problem}"
    }
    LabelQrNoSymbol = "label.qr_no_symbol" {
        "找不到二维码",
        "no QR symbol found"
    }
    LabelQrUndecodable = "label.qr_undecodable" {
        "二维码无法解码（{reason}）",
        "the symbol does not decode ({reason})"
    }
    LabelQrDecodedOther = "label.qr_decoded_other" {
        "读到 {found}",
        "decoded {found}"
    }
    LabelTemplateInvalid = "label.template_invalid" {
        "标签模板 {origin} 第 {line} 行有误：{problem}",
        "{origin}:{line}: label template error: {problem}"
    }
    ChecklistInvalid = "checklist.invalid" {
        "资料清单 {origin} 第 {line} 行有误：{problem}",
        "{origin}:{line}: checklist error: {problem}"
    }
    ChecklistsUnreadable = "checklist.folder_unreadable" {
        "读取资料清单 {path} 失败：{reason}",
        "cannot read checklists at {path}: {reason}"
    }
    ChecklistUnreadable = "checklist.unreadable" {
        "无法读取清单：{detail}",
        "cannot read the checklist: {detail}"
    }
    ChecklistEmptyField = "checklist.empty_field" {
        "`{field}` 不能为空",
        "`{field}` must not be empty"
    }
    ChecklistNoItems = "checklist.no_items" {
        "清单没有任何 [[item]]",
        "the checklist has no [[item]]"
    }
    ChecklistDuplicateItem = "checklist.duplicate_item" {
        "资料 {name} 重复列出",
        "item {name} is listed twice"
    }
    ChecklistCategoryTaken = "checklist.category_taken" {
        "类别 {category} 已属于清单 {other}",
        "category {category} already belongs to checklist {other}"
    }
    LabelTemplatesUnreadable = "label.templates_unreadable" {
        "读取标签模板 {path} 失败：{reason}",
        "cannot read label templates at {path}: {reason}"
    }
    PrinterWrongLanguage = "printer.wrong_language" {
        "打印机 {printer} 只接受 {expected} 作业，收到 {got}",
        "printer {printer} takes {expected} jobs, not {got}"
    }
    PrinterConnectFailed = "printer.connect_failed" {
        "无法连接打印机 {printer}（{transport}）：{reason}",
        "cannot reach printer {printer} ({transport}): {reason}"
    }
    PrinterWriteFailed = "printer.write_failed" {
        "向打印机 {printer}（{transport}）发送失败：{reason}",
        "writing to printer {printer} ({transport}) failed: {reason}"
    }
    PrinterTimeout = "printer.timeout" {
        "打印机 {printer}（{transport}）{step}超时（{after}）",
        "printer {printer} ({transport}) timed out {step} (after {after})"
    }
    PrinterNoAnswer = "printer.no_answer" {
        "打印机 {printer}（{transport}）在 {after} 内未回应状态查询（缺纸、缺碳带、打印头打开或离线）",
        "printer {printer} ({transport}) did not answer ~HS within {after} (out of media or ribbon, head open, or offline)"
    }
    PrinterReadFailed = "printer.read_failed" {
        "读取打印机 {printer}（{transport}）状态失败：{reason}",
        "reading the status of printer {printer} ({transport}) failed: {reason}"
    }
    PrinterBadStatus = "printer.bad_status" {
        "打印机 {printer}（{transport}）的状态应答无效：{reason}",
        "printer {printer} ({transport}) sent a malformed status: {reason}"
    }
    PrinterFaulted = "printer.faulted" {
        "打印机 {printer}（{transport}）故障：{faults}",
        "printer {printer} ({transport}) faulted: {faults}"
    }
    PrinterStatusUnsupported = "printer.status_unsupported" {
        "打印机 {printer}（{transport}）不支持状态查询（只有经 tcp 或串口连接的 ZPL 打印机支持）",
        "printer {printer} ({transport}) cannot report its status (only ZPL over tcp or serial can)"
    }
    PrinterLpSpawnFailed = "printer.lp_spawn_failed" {
        "无法运行 lp 提交到打印机 {printer}（{transport}）：{reason}",
        "cannot run lp for printer {printer} ({transport}): {reason}"
    }
    PrinterLpRefused = "printer.lp_refused" {
        "CUPS 拒绝了打印机 {printer}（{transport}）的作业：{reason}",
        "CUPS refused the job for printer {printer} ({transport}): {reason}"
    }
    PrinterFileFailed = "printer.file_failed" {
        "打印机 {printer}（{transport}）写入文件 {path} 失败：{reason}",
        "printer {printer} ({transport}): writing {path} failed: {reason}"
    }
    PrinterBadJobName = "printer.bad_job_name" {
        "打印机 {printer}：作业名 {name} 不能用作文件名",
        "printer {printer}: job name {name} cannot be a file name"
    }
    PrinterPaperOut = "printer.paper_out" {
        "打印机缺纸",
        "printer out of paper"
    }
    PrinterRibbonOut = "printer.ribbon_out" {
        "打印机缺碳带",
        "printer out of ribbon"
    }
    PrinterHeadOpen = "printer.head_open" {
        "打印头未合上",
        "print head open"
    }
    PrinterPaused = "printer.paused" {
        "打印机已暂停",
        "printer paused"
    }
    PrinterOverTemperature = "printer.over_temperature" {
        "打印头过热",
        "print head over temperature"
    }
    PrinterDiagnosticMode = "printer.diagnostic_mode" {
        "打印机处于通信诊断模式",
        "printer in communications diagnostic mode"
    }
    PrinterUnderTemperature = "printer.under_temperature" {
        "打印头温度过低",
        "print head under temperature"
    }
    PrinterCorruptRam = "printer.corrupt_ram" {
        "打印机配置丢失",
        "printer configuration lost"
    }
    PrinterBufferFull = "printer.buffer_full" {
        "打印机接收缓冲区已满",
        "printer receive buffer full"
    }
    ConnectEmpty = "connect.empty" {
        "打印机连接地址为空",
        "the printer's connect address is empty"
    }
    ConnectMissingScheme = "connect.missing_scheme" {
        "连接地址 {text} 缺少类型，应以 tcp://、serial://、cups:// 或 dir:// 开头",
        "connect address {text} has no scheme: start it with tcp://, serial://, cups:// or dir://"
    }
    ConnectUnknownScheme = "connect.unknown_scheme" {
        "连接地址 {text} 的类型 {scheme} 不受支持，可用 tcp、serial、cups、dir",
        "connect address {text}: unknown scheme {scheme} (use tcp, serial, cups or dir)"
    }
    ConnectMissingHost = "connect.missing_host" {
        "连接地址 {text} 缺少主机名或 IP 地址",
        "connect address {text} lacks a host name or IP address"
    }
    ConnectBadPort = "connect.bad_port" {
        "连接地址 {text} 的端口 {port} 无效，应为 1–65535",
        "connect address {text}: port {port} is not a number from 1 to 65535"
    }
    ConnectUnexpectedPath = "connect.unexpected_path" {
        "连接地址 {text}：tcp:// 后只能是 主机:端口",
        "connect address {text}: tcp:// takes only host:port"
    }
    ConnectMissingPath = "connect.missing_path" {
        "连接地址 {text} 缺少路径",
        "connect address {text} lacks a path"
    }
    ConnectSerialNotAbsolute = "connect.serial_not_absolute" {
        "连接地址 {text}：串口路径须为绝对路径，如 serial:///dev/ttyUSB1（三个斜杠）",
        "connect address {text}: the serial port needs an absolute path, e.g. serial:///dev/ttyUSB1 (three slashes)"
    }
    ConnectBadOption = "connect.bad_option" {
        "连接地址 {text}：选项 {option} 无效（可用 baud=9600 等）",
        "connect address {text}: option {option} is unknown or invalid (known: baud=9600, ...)"
    }
    ConnectBadQueue = "connect.bad_queue" {
        "连接地址 {text}：CUPS 队列名 {queue} 无效（不能为空，不能含空格、/ \\ ? ' \" #）",
        "connect address {text}: CUPS queue name {queue} is invalid (empty, or contains space, / \\ ? ' \" #)"
    }

    // Ledger import.
    LedgerBadEncoding = "ledger.bad_encoding" {
        "文件不是有效的 {encoding} 文本（第 {line} 行附近）",
        "the file is not valid {encoding} text (near line {line})"
    }
    LedgerMissingColumn = "ledger.missing_column" {
        "缺少必需的列：{missing}（表头为：{found}）",
        "required column missing: {missing} (headers are: {found})"
    }
    LedgerDuplicateColumn = "ledger.duplicate_column" {
        "列 {column} 出现了两次",
        "column {column} appears twice"
    }
    LedgerNoLocationColumn = "ledger.no_location_column" {
        "没有找到位置列（如“存放位置”“位置”“库位”）：导入的档案盒将没有存放位置，需逐一上架。未导入任何内容；确需如此，请点“仍然导入（不带位置）”（命令行加 --without-location）。表头为：{found}",
        "no location column found (such as location, place or shelf): the boxes would be created without a place and each would have to be shelved by hand. Nothing was imported; to import anyway, choose \"Import anyway, without locations\" (--without-location on the command line). Headers are: {found}"
    }
    LedgerWithoutLocation = "ledger.without_location" {
        "注意：此台帐没有位置列，导入的档案盒都没有存放位置，需逐一上架",
        "warning: this ledger has no location column; the boxes imported have no place and must each be shelved"
    }
    LedgerIgnoredColumn = "ledger.ignored_column" {
        "忽略未知列 {column}",
        "ignored unknown column {column}"
    }
    LedgerDiffering = "ledger.differing" {
        "{archive_no} 已存在但字段不同，未修改：{fields}",
        "{archive_no} exists with different fields, not changed: {fields}"
    }
    LedgerBadXlsx = "ledger.bad_xlsx" {
        "无法读取 Excel 工作簿：{reason}",
        "the Excel workbook cannot be read: {reason}"
    }
    LedgerXlsxTooLarge = "ledger.xlsx_too_large" {
        "工作簿的文字部分解压后为 {size} 字节，超过上限 {max} 字节；请拆分后分批导入，或另存为 CSV",
        "the workbook's text part is {size} bytes uncompressed, over the limit of {max} bytes; split it or save it as CSV"
    }
    LedgerReadFailed = "ledger.read_failed" {
        "读取文件失败：{reason}",
        "reading the file failed: {reason}"
    }
    LedgerEmpty = "ledger.empty" {
        "文件为空或没有表头",
        "the file is empty or has no header row"
    }
    LedgerTooLarge = "ledger.too_large" {
        "文件超过 {max} 字节",
        "the file is larger than {max} bytes"
    }
    LedgerBadHeader = "ledger.bad_header" {
        "表头无法解析：{reason}",
        "the header row cannot be parsed: {reason}"
    }
    LedgerInterrupted = "ledger.interrupted" {
        "第 {line} 行之前的 {created} 个新档案已导入并保留，其后未导入：{reason}",
        "the {created} new boxes before line {line} were imported and are kept; nothing after: {reason}"
    }
    LedgerWriteFailed = "ledger.write_failed" {
        "写出失败：{reason}",
        "writing failed: {reason}"
    }
    LedgerFieldTooLong = "ledger.field_too_long" {
        "{column}字段过长",
        "{column} is absurdly long"
    }
    LedgerMultilineField = "ledger.multiline_field" {
        "字段跨越多行：可能有未闭合的引号",
        "a field spans several lines: probably an unclosed quote"
    }
    LedgerBadYear = "ledger.bad_year" {
        "年度 {text} 无效（应为 1900–2200 的年份）",
        "year {text} is not a year between 1900 and 2200"
    }
    LedgerBadDate = "ledger.bad_date" {
        "{column} {text} 不是日期（如 {examples}）",
        "{column} {text} is not a date (e.g. {examples})"
    }
    LedgerBadRetention = "ledger.bad_retention" {
        "保管期限 {text} 无效（如 {examples}）",
        "retention {text} is not valid (e.g. {examples})"
    }
    LedgerNotABoxBarcode = "ledger.not_a_box_barcode" {
        "条码 {barcode} 不是档案盒条码",
        "barcode {barcode} is not a box barcode"
    }
    LedgerMalformedCsv = "ledger.malformed_csv" {
        "CSV 格式错误：{reason}",
        "malformed CSV: {reason}"
    }
    LedgerTooManyFields = "ledger.too_many_fields" {
        "该行有 {found} 个字段，表头只有 {columns} 列",
        "the row has {found} fields but the header has {columns} columns"
    }
    LedgerDuplicateArchiveNo = "ledger.duplicate_archive_no" {
        "档案号 {archive_no} 与第 {first} 行重复",
        "archive number {archive_no} duplicates line {first}"
    }
    LedgerGap = "ledger.gap" {
        "{series}：缺 {missing} 号：{ranges}",
        "{series}: {missing} missing: {ranges}"
    }
    LedgerGapTruncated = "ledger.gap_truncated" {
        "{series}：缺 {missing} 号：{ranges} …（另有 {more} 段）",
        "{series}: {missing} missing: {ranges} … ({more} more ranges)"
    }

    // station.toml.
    ConfigReadFailed = "config.read_failed" {
        "无法读取配置文件 {path}：{reason}",
        "cannot read config file {path}: {reason}"
    }
    ConfigSyntax = "config.syntax" {
        "配置文件 {path} 第 {line} 行第 {column} 列有误（{text}）：{detail}",
        "config file {path} is invalid at line {line}, column {column} ({text}): {detail}"
    }
    ConfigDidYouMean = "config.did_you_mean" {
        "是不是想写 `{key}`？",
        "did you mean `{key}`?"
    }
    ConfigSyntaxUnplaced = "config.syntax_unplaced" {
        "配置文件 {path} 有误：{detail}",
        "config file {path} is invalid: {detail}"
    }
    ConfigInvalidValue = "config.invalid_value" {
        "配置文件 {path} 第 {line} 行的 {key} 有误：{problem}",
        "config file {path}, line {line}, key {key}: {problem}"
    }
    ConfigInvalidValueUnplaced = "config.invalid_value_unplaced" {
        "配置项 {key} 有误（{path}）：{problem}",
        "setting {key} ({path}) is wrong: {problem}"
    }
    ConfigOutOfRange = "config.out_of_range" {
        "{value} 不在 {min}–{max} 之间",
        "{value} is not between {min} and {max}"
    }
    ConfigNameEmpty = "config.name_empty" {
        "名称为空",
        "the name is empty"
    }
    ConfigNameTwice = "config.name_twice" {
        "名称 {name} 已被另一{what}使用",
        "the name {name} is used by another {what}"
    }
    ConfigUnknownPrinter = "config.unknown_printer" {
        "打印机 {printer} 未定义（已定义：{known}）",
        "printer {printer} is not defined (defined: {known})"
    }
    ConfigUnknownIntakeScheme = "config.unknown_intake_scheme" {
        "{name} 不是已配置或本站添加的编号方案",
        "{name} names no configured or station-managed scheme"
    }
    ConfigUnknownTimeZone = "config.unknown_time_zone" {
        "{name} 不是已知的时区（请用 IANA 时区名，如 Asia/Shanghai）",
        "{name} is not a known time zone (use an IANA name such as Asia/Shanghai)"
    }

    // The command line and the control socket.
    CliError = "cli.error" {
        "错误",
        "error"
    }
    CliImporting = "cli.importing" {
        "导入",
        "importing"
    }
    ControlMalformedRequest = "control.malformed_request" {
        "请求格式错误：{detail}",
        "malformed request: {detail}"
    }
    ControlUnknownRequest = "control.unknown_request" {
        "无法识别的请求",
        "unrecognised request"
    }
    ControlSheetNotWritten = "control.sheet_not_written" {
        "标签页无法写入 {path}：{reason}",
        "the label sheets cannot be written to {path}: {reason}"
    }
    ControlBusy = "control.busy" {
        "控制套接字同时处理的连接已达上限（{max} 个），请稍后再试",
        "the control socket is serving its limit of {max} connections; try again shortly"
    }
    ControlReadTimeout = "control.read_timeout" {
        "{seconds} 秒内未收到完整的请求行，连接已关闭",
        "no complete request line within {seconds} s; the connection is closed"
    }

    // Label templates: what is wrong in a template file.
    TemplateUnreadable = "template.unreadable" {
        "无法读取模板：{detail}",
        "cannot read the template: {detail}"
    }
    TemplateNotMillimetres = "template.not_millimetres" {
        "`{key}` 应为非负的毫米数，而不是 {number}",
        "`{key}` must be a non-negative number of mm, not {number}"
    }
    TemplateNeedsKey = "template.needs_key" {
        "{kind} 元素缺少 `{key}`",
        "{kind} element needs `{key}`"
    }
    TemplateNotPositive = "template.not_positive" {
        "`{key}` 必须大于 0 mm",
        "`{key}` must be greater than 0 mm"
    }
    TemplateUnclosedPlaceholder = "template.unclosed_placeholder" {
        "{text} 中的占位符 `{{{name}` 没有闭合",
        "unclosed placeholder `{{{name}` in {text}"
    }
    TemplateUnknownPlaceholder = "template.unknown_placeholder" {
        "未知占位符 `{{{name}}}`（可用：{known}）",
        "unknown placeholder `{{{name}}}` (known: {known})"
    }
    TemplateStrayBrace = "template.stray_brace" {
        "{text} 中有多余的 `}}`（花括号本身请写 `}}}}`）",
        "stray `}}` in {text} (write `}}}}` for a brace)"
    }
    TemplateLabelSize = "template.label_size" {
        "标签{dimension} {value} mm 不在 0–{max} mm 之间",
        "label {dimension} {value} mm is not in 0–{max} mm"
    }
    TemplateNoName = "template.no_name" {
        "标签名称为空",
        "label name is empty"
    }
    TemplateUnknownPage = "template.unknown_page" {
        "未知的纸张 `{page}`（可用 A4、A5、letter，或 page_width + page_height）",
        "unknown page `{page}` (A4, A5, letter, or page_width + page_height)"
    }
    TemplateSheetPage = "template.sheet_page" {
        "sheet 需要 `page`，或同时给出 `page_width` 和 `page_height`",
        "sheet needs either `page` or both `page_width` and `page_height`"
    }
    TemplateSheetEmpty = "template.sheet_empty" {
        "sheet 至少需要一列一行",
        "sheet needs at least one column and one row"
    }
    TemplateSheetOverlap = "template.sheet_overlap" {
        "sheet 的间距小于标签：标签会重叠",
        "sheet pitch is smaller than the label: labels would overlap"
    }
    TemplateSheetTooBig = "template.sheet_too_big" {
        "{columns}×{rows} 个标签放不进 {page_width}×{page_height} mm 的纸（需要 {right}×{bottom} mm）",
        "{columns}×{rows} labels do not fit the {page_width}×{page_height} mm page (they reach {right}×{bottom} mm)"
    }
    TemplateUnknownKind = "template.unknown_kind" {
        "未知的元素类型 `{kind}`（可用：text、code128、qr、line、frame）",
        "unknown element kind `{kind}` (known: text, code128, qr, line, frame)"
    }
    TemplateKeyNotApplicable = "template.key_not_applicable" {
        "`{key}` 不适用于 {kind} 元素",
        "`{key}` does not apply to a {kind} element"
    }
    TemplateUnknownAlign = "template.unknown_align" {
        "未知的对齐方式 `{align}`（left、center、right）",
        "unknown align `{align}` (left, center, right)"
    }
    TemplateModuleRange = "template.module_range" {
        "`module` 应在 0–5 mm 之间",
        "`module` must be between 0 and 5 mm"
    }
    TemplateUnknownEcc = "template.unknown_ecc" {
        "未知的纠错等级 `{ecc}`（L、M、Q、H）",
        "unknown ecc `{ecc}` (L, M, Q, H)"
    }
    TemplateOutsideLabel = "template.outside_label" {
        "{kind} 元素延伸到 ({left}, {top})–({right}, {bottom}) mm，超出 {width}×{height} mm 的标签",
        "{kind} element reaches ({left}, {top})–({right}, {bottom}) mm, outside the {width}×{height} mm label"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether `c` is a Chinese, Japanese or Korean character or full-width punctuation.
    pub(crate) fn is_cjk(c: char) -> bool {
        matches!(c as u32,
            0x2E80..=0x2FDF      // radicals
            | 0x3000..=0x303F    // CJK symbols and punctuation (、。「」)
            | 0x3040..=0x30FF    // kana
            | 0x3400..=0x4DBF    // extension A
            | 0x4E00..=0x9FFF    // unified ideographs
            | 0xF900..=0xFAFF    // compatibility ideographs
            | 0xFF00..=0xFFEF    // full-width forms (，：（）)
            | 0x20000..=0x2FA1F) // extensions B–F
    }

    fn placeholders(template: &str) -> Vec<String> {
        let unescaped = template.replace("{{", "").replace("}}", "");
        let mut names: Vec<String> = unescaped
            .split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name.to_owned()))
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    }

    #[test]
    fn every_code_has_an_english_text_without_chinese_and_a_chinese_text() {
        for code in Code::ALL {
            let (zh, en) = code.templates();
            assert!(
                !en.chars().any(is_cjk),
                "{code}: the English text has CJK characters: {en}"
            );
            assert!(
                zh.chars().any(is_cjk),
                "{code}: the Chinese text has no Chinese: {zh}"
            );
            assert!(
                !en.trim().is_empty() && !zh.trim().is_empty(),
                "{code}: empty text"
            );
        }
    }

    #[test]
    fn both_halves_of_a_code_take_the_same_values() {
        for code in Code::ALL {
            let (zh, en) = code.templates();
            // The numbering help names placeholders literally in both languages.
            assert_eq!(placeholders(zh), placeholders(en), "{code}");
        }
    }

    #[test]
    fn codes_are_unique_dotted_snake_case() {
        let mut seen = std::collections::BTreeSet::new();
        for code in Code::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} appears twice");
            let (area, what) = text.split_once('.').unwrap_or(("", ""));
            assert!(
                !area.is_empty()
                    && !what.is_empty()
                    && text.chars().all(|c| c.is_ascii_lowercase()
                        || c.is_ascii_digit()
                        || c == '_'
                        || c == '.'),
                "{text} is not area.snake_case"
            );
            assert_eq!(Code::parse(text), Some(*code));
        }
    }

    #[test]
    fn filling_replaces_each_placeholder_once_and_keeps_data_as_given() {
        let message = crate::message!(
            LoanOnLoan,
            item = "B1",
            borrower = "{since}",
            since = "2026-12-02"
        );
        assert_eq!(message.code, Code::LoanOnLoan);
        assert_eq!(
            message.text.en,
            "box B1 is on loan to {since} since 2026-12-02"
        );
        assert_eq!(message.text.zh, "档案盒 B1 已被 {since} 于 2026-12-02 借出");
        let pair = crate::message!(
            ItemWrongKind,
            barcode = "C1",
            found = ("权证", "certificate"),
            expected = ("档案盒", "box")
        );
        assert_eq!(pair.text.en, "barcode C1 is a certificate, expected a box");
        assert_eq!(pair.text.zh, "条码 C1 是权证，此处需要档案盒");
    }

    /// The table of codes as ARCHITECTURE.md shows it.
    fn code_table() -> String {
        let mut table = String::from("| code | English text |\n|---|---|\n");
        for code in Code::ALL {
            let (_, en) = code.templates();
            table.push_str(&format!(
                "| `{}` | {} |\n",
                code.as_str(),
                en.replace('|', "\\|")
            ));
        }
        table
    }

    #[test]
    fn every_code_is_listed_in_architecture_md_with_its_english_text() {
        let doc = include_str!("../../ARCHITECTURE.md");
        let table = code_table();
        assert!(
            doc.contains(&table),
            "ARCHITECTURE.md's table of message codes is not the catalog's; it should read:\n{table}"
        );
    }
}
