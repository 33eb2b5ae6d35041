//! Label tests: template validation, Code 128 planning and decoding, ZPL, PDF decoded by
//! poppler + zbar, and the read-back check.
//!
//! The PDF tests run the real tools: `pdftoppm`, `pdftotext`, `pdffonts`, `pdfinfo`
//! (Debian `poppler-utils`) and `zbarimg` (`zbar-tools`); the font is WenQuanYi Micro Hei
//! (`fonts-wqy-microhei`). A missing tool fails the test with the package to install.

use std::path::Path;
use std::process::Command;

use super::code128::{self, Run};
use super::*;
use crate::message::Code;

const BOX_BARCODE: &str = "B0000000016";
const ARCHIVE_NO: &str = "2012鸿借字第001号";

fn box_data() -> LabelData {
    LabelData::new()
        .with("archive_no", ARCHIVE_NO)
        .with("customer", "鸿运贸易有限公司")
        .with("title", "流动资金贷款 Working capital loan")
        .with("location_path", "1号库房/05列/A面/3节/4层")
        .with("barcode", BOX_BARCODE)
}

fn data_for(name: &str) -> LabelData {
    match name {
        "box" => box_data(),
        "pick-line" => box_data().with("barcode", "B0000000027"),
        "certificate-handover" => {
            let mut data = LabelData::new()
                .with("barcode", "HO0000003")
                .with("label", "3")
                .with("page", "1/1")
                .with("copy", "A角联")
                .with("borrower", "王小明")
                .with("approver", "李主管")
                .with("date", "2026-12-03")
                .with("count", "1")
                .with("link", "/api/v1/handovers/3");
            for n in 1..=10 {
                data = data.with(&format!("line{n}"), format!("{n}. 不动产权证"));
            }
            data
        }
        "loan-slip" => {
            let mut data = LabelData::new()
                .with("barcode", "LS0000007")
                .with("label", "7")
                .with("page", "1/1")
                .with("borrower", "王小明")
                .with("purpose", "贷后检查 Post-loan review")
                .with("approver", "李主管")
                .with("lent", "2026-12-03")
                .with("due", "2027-01-02")
                .with("link", "/api/v1/loanslips/7");
            for n in 1..=10 {
                data = data.with(&format!("line{n}"), format!("{n}. {ARCHIVE_NO}"));
            }
            data
        }
        "certificate" => LabelData::new()
            .with("archive_no", ARCHIVE_NO)
            .with("title", "房产证 沪(2012)第123456号")
            .with("customer", "鸿运贸易有限公司")
            .with("barcode", "C0000000023"),
        "shelf" | "shelf-a4" => LabelData::new()
            .with("location_path", "1号库房/05列/A面/3节/4层")
            .with("barcode", "L0000000031"),
        "badge" => LabelData::new()
            .with("name", "王小明")
            .with("department", "档案室")
            .with("role", "档案员 Archivist")
            .with("barcode", "P0000000047"),
        _ => LabelData::new()
            .with("title", "盘点 Stock-take")
            .with("barcode", "K0000000058"),
    }
}

fn fonts() -> Fonts {
    match Fonts::load_default() {
        Ok(fonts) => fonts,
        Err(error) => panic!("{error}"),
    }
}

fn builtin() -> Templates {
    match Templates::builtin() {
        Ok(templates) => templates,
        Err(error) => panic!("{error}"),
    }
}

fn template(name: &str) -> Template {
    match builtin().get(name) {
        Some(template) => template.clone(),
        None => panic!("no builtin template {name}"),
    }
}

fn tool(name: &str, package: &str) -> Command {
    let found = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).any(|dir| dir.join(name).is_file()))
        .unwrap_or(false);
    assert!(found, "`{name}` is missing: apt-get install -y {package}");
    Command::new(name)
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("tool runs");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Rasterises page(s) of `pdf` at `dpi` and returns zbarimg's `TYPE:value` lines.
fn zbar_decode(pdf: &Path, dpi: u32, page: Option<u32>) -> Vec<String> {
    let dir = pdf.parent().expect("pdf has a directory");
    let prefix = dir.join("page");
    let mut pdftoppm = tool("pdftoppm", "poppler-utils");
    pdftoppm
        .arg("-r")
        .arg(dpi.to_string())
        .arg("-gray")
        .arg("-png");
    if let Some(page) = page {
        pdftoppm
            .arg("-f")
            .arg(page.to_string())
            .arg("-l")
            .arg(page.to_string());
    }
    run(pdftoppm.arg(pdf).arg(&prefix));
    let mut pngs: Vec<_> = std::fs::read_dir(dir)
        .expect("read dir")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "png"))
        .collect();
    pngs.sort();
    assert!(!pngs.is_empty(), "pdftoppm produced no page images");
    let mut zbar = tool("zbarimg", "zbar-tools");
    zbar.arg("--quiet").args(&pngs);
    let output = zbar.output().expect("zbarimg runs");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

// ---------- templates ----------

#[test]
fn builtin_templates_all_load_with_their_sizes() {
    let templates = builtin();
    let names: Vec<&str> = templates.names().collect();
    assert_eq!(
        names,
        [
            "badge",
            "box",
            "certificate",
            "certificate-handover",
            "command-card",
            "loan-slip",
            "pick-line",
            "shelf",
            "shelf-a4"
        ]
    );
    let size = |name: &str| {
        let t = template(name);
        (t.width, t.height)
    };
    assert_eq!(size("box"), (100.0, 60.0));
    assert_eq!(size("certificate"), (60.0, 40.0));
    assert_eq!(size("shelf"), (70.0, 30.0));
    let sheet = template("command-card")
        .sheet
        .expect("command cards come on a sheet");
    assert_eq!((sheet.page_width, sheet.page_height), (210.0, 297.0));
    assert!(sheet.per_page() > 1);
}

fn parse_error(text: &str) -> TemplateError {
    match Template::parse(text, "shop/bad.toml") {
        Ok(_) => panic!("template should be refused:\n{text}"),
        Err(error) => error,
    }
}

const HEAD: &str = "[label]\nname = \"t\"\nwidth = 50.0\nheight = 30.0\n";

#[test]
fn template_unknown_element_kind_names_file_and_line() {
    let error = parse_error(&format!(
        "{HEAD}\n[[element]]\nkind = \"circle\"\nx = 1.0\n"
    ));
    assert_eq!(error.origin, "shop/bad.toml");
    assert_eq!(error.line, 7);
    assert_eq!(error.problem.code, Code::TemplateUnknownKind, "{error}");
    assert!(error.problem.text.en.contains("`circle`"), "{error}");
    let message = error.message();
    assert_eq!(message.code, Code::LabelTemplateInvalid);
    assert!(message.text.en.starts_with("shop/bad.toml:7:"), "{message}");
    assert!(
        message.text.zh.contains("shop/bad.toml 第 7 行"),
        "{message}"
    );
}

#[test]
fn template_element_outside_label_names_its_line() {
    let text = format!(
        "{HEAD}\n[[element]]\nkind = \"frame\"\nx = 1.0\ny = 1.0\nw = 48.0\nh = 10.0\nthickness = 0.3\n\n\
         [[element]]\nkind = \"code128\"\nx = 10.0\ny = 5.0\nw = 45.0\nh = 10.0\ndata = \"{{barcode}}\"\n"
    );
    let error = parse_error(&text);
    assert_eq!(error.line, 16, "{error}");
    assert_eq!(error.problem.code, Code::TemplateOutsideLabel, "{error}");
    assert!(error.problem.text.zh.contains("50×30 mm"), "{error}");
}

#[test]
fn template_unknown_placeholder_names_its_line() {
    let text = format!(
        "{HEAD}\n[[element]]\nkind = \"text\"\nx = 1.0\ny = 1.0\nw = 40.0\nsize = 3.0\ntext = \"{{archive_no}} {{colour}}\"\n"
    );
    let error = parse_error(&text);
    assert_eq!(error.line, 12, "{error}");
    assert_eq!(
        error.problem.code,
        Code::TemplateUnknownPlaceholder,
        "{error}"
    );
    for half in [&error.problem.text.zh, &error.problem.text.en] {
        assert!(half.contains("`{colour}`"), "{half}");
    }
}

#[test]
fn template_field_of_wrong_kind_unknown_key_and_syntax_errors_name_lines() {
    let text = format!("{HEAD}\n[[element]]\nkind = \"line\"\nx1 = 1.0\ny1 = 1.0\nx2 = 9.0\ny2 = 1.0\nthickness = 0.3\nsize = 3.0\n");
    let error = parse_error(&text);
    assert_eq!(error.line, 13, "{error}");
    assert_eq!(
        error.problem.code,
        Code::TemplateKeyNotApplicable,
        "{error}"
    );
    assert!(error.problem.text.zh.contains("`size`"), "{error}");

    let error = parse_error(&format!("{HEAD}colour = \"red\"\n"));
    assert_eq!(error.line, 5, "{error}");
    assert_eq!(error.problem.code, Code::TemplateUnreadable, "{error}");
    assert!(error.problem.text.en.contains("colour"), "{error}");

    let error = parse_error("[label]\nname = \"t\"\nwidth = = 5\n");
    assert_eq!(error.line, 3, "{error}");

    let error = parse_error(&format!(
        "{HEAD}\n[[element]]\nkind = \"qr\"\nx = 1.0\ny = 1.0\ndata = \"{{barcode}}\"\n"
    ));
    assert_eq!(error.line, 7, "{error}");
    assert_eq!(error.problem.code, Code::TemplateNeedsKey, "{error}");
    assert!(error.problem.text.zh.contains("`size`"), "{error}");
}

#[test]
fn templates_load_dir_overrides_builtin_and_names_bad_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let shelf = "[label]\nname = \"shelf\"\nwidth = 80.0\nheight = 25.0\n";
    std::fs::write(dir.path().join("shelf.toml"), shelf).expect("write");
    std::fs::write(dir.path().join("notes.txt"), "not a template").expect("write");
    let templates = Templates::load_dir(dir.path()).expect("loads");
    assert_eq!(templates.get("shelf").map(|t| t.width), Some(80.0));
    assert!(templates.get("box").is_some(), "builtins stay available");

    let bad = dir.path().join("zz-bad.toml");
    std::fs::write(&bad, format!("{HEAD}\n[[element]]\nkind = \"blob\"\n")).expect("write");
    let error = Templates::load_dir(dir.path()).expect_err("refused");
    let message = error.message();
    assert_eq!(message.code, Code::LabelTemplateInvalid);
    assert!(
        message
            .text
            .en
            .starts_with(&format!("{}:7:", bad.display())),
        "{message}"
    );
}

#[test]
fn render_missing_field_is_refused_by_name() {
    let data = LabelData::new().with("barcode", BOX_BARCODE);
    let error = read_back(&template("box"), &data, 203).expect_err("refused");
    let message = error.message();
    assert_eq!(message.code, Code::LabelMissingField);
    assert!(
        message.text.zh.contains("archive_no") && message.text.en.contains("archive_no"),
        "{message}"
    );
}

// ---------- Code 128 ----------

fn widths_of(modules: &[u8]) -> Vec<u32> {
    let mut widths = Vec::new();
    let mut current = modules.first().copied();
    let mut length = 0;
    for &module in modules {
        if Some(module) == current {
            length += 1;
        } else {
            widths.push(length);
            current = Some(module);
            length = 1;
        }
    }
    widths.push(length);
    widths
}

#[test]
fn code128_decoder_table_agrees_with_barcoders() {
    // Second symbol of "Ɓ<ch>" is the value of <ch> in set B (ASCII 32 + value).
    for value in 0u8..95 {
        let ch = char::from(32 + value);
        let runs = vec![Run::B(ch.to_string())];
        let modules = code128::modules(&runs).expect("encodes");
        let symbol = modules.get(11..22).expect("second symbol");
        let widths: Vec<String> = widths_of(symbol).iter().map(u32::to_string).collect();
        let expected = code128::pattern(usize::from(value));
        assert_eq!(widths.concat(), expected, "set B value {value} ({ch:?})");
    }
    for value in 0..100usize {
        let runs = vec![Run::C(format!("{value:02}"))];
        let modules = code128::modules(&runs).expect("encodes");
        let symbol = modules.get(11..22).expect("second symbol");
        let widths: Vec<String> = widths_of(symbol).iter().map(u32::to_string).collect();
        assert_eq!(
            widths.concat(),
            code128::pattern(value),
            "set C value {value}"
        );
    }
}

#[test]
fn code128_plan_uses_set_c_for_digit_runs() {
    let b = |s: &str| Run::B(s.to_string());
    let c = |s: &str| Run::C(s.to_string());
    assert_eq!(
        code128::plan(BOX_BARCODE),
        Ok(vec![b("B"), c("0000000016")])
    );
    assert_eq!(code128::plan("1234"), Ok(vec![c("1234")]));
    assert_eq!(code128::plan("12"), Ok(vec![c("12")]));
    assert_eq!(code128::plan("7"), Ok(vec![b("7")]));
    assert_eq!(code128::plan("12345"), Ok(vec![c("1234"), b("5")]));
    assert_eq!(
        code128::plan("AB1234567CD"),
        Ok(vec![b("AB1"), c("234567"), b("CD")])
    );
    assert_eq!(code128::plan("AB12CD"), Ok(vec![b("AB12CD")]));
    assert_eq!(code128::plan("X-123"), Ok(vec![b("X-123")]));
    assert_eq!(code128::plan(""), Err(Code128Error::Empty));
    assert_eq!(code128::plan("鸿"), Err(Code128Error::Character('鸿')));
    // Set C makes the system barcode shorter than all-B would be.
    let planned = code128::modules(&code128::plan(BOX_BARCODE).expect("plans")).expect("encodes");
    let all_b = code128::modules(&[b(BOX_BARCODE)]).expect("encodes");
    assert!(
        planned.len() < all_b.len(),
        "{} vs {}",
        planned.len(),
        all_b.len()
    );
}

fn row_of(modules: &[u8], scale: usize) -> Vec<bool> {
    let mut row = vec![false; 10 * scale];
    for &module in modules {
        row.extend(std::iter::repeat_n(module == 1, scale));
    }
    row.extend(std::iter::repeat_n(false, 10 * scale));
    row
}

#[test]
fn code128_decoder_reads_back_every_plan_and_rejects_bad_checksum() {
    for value in [
        BOX_BARCODE,
        "K0000000058",
        "12345",
        "AB1234567CD",
        "a>b^c_d~e",
        "0",
        "X",
    ] {
        let runs = code128::plan(value).expect("plans");
        let modules = code128::modules(&runs).expect("encodes");
        for scale in 1..=4 {
            assert_eq!(
                code128::decode_row(&row_of(&modules, scale)).as_deref(),
                Some(value),
                "{value} ×{scale}"
            );
        }
        // Replace the first data symbol with another valid symbol: the checksum must catch it.
        let mut broken = modules.clone();
        let other = code128::pattern(if value.starts_with('B') { 35 } else { 36 });
        let mut position = 11;
        for (index, width) in other.bytes().map(|b| usize::from(b - b'0')).enumerate() {
            for _ in 0..width {
                if let Some(cell) = broken.get_mut(position) {
                    *cell = u8::from(index % 2 == 0);
                }
                position += 1;
            }
        }
        assert_ne!(broken, modules);
        assert_eq!(code128::decode_row(&row_of(&broken, 2)), None, "{value}");
    }
}

// ---------- ZPL ----------

fn zpl_text(template: &Template, data: &LabelData, dpi: u32, fonts: &mut Fonts) -> String {
    let bytes = render_zpl(template, data, dpi, fonts).expect("renders");
    String::from_utf8(bytes).expect("ZPL is UTF-8")
}

#[test]
fn zpl_box_label_has_utf8_code128_qr_and_graphics_for_chinese() {
    let mut fonts = fonts();
    let box_label = template("box");
    for (dpi, module_dots) in [(203u32, 3u32), (300, 4)] {
        let zpl = zpl_text(&box_label, &box_data(), dpi, &mut fonts);
        assert!(zpl.starts_with("^XA\n^CI28\n"), "{dpi}: {zpl:.80}");
        assert!(zpl.trim_end().ends_with("^XZ"));
        // Whole-dot module width, and the bars planned as B then C.
        let by = format!("^BY{module_dots},3,");
        assert!(zpl.contains(&by), "{dpi} dpi wants {by}");
        assert!(
            zpl.contains("^BCN,") && zpl.contains(",N,N,N,N^FH_^FD>:B>50000000016^FS"),
            "{zpl}"
        );
        assert!(
            zpl.contains("^BQN,2,") && zpl.contains("^FDMA,B0000000016^FS"),
            "{zpl}"
        );
        // The archive number is Chinese: it must not be sent as text, only as graphics.
        assert!(!zpl.contains("鸿"), "Chinese text must be rasterised");
        assert!(
            zpl.contains(&format!("^FD{BOX_BARCODE}^FS")),
            "ASCII text uses a printer font"
        );
        assert!(zpl.contains("^A0N,"));
        let graphics = graphic_fields(&zpl);
        assert!(
            graphics.len() >= 4,
            "archive no, customer, title, location: {}",
            graphics.len()
        );
        for (total, again, row_bytes, hex) in graphics {
            assert_eq!(total, again);
            assert_eq!(hex.len(), 2 * total, "hex digits for {total} bytes");
            assert!(
                row_bytes > 0 && total % row_bytes == 0,
                "{total} not rows of {row_bytes}"
            );
            assert!(hex.bytes().all(|b| b.is_ascii_hexdigit()));
            assert!(hex.bytes().any(|b| b != b'0'), "graphic has ink");
        }
    }
    assert!(fonts.cached_glyphs() > 10, "glyphs are cached");
}

/// Every `^GFA,total,total,row,data` field.
fn graphic_fields(zpl: &str) -> Vec<(usize, usize, usize, String)> {
    zpl.split("^GFA,")
        .skip(1)
        .map(|rest| {
            let field = rest.split('^').next().unwrap_or_default();
            let mut parts = field.splitn(4, ',');
            let mut number = || {
                parts
                    .next()
                    .and_then(|p| p.parse::<usize>().ok())
                    .expect("number")
            };
            let (total, again, row) = (number(), number(), number());
            let hex = field
                .rsplit(',')
                .next()
                .unwrap_or_default()
                .trim()
                .to_string();
            (total, again, row, hex)
        })
        .collect()
}

#[test]
fn zpl_module_width_is_whole_dots_and_fits_at_203_and_300_dpi() {
    let mut fonts = fonts();
    for name in ["box", "certificate", "shelf", "badge", "command-card"] {
        let template = template(name);
        for dpi in [203u32, 300] {
            let zpl = zpl_text(&template, &data_for(name), dpi, &mut fonts);
            let by = zpl.split("^BY").nth(1).expect("has ^BY");
            let module: String = by.chars().take_while(char::is_ascii_digit).collect();
            let module: u32 = module
                .parse()
                .expect("^BY module width is a whole number of dots");
            assert!(module >= 1, "{name} {dpi}");
            let mm = f64::from(module) * 25.4 / f64::from(dpi);
            assert!(
                (0.12..=0.6).contains(&mm),
                "{name} at {dpi}: module {mm} mm"
            );
        }
    }
}

#[test]
fn zpl_escapes_field_data_that_would_be_commands() {
    let text = format!("{HEAD}\n[[element]]\nkind = \"text\"\nx = 1.0\ny = 1.0\nw = 48.0\nsize = 3.0\ntext = \"{{name}}\"\n");
    let template = Template::parse(&text, "test").expect("valid");
    let zpl = zpl_text(
        &template,
        &LabelData::new().with("name", "a^XZ~b_c"),
        203,
        &mut fonts(),
    );
    assert!(zpl.contains("^FDa_5EXZ_7Eb_5Fc^FS"), "{zpl}");
    assert_eq!(zpl.matches("^XZ").count(), 1);
}

// ---------- read-back ----------

#[test]
fn read_back_accepts_every_builtin_label_at_203_and_300_dpi() {
    for name in ["box", "certificate", "shelf", "badge", "command-card"] {
        for dpi in [203, 300] {
            if let Err(error) = read_back(&template(name), &data_for(name), dpi) {
                panic!("{name} at {dpi} dpi: {error}");
            }
        }
    }
}

#[test]
fn read_back_refuses_a_broken_qr_code() {
    let error = read_back_with(&template("box"), &box_data(), 203, Tamper::FlipQrData)
        .expect_err("refused");
    assert!(
        matches!(error, ReadBackError::Qr { element: 5, .. }),
        "{error:?}"
    );
    let message = error.message();
    assert_eq!(message.code, Code::LabelQrReadBack);
    assert!(
        !message
            .text
            .en
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "English only in the English half: {message}"
    );
}

#[test]
fn read_back_refuses_damaged_bars() {
    let error = read_back_with(
        &template("shelf"),
        &data_for("shelf"),
        300,
        Tamper::EraseBars,
    )
    .expect_err("refused");
    assert!(
        matches!(error, ReadBackError::Code128 { element: 2, .. }),
        "{error:?}"
    );
}

#[test]
fn barcode_too_long_for_its_box_is_refused() {
    let data = data_for("shelf").with("barcode", "X".repeat(80));
    let error = read_back(&template("shelf"), &data, 203).expect_err("refused");
    assert!(
        matches!(
            error,
            ReadBackError::Render(RenderError::BarcodeTooWide { .. })
        ),
        "{error:?}"
    );
}

// ---------- fonts ----------

#[test]
fn missing_font_says_how_to_install_it_in_both_languages() {
    let error = Fonts::load(Path::new("/nonexistent/wqy.ttc"), 0).expect_err("missing");
    let message = error.message();
    assert_eq!(message.code, Code::LabelFontMissing);
    for half in [&message.text.zh, &message.text.en] {
        assert!(
            half.contains("apt-get install fonts-wqy-microhei"),
            "{half}"
        );
        assert!(half.contains("/nonexistent/wqy.ttc"), "{half}");
    }
}

// ---------- PDF ----------

#[test]
fn pdf_box_label_decodes_with_zbar_and_carries_chinese_text() {
    let fonts = fonts();
    let box_label = template("box");
    let pdf = render_pdf(&[(&box_label, box_data())], &fonts).expect("renders");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("box.pdf");
    std::fs::write(&path, &pdf).expect("write");

    for dpi in [203, 300] {
        let decoded = zbar_decode(&path, dpi, None);
        assert!(
            decoded.contains(&format!("CODE-128:{BOX_BARCODE}")),
            "{dpi} dpi: {decoded:?}"
        );
        assert!(
            decoded.contains(&format!("QR-Code:{BOX_BARCODE}")),
            "{dpi} dpi: {decoded:?}"
        );
        for png in std::fs::read_dir(dir.path())
            .expect("dir")
            .filter_map(|e| e.ok())
        {
            if png.path().extension().is_some_and(|ext| ext == "png") {
                std::fs::remove_file(png.path()).expect("remove");
            }
        }
    }

    let text = run(tool("pdftotext", "poppler-utils").arg(&path).arg("-"));
    assert!(text.contains("鸿借字"), "pdftotext: {text}");
    assert!(
        text.contains("1号库房/05列/A面/3节/4层"),
        "pdftotext: {text}"
    );

    // The font is embedded as a subset (PDF names a subset font with a `XXXXXX+` tag).
    let fonts_table = run(tool("pdffonts", "poppler-utils").arg(&path));
    let font_line = fonts_table
        .lines()
        .find(|line| line.contains('+'))
        .unwrap_or_else(|| panic!("no subset font in:\n{fonts_table}"));
    assert!(font_line.contains(" yes "), "embedded: {font_line}");
    assert!(
        pdf.len() < 400_000,
        "subset keeps the PDF small: {} bytes",
        pdf.len()
    );
}

#[test]
fn pdf_command_cards_fill_a4_sheets() {
    let fonts = fonts();
    let card = template("command-card");
    let per_page = card.sheet.map(|s| s.per_page()).expect("sheet");
    let labels: Vec<(&Template, LabelData)> = (0..per_page + 4)
        .map(|index| {
            let code = format!("K{:010}", 100 + index);
            (
                &card,
                LabelData::new()
                    .with("title", format!("指令 Command {index}"))
                    .with("barcode", code),
            )
        })
        .collect();
    let pdf = render_pdf(&labels, &fonts).expect("renders");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("cards.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let info = run(tool("pdfinfo", "poppler-utils").arg(&path));
    assert!(
        info.lines()
            .any(|l| l.starts_with("Pages:") && l.ends_with(" 2")),
        "{info}"
    );
    assert!(
        info.contains("595.276 x 841.89 pts (A4)") || info.contains("(A4)"),
        "{info}"
    );
    let decoded = zbar_decode(&path, 300, Some(1));
    for index in 0..per_page {
        let expected = format!("CODE-128:K{:010}", 100 + index);
        assert!(
            decoded.contains(&expected),
            "missing {expected} in {decoded:?}"
        );
    }
    assert_eq!(decoded.len(), per_page, "{decoded:?}");
}

#[test]
fn pdf_every_builtin_label_decodes_with_zbar() {
    let fonts = fonts();
    let templates = builtin();
    let labels: Vec<(&Template, LabelData)> = templates
        .names()
        .filter_map(|name| templates.get(name).map(|t| (t, data_for(name))))
        .collect();
    let pdf = render_pdf(&labels, &fonts).expect("renders");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("all.pdf");
    std::fs::write(&path, &pdf).expect("write");
    let decoded = zbar_decode(&path, 300, None);
    for (template, data) in &labels {
        let code = data.get("barcode").expect("barcode");
        assert!(
            decoded.contains(&format!("CODE-128:{code}")),
            "{}: {decoded:?}",
            template.name
        );
        let has_qr = template
            .elements
            .iter()
            .any(|e| matches!(e, Element::Qr { .. }));
        // A sheet's QR may hold where to find it in the station rather than its code.
        let qr = data.get("link").unwrap_or(code);
        assert_eq!(
            decoded.contains(&format!("QR-Code:{qr}")),
            has_qr,
            "{}: {decoded:?}",
            template.name
        );
    }
}
