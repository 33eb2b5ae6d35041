//! The ledger CLI end to end: `station import` and `station export` on a real store.

use std::fs;

mod common;

use common::{http_get_as, http_post_bytes_as, run, station, stderr, stdout, wait_until, Daemon};

const CONFIG: &str = r#"
[[scheme]]
name = "loan"
template = "{year}鸿借字第{seq:03}号"
"#;

const LEDGER: &str = "\
档案号,题名,客户名称,类别,年度,保管期限,位置,条码
2012鸿借字第001号,借款合同及担保资料,鸿达贸易有限公司,借款,2012,30年,1号库房/05列/A面/3节/4层,
2012鸿借字第002号,借款合同,华南电力,借款,2012,永久,1号库房/5列/A面/3节/4层,
2012鸿借字第005号,抵押资料,东方机械,抵押,2012,10年,1号库房/05列/B面/1节/1层,
2012鸿借字第002号,重复,华南电力,借款,2012,永久,,
2013鸿借字第001号,坏年份,某公司,借款,12012,永久,,
2013鸿借字第002号,坏位置,某公司,借款,2013,永久,1号库房/05排/A面/3节/4层,
,无档案号,某公司,借款,2013,永久,,
2013鸿借字第003号,坏条码,某公司,借款,2013,永久,,B0000000019
2013鸿借字第004号,坏期限,某公司,借款,2013,十年,,
";

struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().expect("tempdir");
        fs::write(dir.path().join("station.toml"), CONFIG).expect("config");
        Fixture { dir }
    }

    fn data(&self) -> std::path::PathBuf {
        self.dir.path().join("data")
    }

    fn file(&self, name: &str, bytes: &[u8]) -> std::path::PathBuf {
        let path = self.dir.path().join(name);
        fs::write(&path, bytes).expect("write file");
        path
    }

    fn station(&self) -> std::process::Command {
        let mut command = station(&self.data());
        command
            .arg("--config")
            .arg(self.dir.path().join("station.toml"));
        command
    }

    fn export(&self) -> String {
        let output = run(self.station().arg("export"));
        assert!(
            output.status.success(),
            "export failed: {}",
            stderr(&output)
        );
        stdout(&output)
    }
}

#[test]
fn bad_rows_are_reported_by_line_and_good_rows_imported() {
    let fixture = Fixture::new();
    let ledger = fixture.file("ledger.csv", LEDGER.as_bytes());
    let output = run(fixture.station().arg("import").arg(&ledger));
    let text = stdout(&output);
    assert_eq!(
        output.status.code(),
        Some(3),
        "bad rows give exit 3: {text}"
    );
    assert!(text.contains("created 3"), "{text}");
    assert!(text.contains("bad rows 6"), "{text}");
    for (line, reason) in [
        (5, "duplicates line 3"),
        (6, "not a year"),
        (7, "should look like 05列"),
        (8, "archive number is empty"),
        (9, "bad check digit"),
        (10, "retention \"十年\" is not valid"),
    ] {
        let expected = format!("line {line}: ");
        let found = text
            .lines()
            .find(|l| l.contains(&expected))
            .unwrap_or_else(|| panic!("no report for line {line} in {text}"));
        assert!(found.contains(reason), "line {line}: {found}");
    }
    assert!(
        text.contains("2012鸿借字第003号 – 2012鸿借字第004号"),
        "gap reported: {text}"
    );

    let export = fixture.export();
    assert_eq!(
        export.lines().count(),
        4,
        "header and three boxes: {export}"
    );
    assert!(export.contains(
        "2012鸿借字第002号,借款合同,华南电力,借款,2012,永久,1号库房/05列/A面/3节/4层,,0,B"
    ));
    assert!(!export.contains("坏"), "no bad row stored: {export}");
}

#[test]
fn importing_twice_creates_nothing_new() {
    let fixture = Fixture::new();
    let ledger = fixture.file("ledger.csv", LEDGER.as_bytes());
    run(fixture.station().arg("import").arg(&ledger));
    let first = fixture.export();
    let output = run(fixture.station().arg("import").arg(&ledger));
    let text = stdout(&output);
    assert!(text.contains("created 0 · unchanged 3"), "{text}");
    assert_eq!(fixture.export(), first);
}

#[test]
fn a_gb18030_ledger_imports_like_utf8() {
    let fixture = Fixture::new();
    let (gb, _, unmappable) = encoding_rs::GB18030.encode(LEDGER);
    assert!(!unmappable);
    let ledger = fixture.file("ledger-gb.csv", &gb);
    let output = run(fixture.station().arg("import").arg(&ledger));
    let text = stdout(&output);
    assert!(text.contains("(GB18030)"), "{text}");
    assert!(text.contains("created 3"), "{text}");
    assert!(fixture.export().contains("鸿达贸易有限公司"));

    let refused = run(fixture
        .station()
        .arg("import")
        .arg("--encoding")
        .arg("utf8")
        .arg(&ledger));
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains("not valid UTF-8"),
        "{}",
        stderr(&refused)
    );
}

#[test]
fn export_then_import_is_a_fixed_point() {
    let fixture = Fixture::new();
    let ledger = fixture.file("ledger.csv", LEDGER.as_bytes());
    run(fixture.station().arg("import").arg(&ledger));
    let first = fixture.export();
    assert!(first.starts_with('\u{feff}'), "BOM for Excel");

    let second_store = Fixture::new();
    let exported = second_store.file("export.csv", first.as_bytes());
    let output = run(second_store.station().arg("import").arg(&exported));
    assert!(output.status.success(), "{}", stdout(&output));
    assert_eq!(
        second_store.export(),
        first,
        "export → import → export changes nothing"
    );

    // And back into the first store: everything already there, unchanged.
    let output = run(fixture.station().arg("import").arg(&exported));
    assert!(stdout(&output).contains("created 0 · unchanged 3 · differing 0"));
}

#[test]
fn a_file_without_required_columns_changes_nothing() {
    let fixture = Fixture::new();
    let ledger = fixture.file(
        "no-title.csv",
        "档案号,客户名称\n2012鸿借字第001号,鸿达\n".as_bytes(),
    );
    let output = run(fixture.station().arg("import").arg(&ledger));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("required column missing: 题名/title"),
        "{message}"
    );
    assert_eq!(fixture.export().lines().count(), 1, "only the header");
}

#[test]
fn malformed_csv_and_absurd_fields_are_bad_rows_not_crashes() {
    let fixture = Fixture::new();
    let huge = "字".repeat(5000);
    let text = format!(
        "档案号,题名,客户名称\n\
         2012鸿借字第001号,好的,鸿达\n\
         2012鸿借字第003号,{huge},鸿达\n\
         2012鸿借字第004号,多出来的字段,鸿达,x,y\n\
         2012鸿借字第002号,\"未闭合的引号,鸿达\n\
         2012鸿借字第005号,被引号吞掉,鸿达\n"
    );
    let ledger = fixture.file("broken.csv", text.as_bytes());
    let output = run(fixture
        .station()
        .arg("import")
        .arg("--without-location")
        .arg(&ledger));
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let report = stdout(&output);
    assert!(report.contains("created 1"), "{report}");
    let line = |n: u32| {
        report
            .lines()
            .find(|l| l.contains(&format!("line {n}: ")))
            .unwrap_or_else(|| panic!("no report for line {n}: {report}"))
            .to_owned()
    };
    assert!(line(3).contains("absurdly long"), "{report}");
    assert!(
        line(4).contains("5 fields but the header has 3"),
        "{report}"
    );
    assert!(line(5).contains("unclosed quote"), "{report}");
    let export = fixture.export();
    assert_eq!(export.lines().count(), 2, "{export}");
}

#[test]
fn binary_garbage_is_refused_as_a_whole() {
    let fixture = Fixture::new();
    let ledger = fixture.file("garbage.csv", &[0xff, 0xfe, 0x00, 0x80, 0x81, 0xff, b'\n']);
    let output = run(fixture.station().arg("import").arg(&ledger));
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("not valid"), "{}", stderr(&output));
}

#[test]
fn a_typo_in_the_config_is_named() {
    let fixture = Fixture::new();
    let config = fixture.file("typo.toml", b"lisen = \"127.0.0.1:1\"\n");
    let output = run(station(&fixture.data())
        .arg("--config")
        .arg(&config)
        .arg("verify"));
    assert_eq!(output.status.code(), Some(1));
    let message = stderr(&output);
    assert!(
        message.contains("typo.toml") && message.contains("lisen"),
        "{message}"
    );
}

#[test]
fn a_box_registered_on_the_command_line_gets_the_next_number_and_its_label() {
    let fixture = Fixture::new();
    let ledger = fixture.file("ledger.csv", LEDGER.as_bytes());
    run(fixture.station().arg("import").arg(&ledger));
    let output = run(fixture.station().args([
        "register",
        "--title",
        "借款合同",
        "--customer",
        "新客户有限公司",
        "--scheme",
        "loan",
        "--year",
        "2012",
        "--home",
        "1号库房/05列/A面/3节/4层",
        "--print",
    ]));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    // 001, 002 and 005 were imported: the scheme continues after the highest.
    assert!(text.contains("\t2012鸿借字第006号"), "{text}");
    assert!(text.contains("printed 1, 0 waiting"), "{text}");
    let barcode = text.split('\t').next().unwrap_or_default().to_owned();
    let label = fixture
        .data()
        .join("labels")
        .join(format!("1-{barcode}.pdf"));
    assert!(label.exists(), "{}", label.display());
    assert!(fixture
        .export()
        .contains("2012鸿借字第006号,借款合同,新客户有限公司"));

    let refused = run(fixture.station().args([
        "register",
        "--title",
        "x",
        "--customer",
        "y",
        "--scheme",
        "nope",
    ]));
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("numbering scheme nope is not configured"));
}

/// A workbook of one sheet: `rows[0]` is the header; a cell that is a whole number is
/// written as a number (as Excel keeps a year), the rest as text.
fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32, c as u16);
            match cell.parse::<u32>() {
                Ok(number) => sheet.write_number(r, c, f64::from(number)),
                Err(_) => sheet.write_string(r, c, *cell),
            }
            .expect("write a cell");
        }
    }
    workbook.save_to_buffer().expect("workbook")
}

#[test]
fn an_xlsx_ledger_with_common_header_variants_imports() {
    let fixture = Fixture::new();
    let bytes = workbook(&[
        &[
            "档案编号",
            "案卷题名",
            "客户",
            "年份",
            "分类",
            "存放位置",
            "备注",
        ],
        &[
            "2012鸿借字第001号",
            "借款合同",
            "鸿达贸易",
            "2012",
            "借款",
            "一号库房/五列/A面/三节/四层",
            "",
        ],
        &[
            "2012鸿借字第002号",
            "抵押资料",
            "华南电力",
            "2012",
            "抵押",
            "1号库房/05列/A面/3节/4层",
            "旧柜",
        ],
        &["2012鸿借字第003号", "", "东方机械", "2012", "借款", "", ""],
    ]);
    // Recognised by its content, not by its name.
    let ledger = fixture.file("from-excel", &bytes);
    let output = run(fixture.station().arg("import").arg(&ledger));
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "{text}{}", stderr(&output));
    assert!(text.contains("created 2"), "{text}");
    assert!(
        text.lines().any(|line| line.contains("line 4: ")),
        "the empty title is reported on the sheet's row 4: {text}"
    );
    let export = fixture.export();
    let rows: Vec<&str> = export.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{export}");
    for row in rows {
        assert!(
            row.contains(",2012,") && row.contains(",1号库房/05列/A面/3节/4层,"),
            "一号库房 and 1号库房 are one room, the year a year: {row}"
        );
    }
}

/// GET with the daemon's token, the body as bytes.
fn get_bytes(daemon: &Daemon, path: &str) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(daemon.addr).expect("connect");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        daemon.token
    )
    .expect("request");
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).expect("answer");
    let end = answer
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .expect("end of the head");
    let head = String::from_utf8_lossy(&answer[..end]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, answer[end + 4..].to_vec())
}

#[test]
fn the_xlsx_export_reimports_to_the_same_boxes() {
    let first = Fixture::new();
    let ledger = first.file("ledger.csv", LEDGER.as_bytes());
    run(first.station().arg("import").arg(&ledger));
    let before = first.export();

    let daemon = Daemon::start_with(first.station().args(["serve", "--listen", "127.0.0.1:0"]));
    let (status, xlsx) = get_bytes(&daemon, "/api/v1/reports/ledger.xlsx");
    assert_eq!(status, 200);
    assert!(xlsx.starts_with(b"PK\x03\x04"), "a workbook");
    daemon.terminate();

    let second = Fixture::new();
    let workbook = second.file("ledger.xlsx", &xlsx);
    let output = run(second.station().arg("import").arg(&workbook));
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    assert!(stdout(&output).contains("created 3"), "{}", stdout(&output));
    assert_eq!(
        second.export(),
        before,
        "the same boxes, barcodes and places"
    );

    // Into the store it came from: the same boxes, nothing new.
    let again = first.file("ledger.xlsx", &xlsx);
    let output = run(first.station().arg("import").arg(&again));
    assert!(
        stdout(&output).contains("created 0 · unchanged 3 · differing 0"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn a_ledger_without_a_location_column_is_refused_unless_allowed() {
    let fixture = Fixture::new();
    let ledger = fixture.file(
        "no-place.csv",
        "档案编号,案卷题名,客户\n2012鸿借字第001号,借款合同,鸿达\n".as_bytes(),
    );
    let output = run(fixture.station().arg("import").arg(&ledger));
    assert_eq!(output.status.code(), Some(1), "{}", stdout(&output));
    // The refusal names the way out (in either language).
    assert!(
        stderr(&output).contains("--without-location"),
        "{}",
        stderr(&output)
    );
    assert_eq!(fixture.export().lines().count(), 1, "nothing imported");

    let output = run(fixture
        .station()
        .arg("import")
        .arg("--without-location")
        .arg(&ledger));
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(text.contains("created 1"), "{text}");
    assert!(
        text.contains("no location column"),
        "the warning stays on the report: {text}"
    );
    let export = fixture.export();
    assert!(
        export.contains("2012鸿借字第001号,借款合同,鸿达,,2012,,,,0,B"),
        "{export}"
    );
}

#[test]
fn a_contract_expiry_column_sets_each_box_s_expiry_by_cli_and_by_upload() {
    let fixture = Fixture::new();
    // Without the daemon: a CSV whose 合同到期日 has a date in two forms and one bad date.
    let ledger = fixture.file(
        "expiry.csv",
        "档案号,题名,客户名称,位置,合同到期日\n\
         X-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层,2027-06-30\n\
         X-2,抵押资料,华南电力,1号库房/05列/A面/3节/4层,明年\n\
         X-3,担保资料,东方机械,1号库房/05列/A面/3节/4层,2028年1月5日\n"
            .as_bytes(),
    );
    let output = run(fixture.station().arg("import").arg(&ledger));
    let text = stdout(&output);
    assert_eq!(output.status.code(), Some(3), "a bad row: {text}");
    assert!(text.contains("created 2"), "{text}");
    assert!(
        text.lines().any(|line| line.contains("line 3: ")),
        "the bad date is reported on its line: {text}"
    );
    // Twice: nothing new, nothing differing.
    let output = run(fixture.station().arg("import").arg(&ledger));
    assert!(
        stdout(&output).contains("created 0 · unchanged 2 · differing 0"),
        "{}",
        stdout(&output)
    );

    let daemon = Daemon::start_with(fixture.station().args(["serve", "--listen", "127.0.0.1:0"]));
    let get = |path: &str| -> serde_json::Value {
        let (status, body) = http_get_as(daemon.addr, path, &daemon.token);
        assert_eq!(status, 200, "{path}: {body}");
        serde_json::from_str(&body).expect("JSON")
    };
    let expiry = |archive_no: &str| -> serde_json::Value {
        let found = get(&format!("/api/v1/boxes?archive_no={archive_no}"));
        let barcode = found[0]["barcode"].as_str().expect("the box").to_owned();
        get(&format!("/api/v1/boxes/{barcode}/contents"))["expiry"].clone()
    };
    assert_eq!(expiry("X-1"), "2027-06-30");
    assert_eq!(expiry("X-3"), "2028-01-05");
    assert_eq!(
        get("/api/v1/boxes?archive_no=X-2"),
        serde_json::json!([]),
        "the bad row made no box"
    );

    // Uploaded while the daemon runs: a workbook whose 到期日 is a real date cell.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy/m/d");
    for (column, header) in ["档案号", "题名", "客户名称", "位置", "到期日"]
        .into_iter()
        .enumerate()
    {
        sheet
            .write_string(0, column as u16, header)
            .expect("header");
    }
    for (row, (number, expiry)) in [("X-4", Some((2029, 3, 1))), ("X-5", None)]
        .into_iter()
        .enumerate()
    {
        let row = row as u32 + 1;
        for (column, text) in [number, "授信资料", "南方纺织", "1号库房/05列/A面/3节/4层"]
            .into_iter()
            .enumerate()
        {
            sheet.write_string(row, column as u16, text).expect("cell");
        }
        match expiry {
            Some((y, m, d)) => sheet.write_date_with_format(
                row,
                4,
                rust_xlsxwriter::ExcelDateTime::from_ymd(y, m, d).expect("date"),
                &date,
            ),
            None => sheet.write_string(row, 4, "2029-02-30"),
        }
        .expect("expiry cell");
    }
    let bytes = workbook.save_to_buffer().expect("workbook");
    let (status, body) = http_post_bytes_as(
        daemon.addr,
        "/api/v1/imports?name=expiry.xlsx",
        &bytes,
        &daemon.token,
    );
    assert_eq!(status, 202, "{body}");
    let id = serde_json::from_str::<serde_json::Value>(&body).expect("JSON")["id"].clone();
    let mut report = serde_json::Value::Null;
    wait_until("the upload to be imported", || {
        report = get(&format!("/api/v1/imports/{id}"));
        report["state"] != "running"
    });
    assert_eq!(report["state"], "done", "{report}");
    assert_eq!(report["imported"], 1, "{report}");
    let lines: Vec<(u64, &str)> = report["report"]
        .as_array()
        .expect("report")
        .iter()
        .map(|line| {
            (
                line["line"].as_u64().unwrap_or(0),
                line["code"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(lines, [(3, "ledger.bad_date")], "{report}");
    assert_eq!(expiry("X-4"), "2029-03-01");
    assert!(daemon.terminate().success());
}
