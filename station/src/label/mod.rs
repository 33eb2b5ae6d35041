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

use crate::message;
use crate::message::{display_by_message, Message};

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
#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// The data lacks a field the template uses.
    MissingField {
        /// Template name.
        template: String,
        /// The missing field.
        field: String,
    },
    /// The Code 128 value cannot be encoded.
    Code128 {
        /// Template name.
        template: String,
        /// 1-based element number.
        element: usize,
        /// Why.
        source: Code128Error,
    },
    /// The barcode does not fit its box even at one dot per module.
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
    Qr {
        /// Template name.
        template: String,
        /// 1-based element number.
        element: usize,
        /// Why.
        problem: Message,
    },
    /// The font lacks a character.
    Glyph {
        /// The character.
        ch: char,
        /// The font file.
        font: String,
    },
    /// A resolution outside 100–600 dpi.
    Dpi(u32),
    /// `render_pdf` was given no labels.
    NoLabels,
    /// The font could not be loaded or parsed: what [`FontError::message`] says.
    Font(Message),
}

impl RenderError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            RenderError::MissingField { template, field } => {
                message!(LabelMissingField, template = template, field = field)
            }
            RenderError::Code128 {
                template,
                element,
                source,
            } => message!(
                LabelCode128Invalid,
                template = template,
                element = element,
                problem = source.message()
            ),
            RenderError::BarcodeTooWide {
                template,
                element,
                value,
                needed_mm,
                width_mm,
            } => message!(
                LabelBarcodeTooWide,
                template = template,
                element = element,
                value = format!("{value:?}"),
                needed_mm = format!("{needed_mm:.1}"),
                width_mm = width_mm.to_string()
            ),
            RenderError::Qr {
                template,
                element,
                problem,
            } => message!(
                LabelQrFailed,
                template = template,
                element = element,
                problem = problem.clone()
            ),
            RenderError::Glyph { ch, font } => {
                message!(LabelMissingGlyph, font = font, ch = format!("{ch:?}"))
            }
            RenderError::Dpi(dpi) => message!(LabelUnsupportedDpi, dpi = dpi),
            RenderError::NoLabels => message!(LabelNoLabels),
            RenderError::Font(message) => message.clone(),
        }
    }
}

display_by_message!(RenderError);

impl From<FontError> for RenderError {
    fn from(error: FontError) -> Self {
        RenderError::Font(error.message())
    }
}

#[cfg(test)]
mod tests;
