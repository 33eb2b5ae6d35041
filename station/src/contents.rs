//! A box's contents list (册内资料清单) and the category checklists (典型资料清单) it is
//! checked against: which documents a file must hold, which need a signature, and what a
//! given box lacks.
//!
//! A checklist is a TOML file (see `checklists/README.md`); the shipped ones are embedded,
//! and a folder named by `checklists` in station.toml overrides and extends them. Like the
//! label templates, every file is validated when it is loaded and a mistake is named by
//! file and line.
//!
//! **Invariant:** a [`Checklists`] that exists is valid: every checklist has a name, at
//! least one category and item, no category belongs to two checklists, and no item name
//! repeats within one checklist. Completeness is computed from it and the contents, never
//! stored (only a box's waiting for supplements is, in the store).

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::message;
use crate::message::Message;

/// Most documents one box's contents list may hold.
pub const MAX_DOCUMENTS: usize = 500;
/// Longest document name or type, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// One document of a box's contents list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Document {
    /// What the document is called on the list (`借款合同（2012鸿借字第001号）`).
    pub name: String,
    /// Its type: an item of the category's checklist (`借款合同`), or free text; empty when
    /// none is given.
    #[serde(default)]
    pub doc_type: String,
    /// Page count, covers included.
    pub pages: u32,
    /// The document's date (a local date).
    #[serde(default)]
    pub date: Option<NaiveDate>,
    /// An original (true) or a copy (false).
    #[serde(default = "yes")]
    pub original: bool,
    /// When the contract expires (合同到期日), if it does.
    #[serde(default)]
    pub expiry: Option<NaiveDate>,
    /// Whether it is signed, where a signature is required (none: not recorded).
    #[serde(default)]
    pub signed: Option<bool>,
}

fn yes() -> bool {
    true
}

impl Document {
    /// The checklist item this document stands for: its type, or its name without one.
    pub fn kind(&self) -> &str {
        if self.doc_type.trim().is_empty() {
            self.name.trim()
        } else {
            self.doc_type.trim()
        }
    }

    /// What is wrong with this document, if anything (a name, a sane page count, short
    /// texts).
    pub fn check(&self) -> Result<(), Message> {
        if self.name.trim().is_empty() {
            return Err(message!(ContentsNoName));
        }
        for text in [&self.name, &self.doc_type] {
            if text.chars().count() > MAX_NAME_CHARS || text.chars().any(char::is_control) {
                return Err(message!(
                    ContentsBadText,
                    text = text.chars().take(20).collect::<String>(),
                    max = MAX_NAME_CHARS
                ));
            }
        }
        if self.pages == 0 || self.pages > 100_000 {
            return Err(message!(
                ContentsBadPages,
                name = &self.name,
                pages = self.pages
            ));
        }
        Ok(())
    }

    /// One line for an event: `借款合同 · 12页 · 原件`.
    pub fn summary(&self) -> String {
        let mut text = format!("{} · {}页 · {}", self.name, self.pages, {
            if self.original {
                "原件"
            } else {
                "复印件"
            }
        });
        if !self.doc_type.is_empty() && self.doc_type != self.name {
            text.push_str(&format!(" · 类型 {}", self.doc_type));
        }
        if let Some(date) = self.date {
            text.push_str(&format!(" · {date}"));
        }
        if let Some(expiry) = self.expiry {
            text.push_str(&format!(" · 到期 {expiry}"));
        }
        match self.signed {
            Some(true) => text.push_str(" · 已签"),
            Some(false) => text.push_str(" · 未签"),
            None => {}
        }
        text
    }
}

/// One item of a checklist: a document a file of the category holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ChecklistItem {
    /// The part of the file it belongs in (`立项审批资料`), or empty.
    pub part: String,
    /// The document's type name (`借款合同`).
    pub name: String,
    /// Whether every file must hold it.
    pub required: bool,
    /// Who must sign it, when a signature is needed (`借款人签章`).
    pub signature: Option<String>,
}

/// The typical contents of the files of some categories.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Checklist {
    /// Its name (`借款担保项目`).
    pub name: String,
    /// The box categories it is for.
    pub categories: Vec<String>,
    /// Its items, in the order of the file (parts in order).
    pub items: Vec<ChecklistItem>,
    /// Where it came from (a file path or `builtin:loan-project.toml`).
    #[serde(skip)]
    pub origin: String,
}

/// What a box lacks: a required document that is missing, or present but unsigned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Lack {
    /// The part of the file.
    pub part: String,
    /// The document's type name.
    pub name: String,
    /// Who must sign it, for an unsigned document (stored with postcard: never skipped).
    #[serde(default)]
    pub signature: Option<String>,
}

/// How complete a box's contents are against its category's checklist.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Completeness {
    /// The checklist used (none: the category has none, and nothing is required).
    pub checklist: Option<String>,
    /// Required documents that are not in the box.
    pub missing: Vec<Lack>,
    /// Required documents in the box whose needed signature is not recorded as given.
    pub unsigned: Vec<Lack>,
}

impl Completeness {
    /// Nothing missing and nothing unsigned.
    pub fn is_complete(&self) -> bool {
        self.missing.is_empty() && self.unsigned.is_empty()
    }

    /// Every lack in one list: the missing first, then the unsigned.
    pub fn lacks(&self) -> Vec<Lack> {
        self.missing
            .iter()
            .chain(self.unsigned.iter())
            .cloned()
            .collect()
    }

    /// One line naming every lack, for events and messages: `借款合同；保证合同（未签：保证人签章）`.
    pub fn describe(&self) -> String {
        let mut parts: Vec<String> = self.missing.iter().map(|lack| lack.name.clone()).collect();
        for lack in &self.unsigned {
            parts.push(format!(
                "{}（未签：{}）",
                lack.name,
                lack.signature.as_deref().unwrap_or("")
            ));
        }
        parts.join("；")
    }
}

impl Checklist {
    /// Checks `documents` against this checklist.
    pub fn check(&self, documents: &[Document]) -> Completeness {
        let mut completeness = Completeness {
            checklist: Some(self.name.clone()),
            missing: Vec::new(),
            unsigned: Vec::new(),
        };
        for item in self.items.iter().filter(|item| item.required) {
            let lack = Lack {
                part: item.part.clone(),
                name: item.name.clone(),
                signature: None,
            };
            let present: Vec<&Document> = documents
                .iter()
                .filter(|document| document.kind() == item.name)
                .collect();
            if present.is_empty() {
                completeness.missing.push(lack);
            } else if let Some(signature) = &item.signature {
                if !present.iter().any(|document| document.signed == Some(true)) {
                    completeness.unsigned.push(Lack {
                        signature: Some(signature.clone()),
                        ..lack
                    });
                }
            }
        }
        completeness
    }

    /// The checklist item a document type names, if any.
    pub fn item(&self, name: &str) -> Option<&ChecklistItem> {
        self.items.iter().find(|item| item.name == name.trim())
    }
}

/// The shipped checklists, embedded in the binary: (file name, text).
const BUILTIN: &[(&str, &str)] = &[
    (
        "loan-project.toml",
        include_str!("../../checklists/loan-project.toml"),
    ),
    (
        "power-customer.toml",
        include_str!("../../checklists/power-customer.toml"),
    ),
];

/// A checklist file that failed to load: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct ChecklistError {
    /// Where the text came from (a file path or `builtin:loan-project.toml`).
    pub origin: String,
    /// 1-based line of the offending entry (0 when the problem is not tied to a line).
    pub line: usize,
    /// What is wrong.
    pub problem: Message,
}

impl ChecklistError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        message!(
            ChecklistInvalid,
            origin = &self.origin,
            line = self.line,
            problem = self.problem.clone()
        )
    }
}

crate::message::display_by_message!(ChecklistError);

/// Loading a checklist folder failed.
#[derive(Debug)]
pub enum ChecklistLoadError {
    /// The folder or a file in it could not be read.
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file did not validate.
    Invalid(ChecklistError),
}

impl ChecklistLoadError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            ChecklistLoadError::Io { path, source } => message!(
                ChecklistsUnreadable,
                path = path.display().to_string(),
                reason = source
            ),
            ChecklistLoadError::Invalid(error) => error.message(),
        }
    }
}

crate::message::display_by_message!(ChecklistLoadError);

impl From<ChecklistError> for ChecklistLoadError {
    fn from(error: ChecklistError) -> Self {
        ChecklistLoadError::Invalid(error)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    checklist: RawHead,
    #[serde(default)]
    item: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHead {
    name: Spanned<String>,
    categories: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    #[serde(default)]
    part: Option<Spanned<String>>,
    name: Spanned<String>,
    required: Spanned<bool>,
    #[serde(default)]
    signature: Option<Spanned<String>>,
}

/// Line number (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |head| head.iter().filter(|&&b| b == b'\n').count())
        + 1
}

impl Checklist {
    /// Parses and validates one checklist file. `origin` names the source in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Checklist, ChecklistError> {
        let error = |span: Range<usize>, problem: Message| ChecklistError {
            origin: origin.to_owned(),
            line: line_of(text, span.start),
            problem,
        };
        let raw: RawFile = toml::from_str(text).map_err(|toml_error| ChecklistError {
            origin: origin.to_owned(),
            line: toml_error
                .span()
                .map_or(0, |span| line_of(text, span.start)),
            problem: message!(ChecklistUnreadable, detail = toml_error.message().trim()),
        })?;
        let name = raw.checklist.name.get_ref().trim().to_owned();
        if name.is_empty() {
            return Err(error(
                raw.checklist.name.span(),
                message!(ChecklistEmptyField, field = "name"),
            ));
        }
        let mut categories = Vec::new();
        for category in raw.checklist.categories.get_ref() {
            let text = category.get_ref().trim();
            if text.is_empty() {
                return Err(error(
                    category.span(),
                    message!(ChecklistEmptyField, field = "categories"),
                ));
            }
            categories.push(text.to_owned());
        }
        if categories.is_empty() {
            return Err(error(
                raw.checklist.categories.span(),
                message!(ChecklistEmptyField, field = "categories"),
            ));
        }
        if raw.item.is_empty() {
            return Err(error(0..0, message!(ChecklistNoItems)));
        }
        let mut items: Vec<ChecklistItem> = Vec::with_capacity(raw.item.len());
        for item in &raw.item {
            let item_name = item.name.get_ref().trim().to_owned();
            if item_name.is_empty() {
                return Err(error(
                    item.name.span(),
                    message!(ChecklistEmptyField, field = "name"),
                ));
            }
            if item_name.chars().count() > MAX_NAME_CHARS {
                return Err(error(
                    item.name.span(),
                    message!(
                        ContentsBadText,
                        text = item_name.chars().take(20).collect::<String>(),
                        max = MAX_NAME_CHARS
                    ),
                ));
            }
            if items.iter().any(|seen| seen.name == item_name) {
                return Err(error(
                    item.name.span(),
                    message!(ChecklistDuplicateItem, name = &item_name),
                ));
            }
            let signature = match &item.signature {
                Some(signature) if signature.get_ref().trim().is_empty() => {
                    return Err(error(
                        signature.span(),
                        message!(ChecklistEmptyField, field = "signature"),
                    ))
                }
                Some(signature) => Some(signature.get_ref().trim().to_owned()),
                None => None,
            };
            items.push(ChecklistItem {
                part: item
                    .part
                    .as_ref()
                    .map(|part| part.get_ref().trim().to_owned())
                    .unwrap_or_default(),
                name: item_name,
                required: *item.required.get_ref(),
                signature,
            });
        }
        Ok(Checklist {
            name,
            categories,
            items,
            origin: origin.to_owned(),
        })
    }
}

/// The checklists by name: the shipped ones, optionally overridden from a folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Checklists {
    by_name: BTreeMap<String, Checklist>,
}

impl Checklists {
    /// The checklists shipped in `checklists/`, embedded at build time.
    pub fn builtin() -> Result<Checklists, ChecklistError> {
        let mut checklists = Checklists::default();
        for (file, text) in BUILTIN {
            let origin = format!("builtin:{file}");
            checklists.add(Checklist::parse(text, &origin)?, text)?;
        }
        Ok(checklists)
    }

    /// The shipped checklists, overridden (same name) and extended by every `*.toml` in
    /// `dir`, files in name order.
    pub fn load_dir(dir: &Path) -> Result<Checklists, ChecklistLoadError> {
        let mut checklists = Checklists::builtin()?;
        let io = |path: &Path, source| ChecklistLoadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(|source| io(dir, source))? {
            let path = entry.map_err(|source| io(dir, source))?.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| io(&path, source))?;
            let checklist = Checklist::parse(&text, &path.display().to_string())?;
            checklists.add(checklist, &text)?;
        }
        Ok(checklists)
    }

    /// Adds `checklist` (replacing one of the same name); refused when another checklist
    /// already claims one of its categories.
    fn add(&mut self, checklist: Checklist, text: &str) -> Result<(), ChecklistError> {
        for category in &checklist.categories {
            let other = self
                .by_name
                .values()
                .find(|other| other.name != checklist.name && other.categories.contains(category));
            if let Some(other) = other {
                let offset = text.find(category.as_str()).unwrap_or(0);
                return Err(ChecklistError {
                    origin: checklist.origin.clone(),
                    line: line_of(text, offset),
                    problem: message!(
                        ChecklistCategoryTaken,
                        category = category,
                        other = &other.name
                    ),
                });
            }
        }
        self.by_name.insert(checklist.name.clone(), checklist);
        Ok(())
    }

    /// The checklist for boxes of `category`.
    pub fn for_category(&self, category: &str) -> Option<&Checklist> {
        let category = category.trim();
        self.by_name
            .values()
            .find(|checklist| checklist.categories.iter().any(|c| c == category))
    }

    /// Every checklist, by name.
    pub fn all(&self) -> impl Iterator<Item = &Checklist> {
        self.by_name.values()
    }

    /// How complete `documents` are for a box of `category`.
    pub fn check(&self, category: &str, documents: &[Document]) -> Completeness {
        match self.for_category(category) {
            Some(checklist) => checklist.check(documents),
            None => Completeness {
                checklist: None,
                missing: Vec::new(),
                unsigned: Vec::new(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Code;

    fn document(name: &str, signed: Option<bool>) -> Document {
        Document {
            name: name.to_owned(),
            doc_type: String::new(),
            pages: 3,
            date: None,
            original: true,
            expiry: None,
            signed,
        }
    }

    #[test]
    fn the_shipped_checklists_load_with_the_loan_project_in_its_four_parts_in_order() {
        let checklists = Checklists::builtin().expect("shipped checklists are valid");
        let loan = checklists.for_category("借款").expect("loan checklist");
        let mut parts: Vec<&str> = Vec::new();
        for item in &loan.items {
            if parts.last() != Some(&item.part.as_str()) {
                parts.push(&item.part);
            }
        }
        assert_eq!(
            parts,
            [
                "立项审批资料",
                "重要合同或单据",
                "项目调查资料",
                "客户或企业资料"
            ]
        );
        for name in [
            "项目审批表",
            "借款合同",
            "保证合同",
            "抵押合同",
            "尽职调查报告",
            "营业执照",
            "财务报表",
        ] {
            assert!(loan.item(name).is_some(), "{name}");
        }
        let power = checklists.for_category("供电").expect("power checklist");
        let check = power.item("用电检查单").expect("用电检查单");
        assert!(check.required);
        assert_eq!(check.signature.as_deref(), Some("客户签字"));
        assert!(power.item("报装申请").is_some() && power.item("供用电合同").is_some());
    }

    #[test]
    fn completeness_names_the_missing_and_the_unsigned_required_documents() {
        let checklists = Checklists::builtin().expect("valid");
        let power = checklists.for_category("供电").expect("power");
        let required: Vec<&ChecklistItem> = power.items.iter().filter(|i| i.required).collect();
        let mut documents: Vec<Document> = required
            .iter()
            .map(|item| document(&item.name, item.signature.as_ref().map(|_| true)))
            .collect();
        assert!(power.check(&documents).is_complete());
        documents.retain(|document| document.name != "报装申请");
        if let Some(check) = documents.iter_mut().find(|d| d.name == "用电检查单") {
            check.signed = Some(false);
        }
        let completeness = power.check(&documents);
        assert_eq!(
            completeness
                .missing
                .iter()
                .map(|l| l.name.as_str())
                .collect::<Vec<_>>(),
            ["报装申请"]
        );
        assert_eq!(completeness.unsigned.len(), 1);
        assert_eq!(completeness.unsigned[0].name, "用电检查单");
        assert!(!completeness.is_complete());
        // A document typed by the checklist counts whatever its own name.
        let mut typed = document("报装申请表（张三）", None);
        typed.doc_type = "报装申请".to_owned();
        documents.push(typed);
        assert!(power.check(&documents).missing.is_empty());
        // A category without a checklist requires nothing.
        assert!(checklists.check("杂项", &[]).is_complete());
    }

    fn refused(text: &str) -> ChecklistError {
        Checklist::parse(text, "bad.toml").expect_err("refused")
    }

    #[test]
    fn a_bad_checklist_is_refused_with_its_file_and_line() {
        let head = "[checklist]\nname = \"x\"\ncategories = [\"a\"]\n";
        let cases: &[(String, usize, Code)] = &[
            (format!("{head}[[item]]\nname = \"\"\nrequired = true\n"), 5, Code::ChecklistEmptyField),
            (
                format!("{head}[[item]]\nname = \"甲\"\nrequired = true\n[[item]]\nname = \"甲\"\nrequired = false\n"),
                8,
                Code::ChecklistDuplicateItem,
            ),
            (format!("{head}[[item]]\nname = \"甲\"\nrequird = true\n"), 6, Code::ChecklistUnreadable),
            (format!("{head}[[item]]\nname = \"甲\"\nrequired = true\nsignature = \" \"\n"), 7, Code::ChecklistEmptyField),
            ("[checklist]\nname = \"x\"\ncategories = []\n[[item]]\nname = \"甲\"\nrequired = true\n".to_owned(), 3, Code::ChecklistEmptyField),
            (head.to_owned(), 1, Code::ChecklistNoItems),
        ];
        for (text, line, code) in cases {
            let error = refused(text);
            assert_eq!((error.line, error.problem.code), (*line, *code), "{text}");
            assert_eq!(error.origin, "bad.toml");
            assert_eq!(error.message().code, Code::ChecklistInvalid);
        }
    }

    #[test]
    fn a_checklist_folder_overrides_the_shipped_ones_and_names_a_bad_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(
            dir.path().join("loan-project.toml"),
            "[checklist]\nname = \"借款担保项目\"\ncategories = [\"借款\"]\n[[item]]\nname = \"借款合同\"\nrequired = true\n",
        )
        .expect("write");
        let checklists = Checklists::load_dir(dir.path()).expect("loads");
        let loan = checklists.for_category("借款").expect("loan");
        assert_eq!(loan.items.len(), 1);
        assert!(checklists.for_category("供电").is_some());
        std::fs::write(
            dir.path().join("other.toml"),
            "[checklist]\nname = \"另一个\"\n\ncategories = [\"供电\"]\n[[item]]\nname = \"甲\"\nrequired = true\n",
        )
        .expect("write");
        let error = match Checklists::load_dir(dir.path()) {
            Err(ChecklistLoadError::Invalid(error)) => error,
            other => panic!("expected a refusal, got {other:?}"),
        };
        assert!(error.origin.ends_with("other.toml"), "{}", error.origin);
        assert_eq!(
            (error.line, error.problem.code),
            (4, Code::ChecklistCategoryTaken)
        );
    }

    #[test]
    fn station_toml_names_a_checklist_folder_and_a_bad_file_stops_the_start_with_its_line() {
        let dir = tempfile::tempdir().expect("temp dir");
        let folder = dir.path().join("checklists");
        std::fs::create_dir(&folder).expect("folder");
        std::fs::write(
            folder.join("deposit.toml"),
            "[checklist]\nname = \"存款\"\ncategories = [\"存款\"]\n[[item]]\nname = \"开户申请书\"\nrequired = true\n",
        )
        .expect("write");
        let text = format!("checklists = {:?}\n", folder.display().to_string());
        let config = crate::config::Config::parse(&text, "station.toml").expect("config");
        let workflow = config.workflow(&[]).expect("valid checklists");
        assert!(workflow.checklists.for_category("存款").is_some());
        assert!(
            workflow.checklists.for_category("借款").is_some(),
            "shipped ones stay"
        );
        std::fs::write(
            folder.join("deposit.toml"),
            "[checklist]\nname = \"存款\"\ncategories = [\"存款\"]\n[[item]]\nname = \"开户申请书\"\nrequired = \"yes\"\n",
        )
        .expect("write");
        let error = config.workflow(&[]).expect_err("refused");
        assert_eq!(error.message().code, Code::ConfigInvalidValue);
        match error {
            crate::config::ConfigError::Value {
                path,
                line,
                problem,
                ..
            } => {
                assert!(path.ends_with("deposit.toml"), "{path}");
                assert_eq!(line, Some(6));
                assert_eq!(problem.code, Code::ChecklistUnreadable);
            }
            other => panic!("expected the file and line, got {other:?}"),
        }
    }

    #[test]
    fn a_document_is_checked_before_it_is_kept() {
        assert!(document("借款合同", None).check().is_ok());
        let mut bad = document(" ", None);
        assert_eq!(bad.check().map_err(|m| m.code), Err(Code::ContentsNoName));
        bad = document("借款合同", None);
        bad.pages = 0;
        assert_eq!(bad.check().map_err(|m| m.code), Err(Code::ContentsBadPages));
        bad = document("借款\n合同", None);
        assert_eq!(bad.check().map_err(|m| m.code), Err(Code::ContentsBadText));
    }
}
