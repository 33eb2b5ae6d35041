//! ZPL II output: one label as a `^XA…^XZ` format for a Zebra-compatible printer.
//!
//! Command references are to the Zebra "ZPL II Programming Guide": `^CI28` selects UTF-8,
//! `^BY`/`^BC` draw Code 128 with a whole-dot module width, `^BQ` draws QR, `^GB` boxes and
//! lines, `^GD` diagonals, `^A0`+`^FB` the built-in scalable font, `^GFA` an ASCII-hex
//! graphic field for text the printer's fonts cannot draw (Chinese).

use std::fmt::Write as _;

use super::layout::{self, Item, Layout};
use super::template::{Align, Template};
use super::{Fonts, LabelData, RenderError};

/// Renders one label as ZPL II for a printer of `dpi` dots per inch (203 or 300 typically).
pub fn render_zpl(
    template: &Template,
    data: &LabelData,
    dpi: u32,
    fonts: &mut Fonts,
) -> Result<Vec<u8>, RenderError> {
    let layout = layout::resolve(template, data, dpi, false)?;
    let mut out = String::with_capacity(4096);
    write_label(&layout, fonts, &mut out)?;
    Ok(out.into_bytes())
}

fn write_label(layout: &Layout, fonts: &mut Fonts, out: &mut String) -> Result<(), RenderError> {
    // ^CI28: field data is UTF-8. ^PW/^LL: label width and length in dots. ^LH0,0: home.
    let _ = write!(
        out,
        "^XA\n^CI28\n^PW{}\n^LL{}\n^LH0,0\n",
        layout.width, layout.height
    );
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
                if text.is_ascii() {
                    write_ascii_text(out, *x, *y, *w, size, *bold, *align, text);
                } else {
                    let (width, height, ink) = fonts.rasterise_line(text, size, *bold);
                    let advance = fonts.measure(text, size.round().max(1.0));
                    let left = layout::align_left(*align, *x, *w, advance).max(0.0);
                    let _ = write!(out, "^FO{},{}", left.round() as u32, y.round() as u32);
                    write_graphic(out, width, height, &ink);
                    out.push_str("^FS\n");
                }
            }
            Item::Bars {
                x,
                y,
                height,
                module_dots,
                runs,
                ..
            } => {
                // ^BY module width (dots), wide:narrow ratio (ignored by Code 128), height.
                // ^BC orientation N, height, no interpretation line (our own text prints
                // it), not above, no UCC check digit, mode N: the field carries explicit
                // subset invocation codes, so the bars match our own encoding exactly.
                let _ = write!(
                    out,
                    "^FO{x},{y}^BY{module_dots},3,{height}^BCN,{height},N,N,N,N^FH_^FD"
                );
                push_escaped(out, &super::code128::zpl_field(runs));
                out.push_str("^FS\n");
            }
            Item::Qr {
                x,
                y,
                module_dots,
                ecc,
                value,
                ..
            } => {
                // ^BQ orientation N, model 2, magnification = dots per module. Field data:
                // error-correction letter, `A` automatic input mode, comma, data.
                let _ = write!(
                    out,
                    "^FO{x},{y}^BQN,2,{module_dots}^FH_^FD{}A,",
                    ecc.letter()
                );
                push_escaped(out, value);
                out.push_str("^FS\n");
            }
            Item::Line {
                x1,
                y1,
                x2,
                y2,
                thickness,
            } => {
                let t = thickness.round().max(1.0) as u32;
                let (left, right) = (x1.min(*x2), x1.max(*x2));
                let (top, bottom) = (y1.min(*y2), y1.max(*y2));
                if (y1 - y2).abs() < 0.5 {
                    let _ = writeln!(
                        out,
                        "^FO{},{}^GB{},{t},{t}^FS",
                        left.round() as u32,
                        (top - f64::from(t) / 2.0).round().max(0.0) as u32,
                        (right - left).round().max(1.0) as u32
                    );
                } else if (x1 - x2).abs() < 0.5 {
                    let _ = writeln!(
                        out,
                        "^FO{},{}^GB{t},{},{t}^FS",
                        (left - f64::from(t) / 2.0).round().max(0.0) as u32,
                        top.round() as u32,
                        (bottom - top).round().max(1.0) as u32
                    );
                } else {
                    // ^GD: `R` leans right (bottom-left to top-right), `L` the other way.
                    let lean = if (x2 - x1) * (y2 - y1) < 0.0 {
                        'R'
                    } else {
                        'L'
                    };
                    let _ = writeln!(
                        out,
                        "^FO{},{}^GD{},{},{t},B,{lean}^FS",
                        left.round() as u32,
                        top.round() as u32,
                        (right - left).round() as u32,
                        (bottom - top).round() as u32
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
                let _ = writeln!(
                    out,
                    "^FO{},{}^GB{},{},{}^FS",
                    x.round() as u32,
                    y.round() as u32,
                    w.round() as u32,
                    h.round() as u32,
                    thickness.round().max(1.0) as u32
                );
            }
        }
    }
    out.push_str("^PQ1\n^XZ\n");
    Ok(())
}

/// ASCII text in the printer's scalable font 0, aligned in a one-line field block.
#[allow(clippy::too_many_arguments)]
fn write_ascii_text(
    out: &mut String,
    x: f64,
    y: f64,
    w: f64,
    size: f64,
    bold: bool,
    align: Align,
    text: &str,
) {
    let justify = match align {
        Align::Left => 'L',
        Align::Center => 'C',
        Align::Right => 'R',
    };
    let height = size.round().max(10.0) as u32;
    // Font 0 has no bold; print the field twice, one dot apart.
    let passes: &[u32] = if bold { &[0, 1] } else { &[0] };
    for &shift in passes {
        let _ = write!(
            out,
            "^FO{},{}^A0N,{height},{height}^FB{},1,0,{justify},0^FH_^FD",
            x.round() as u32 + shift,
            y.round() as u32,
            w.round().max(1.0) as u32
        );
        push_escaped(out, text);
        out.push_str("^FS\n");
    }
}

/// `^GFA,total,total,row,data`: an uncompressed ASCII-hex graphic field, one bit per dot,
/// most significant bit leftmost, 1 = black (ZPL II guide, `^GF`).
fn write_graphic(out: &mut String, width: u32, height: u32, ink: &[bool]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let row_bytes = width.div_ceil(8) as usize;
    let total = row_bytes * height as usize;
    let _ = write!(out, "^GFA,{total},{total},{row_bytes},");
    out.reserve(total * 2);
    for row in ink.chunks(width.max(1) as usize).take(height as usize) {
        for byte_index in 0..row_bytes {
            let mut byte = 0u8;
            for bit in 0..8 {
                if row.get(byte_index * 8 + bit).copied().unwrap_or(false) {
                    byte |= 0x80 >> bit;
                }
            }
            out.push(char::from(HEX[usize::from(byte >> 4)]));
            out.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
}

/// Field data under `^FH_`: the characters ZPL would take as commands (`^`, `~`) and the
/// escape character itself go in as `_XX` hex.
fn push_escaped(out: &mut String, text: &str) {
    for ch in text.chars() {
        match ch {
            '^' => out.push_str("_5E"),
            '~' => out.push_str("_7E"),
            '_' => out.push_str("_5F"),
            other => out.push(other),
        }
    }
}
