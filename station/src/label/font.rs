//! The label font: loading the TrueType file, measuring text, and rasterising glyphs (cached).
//!
//! One font serves both outputs: the PDF embeds (a subset of) it, and ZPL gets text the
//! printer cannot draw as host-rasterised bitmaps from the same outlines, so both outputs
//! measure text the same way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use ab_glyph::{Font, FontArc, GlyphId, PxScale, ScaleFont};

/// Where Debian's `fonts-wqy-microhei` puts WenQuanYi Micro Hei.
pub const DEFAULT_FONT_PATH: &str = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc";

/// The font could not be used.
#[derive(Debug)]
pub enum FontError {
    /// The font file does not exist or cannot be read.
    Missing {
        /// The path tried.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not a usable TrueType/OpenType font (or has no such face).
    Invalid {
        /// The path tried.
        path: PathBuf,
        /// The face index in a collection.
        face: u32,
    },
}

impl FontError {
    /// What to tell people.
    pub fn message(&self) -> crate::message::Message {
        use crate::message;
        match self {
            FontError::Missing { path, source } => message!(
                LabelFontMissing,
                path = path.display().to_string(),
                reason = source
            ),
            FontError::Invalid { path, face } => {
                message!(
                    LabelFontInvalid,
                    path = path.display().to_string(),
                    face = face
                )
            }
        }
    }
}

crate::message::display_by_message!(FontError);

/// A rasterised glyph: coverage-thresholded 1-bit pixels, positioned relative to the pen.
#[derive(Debug, Clone)]
pub(crate) struct GlyphBitmap {
    /// Offset of the bitmap's left edge from the pen position, in pixels.
    pub left: i32,
    /// Offset of the bitmap's top edge from the baseline, in pixels (negative is above).
    pub top: i32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major pixels, `true` is ink.
    pub ink: Vec<bool>,
}

/// The label font plus a glyph cache for host rasterising.
///
/// Load it once and keep it: parsing the PDF form of a 5 MB collection costs milliseconds,
/// and the cache makes repeated characters (the archive number's 鸿借字第…号) free.
pub struct Fonts {
    path: PathBuf,
    face: u32,
    bytes: Arc<Vec<u8>>,
    font: FontArc,
    pdf_font: OnceLock<Option<printpdf::ParsedFont>>,
    cache: HashMap<(GlyphId, u32, bool), Arc<GlyphBitmap>>,
}

impl std::fmt::Debug for Fonts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fonts")
            .field("path", &self.path)
            .field("face", &self.face)
            .field("cached_glyphs", &self.cache.len())
            .finish()
    }
}

impl Fonts {
    /// Loads WenQuanYi Micro Hei from [`DEFAULT_FONT_PATH`], face 0.
    pub fn load_default() -> Result<Fonts, FontError> {
        Fonts::load(Path::new(DEFAULT_FONT_PATH), 0)
    }

    /// Loads face `face` of the TrueType file or collection at `path`.
    pub fn load(path: &Path, face: u32) -> Result<Fonts, FontError> {
        let bytes = std::fs::read(path).map_err(|source| FontError::Missing {
            path: path.to_path_buf(),
            source,
        })?;
        let invalid = || FontError::Invalid {
            path: path.to_path_buf(),
            face,
        };
        let font = ab_glyph::FontVec::try_from_vec_and_index(bytes.clone(), face)
            .map_err(|_| invalid())?;
        Ok(Fonts {
            path: path.to_path_buf(),
            face,
            bytes: Arc::new(bytes),
            font: FontArc::new(font),
            pdf_font: OnceLock::new(),
            cache: HashMap::new(),
        })
    }

    /// The file the font came from.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of glyph bitmaps in the cache.
    pub fn cached_glyphs(&self) -> usize {
        self.cache.len()
    }

    /// The font parsed for PDF embedding (parsed once, on first use).
    pub(crate) fn pdf_font(&self) -> Result<&printpdf::ParsedFont, FontError> {
        self.pdf_font
            .get_or_init(|| {
                printpdf::ParsedFont::from_bytes(&self.bytes, self.face as usize, &mut Vec::new())
            })
            .as_ref()
            .ok_or_else(|| FontError::Invalid {
                path: self.path.clone(),
                face: self.face,
            })
    }

    /// Whether the font has a glyph for `ch`.
    pub fn covers(&self, ch: char) -> bool {
        ch.is_whitespace() || self.font.glyph_id(ch).0 != 0
    }

    /// Advance width of `text` at an em size of `size` (any unit; the result is in the same unit).
    pub fn measure(&self, text: &str, size: f64) -> f64 {
        let units = f64::from(self.font.units_per_em().unwrap_or(1000.0));
        let mut total = 0.0;
        let mut previous: Option<GlyphId> = None;
        for ch in text.chars() {
            let id = self.font.glyph_id(ch);
            if let Some(prev) = previous {
                total += f64::from(self.font.kern_unscaled(prev, id));
            }
            total += f64::from(self.font.h_advance_unscaled(id));
            previous = Some(id);
        }
        total / units * size
    }

    /// Ascent as a fraction of the em size.
    pub fn ascent(&self) -> f64 {
        let units = f64::from(self.font.units_per_em().unwrap_or(1000.0));
        f64::from(self.font.ascent_unscaled()) / units
    }

    /// Rasterises `text` at an em size of `size_px` pixels into a 1-bit bitmap whose top is
    /// the line's ascent. Returns (width, height, row-major ink).
    pub(crate) fn rasterise_line(
        &mut self,
        text: &str,
        size_px: f64,
        bold: bool,
    ) -> (u32, u32, Vec<bool>) {
        let size_key = (size_px.round().max(1.0)) as u32;
        let scale = PxScale::from(size_key as f32);
        let scaled = self.font.as_scaled(scale);
        let ascent = scaled.ascent().ceil() as i32;
        let descent = (-scaled.descent()).ceil() as i32;
        let height = (ascent + descent).max(1) as u32;
        let extra = if bold { bold_offset(size_key) } else { 0 };
        let width = (self.measure(text, f64::from(size_key)).ceil() as u32 + extra + 1).max(1);
        let mut ink = vec![false; (width as usize) * (height as usize)];
        let mut pen = 0.0_f32;
        let mut previous: Option<GlyphId> = None;
        for ch in text.chars() {
            let id = self.font.glyph_id(ch);
            if let Some(prev) = previous {
                pen += self.font.as_scaled(scale).kern(prev, id);
            }
            let glyph = self.glyph(id, size_key, bold);
            let origin_x = pen.round() as i32 + glyph.left;
            let origin_y = ascent + glyph.top;
            for row in 0..glyph.height as i32 {
                for col in 0..glyph.width as i32 {
                    let on = glyph
                        .ink
                        .get((row * glyph.width as i32 + col) as usize)
                        .copied()
                        .unwrap_or(false);
                    let (px, py) = (origin_x + col, origin_y + row);
                    if on && px >= 0 && py >= 0 && (px as u32) < width && (py as u32) < height {
                        if let Some(cell) = ink.get_mut(py as usize * width as usize + px as usize)
                        {
                            *cell = true;
                        }
                    }
                }
            }
            pen += self.font.as_scaled(scale).h_advance(id);
            previous = Some(id);
        }
        (width, height, ink)
    }

    /// One glyph's bitmap, from the cache or freshly rasterised.
    fn glyph(&mut self, id: GlyphId, size_px: u32, bold: bool) -> Arc<GlyphBitmap> {
        if let Some(hit) = self.cache.get(&(id, size_px, bold)) {
            return Arc::clone(hit);
        }
        let glyph =
            id.with_scale_and_position(PxScale::from(size_px as f32), ab_glyph::point(0.0, 0.0));
        let bitmap = match self.font.outline_glyph(glyph) {
            None => GlyphBitmap {
                left: 0,
                top: 0,
                width: 0,
                height: 0,
                ink: Vec::new(),
            },
            Some(outlined) => {
                let bounds = outlined.px_bounds();
                let base_width = bounds.width().max(0.0) as u32;
                let extra = if bold { bold_offset(size_px) } else { 0 };
                let width = base_width + extra;
                let height = bounds.height().max(0.0) as u32;
                let mut ink = vec![false; (width as usize) * (height as usize)];
                outlined.draw(|x, y, coverage| {
                    if coverage >= 0.5 {
                        for dx in 0..=extra {
                            if let Some(cell) =
                                ink.get_mut(y as usize * width as usize + (x + dx) as usize)
                            {
                                *cell = true;
                            }
                        }
                    }
                });
                GlyphBitmap {
                    left: bounds.min.x as i32,
                    top: bounds.min.y as i32,
                    width,
                    height,
                    ink,
                }
            }
        };
        let bitmap = Arc::new(bitmap);
        self.cache.insert((id, size_px, bold), Arc::clone(&bitmap));
        bitmap
    }
}

/// How many pixels synthetic bold smears each glyph sideways.
fn bold_offset(size_px: u32) -> u32 {
    (size_px / 24).max(1)
}
