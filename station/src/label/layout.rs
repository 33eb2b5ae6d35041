//! Resolving a template with its data into concrete geometry at one printer resolution.
//!
//! Everything here is in printer dots, snapped where the printer needs whole dots (bar
//! module widths, QR module sizes), so ZPL, PDF and the read-back raster all draw the very
//! same bars and modules: PDF uses the 300 dpi layout converted back to millimetres.

use super::code128::{self, Run};
use super::template::{Align, Element, QrEcc, Template};
use super::{LabelData, RenderError};

/// Millimetres per inch.
pub(crate) const MM_PER_INCH: f64 = 25.4;

/// Code 128 quiet zone on each side, in modules (ISO/IEC 15417 §4.4.1: at least 10X).
pub(crate) const QUIET_MODULES: u32 = 10;

/// Module width used when a template does not ask for one, in mm.
const DEFAULT_MODULE_MM: f64 = 0.375;

/// ZPL `^BQ` magnification is 1–10 dots per module (ZPL II guide, `^BQ`).
const MAX_QR_DOTS: u32 = 10;

/// A label resolved at one resolution.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    /// Label width in dots.
    pub width: u32,
    /// Label height in dots.
    pub height: u32,
    /// What to draw, in order.
    pub items: Vec<Item>,
}

/// One resolved element; lengths in dots from the top-left corner.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    /// Text with its final value.
    Text {
        x: f64,
        y: f64,
        w: f64,
        size: f64,
        bold: bool,
        align: Align,
        text: String,
    },
    /// Code 128 bars; `x` is the left edge of the first bar.
    Bars {
        x: u32,
        y: u32,
        height: u32,
        module_dots: u32,
        modules: Vec<u8>,
        runs: Vec<Run>,
        value: String,
    },
    /// A QR symbol (no quiet zone drawn); `dark` is row-major, `side` modules square.
    Qr {
        x: u32,
        y: u32,
        module_dots: u32,
        side: usize,
        dark: Vec<bool>,
        ecc: QrEcc,
        value: String,
    },
    /// A straight line.
    Line {
        x1: f64,
        y1: f64,
        x2: f64,
        y2: f64,
        thickness: f64,
    },
    /// A rectangular frame.
    Frame {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        thickness: f64,
    },
}

fn dots(mm: f64, dpi: u32) -> f64 {
    mm * f64::from(dpi) / MM_PER_INCH
}

/// Resolves `template` with `data` at `dpi`. `flip_qr` inverts every data module of each QR
/// (the read-back test hook); renderers pass `false`.
pub(crate) fn resolve(
    template: &Template,
    data: &LabelData,
    dpi: u32,
    flip_qr: bool,
) -> Result<Layout, RenderError> {
    if !(100..=600).contains(&dpi) {
        return Err(RenderError::Dpi(dpi));
    }
    let fill = |text: &super::template::FieldText| {
        text.fill(data).map_err(|field| RenderError::MissingField {
            template: template.name.clone(),
            field,
        })
    };
    let mut items = Vec::with_capacity(template.elements.len());
    for (index, element) in template.elements.iter().enumerate() {
        let item = match element {
            Element::Text {
                x,
                y,
                w,
                size,
                bold,
                align,
                text,
            } => Item::Text {
                x: dots(*x, dpi),
                y: dots(*y, dpi),
                w: dots(*w, dpi),
                size: dots(*size, dpi),
                bold: *bold,
                align: *align,
                text: fill(text)?,
            },
            Element::Code128 {
                x,
                y,
                w,
                h,
                module,
                data,
            } => {
                let value = fill(data)?;
                let runs = code128::plan(&value).map_err(|source| RenderError::Code128 {
                    template: template.name.clone(),
                    element: index + 1,
                    source,
                })?;
                let modules = code128::modules(&runs).map_err(|source| RenderError::Code128 {
                    template: template.name.clone(),
                    element: index + 1,
                    source,
                })?;
                let count = modules.len() as u32 + 2 * QUIET_MODULES;
                let box_dots = dots(*w, dpi).floor() as u32;
                let fit = box_dots / count.max(1);
                let wanted = (dots(module.unwrap_or(DEFAULT_MODULE_MM), dpi).round() as u32).max(1);
                let module_dots = wanted.min(fit);
                if module_dots == 0 {
                    return Err(RenderError::BarcodeTooWide {
                        template: template.name.clone(),
                        element: index + 1,
                        value,
                        needed_mm: f64::from(count) * MM_PER_INCH / f64::from(dpi),
                        width_mm: *w,
                    });
                }
                let bar_dots = modules.len() as u32 * module_dots;
                let left = dots(*x, dpi) + (f64::from(box_dots) - f64::from(bar_dots)) / 2.0;
                Item::Bars {
                    x: left.round().max(0.0) as u32,
                    y: dots(*y, dpi).round() as u32,
                    height: dots(*h, dpi).round().max(1.0) as u32,
                    module_dots,
                    modules,
                    runs,
                    value,
                }
            }
            Element::Qr {
                x,
                y,
                size,
                ecc,
                data,
            } => {
                let value = fill(data)?;
                let level = match ecc {
                    QrEcc::L => qrcode::EcLevel::L,
                    QrEcc::M => qrcode::EcLevel::M,
                    QrEcc::Q => qrcode::EcLevel::Q,
                    QrEcc::H => qrcode::EcLevel::H,
                };
                let code = qrcode::QrCode::with_error_correction_level(value.as_bytes(), level)
                    .map_err(|error| RenderError::Qr {
                        template: template.name.clone(),
                        element: index + 1,
                        problem: crate::message!(LabelQrUnencodable, reason = error.to_string()),
                    })?;
                let side = code.width();
                let module_dots =
                    ((dots(*size, dpi).floor() as usize / side.max(1)) as u32).min(MAX_QR_DOTS);
                if module_dots == 0 {
                    return Err(RenderError::Qr {
                        template: template.name.clone(),
                        element: index + 1,
                        problem: crate::message!(
                            LabelQrDoesNotFit,
                            side = side,
                            size = size.to_string(),
                            dpi = dpi
                        ),
                    });
                }
                let mut dark: Vec<bool> = code
                    .to_colors()
                    .iter()
                    .map(|color| *color == qrcode::Color::Dark)
                    .collect();
                if flip_qr {
                    for (cell, module) in dark.iter_mut().enumerate() {
                        if !code.is_functional(cell % side, cell / side) {
                            *module = !*module;
                        }
                    }
                }
                Item::Qr {
                    x: dots(*x, dpi).round() as u32,
                    y: dots(*y, dpi).round() as u32,
                    module_dots,
                    side,
                    dark,
                    ecc: *ecc,
                    value,
                }
            }
            Element::Line {
                x1,
                y1,
                x2,
                y2,
                thickness,
            } => Item::Line {
                x1: dots(*x1, dpi),
                y1: dots(*y1, dpi),
                x2: dots(*x2, dpi),
                y2: dots(*y2, dpi),
                thickness: dots(*thickness, dpi).max(1.0),
            },
            Element::Frame {
                x,
                y,
                w,
                h,
                thickness,
            } => Item::Frame {
                x: dots(*x, dpi),
                y: dots(*y, dpi),
                w: dots(*w, dpi),
                h: dots(*h, dpi),
                thickness: dots(*thickness, dpi).max(1.0),
            },
        };
        items.push(item);
    }
    Ok(Layout {
        width: dots(template.width, dpi).round() as u32,
        height: dots(template.height, dpi).round() as u32,
        items,
    })
}

/// The size to print a text line at: `None` for an empty line (nothing to print), the
/// fitted size ([`fit_size`]) otherwise, or the first character the font cannot draw.
pub(crate) fn text_size(
    fonts: &super::Fonts,
    text: &str,
    size: f64,
    width: f64,
) -> Result<Option<f64>, RenderError> {
    if text.is_empty() {
        return Ok(None);
    }
    if let Some(missing) = text.chars().find(|&ch| !fonts.covers(ch)) {
        return Err(RenderError::Glyph {
            ch: missing,
            font: fonts.path().display().to_string(),
        });
    }
    Ok(Some(fit_size(fonts, text, size, width)))
}

/// The text size (em, in dots) that makes `text` fit `width`: the template's size, or
/// smaller for long values (never below a third of it).
pub(crate) fn fit_size(fonts: &super::Fonts, text: &str, size: f64, width: f64) -> f64 {
    let natural = fonts.measure(text, size);
    if natural <= width || natural <= 0.0 {
        size
    } else {
        (size * width / natural).max(size / 3.0)
    }
}

/// Left edge of a text line of `advance` in a box at `x` of `w`.
pub(crate) fn align_left(align: Align, x: f64, w: f64, advance: f64) -> f64 {
    match align {
        Align::Left => x,
        Align::Center => x + (w - advance) / 2.0,
        Align::Right => x + w - advance,
    }
}
