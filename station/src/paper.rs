//! Papers printed for signature: the handover list (移交清单) of a box, in three copies
//! (A角联 / B角联 / 档案联), each with the box's barcode, a QR that finds the handover in
//! the station, the contents list with page counts and totals, and the parties' signature
//! and date lines.
//!
//! Pages are laid out as label templates (the same TOML format, validated by the same
//! parser) built here for the data at hand, and rendered by the label PDF renderer with the
//! station's CJK font: one layout engine for labels and papers.

use crate::contents::Document;
use crate::label::{Template, TemplateError};

/// The three copies of a handover list, in print order.
pub const COPIES: [&str; 3] = ["A角联", "B角联", "档案联"];

/// Document lines on the first page of a copy (after the header) and on each further page.
const FIRST_PAGE_LINES: usize = 24;
const NEXT_PAGE_LINES: usize = 36;

/// What a handover list shows.
#[derive(Debug, Clone)]
pub struct HandoverList {
    /// The handover's number.
    pub handover: u64,
    /// Which step (`A角 → B角`, `B角 → 档案室`).
    pub stage: String,
    /// The box's system barcode.
    pub barcode: String,
    /// Its archive number.
    pub archive_no: String,
    /// Its customer or project.
    pub customer: String,
    /// Its title.
    pub title: String,
    /// The documents in order.
    pub documents: Vec<Document>,
    /// The project officer A (name, or empty to fill in).
    pub officer_a: String,
    /// The reviewer B.
    pub officer_b: String,
    /// The archivist.
    pub archivist: String,
    /// The day it was printed (a local date).
    pub date: chrono::NaiveDate,
    /// What the QR holds: where the station shows this handover.
    pub qr: String,
}

fn quoted(text: &str) -> String {
    // Braces are placeholders in templates; data keeps them as literal braces.
    let literal = text
        .replace('{', "{{")
        .replace('}', "}}")
        .replace(|c: char| c.is_control(), " ");
    toml::Value::String(literal).to_string()
}

struct Page {
    toml: String,
}

impl Page {
    fn new(name: &str) -> Page {
        Page {
            toml: format!(
                "[label]\nname = {}\nwidth = 210.0\nheight = 297.0\n",
                quoted(name)
            ),
        }
    }

    // The text element's own seven keys, in the template format's order.
    #[allow(clippy::too_many_arguments)]
    fn text(&mut self, x: f64, y: f64, w: f64, size: f64, bold: bool, align: &str, text: &str) {
        if text.trim().is_empty() {
            return;
        }
        self.toml.push_str(&format!(
            "[[element]]\nkind = \"text\"\nx = {x:.1}\ny = {y:.1}\nw = {w:.1}\nsize = {size:.1}\nbold = {bold}\nalign = \"{align}\"\ntext = {}\n",
            quoted(text)
        ));
    }

    fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64) {
        self.toml.push_str(&format!(
            "[[element]]\nkind = \"line\"\nx1 = {x1:.1}\ny1 = {y1:.1}\nx2 = {x2:.1}\ny2 = {y2:.1}\nthickness = 0.3\n"
        ));
    }

    fn code128(&mut self, x: f64, y: f64, data: &str) {
        self.toml.push_str(&format!(
            "[[element]]\nkind = \"code128\"\nx = {x:.1}\ny = {y:.1}\nw = 62.0\nh = 14.0\nmodule = 0.375\ndata = {}\n",
            quoted(data)
        ));
    }

    fn qr(&mut self, x: f64, y: f64, size: f64, data: &str) {
        self.toml.push_str(&format!(
            "[[element]]\nkind = \"qr\"\nx = {x:.1}\ny = {y:.1}\nsize = {size:.1}\necc = \"M\"\ndata = {}\n",
            quoted(data)
        ));
    }

    fn template(self, origin: &str) -> Result<Template, TemplateError> {
        Template::parse(&self.toml, origin)
    }
}

/// Columns of the contents table: x and width in mm.
const COLUMNS: [(f64, f64); 6] = [
    (12.0, 12.0),  // 序号
    (25.0, 78.0),  // 资料名称
    (104.0, 34.0), // 类型
    (139.0, 22.0), // 日期
    (162.0, 16.0), // 原件/复印件
    (179.0, 19.0), // 页数
];

fn table_row(page: &mut Page, y: f64, cells: [&str; 6], bold: bool) {
    for ((x, w), text) in COLUMNS.iter().zip(cells) {
        let align = if *x > 170.0 { "right" } else { "left" };
        page.text(*x, y, *w, 3.4, bold, align, text);
    }
}

impl HandoverList {
    /// Ends `page` (kept in `pages`) and starts the next one of copy `copy` with its
    /// continued heading; answers where its first line goes.
    fn next_page(&self, pages: &mut Vec<Page>, page: &mut Page, copy: &str) -> f64 {
        pages.push(std::mem::replace(page, Page::new("handover-list")));
        page.text(
            10.0,
            10.0,
            150.0,
            4.0,
            true,
            "left",
            &format!("移交清单（续）{}", self.archive_no),
        );
        page.text(150.0, 10.0, 48.0, 5.5, true, "right", copy);
        20.0
    }

    /// Total pages of the documents.
    pub fn pages(&self) -> u64 {
        self.documents.iter().map(|d| u64::from(d.pages)).sum()
    }

    /// The pages of the three copies, each a validated A4 template.
    pub fn templates(&self) -> Result<Vec<Template>, TemplateError> {
        let mut templates = Vec::new();
        for copy in COPIES {
            templates.extend(self.copy(copy)?);
        }
        Ok(templates)
    }

    fn copy(&self, copy: &str) -> Result<Vec<Template>, TemplateError> {
        let origin = format!("handover-list:{}", self.handover);
        let mut pages = Vec::new();
        let mut page = Page::new("handover-list");
        page.text(10.0, 10.0, 150.0, 6.0, true, "left", "档案资料移交清单");
        page.text(150.0, 10.0, 48.0, 5.5, true, "right", copy);
        page.text(
            10.0,
            18.0,
            188.0,
            3.4,
            false,
            "left",
            &format!("移交单号 {} · {}", self.handover, self.stage),
        );
        page.code128(10.0, 25.0, &self.barcode);
        page.text(10.0, 40.5, 62.0, 3.0, false, "center", &self.barcode);
        page.qr(174.0, 20.0, 24.0, &self.qr);
        page.text(76.0, 25.0, 96.0, 4.5, true, "left", &self.archive_no);
        page.text(76.0, 31.5, 96.0, 3.6, false, "left", &self.customer);
        page.text(76.0, 37.5, 96.0, 3.4, false, "left", &self.title);
        let mut y = 50.0;
        page.line(10.0, y - 1.5, 200.0, y - 1.5);
        table_row(
            &mut page,
            y,
            ["序号", "资料名称", "类型", "日期", "原件", "页数"],
            true,
        );
        y += 6.0;
        page.line(10.0, y - 1.5, 200.0, y - 1.5);
        let mut room = FIRST_PAGE_LINES;
        for (index, document) in self.documents.iter().enumerate() {
            if room == 0 {
                y = self.next_page(&mut pages, &mut page, copy);
                room = NEXT_PAGE_LINES;
            }
            let date = document.date.map(|d| d.to_string()).unwrap_or_default();
            let kind = if document.doc_type == document.name {
                String::new()
            } else {
                document.doc_type.clone()
            };
            table_row(
                &mut page,
                y,
                [
                    &(index + 1).to_string(),
                    &document.name,
                    &kind,
                    &date,
                    if document.original {
                        "原件"
                    } else {
                        "复印件"
                    },
                    &format!("{}页", document.pages),
                ],
                false,
            );
            y += 6.0;
            room -= 1;
        }
        if room < 8 {
            y = self.next_page(&mut pages, &mut page, copy);
        }
        page.line(10.0, y - 1.5, 200.0, y - 1.5);
        page.text(
            12.0,
            y,
            186.0,
            3.8,
            true,
            "left",
            &format!("合计 {} 份，共 {} 页", self.documents.len(), self.pages()),
        );
        y += 12.0;
        for (role, name) in [
            ("移交人（A角）", &self.officer_a),
            ("复核人（B角）", &self.officer_b),
            ("档案管理员", &self.archivist),
        ] {
            page.text(
                12.0,
                y,
                60.0,
                3.8,
                false,
                "left",
                &format!("{role}：{name}"),
            );
            page.text(80.0, y, 50.0, 3.8, false, "left", "签字：");
            page.line(92.0, y + 4.5, 135.0, y + 4.5);
            page.text(
                140.0,
                y,
                60.0,
                3.8,
                false,
                "left",
                "日期：    年    月    日",
            );
            y += 11.0;
        }
        page.text(
            12.0,
            y + 2.0,
            186.0,
            3.0,
            false,
            "left",
            &format!("打印日期 {} · 一式三份：A角联、B角联、档案联", self.date),
        );
        pages.push(page);
        pages
            .into_iter()
            .map(|page| page.template(&origin))
            .collect()
    }
}

/// One box of a supplement list: what it lacks.
#[derive(Debug, Clone)]
pub struct SupplementBox {
    /// The box's barcode.
    pub barcode: String,
    /// Its archive number.
    pub archive_no: String,
    /// Its customer or project.
    pub customer: String,
    /// What it lacks.
    pub lacks: Vec<crate::contents::Lack>,
}

/// The reviewer's supplement list (补充资料清单), printed for A.
#[derive(Debug, Clone)]
pub struct SupplementPaper {
    /// The handover reviewed.
    pub handover: u64,
    /// Who asked (B).
    pub by: String,
    /// Who must supplement (A).
    pub to: String,
    /// The boxes and what each lacks.
    pub boxes: Vec<SupplementBox>,
    /// The day it was printed (a local date).
    pub date: chrono::NaiveDate,
}

/// Lines on one page of a supplement list.
const SUPPLEMENT_LINES: usize = 34;

impl SupplementPaper {
    /// Its pages, each a validated A4 template.
    pub fn templates(&self) -> Result<Vec<Template>, TemplateError> {
        let origin = format!("supplement-list:{}", self.handover);
        let mut lines: Vec<(bool, String)> = Vec::new();
        for archive_box in &self.boxes {
            lines.push((
                true,
                format!(
                    "{} · {} · {}",
                    archive_box.archive_no, archive_box.customer, archive_box.barcode
                ),
            ));
            for (index, lack) in archive_box.lacks.iter().enumerate() {
                let what = match &lack.signature {
                    Some(signature) => format!("{}（缺签字：{signature}）", lack.name),
                    None => format!("{}（缺件）", lack.name),
                };
                let part = if lack.part.is_empty() {
                    String::new()
                } else {
                    format!("{} · ", lack.part)
                };
                lines.push((false, format!("{}. {part}{what}", index + 1)));
            }
        }
        let mut pages = Vec::new();
        for (number, chunk) in lines.chunks(SUPPLEMENT_LINES).enumerate() {
            let mut page = Page::new("supplement-list");
            page.text(10.0, 10.0, 150.0, 6.0, true, "left", "补充资料清单");
            page.text(
                10.0,
                18.0,
                188.0,
                3.6,
                false,
                "left",
                &format!(
                    "移交单号 {} · 复核人（B角）{} → 移交人（A角）{} · 第 {} 页",
                    self.handover,
                    self.by,
                    self.to,
                    number + 1
                ),
            );
            let mut y = 28.0;
            page.line(10.0, y - 2.0, 200.0, y - 2.0);
            for (heading, text) in chunk {
                let x = if *heading { 12.0 } else { 20.0 };
                page.text(x, y, 200.0 - x - 2.0, 3.8, *heading, "left", text);
                y += 6.5;
            }
            pages.push(page);
        }
        if let Some(last) = pages.last_mut() {
            let y = 262.0;
            for (index, role) in ["复核人（B角）签字：", "移交人（A角）签收："]
                .iter()
                .enumerate()
            {
                let x = 12.0 + 96.0 * index as f64;
                last.text(x, y, 40.0, 3.6, false, "left", role);
                last.line(x + 38.0, y + 4.5, x + 90.0, y + 4.5);
            }
            last.text(
                12.0,
                y + 12.0,
                186.0,
                3.2,
                false,
                "left",
                &format!("打印日期 {} · 补齐后资料清单即显示齐全", self.date),
            );
        }
        pages
            .into_iter()
            .map(|page| page.template(&origin))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(documents: usize) -> HandoverList {
        HandoverList {
            handover: 7,
            stage: "A角 → B角".to_owned(),
            barcode: "B0000000016".to_owned(),
            archive_no: "2026鸿借字第001号".to_owned(),
            customer: "鸿达{有限}公司".to_owned(),
            title: "借款项目".to_owned(),
            documents: (0..documents)
                .map(|n| Document {
                    name: format!("资料\"{n}\""),
                    doc_type: String::new(),
                    pages: 2,
                    date: None,
                    original: n % 2 == 0,
                    expiry: None,
                    signed: None,
                })
                .collect(),
            officer_a: "张三".to_owned(),
            officer_b: "李四".to_owned(),
            archivist: String::new(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"),
            qr: "http://127.0.0.1:8080/api/v1/handovers/7/list.pdf".to_owned(),
        }
    }

    #[test]
    fn a_handover_list_has_three_copies_and_continues_a_long_list_on_more_pages() {
        let short = list(3).templates().expect("valid pages");
        assert_eq!(short.len(), 3, "one page per copy");
        let long = list(60).templates().expect("valid pages");
        assert_eq!(long.len(), 9, "three pages per copy");
        assert_eq!(list(3).pages(), 6);
    }

    #[test]
    fn a_supplement_list_names_every_lack_and_fits_long_lists_on_more_pages() {
        let lack = |name: &str, signature: Option<&str>| crate::contents::Lack {
            part: "重要合同或单据".to_owned(),
            name: name.to_owned(),
            signature: signature.map(str::to_owned),
        };
        let paper = |boxes: usize| SupplementPaper {
            handover: 3,
            by: "李四".to_owned(),
            to: "张三".to_owned(),
            boxes: (0..boxes)
                .map(|n| SupplementBox {
                    barcode: "B0000000016".to_owned(),
                    archive_no: format!("2026鸿借字第{n:03}号"),
                    customer: "鸿达".to_owned(),
                    lacks: vec![lack("保证合同", None), lack("借款合同", Some("借款人签章"))],
                })
                .collect(),
            date: chrono::NaiveDate::from_ymd_opt(2026, 12, 3).expect("date"),
        };
        assert_eq!(paper(1).templates().expect("valid").len(), 1);
        // 3 lines a box: 12 boxes fill one page and 12 more a second.
        assert_eq!(paper(12).templates().expect("valid").len(), 2);
    }
}
