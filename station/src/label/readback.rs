//! Read-back check: draw the label at the printer's resolution and decode what was drawn.
//!
//! The raster holds what a scanner would see of the codes (bars, QR modules, lines,
//! frames; text is irrelevant for decoding and left out). Code 128 is decoded by our own
//! decoder ([`code128::decode_row`](super::code128)), QR by `rqrr`; both must return
//! exactly the value the label was asked to carry, or the label is refused.

use super::code128;
use super::layout::{self, Item, Layout};
use super::template::Template;
use super::{LabelData, RenderError};
use crate::message;
use crate::message::{display_by_message, Arg, Code, IntoArg, Message};

/// Ways to damage a label on purpose, so tests can prove the check refuses bad labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tamper {
    /// Check the label as rendered.
    #[default]
    None,
    /// Invert every data module of every QR symbol (finder patterns stay intact).
    FlipQrData,
    /// Blank the middle third of every Code 128 symbol's bars.
    EraseBars,
}

/// The label would not scan back to its own values.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadBackError {
    /// The label could not be laid out at all.
    Render(RenderError),
    /// A Code 128 symbol did not decode to its value.
    Code128 {
        /// Template name.
        template: String,
        /// 1-based element number in the template.
        element: usize,
        /// The value it should carry.
        expected: String,
        /// What was decoded, if anything.
        found: Option<String>,
    },
    /// A QR symbol did not decode to its value.
    Qr {
        /// Template name.
        template: String,
        /// 1-based element number in the template.
        element: usize,
        /// The value it should carry.
        expected: String,
        /// What went wrong (decoded something else, or nothing).
        problem: Message,
    },
}

impl ReadBackError {
    /// What to tell people.
    pub fn message(&self) -> Message {
        match self {
            ReadBackError::Render(error) => error.message(),
            ReadBackError::Code128 {
                template,
                element,
                expected,
                found,
            } => {
                let found = match found {
                    Some(text) => Arg::Same(format!("{text:?}")),
                    None => Arg::Pair("无", "nothing"),
                };
                Message::fill(
                    Code::LabelCode128ReadBack,
                    &[
                        ("template", template.into_arg()),
                        ("element", element.into_arg()),
                        ("expected", format!("{expected:?}").into_arg()),
                        ("found", found),
                    ],
                )
            }
            ReadBackError::Qr {
                template,
                element,
                expected,
                problem,
            } => message!(
                LabelQrReadBack,
                template = template,
                element = element,
                expected = format!("{expected:?}"),
                problem = problem.clone()
            ),
        }
    }
}

display_by_message!(ReadBackError);

impl From<RenderError> for ReadBackError {
    fn from(error: RenderError) -> Self {
        ReadBackError::Render(error)
    }
}

/// Checks that every barcode and QR code on the label decodes to exactly its value when
/// drawn at `dpi`. Call it before sending a label to a printer.
pub fn read_back(template: &Template, data: &LabelData, dpi: u32) -> Result<(), ReadBackError> {
    read_back_with(template, data, dpi, Tamper::None)
}

/// [`read_back`] with a deliberate defect (see [`Tamper`]); a test hook.
pub fn read_back_with(
    template: &Template,
    data: &LabelData,
    dpi: u32,
    tamper: Tamper,
) -> Result<(), ReadBackError> {
    let layout = layout::resolve(template, data, dpi, tamper == Tamper::FlipQrData)?;
    let mut raster = Raster::draw(&layout);
    if tamper == Tamper::EraseBars {
        for item in &layout.items {
            if let Item::Bars {
                x,
                y,
                height,
                module_dots,
                modules,
                ..
            } = item
            {
                let width = modules.len() as u32 * module_dots;
                raster.fill(x + width / 3, *y, width / 3, *height, false);
            }
        }
    }
    for (index, item) in layout.items.iter().enumerate() {
        let element = index + 1;
        match item {
            Item::Bars {
                x,
                y,
                height,
                module_dots,
                modules,
                value,
                ..
            } => {
                let quiet = layout::QUIET_MODULES * module_dots;
                let left = x.saturating_sub(quiet);
                let right = x + modules.len() as u32 * module_dots + quiet;
                let mut found = None;
                // Scan five lines across the bars, as a scanner's beam would cross them.
                for step in 1..=5u32 {
                    let row = y + height * step / 6;
                    match code128::decode_row(&raster.row(row, left, right)) {
                        Some(text) if text == *value => {
                            found = None;
                            break;
                        }
                        other => found = Some(other),
                    }
                }
                if let Some(found) = found {
                    return Err(ReadBackError::Code128 {
                        template: template.name.clone(),
                        element,
                        expected: value.clone(),
                        found,
                    });
                }
            }
            Item::Qr {
                x,
                y,
                module_dots,
                side,
                value,
                ..
            } => {
                let quiet = 4 * module_dots;
                let extent = *side as u32 * module_dots;
                let left = x.saturating_sub(quiet);
                let top = y.saturating_sub(quiet);
                let width = extent + 2 * quiet;
                let height = extent + 2 * quiet;
                let mut image = rqrr::PreparedImage::prepare_from_greyscale(
                    width as usize,
                    height as usize,
                    |px, py| {
                        if raster.get(left + px as u32, top + py as u32) {
                            0
                        } else {
                            255
                        }
                    },
                );
                let grids = image.detect_grids();
                let problem = match grids.first().map(|grid| grid.decode()) {
                    None => message!(LabelQrNoSymbol),
                    Some(Err(error)) => message!(LabelQrUndecodable, reason = error.to_string()),
                    Some(Ok((_, text))) if text == *value => continue,
                    Some(Ok((_, text))) => {
                        message!(LabelQrDecodedOther, found = format!("{text:?}"))
                    }
                };
                return Err(ReadBackError::Qr {
                    template: template.name.clone(),
                    element,
                    expected: value.clone(),
                    problem,
                });
            }
            Item::Text { .. } | Item::Line { .. } | Item::Frame { .. } => {}
        }
    }
    Ok(())
}

/// A 1-bit picture of a label, `true` is ink.
pub(crate) struct Raster {
    width: u32,
    height: u32,
    ink: Vec<bool>,
}

impl Raster {
    /// Draws the codes, lines and frames of `layout`.
    pub(crate) fn draw(layout: &Layout) -> Raster {
        let mut raster = Raster {
            width: layout.width,
            height: layout.height,
            ink: vec![false; layout.width as usize * layout.height as usize],
        };
        for item in &layout.items {
            match item {
                Item::Bars {
                    x,
                    y,
                    height,
                    module_dots,
                    modules,
                    ..
                } => {
                    for (index, &module) in modules.iter().enumerate() {
                        if module == 1 {
                            raster.fill(
                                x + index as u32 * module_dots,
                                *y,
                                *module_dots,
                                *height,
                                true,
                            );
                        }
                    }
                }
                Item::Qr {
                    x,
                    y,
                    module_dots,
                    side,
                    dark,
                    ..
                } => {
                    for (cell, &on) in dark.iter().enumerate() {
                        if on {
                            let (column, row) = ((cell % side) as u32, (cell / side) as u32);
                            raster.fill(
                                x + column * module_dots,
                                y + row * module_dots,
                                *module_dots,
                                *module_dots,
                                true,
                            );
                        }
                    }
                }
                Item::Line {
                    x1,
                    y1,
                    x2,
                    y2,
                    thickness,
                } => {
                    let steps = (x2 - x1).abs().max((y2 - y1).abs()).ceil().max(1.0) as u32;
                    let t = thickness.round().max(1.0) as u32;
                    for step in 0..=steps {
                        let f = f64::from(step) / f64::from(steps);
                        let px = x1 + (x2 - x1) * f - f64::from(t) / 2.0;
                        let py = y1 + (y2 - y1) * f - f64::from(t) / 2.0;
                        raster.fill(
                            px.round().max(0.0) as u32,
                            py.round().max(0.0) as u32,
                            t,
                            t,
                            true,
                        );
                    }
                }
                Item::Frame {
                    x,
                    y,
                    w,
                    h,
                    thickness,
                } => {
                    let (x, y) = (x.round() as u32, y.round() as u32);
                    let (w, h) = (w.round() as u32, h.round() as u32);
                    let t = (thickness.round() as u32).clamp(1, w.min(h) / 2 + 1);
                    raster.fill(x, y, w, t, true);
                    raster.fill(x, (y + h).saturating_sub(t), w, t, true);
                    raster.fill(x, y, t, h, true);
                    raster.fill((x + w).saturating_sub(t), y, t, h, true);
                }
                Item::Text { .. } => {}
            }
        }
        raster
    }

    /// Sets a rectangle, clipped to the label.
    pub(crate) fn fill(&mut self, x: u32, y: u32, w: u32, h: u32, on: bool) {
        let right = x.saturating_add(w).min(self.width);
        let bottom = y.saturating_add(h).min(self.height);
        for row in y.min(bottom)..bottom {
            let start = row as usize * self.width as usize;
            if let Some(cells) = self
                .ink
                .get_mut(start + x.min(right) as usize..start + right as usize)
            {
                cells.fill(on);
            }
        }
    }

    /// One pixel; outside the label is white paper.
    pub(crate) fn get(&self, x: u32, y: u32) -> bool {
        x < self.width
            && y < self.height
            && self
                .ink
                .get(y as usize * self.width as usize + x as usize)
                .copied()
                .unwrap_or(false)
    }

    /// Pixels `left..right` of row `y`, white outside the label.
    pub(crate) fn row(&self, y: u32, left: u32, right: u32) -> Vec<bool> {
        (left..right).map(|x| self.get(x, y)).collect()
    }
}
