//! Label templates: the declarative TOML layout format, its validation, and the shipped set.
//!
//! A template is a label size in millimetres plus a list of elements placed in millimetres
//! from the label's top-left corner (y grows downwards, as on a printer). The format is
//! described for people in `label-templates/README.md`; this module is its one parser.
//!
//! **Invariant:** a [`Template`] that exists is valid: every element lies inside the label,
//! every placeholder names a known field, every size is positive. Renderers rely on it.

use std::collections::BTreeMap;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::message;
use crate::message::Message;

/// Largest label side in mm (a label is rasterised whole for the read-back check).
pub const MAX_LABEL_MM: f64 = 300.0;

/// Field names a template may use as `{placeholder}`.
pub const FIELDS: &[&str] = &[
    "archive_no",
    "customer",
    "title",
    "location_path",
    "barcode",
    "name",
    "department",
    "role",
    "command",
    "label",
    "year",
    "date",
    "count",
    // The loan slip (档案资料出借单).
    "borrower",
    "purpose",
    "approver",
    "lent",
    "due",
    "page",
    "link",
    "copy",
    "line1",
    "line2",
    "line3",
    "line4",
    "line5",
    "line6",
    "line7",
    "line8",
    "line9",
    "line10",
];

/// The shipped templates, embedded in the binary: (file name, text).
const BUILTIN: &[(&str, &str)] = &[
    (
        "box.toml",
        include_str!("../../../label-templates/box.toml"),
    ),
    (
        "certificate.toml",
        include_str!("../../../label-templates/certificate.toml"),
    ),
    (
        "shelf.toml",
        include_str!("../../../label-templates/shelf.toml"),
    ),
    (
        "shelf-a4.toml",
        include_str!("../../../label-templates/shelf-a4.toml"),
    ),
    (
        "badge.toml",
        include_str!("../../../label-templates/badge.toml"),
    ),
    (
        "command-card.toml",
        include_str!("../../../label-templates/command-card.toml"),
    ),
    (
        "pick-line.toml",
        include_str!("../../../label-templates/pick-line.toml"),
    ),
    (
        "loan-slip.toml",
        include_str!("../../../label-templates/loan-slip.toml"),
    ),
    (
        "certificate-handover.toml",
        include_str!("../../../label-templates/certificate-handover.toml"),
    ),
];

/// A template that failed to load: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct TemplateError {
    /// Where the text came from (a file path or `builtin:box.toml`).
    pub origin: String,
    /// 1-based line of the offending entry (0 when the problem is not tied to a line).
    pub line: usize,
    /// What is wrong, in words a person can act on.
    pub problem: Message,
}

impl TemplateError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        crate::message!(
            LabelTemplateInvalid,
            origin = &self.origin,
            line = self.line,
            problem = self.problem.clone()
        )
    }
}

crate::message::display_by_message!(TemplateError);

/// Text alignment inside an element's box.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Flush with the left edge.
    Left,
    /// Centred in the box.
    Center,
    /// Flush with the right edge.
    Right,
}

/// QR error-correction level.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QrEcc {
    /// ~7 % recovery.
    L,
    /// ~15 % recovery.
    M,
    /// ~25 % recovery.
    Q,
    /// ~30 % recovery.
    H,
}

impl QrEcc {
    /// The letter ZPL's `^BQ` field data and people use for this level.
    pub fn letter(self) -> char {
        match self {
            QrEcc::L => 'L',
            QrEcc::M => 'M',
            QrEcc::Q => 'Q',
            QrEcc::H => 'H',
        }
    }
}

/// A piece of text with `{field}` placeholders, checked against [`FIELDS`] at load.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldText {
    parts: Vec<Part>,
}

#[derive(Debug, Clone, PartialEq)]
enum Part {
    Literal(String),
    Field(String),
}

impl FieldText {
    /// Parses `text`, refusing unknown or unclosed placeholders. `{{` and `}}` are literal braces.
    pub fn parse(text: &str) -> Result<FieldText, Message> {
        let mut parts = Vec::new();
        let mut literal = String::new();
        let mut chars = text.chars().peekable();
        while let Some(ch) = chars.next() {
            match ch {
                '{' if chars.peek() == Some(&'{') => {
                    chars.next();
                    literal.push('{');
                }
                '}' if chars.peek() == Some(&'}') => {
                    chars.next();
                    literal.push('}');
                }
                '{' => {
                    let mut name = String::new();
                    let mut closed = false;
                    for inner in chars.by_ref() {
                        if inner == '}' {
                            closed = true;
                            break;
                        }
                        name.push(inner);
                    }
                    if !closed {
                        return Err(message!(
                            TemplateUnclosedPlaceholder,
                            name = name,
                            text = format!("{text:?}")
                        ));
                    }
                    if !FIELDS.contains(&name.as_str()) {
                        return Err(message!(
                            TemplateUnknownPlaceholder,
                            name = name,
                            known = FIELDS.join(", ")
                        ));
                    }
                    if !literal.is_empty() {
                        parts.push(Part::Literal(std::mem::take(&mut literal)));
                    }
                    parts.push(Part::Field(name));
                }
                '}' => return Err(message!(TemplateStrayBrace, text = format!("{text:?}"))),
                other => literal.push(other),
            }
        }
        if !literal.is_empty() {
            parts.push(Part::Literal(literal));
        }
        Ok(FieldText { parts })
    }

    /// Fills the placeholders from `data`; a missing field is an error naming it.
    pub fn fill(&self, data: &super::LabelData) -> Result<String, String> {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(text) => out.push_str(text),
                Part::Field(name) => match data.get(name) {
                    Some(value) => out.push_str(value),
                    None => return Err(name.clone()),
                },
            }
        }
        Ok(out)
    }
}

/// One element placed on a label; all lengths in millimetres from the top-left corner.
#[derive(Debug, Clone, PartialEq)]
pub enum Element {
    /// Text in a box; shrunk to fit the box width when too long.
    Text {
        /// Left edge.
        x: f64,
        /// Top edge.
        y: f64,
        /// Box width.
        w: f64,
        /// Character size (em height).
        size: f64,
        /// Bold (synthesised: the font has one weight).
        bold: bool,
        /// Alignment in the box.
        align: Align,
        /// The text with placeholders.
        text: FieldText,
    },
    /// A Code 128 barcode centred in its box (the box includes the quiet zones).
    Code128 {
        /// Left edge of the box.
        x: f64,
        /// Top edge.
        y: f64,
        /// Box width, quiet zones included.
        w: f64,
        /// Bar height.
        h: f64,
        /// Preferred module (narrowest bar) width; the renderer snaps it to whole dots.
        module: Option<f64>,
        /// The encoded value.
        data: FieldText,
    },
    /// A QR code, top-left aligned, at most `size` wide.
    Qr {
        /// Left edge.
        x: f64,
        /// Top edge.
        y: f64,
        /// Largest side length (quiet zone not included).
        size: f64,
        /// Error-correction level.
        ecc: QrEcc,
        /// The encoded value.
        data: FieldText,
    },
    /// A straight line.
    Line {
        /// Start x.
        x1: f64,
        /// Start y.
        y1: f64,
        /// End x.
        x2: f64,
        /// End y.
        y2: f64,
        /// Stroke width.
        thickness: f64,
    },
    /// A rectangular frame drawn inside its box.
    Frame {
        /// Left edge.
        x: f64,
        /// Top edge.
        y: f64,
        /// Width.
        w: f64,
        /// Height.
        h: f64,
        /// Stroke width.
        thickness: f64,
    },
}

/// How labels of one template are arranged on a sheet of paper (PDF only).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sheet {
    /// Page width in mm.
    pub page_width: f64,
    /// Page height in mm.
    pub page_height: f64,
    /// Labels across.
    pub columns: u32,
    /// Labels down.
    pub rows: u32,
    /// Left margin to the first label in mm.
    pub left: f64,
    /// Top margin to the first label in mm.
    pub top: f64,
    /// Distance between the left edges of neighbouring labels in mm.
    pub pitch_x: f64,
    /// Distance between the top edges of neighbouring labels in mm.
    pub pitch_y: f64,
}

impl Sheet {
    /// Labels per page.
    pub fn per_page(&self) -> usize {
        (self.columns as usize).saturating_mul(self.rows as usize)
    }
}

/// A validated label layout.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    /// The template's name (`box`, `certificate`, …), used to pick it.
    pub name: String,
    /// Where it was loaded from, for messages.
    pub origin: String,
    /// Label width in mm.
    pub width: f64,
    /// Label height in mm.
    pub height: f64,
    /// Sheet arrangement for PDF output, if the labels come several to a page.
    pub sheet: Option<Sheet>,
    /// The elements, drawn in order.
    pub elements: Vec<Element>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTemplate {
    label: RawLabel,
    sheet: Option<Spanned<RawSheet>>,
    #[serde(default)]
    element: Vec<RawElement>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLabel {
    name: Spanned<String>,
    width: Spanned<f64>,
    height: Spanned<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSheet {
    page: Option<String>,
    page_width: Option<f64>,
    page_height: Option<f64>,
    columns: u32,
    rows: u32,
    left: f64,
    top: f64,
    pitch_x: Option<f64>,
    pitch_y: Option<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawElement {
    kind: Spanned<String>,
    x: Option<Spanned<f64>>,
    y: Option<Spanned<f64>>,
    w: Option<Spanned<f64>>,
    h: Option<Spanned<f64>>,
    x1: Option<Spanned<f64>>,
    y1: Option<Spanned<f64>>,
    x2: Option<Spanned<f64>>,
    y2: Option<Spanned<f64>>,
    size: Option<Spanned<f64>>,
    thickness: Option<Spanned<f64>>,
    module: Option<Spanned<f64>>,
    bold: Option<Spanned<bool>>,
    align: Option<Spanned<String>>,
    ecc: Option<Spanned<String>>,
    text: Option<Spanned<String>>,
    data: Option<Spanned<String>>,
}

/// Which fields each element kind accepts (besides `kind`).
fn allowed_fields(kind: &str) -> Option<&'static [&'static str]> {
    match kind {
        "text" => Some(&["x", "y", "w", "size", "bold", "align", "text"]),
        "code128" => Some(&["x", "y", "w", "h", "module", "data"]),
        "qr" => Some(&["x", "y", "size", "ecc", "data"]),
        "line" => Some(&["x1", "y1", "x2", "y2", "thickness"]),
        "frame" => Some(&["x", "y", "w", "h", "thickness"]),
        _ => None,
    }
}

/// Line number (1-based) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()
        .get(..end)
        .map_or(0, |head| head.iter().filter(|&&b| b == b'\n').count())
        + 1
}

struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, problem: Message) -> TemplateError {
        TemplateError {
            origin: self.origin.to_string(),
            line: line_of(self.text, span.start),
            problem,
        }
    }
}

impl RawElement {
    fn present(&self) -> Vec<(&'static str, Range<usize>)> {
        let mut out = Vec::new();
        let mut add = |name: &'static str, span: Option<Range<usize>>| {
            if let Some(span) = span {
                out.push((name, span));
            }
        };
        add("x", self.x.as_ref().map(Spanned::span));
        add("y", self.y.as_ref().map(Spanned::span));
        add("w", self.w.as_ref().map(Spanned::span));
        add("h", self.h.as_ref().map(Spanned::span));
        add("x1", self.x1.as_ref().map(Spanned::span));
        add("y1", self.y1.as_ref().map(Spanned::span));
        add("x2", self.x2.as_ref().map(Spanned::span));
        add("y2", self.y2.as_ref().map(Spanned::span));
        add("size", self.size.as_ref().map(Spanned::span));
        add("thickness", self.thickness.as_ref().map(Spanned::span));
        add("module", self.module.as_ref().map(Spanned::span));
        add("bold", self.bold.as_ref().map(Spanned::span));
        add("align", self.align.as_ref().map(Spanned::span));
        add("ecc", self.ecc.as_ref().map(Spanned::span));
        add("text", self.text.as_ref().map(Spanned::span));
        add("data", self.data.as_ref().map(Spanned::span));
        out
    }
}

fn need(
    ctx: &Ctx<'_>,
    kind: &Spanned<String>,
    name: &str,
    value: &Option<Spanned<f64>>,
) -> Result<f64, TemplateError> {
    match value {
        Some(value) => {
            let number = *value.get_ref();
            if !number.is_finite() || number < 0.0 {
                return Err(ctx.err(
                    value.span(),
                    message!(
                        TemplateNotMillimetres,
                        key = name,
                        number = number.to_string()
                    ),
                ));
            }
            Ok(number)
        }
        None => Err(ctx.err(
            kind.span(),
            message!(TemplateNeedsKey, kind = kind.get_ref(), key = name),
        )),
    }
}

fn positive(
    ctx: &Ctx<'_>,
    value: &Option<Spanned<f64>>,
    name: &str,
    number: f64,
) -> Result<(), TemplateError> {
    if number <= 0.0 {
        let span = value.as_ref().map(Spanned::span).unwrap_or(0..0);
        return Err(ctx.err(span, message!(TemplateNotPositive, key = name)));
    }
    Ok(())
}

fn field_text(
    ctx: &Ctx<'_>,
    kind: &Spanned<String>,
    name: &str,
    value: &Option<Spanned<String>>,
) -> Result<FieldText, TemplateError> {
    let value = value.as_ref().ok_or_else(|| {
        ctx.err(
            kind.span(),
            message!(TemplateNeedsKey, kind = kind.get_ref(), key = name),
        )
    })?;
    FieldText::parse(value.get_ref()).map_err(|problem| ctx.err(value.span(), problem))
}

impl Template {
    /// Parses and validates a template. `origin` names the source in error messages.
    pub fn parse(text: &str, origin: &str) -> Result<Template, TemplateError> {
        let ctx = Ctx { text, origin };
        let raw: RawTemplate = toml::from_str(text).map_err(|error| TemplateError {
            origin: origin.to_string(),
            line: error.span().map_or(0, |span| line_of(text, span.start)),
            problem: message!(TemplateUnreadable, detail = error.message().trim()),
        })?;
        let label = &raw.label;
        let width = *label.width.get_ref();
        let height = *label.height.get_ref();
        if !(width.is_finite() && width > 0.0 && width <= MAX_LABEL_MM) {
            return Err(ctx.err(
                label.width.span(),
                message!(
                    TemplateLabelSize,
                    dimension = ("宽度", "width"),
                    value = width.to_string(),
                    max = MAX_LABEL_MM.to_string()
                ),
            ));
        }
        if !(height.is_finite() && height > 0.0 && height <= MAX_LABEL_MM) {
            return Err(ctx.err(
                label.height.span(),
                message!(
                    TemplateLabelSize,
                    dimension = ("高度", "height"),
                    value = height.to_string(),
                    max = MAX_LABEL_MM.to_string()
                ),
            ));
        }
        let name = label.name.get_ref().trim().to_string();
        if name.is_empty() {
            return Err(ctx.err(label.name.span(), message!(TemplateNoName)));
        }
        let sheet = match &raw.sheet {
            None => None,
            Some(spanned) => Some(parse_sheet(&ctx, spanned, width, height)?),
        };

        let mut elements = Vec::with_capacity(raw.element.len());
        for element in &raw.element {
            elements.push(parse_element(&ctx, element, width, height)?);
        }
        Ok(Template {
            name,
            origin: origin.to_string(),
            width,
            height,
            sheet,
            elements,
        })
    }
}

fn parse_sheet(
    ctx: &Ctx<'_>,
    spanned: &Spanned<RawSheet>,
    width: f64,
    height: f64,
) -> Result<Sheet, TemplateError> {
    let raw = spanned.get_ref();
    let span = spanned.span();
    let (page_width, page_height) = match (raw.page.as_deref(), raw.page_width, raw.page_height) {
        (Some("A4"), None, None) => (210.0, 297.0),
        (Some("A5"), None, None) => (148.0, 210.0),
        (Some("letter"), None, None) => (215.9, 279.4),
        (None, Some(w), Some(h)) => (w, h),
        (Some(other), None, None) => {
            return Err(ctx.err(span, message!(TemplateUnknownPage, page = other)))
        }
        _ => return Err(ctx.err(span, message!(TemplateSheetPage))),
    };
    let sheet = Sheet {
        page_width,
        page_height,
        columns: raw.columns,
        rows: raw.rows,
        left: raw.left,
        top: raw.top,
        pitch_x: raw.pitch_x.unwrap_or(width),
        pitch_y: raw.pitch_y.unwrap_or(height),
    };
    if sheet.columns == 0 || sheet.rows == 0 {
        return Err(ctx.err(span, message!(TemplateSheetEmpty)));
    }
    if sheet.pitch_x < width || sheet.pitch_y < height {
        return Err(ctx.err(span, message!(TemplateSheetOverlap)));
    }
    let right = sheet.left + sheet.pitch_x * f64::from(sheet.columns - 1) + width;
    let bottom = sheet.top + sheet.pitch_y * f64::from(sheet.rows - 1) + height;
    if sheet.left < 0.0
        || sheet.top < 0.0
        || right > page_width + 1e-6
        || bottom > page_height + 1e-6
    {
        return Err(ctx.err(
            span,
            message!(
                TemplateSheetTooBig,
                columns = sheet.columns,
                rows = sheet.rows,
                page_width = page_width.to_string(),
                page_height = page_height.to_string(),
                right = format!("{right:.1}"),
                bottom = format!("{bottom:.1}")
            ),
        ));
    }
    Ok(sheet)
}

fn parse_element(
    ctx: &Ctx<'_>,
    raw: &RawElement,
    width: f64,
    height: f64,
) -> Result<Element, TemplateError> {
    let kind_name = raw.kind.get_ref().as_str();
    let Some(allowed) = allowed_fields(kind_name) else {
        return Err(ctx.err(
            raw.kind.span(),
            message!(TemplateUnknownKind, kind = kind_name),
        ));
    };
    for (field, span) in raw.present() {
        if !allowed.contains(&field) {
            return Err(ctx.err(
                span,
                message!(TemplateKeyNotApplicable, key = field, kind = kind_name),
            ));
        }
    }
    let kind = &raw.kind;
    // The element's extent, checked against the label below.
    let (element, (left, top, right, bottom), anchor) = match kind_name {
        "text" => {
            let x = need(ctx, kind, "x", &raw.x)?;
            let y = need(ctx, kind, "y", &raw.y)?;
            let w = need(ctx, kind, "w", &raw.w)?;
            let size = need(ctx, kind, "size", &raw.size)?;
            positive(ctx, &raw.w, "w", w)?;
            positive(ctx, &raw.size, "size", size)?;
            let align = match raw.align.as_ref().map(|a| a.get_ref().as_str()) {
                None | Some("left") => Align::Left,
                Some("center") => Align::Center,
                Some("right") => Align::Right,
                Some(other) => {
                    let span = raw.align.as_ref().map(Spanned::span).unwrap_or(0..0);
                    return Err(ctx.err(span, message!(TemplateUnknownAlign, align = other)));
                }
            };
            let text = field_text(ctx, kind, "text", &raw.text)?;
            let bold = raw.bold.as_ref().is_some_and(|b| *b.get_ref());
            (
                Element::Text {
                    x,
                    y,
                    w,
                    size,
                    bold,
                    align,
                    text,
                },
                (x, y, x + w, y + size * 1.2),
                raw.x.as_ref().map(Spanned::span),
            )
        }
        "code128" => {
            let x = need(ctx, kind, "x", &raw.x)?;
            let y = need(ctx, kind, "y", &raw.y)?;
            let w = need(ctx, kind, "w", &raw.w)?;
            let h = need(ctx, kind, "h", &raw.h)?;
            positive(ctx, &raw.w, "w", w)?;
            positive(ctx, &raw.h, "h", h)?;
            let module = match &raw.module {
                None => None,
                Some(m) => {
                    let value = *m.get_ref();
                    if !(value > 0.0 && value <= 5.0) {
                        return Err(ctx.err(m.span(), message!(TemplateModuleRange)));
                    }
                    Some(value)
                }
            };
            let data = field_text(ctx, kind, "data", &raw.data)?;
            (
                Element::Code128 {
                    x,
                    y,
                    w,
                    h,
                    module,
                    data,
                },
                (x, y, x + w, y + h),
                raw.x.as_ref().map(Spanned::span),
            )
        }
        "qr" => {
            let x = need(ctx, kind, "x", &raw.x)?;
            let y = need(ctx, kind, "y", &raw.y)?;
            let size = need(ctx, kind, "size", &raw.size)?;
            positive(ctx, &raw.size, "size", size)?;
            let ecc = match raw.ecc.as_ref().map(|e| e.get_ref().as_str()) {
                Some("L") => QrEcc::L,
                None | Some("M") => QrEcc::M,
                Some("Q") => QrEcc::Q,
                Some("H") => QrEcc::H,
                Some(other) => {
                    let span = raw.ecc.as_ref().map(Spanned::span).unwrap_or(0..0);
                    return Err(ctx.err(span, message!(TemplateUnknownEcc, ecc = other)));
                }
            };
            let data = field_text(ctx, kind, "data", &raw.data)?;
            (
                Element::Qr {
                    x,
                    y,
                    size,
                    ecc,
                    data,
                },
                (x, y, x + size, y + size),
                raw.x.as_ref().map(Spanned::span),
            )
        }
        "line" => {
            let x1 = need(ctx, kind, "x1", &raw.x1)?;
            let y1 = need(ctx, kind, "y1", &raw.y1)?;
            let x2 = need(ctx, kind, "x2", &raw.x2)?;
            let y2 = need(ctx, kind, "y2", &raw.y2)?;
            let thickness = need(ctx, kind, "thickness", &raw.thickness)?;
            positive(ctx, &raw.thickness, "thickness", thickness)?;
            (
                Element::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    thickness,
                },
                (x1.min(x2), y1.min(y2), x1.max(x2), y1.max(y2)),
                raw.x1.as_ref().map(Spanned::span),
            )
        }
        _ => {
            let x = need(ctx, kind, "x", &raw.x)?;
            let y = need(ctx, kind, "y", &raw.y)?;
            let w = need(ctx, kind, "w", &raw.w)?;
            let h = need(ctx, kind, "h", &raw.h)?;
            let thickness = need(ctx, kind, "thickness", &raw.thickness)?;
            positive(ctx, &raw.w, "w", w)?;
            positive(ctx, &raw.h, "h", h)?;
            positive(ctx, &raw.thickness, "thickness", thickness)?;
            (
                Element::Frame {
                    x,
                    y,
                    w,
                    h,
                    thickness,
                },
                (x, y, x + w, y + h),
                raw.x.as_ref().map(Spanned::span),
            )
        }
    };
    const SLACK: f64 = 1e-6;
    if left < -SLACK || top < -SLACK || right > width + SLACK || bottom > height + SLACK {
        return Err(ctx.err(
            anchor.unwrap_or_else(|| kind.span()),
            message!(
                TemplateOutsideLabel,
                kind = kind_name,
                left = format!("{left:.1}"),
                top = format!("{top:.1}"),
                right = format!("{right:.1}"),
                bottom = format!("{bottom:.1}"),
                width = width.to_string(),
                height = height.to_string()
            ),
        ));
    }
    Ok(element)
}

/// A set of templates by name: the shipped ones, optionally overridden from a directory.
#[derive(Debug, Clone, Default)]
pub struct Templates {
    by_name: BTreeMap<String, Template>,
}

impl Templates {
    /// The templates shipped in `label-templates/`, embedded at build time.
    pub fn builtin() -> Result<Templates, TemplateError> {
        let mut templates = Templates::default();
        for (file, text) in BUILTIN {
            let template = Template::parse(text, &format!("builtin:{file}"))?;
            templates.insert(template);
        }
        Ok(templates)
    }

    /// The built-in templates, overridden and extended by every `*.toml` in `dir`.
    pub fn load_dir(dir: &Path) -> Result<Templates, LoadError> {
        let mut templates = Templates::builtin()?;
        let entries = std::fs::read_dir(dir).map_err(|source| LoadError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut paths: Vec<PathBuf> = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|source| LoadError::Io {
                path: dir.to_path_buf(),
                source,
            })?;
            let path = entry.path();
            if path.extension().is_some_and(|ext| ext == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|source| LoadError::Io {
                path: path.clone(),
                source,
            })?;
            let template = Template::parse(&text, &path.display().to_string())?;
            templates.insert(template);
        }
        Ok(templates)
    }

    /// Adds or replaces a template under its name.
    pub fn insert(&mut self, template: Template) {
        self.by_name.insert(template.name.clone(), template);
    }

    /// The template called `name`.
    pub fn get(&self, name: &str) -> Option<&Template> {
        self.by_name.get(name)
    }

    /// The names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }
}

/// Loading a template directory failed.
#[derive(Debug)]
pub enum LoadError {
    /// The directory or a file in it could not be read.
    Io {
        /// The path that failed.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file did not validate.
    Template(TemplateError),
}

impl LoadError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        match self {
            LoadError::Io { path, source } => crate::message!(
                LabelTemplatesUnreadable,
                path = path.display().to_string(),
                reason = source
            ),
            LoadError::Template(error) => error.message(),
        }
    }
}

crate::message::display_by_message!(LoadError);

impl From<TemplateError> for LoadError {
    fn from(error: TemplateError) -> Self {
        LoadError::Template(error)
    }
}

impl fmt::Display for Align {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Align::Left => "left",
            Align::Center => "center",
            Align::Right => "right",
        })
    }
}
