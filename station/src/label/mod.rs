//! Label layouts rendered to printer bytes (ZPL) and PDF, and the read-back check.
//!
//! A [`Template`] (one TOML file per label kind in `label-templates/`, embedded as
//! defaults, overridable from a directory with [`Templates::load_dir`]) places text, Code 128
//! barcodes, QR codes, lines and frames in millimetres. Filled with a [`LabelData`], it
//! renders to:
//!
//! - ZPL II ([`render_zpl`]) at the printer's resolution, Chinese text rasterised on the
//!   host into `^GFA` graphics with the label [`Fonts`] (glyphs cached);
//! - PDF ([`render_pdf`]) with the font embedded and subset, bars and QR as vectors;
//!
//! from one resolved geometry, so both outputs put the same bars in the same places.
//! Before printing, [`read_back`] draws the label at the printer's resolution and decodes
//! every barcode and QR code; a label that does not scan back to its values is refused.
//!
//! ```
//! use station::label::{render_zpl, read_back, Fonts, LabelData, Templates};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let templates = Templates::builtin()?;
//! let box_label = templates.get("box").ok_or("no box template")?;
//! let data = LabelData::new()
//!     .with("archive_no", "2012鸿借字第001号")
//!     .with("customer", "鸿运贸易有限公司")
//!     .with("title", "流动资金贷款")
//!     .with("location_path", "1号库房/05列/A面/3节/4层")
//!     .with("barcode", "B0000000016");
//! read_back(box_label, &data, 203)?;
//! let mut fonts = Fonts::load_default()?;
//! let zpl = render_zpl(box_label, &data, 203, &mut fonts)?;
//! assert!(zpl.starts_with(b"^XA"));
//! # Ok(()) }
//! ```
//!
//! **Invariant:** this module is pure: data in, bytes out. It opens no printer and reads
//! no file except the font and template files it is explicitly asked to load.

mod code128;
mod font;
mod layout;
mod pdf;
mod readback;
mod template;
mod zpl;

use std::collections::BTreeMap;

pub use code128::Code128Error;
pub use font::{FontError, Fonts, DEFAULT_FONT_PATH};
pub use pdf::{render_pdf, PDF_DPI};
pub use readback::{read_back, read_back_with, ReadBackError, Tamper};
pub use template::{
    Align, Element, FieldText, LoadError, QrEcc, Sheet, Template, TemplateError, Templates, FIELDS,
    MAX_LABEL_MM,
};
pub use zpl::render_zpl;

/// The values a label's `{placeholders}` are filled from: field name → text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelData {
    fields: BTreeMap<String, String>,
}

impl LabelData {
    /// No fields.
    pub fn new() -> LabelData {
        LabelData::default()
    }

    /// Sets `field` (builder style).
    pub fn with(mut self, field: &str, value: impl Into<String>) -> LabelData {
        self.set(field, value);
        self
    }

    /// Sets `field`.
    pub fn set(&mut self, field: &str, value: impl Into<String>) {
        self.fields.insert(field.to_string(), value.into());
    }

    /// The value of `field`.
    pub fn get(&self, field: &str) -> Option<&str> {
        self.fields.get(field).map(String::as_str)
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for LabelData {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        LabelData {
            fields: iter
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }
}

/// A label could not be rendered.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RenderError {
    /// The data lacks a field the template uses.
    #[error("标签 {template} 缺少字段 {field} / label {template} needs a value for `{field}`")]
    MissingField {
        /// Template name.
        template: String,
        /// The missing field.
        field: String,
    },
    /// The Code 128 value cannot be encoded.
    #[error("标签 {template} 第 {element} 个元素 / label {template}, element {element}: {source}")]
    Code128 {
        /// Template name.
        template: String,
        /// 1-based element number.
        element: usize,
        /// Why.
        source: Code128Error,
    },
    /// The barcode does not fit its box even at one dot per module.
    #[error(
        "标签 {template} 第 {element} 个元素的条码 {value:?} 太长，需要 {needed_mm:.1} mm，只有 {width_mm} mm / \
         label {template}, element {element}: barcode {value:?} needs {needed_mm:.1} mm, the box is {width_mm} mm"
    )]
    BarcodeTooWide {
        /// Template name.
        template: String,
        /// 1-based element number.
        element: usize,
        /// The value.
        value: String,
        /// Width needed at one dot per module, quiet zones included.
        needed_mm: f64,
        /// Width available.
        width_mm: f64,
    },
    /// The QR value cannot be encoded or does not fit.
    #[error("标签 {template} 第 {element} 个元素的二维码无法生成 / label {template}, element {element}: QR code: {problem}")]
    Qr {
        /// Template name.
        template: String,
        /// 1-based element number.
        element: usize,
        /// Why.
        problem: String,
    },
    /// The font lacks a character.
    #[error("字体 {font} 缺少字符 {ch:?} / font {font} has no glyph for {ch:?}")]
    Glyph {
        /// The character.
        ch: char,
        /// The font file.
        font: String,
    },
    /// A resolution outside 100–600 dpi.
    #[error("不支持的分辨率 {0} dpi / unsupported resolution {0} dpi (100–600)")]
    Dpi(u32),
    /// `render_pdf` was given no labels.
    #[error("没有要打印的标签 / no labels to render")]
    NoLabels,
    /// The font could not be loaded or parsed.
    #[error("{0}")]
    Font(String),
}

impl From<FontError> for RenderError {
    fn from(error: FontError) -> Self {
        RenderError::Font(error.to_string())
    }
}

#[cfg(test)]
mod tests;
