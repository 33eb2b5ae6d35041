//! PDF output via `printpdf`: vector bars and QR modules, text in the embedded (subset) font.
//!
//! Geometry comes from the 300 dpi [`layout`](super::layout), converted back to millimetres,
//! so a PDF printed at 300 dpi puts every bar exactly where the ZPL for 300 dpi does.

use printpdf::{
    Color, Greyscale, Line, LinePoint, Op, PaintMode, PdfDocument, PdfFontHandle, PdfPage,
    PdfSaveOptions, Point, Pt, Rect, TextItem, TextRenderingMode,
};

use super::layout::{self, Item, Layout, MM_PER_INCH};
use super::template::{Sheet, Template};
use super::{Fonts, LabelData, RenderError};
use crate::message::Code;

/// The resolution PDF geometry is snapped to (bar and QR modules in whole 1/300 inch).
pub const PDF_DPI: u32 = 300;

const PT_PER_MM: f64 = 72.0 / MM_PER_INCH;

/// Renders labels into one PDF. A template with a `[sheet]` puts consecutive labels of
/// that template several to a page; any other label gets a page of its own size.
pub fn render_pdf(
    labels: &[(&Template, LabelData)],
    fonts: &Fonts,
) -> Result<Vec<u8>, RenderError> {
    if labels.is_empty() {
        return Err(RenderError::NoLabels);
    }
    let mut document = PdfDocument::new(&Code::LabelPdfTitle.message().text.joined());
    let font_id = document.add_font(fonts.pdf_font()?);
    let font = PdfFontHandle::External(font_id);
    let mut pages: Vec<PdfPage> = Vec::new();
    // The sheet page being filled: (template name, sheet, ops, labels placed).
    let mut open_sheet: Option<(String, Sheet, Vec<Op>, usize)> = None;
    for (template, data) in labels {
        let layout = layout::resolve(template, data, PDF_DPI, false)?;
        match template.sheet {
            Some(sheet) => {
                let same = open_sheet.as_ref().is_some_and(|(name, _, _, placed)| {
                    *name == template.name && *placed < sheet.per_page()
                });
                if !same {
                    if let Some((_, done, ops, _)) = open_sheet.take() {
                        pages.push(page(done.page_width, done.page_height, ops));
                    }
                    open_sheet = Some((template.name.clone(), sheet, Vec::new(), 0));
                }
                if let Some((_, sheet, ops, placed)) = open_sheet.as_mut() {
                    let columns = sheet.columns.max(1) as usize;
                    let (column, row) = (*placed % columns, *placed / columns);
                    let origin = Origin {
                        left: sheet.left + sheet.pitch_x * column as f64,
                        top: sheet.top + sheet.pitch_y * row as f64,
                        page_height: sheet.page_height,
                    };
                    draw(&layout, fonts, &font, origin, ops)?;
                    *placed += 1;
                }
            }
            None => {
                let mut ops = Vec::new();
                let origin = Origin {
                    left: 0.0,
                    top: 0.0,
                    page_height: template.height,
                };
                draw(&layout, fonts, &font, origin, &mut ops)?;
                pages.push(page(template.width, template.height, ops));
            }
        }
    }
    if let Some((_, sheet, ops, _)) = open_sheet.take() {
        pages.push(page(sheet.page_width, sheet.page_height, ops));
    }
    let options = PdfSaveOptions {
        subset_fonts: true,
        ..PdfSaveOptions::default()
    };
    Ok(document.with_pages(pages).save(&options, &mut Vec::new()))
}

fn page(width_mm: f64, height_mm: f64, ops: Vec<Op>) -> PdfPage {
    PdfPage::new(
        printpdf::Mm(width_mm as f32),
        printpdf::Mm(height_mm as f32),
        ops,
    )
}

/// Where a label's top-left corner sits on its page, in mm from the page's top-left.
#[derive(Clone, Copy)]
struct Origin {
    left: f64,
    top: f64,
    page_height: f64,
}

impl Origin {
    /// A point in layout dots → PDF points (origin bottom-left).
    fn x(&self, dots: f64) -> Pt {
        Pt(((self.left + dots * MM_PER_INCH / f64::from(PDF_DPI)) * PT_PER_MM) as f32)
    }
    fn y(&self, dots: f64) -> Pt {
        Pt(
            ((self.page_height - self.top - dots * MM_PER_INCH / f64::from(PDF_DPI)) * PT_PER_MM)
                as f32,
        )
    }
    fn len(dots: f64) -> Pt {
        Pt((dots * MM_PER_INCH / f64::from(PDF_DPI) * PT_PER_MM) as f32)
    }
    /// A filled rectangle given in layout dots (top-left, width, height).
    fn rect(&self, x: f64, y: f64, w: f64, h: f64) -> Op {
        let mut rectangle =
            Rect::from_xywh(self.x(x), self.y(y + h), Origin::len(w), Origin::len(h));
        rectangle.mode = Some(PaintMode::Fill);
        Op::DrawRectangle { rectangle }
    }
}

fn black() -> Color {
    Color::Greyscale(Greyscale::new(0.0, None))
}

fn draw(
    layout: &Layout,
    fonts: &Fonts,
    font: &PdfFontHandle,
    origin: Origin,
    ops: &mut Vec<Op>,
) -> Result<(), RenderError> {
    ops.push(Op::SaveGraphicsState);
    ops.push(Op::SetFillColor { col: black() });
    ops.push(Op::SetOutlineColor { col: black() });
    for item in &layout.items {
        match item {
            Item::Text {
                x,
                y,
                w,
                size,
                bold,
                align,
                text,
            } => {
                let Some(size) = layout::text_size(fonts, text, *size, *w)? else {
                    continue;
                };
                let advance = fonts.measure(text, size);
                let left = layout::align_left(*align, *x, *w, advance);
                let baseline = y + fonts.ascent() * size;
                ops.push(Op::StartTextSection);
                ops.push(Op::SetFont {
                    font: font.clone(),
                    size: Origin::len(size),
                });
                if *bold {
                    // The font has one weight: stroke the outlines as well to embolden.
                    ops.push(Op::SetTextRenderingMode {
                        mode: TextRenderingMode::FillStroke,
                    });
                    ops.push(Op::SetOutlineThickness {
                        pt: Pt((Origin::len(size).0 * 0.04).max(0.2)),
                    });
                }
                ops.push(Op::SetTextCursor {
                    pos: Point {
                        x: origin.x(left),
                        y: origin.y(baseline),
                    },
                });
                ops.push(Op::ShowText {
                    items: vec![TextItem::Text(text.clone())],
                });
                if *bold {
                    ops.push(Op::SetTextRenderingMode {
                        mode: TextRenderingMode::Fill,
                    });
                }
                ops.push(Op::EndTextSection);
            }
            Item::Bars {
                x,
                y,
                height,
                module_dots,
                modules,
                ..
            } => {
                // One rectangle per bar (a run of dark modules).
                let mut index = 0;
                while index < modules.len() {
                    if modules.get(index) == Some(&1) {
                        let run = modules
                            .get(index..)
                            .unwrap_or_default()
                            .iter()
                            .take_while(|&&m| m == 1)
                            .count();
                        ops.push(origin.rect(
                            f64::from(*x) + (index as f64) * f64::from(*module_dots),
                            f64::from(*y),
                            (run as f64) * f64::from(*module_dots),
                            f64::from(*height),
                        ));
                        index += run;
                    } else {
                        index += 1;
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
                let step = f64::from(*module_dots);
                for (row, cells) in dark.chunks((*side).max(1)).enumerate() {
                    let mut column = 0;
                    while column < cells.len() {
                        if cells.get(column) == Some(&true) {
                            let run = cells
                                .get(column..)
                                .unwrap_or_default()
                                .iter()
                                .take_while(|&&d| d)
                                .count();
                            ops.push(origin.rect(
                                f64::from(*x) + column as f64 * step,
                                f64::from(*y) + row as f64 * step,
                                run as f64 * step,
                                step,
                            ));
                            column += run;
                        } else {
                            column += 1;
                        }
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
                ops.push(Op::SetOutlineThickness {
                    pt: Origin::len(*thickness),
                });
                ops.push(Op::DrawLine {
                    line: Line {
                        points: vec![
                            LinePoint {
                                p: Point {
                                    x: origin.x(*x1),
                                    y: origin.y(*y1),
                                },
                                bezier: false,
                            },
                            LinePoint {
                                p: Point {
                                    x: origin.x(*x2),
                                    y: origin.y(*y2),
                                },
                                bezier: false,
                            },
                        ],
                        is_closed: false,
                    },
                });
            }
            Item::Frame {
                x,
                y,
                w,
                h,
                thickness,
            } => {
                // Four filled strips inside the box, as ZPL's ^GB draws it.
                let t = thickness.min(w / 2.0).min(h / 2.0);
                ops.push(origin.rect(*x, *y, *w, t));
                ops.push(origin.rect(*x, y + h - t, *w, t));
                ops.push(origin.rect(*x, *y, t, *h));
                ops.push(origin.rect(x + w - t, *y, t, *h));
            }
        }
    }
    ops.push(Op::RestoreGraphicsState);
    Ok(())
}
