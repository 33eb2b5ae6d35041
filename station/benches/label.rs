//! Label benchmark: ZPL and PDF render time per box label, a 1,000-label A4 batch, and the
//! read-back check per label.
//!
//! `cargo bench -p station --bench label -- [--labels N]`
//! Needs the label font (Debian `fonts-wqy-microhei`). Targets: ZPL ≤ 1 ms per label (Chinese
//! rasterised, glyph cache warm), PDF ≤ 20 ms per label, 1,000 labels on A4 ≤ 5 s,
//! read-back ≤ 50 ms per label.

use std::time::{Duration, Instant};

use station::label::{read_back, render_pdf, render_zpl, Fonts, LabelData, Template, Templates};

fn box_data(index: usize) -> LabelData {
    LabelData::new()
        .with("archive_no", format!("2012鸿借字第{:03}号", index % 1000))
        .with("customer", "鸿运贸易有限公司")
        .with("title", "流动资金贷款 Working capital loan")
        .with("location_path", "1号库房/05列/A面/3节/4层")
        .with("barcode", format!("B{:010}", 16 + index))
}

fn per_label(total: Duration, n: usize) -> String {
    format!(
        "{:8.3} ms/label",
        total.as_secs_f64() * 1000.0 / n.max(1) as f64
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut labels = 1000usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--labels" {
            labels = args.next().and_then(|n| n.parse().ok()).unwrap_or(labels);
        }
    }
    let load = Instant::now();
    let mut fonts = Fonts::load_default()?;
    let templates = Templates::builtin()?;
    println!(
        "font load                      {:8.3} ms",
        load.elapsed().as_secs_f64() * 1000.0
    );
    let box_label: &Template = templates.get("box").ok_or("no box template")?;
    let card: &Template = templates
        .get("command-card")
        .ok_or("no command-card template")?;

    for dpi in [203u32, 300] {
        // Warm the glyph cache, then time.
        let mut bytes = 0;
        for index in 0..20 {
            bytes += render_zpl(box_label, &box_data(index), dpi, &mut fonts)?.len();
        }
        let start = Instant::now();
        for index in 0..labels {
            bytes += render_zpl(box_label, &box_data(index), dpi, &mut fonts)?.len();
        }
        println!(
            "ZPL box label {dpi} dpi          {}  ({} bytes each, {} glyphs cached)",
            per_label(start.elapsed(), labels),
            bytes / (labels + 20),
            fonts.cached_glyphs()
        );
    }

    let first = Instant::now();
    let pdf = render_pdf(&[(box_label, box_data(0))], &fonts)?;
    println!(
        "PDF first label (parses font)  {:8.3} ms ({} bytes)",
        first.elapsed().as_secs_f64() * 1000.0,
        pdf.len()
    );
    let rounds = 50;
    let start = Instant::now();
    for index in 0..rounds {
        render_pdf(&[(box_label, box_data(index))], &fonts)?;
    }
    println!(
        "PDF box label, one per file     {}",
        per_label(start.elapsed(), rounds)
    );

    let batch: Vec<(&Template, LabelData)> = (0..labels)
        .map(|index| {
            (
                card,
                LabelData::new()
                    .with("title", format!("指令 {index} 盘点"))
                    .with("barcode", format!("K{:010}", index)),
            )
        })
        .collect();
    let start = Instant::now();
    let pdf = render_pdf(&batch, &fonts)?;
    let elapsed = start.elapsed();
    println!(
        "PDF {labels} command cards on A4  {:8.3} s total, {} ({} bytes)",
        elapsed.as_secs_f64(),
        per_label(elapsed, labels),
        pdf.len()
    );
    let boxes: Vec<(&Template, LabelData)> = (0..labels)
        .map(|index| (box_label, box_data(index)))
        .collect();
    let start = Instant::now();
    let pdf = render_pdf(&boxes, &fonts)?;
    let elapsed = start.elapsed();
    println!(
        "PDF {labels} box labels, one file  {:8.3} s total, {} ({} bytes)",
        elapsed.as_secs_f64(),
        per_label(elapsed, labels),
        pdf.len()
    );

    for dpi in [203u32, 300] {
        let rounds = 200.min(labels);
        let start = Instant::now();
        for index in 0..rounds {
            read_back(box_label, &box_data(index), dpi)?;
        }
        println!(
            "read-back box label {dpi} dpi    {}",
            per_label(start.elapsed(), rounds)
        );
    }
    Ok(())
}
