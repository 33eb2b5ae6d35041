//! Directory printers and printer configuration: jobs become whole files in a real temp
//! directory, one file per job name (a job delivered again replaces its own file; jobs
//! without a name never overwrite one another), and bad `[[printer]]` tables are refused
//! with bilingual reasons.

use std::fs;
use std::path::Path;

use station::message::Code;
use station::printer::{Connect, Delivery, Language, PrintError, Printer, PrinterConfig};

fn printer(dir: &Path, language: Language) -> Printer {
    Printer::new(PrinterConfig {
        name: "counter-labels".into(),
        language,
        dpi: 300,
        connect: Connect::Dir {
            path: dir.to_path_buf(),
        },
    })
}

/// Every entry of `dir`, sorted: a half-written or temp file would show up here.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

#[tokio::test]
async fn dir_printer_names_files_after_jobs_and_a_job_sent_again_is_one_file() {
    let root = tempfile::tempdir().expect("temp dir");
    // The directory does not exist yet: the first job creates it.
    let dir = root.path().join("station-data").join("labels");
    let printer = printer(&dir, Language::Pdf);

    let first = printer
        .send_named("B000000123", b"%PDF-1.4 first", Language::Pdf)
        .await
        .expect("written");
    // The same job delivered again (its first delivery was cut off by a crash).
    let second = printer
        .send_named("B000000123", b"%PDF-1.4 first", Language::Pdf)
        .await
        .expect("written");
    let chinese = printer
        .send_named("2012鸿借字第001号", b"%PDF-1.4 third", Language::Pdf)
        .await
        .expect("written");

    assert_eq!(first, Delivery::File(dir.join("B000000123.pdf")));
    assert_eq!(second, first, "the same file");
    assert_eq!(chinese, Delivery::File(dir.join("2012鸿借字第001号.pdf")));
    assert_eq!(
        fs::read(dir.join("B000000123.pdf")).expect("read"),
        b"%PDF-1.4 first"
    );
    // One file per job, and no temp files are left behind.
    assert_eq!(entries(&dir), ["2012鸿借字第001号.pdf", "B000000123.pdf"]);
}

#[tokio::test]
async fn unnamed_zpl_jobs_are_named_after_the_printer() {
    let dir = tempfile::tempdir().expect("temp dir");
    let printer = printer(dir.path(), Language::Zpl);
    let job = b"^XA^FO50,50^FDB000000123^FS^XZ";
    let mut files = Vec::new();
    for _ in 0..3 {
        let delivery = printer.send(job, Language::Zpl).await.expect("written");
        let file = delivery.file().expect("a file").to_path_buf();
        assert_eq!(fs::read(&file).expect("read"), job);
        files.push(file);
    }
    files.sort();
    files.dedup();
    assert_eq!(files.len(), 3, "three distinct files: {files:?}");
    for name in entries(dir.path()) {
        assert!(name.starts_with("counter-labels-"), "{name}");
        assert!(name.ends_with(".zpl"), "{name}");
    }
}

#[tokio::test]
async fn dir_printer_names_an_unwritable_directory_in_the_error() {
    let root = tempfile::tempdir().expect("temp dir");
    let blocker = root.path().join("labels");
    fs::write(&blocker, b"a file where the directory should be").expect("write");
    let printer = printer(&blocker, Language::Pdf);
    let error = printer
        .send(b"%PDF-1.4", Language::Pdf)
        .await
        .expect_err("not a directory");
    assert!(matches!(error, PrintError::File { .. }), "{error:?}");
    let message = error.message();
    assert_eq!(message.code, Code::PrinterFileFailed, "{message}");
    for half in [&message.text.zh, &message.text.en] {
        assert!(half.contains("counter-labels"), "{half}");
        assert!(half.contains(&blocker.display().to_string()), "{half}");
    }
}

#[tokio::test]
async fn dir_printer_refuses_unusable_job_names_and_status_requests() {
    let dir = tempfile::tempdir().expect("temp dir");
    let printer = printer(dir.path(), Language::Pdf);
    let error = printer
        .send_named("../..", b"%PDF-1.4", Language::Pdf)
        .await
        .expect_err("no name left");
    assert!(matches!(error, PrintError::BadJobName { .. }), "{error:?}");
    // A path in the name stays inside the directory.
    let inside = printer
        .send_named("../escape", b"%PDF-1.4", Language::Pdf)
        .await
        .expect("written");
    assert_eq!(inside, Delivery::File(dir.path().join("_escape.pdf")));

    assert!(matches!(
        printer.status().await,
        Err(PrintError::StatusUnsupported { .. })
    ));
}

#[test]
fn printer_tables_parse_with_defaults_and_clear_errors() {
    let config: PrinterConfig = toml::from_str(
        r#"
            name = "office"
            language = "pdf"
            connect = "cups://archive-pdf"
        "#,
    )
    .expect("parses");
    assert_eq!(config.dpi, 203);
    assert_eq!(
        config.connect,
        Connect::Cups {
            queue: "archive-pdf".into(),
            server: None
        }
    );

    let bad_connect = toml::from_str::<PrinterConfig>(
        r#"
            name = "zebra-1"
            language = "zpl"
            connect = "serial://dev/ttyUSB1"
        "#,
    )
    .expect_err("two slashes");
    let message = bad_connect.to_string();
    assert!(message.contains("三个斜杠"), "{message}");
    assert!(message.contains("three slashes"), "{message}");

    let bad_language = toml::from_str::<PrinterConfig>(
        r#"
            name = "zebra-1"
            language = "epl"
            connect = "tcp://zebra-1"
        "#,
    )
    .expect_err("unknown language");
    assert!(bad_language.to_string().contains("epl"), "{bad_language}");

    let unknown_key = toml::from_str::<PrinterConfig>(
        r#"
            name = "zebra-1"
            language = "zpl"
            connect = "tcp://zebra-1"
            conect = "tcp://zebra-2"
        "#,
    )
    .expect_err("a typo");
    assert!(unknown_key.to_string().contains("conect"), "{unknown_key}");
}
