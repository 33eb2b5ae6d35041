//! Contents lists, completeness and the handover list end to end: a loan project's box goes
//! from A to B (B finds two documents missing and asks for them, A adds them) and on to the
//! archivist, and the three-copy handover list the real daemon prints is read back with
//! pdftotext (every document, the page total, the copy marks) and zbarimg (the box's
//! barcode and the QR of the handover).

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::prerequisite::{on_path, prerequisite};
use common::{
    download, http_get_as, http_post_as, person_with_token, run, station, stdout, Daemon,
};

fn answer(status_body: (u16, String), expected: u16) -> serde_json::Value {
    let (status, body) = status_body;
    assert_eq!(status, expected, "{body}");
    serde_json::from_str(&body).unwrap_or_else(|error| panic!("{error}: {body}"))
}

/// The shipped loan-project checklist's required documents, with pages, signed.
const REQUIRED: [(&str, u32); 12] = [
    ("项目审批表", 2),
    ("贷款审查报告", 8),
    ("贷审会决议", 3),
    ("借款合同", 12),
    ("保证合同", 6),
    ("借款借据", 1),
    ("尽职调查报告", 24),
    ("营业执照", 1),
    ("法定代表人身份证明", 2),
    ("财务报表", 15),
    ("抵押合同", 9),
    ("公司章程", 5),
];

fn add(name: &str, pages: u32) -> String {
    serde_json::json!({
        "op": "add",
        "document": {"name": name, "doc_type": name, "pages": pages, "date": "2026-11-20", "signed": true},
    })
    .to_string()
}

fn pdf_text(pdf: &Path) -> String {
    let text = Command::new("pdftotext")
        .args(["-layout"])
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    String::from_utf8_lossy(&text.stdout).to_string()
}

fn decoded(dir: &Path, pdf: &Path) -> Vec<String> {
    let prefix = dir.join("page");
    let rasterised = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-f", "1", "-l", "1"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm");
    assert!(rasterised.success());
    let pages: Vec<PathBuf> = fs::read_dir(dir)
        .expect("dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("page") && name.ends_with(".png"))
        })
        .collect();
    let mut symbols = Vec::new();
    for page in &pages {
        let output = Command::new("zbarimg")
            .args(["--quiet", "--raw"])
            .arg(page)
            .output()
            .expect("zbarimg");
        symbols.extend(
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(str::to_owned),
        );
    }
    symbols.sort();
    // Kept for a person to look at, when the build says where.
    if let (Ok(target), Some(first)) = (std::env::var("CARGO_TARGET_DIR"), pages.first()) {
        let shots = Path::new(&target).join("screenshots");
        if fs::create_dir_all(&shots).is_ok() {
            let _ = fs::copy(first, shots.join("contents-handover-list.png"));
        }
    }
    symbols
}

#[test]
fn a_project_box_goes_a_to_b_to_the_archive_with_supplements_and_a_three_copy_handover_list() {
    if !prerequisite(
        "a_project_box_goes_a_to_b_to_the_archive_with_supplements_and_a_three_copy_handover_list",
        "curl, pdftotext, pdftoppm and zbarimg (poppler-utils, zbar-tools)",
        on_path("curl") && on_path("pdftotext") && on_path("pdftoppm") && on_path("zbarimg"),
    ) {
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        "档案号,题名,客户名称,类别,位置\n2026鸿借字第001号,流动资金借款项目,鸿达贸易有限公司,借款,2号库房/01列/A面/1节/1层\n",
    )
    .expect("ledger");
    let imported = run(station(&data).arg("import").arg(&ledger));
    assert!(imported.status.success(), "{}", stdout(&imported));
    let (_, token_a) = person_with_token(&data, "张三", "clerk");
    let (badge_b, token_b) = person_with_token(&data, "李四", "clerk");
    let (badge_archivist, _) = person_with_token(&data, "王档案", "supervisor");
    let daemon = Daemon::start(&data);
    let encoded: String = "2026鸿借字第001号"
        .bytes()
        .map(|byte| match byte {
            b'0'..=b'9' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect();
    let found = answer(
        http_get_as(
            daemon.addr,
            &format!("/api/v1/boxes?archive_no={encoded}"),
            &token_a,
        ),
        200,
    );
    let barcode = found[0]["barcode"].as_str().expect("barcode").to_owned();
    let contents = format!("/api/v1/boxes/{barcode}/contents");

    // A enters the contents, two documents short (保证合同 and 财务报表).
    for (name, pages) in REQUIRED {
        if name != "保证合同" && name != "财务报表" {
            answer(
                http_post_as(daemon.addr, &contents, &add(name, pages), &token_a),
                200,
            );
        }
    }
    // A handover of the incomplete box is refused without a reason ...
    let start = serde_json::json!({"to": badge_b, "items": [barcode]});
    let refused = answer(
        http_post_as(
            daemon.addr,
            "/api/v1/handovers",
            &start.to_string(),
            &token_a,
        ),
        422,
    );
    assert_eq!(refused["error"], "handover.incomplete");
    // ... and goes with one.
    let mut with_reason = start.clone();
    with_reason["reason"] = serde_json::json!("保证合同待保证人盖章");
    let first = answer(
        http_post_as(
            daemon.addr,
            "/api/v1/handovers",
            &with_reason.to_string(),
            &token_a,
        ),
        201,
    );
    let first_id = first["id"].as_u64().expect("id");

    // B's review: the supplement list names the two documents; the box waits for them.
    let supplement = format!("/api/v1/handovers/{first_id}/supplement");
    let list = answer(http_post_as(daemon.addr, &supplement, "", &token_b), 201);
    let lacks: Vec<&str> = list["boxes"][0]["lacks"]
        .as_array()
        .expect("lacks")
        .iter()
        .filter_map(|lack| lack["name"].as_str())
        .collect();
    assert_eq!(lacks, ["保证合同", "财务报表"]);
    let waiting = answer(http_get_as(daemon.addr, &contents, &token_a), 200);
    assert_eq!(waiting["state"], "awaiting_supplement");
    // The supplement list printed for A names both.
    let printed = dir.path().join("supplement.pdf");
    let path = format!("/api/v1/handovers/{first_id}/supplement.pdf");
    assert_eq!(download(&daemon, &token_b, &path, &printed), "200");
    let text = pdf_text(&printed);
    for needed in ["补充资料清单", "保证合同", "财务报表", "张三", "李四"] {
        assert!(text.contains(needed), "{needed}:\n{text}");
    }

    // A adds them: complete.
    answer(
        http_post_as(daemon.addr, &contents, &add("保证合同", 6), &token_a),
        200,
    );
    let done = answer(
        http_post_as(daemon.addr, &contents, &add("财务报表", 15), &token_a),
        200,
    );
    assert_eq!(done["state"], "complete", "{done}");
    let total: u32 = REQUIRED.iter().map(|(_, pages)| pages).sum();
    assert_eq!(done["pages"], total);

    // B hands the complete box to the archivist: no reason needed.
    let on = serde_json::json!({"to": badge_archivist, "items": [barcode]});
    let second = answer(
        http_post_as(daemon.addr, "/api/v1/handovers", &on.to_string(), &token_b),
        201,
    );
    assert_eq!(second["stage"], "officer_to_archivist");

    // The handover list of A → B: three copies, every document, the page total.
    let pdf = dir.path().join("handover.pdf");
    let path = format!("/api/v1/handovers/{first_id}/list.pdf");
    assert_eq!(download(&daemon, &token_a, &path, &pdf), "200");
    let text = pdf_text(&pdf);
    for (name, _) in REQUIRED {
        assert!(
            text.matches(name).count() >= 3,
            "{name} on every copy:\n{text}"
        );
    }
    for mark in ["A角联", "B角联", "档案联"] {
        assert!(text.contains(mark), "{mark}:\n{text}");
    }
    assert_eq!(
        text.matches(&format!("合计 {} 份，共 {total} 页", REQUIRED.len()))
            .count(),
        3,
        "{text}"
    );
    for party in ["张三", "李四", "签字", "日期"] {
        assert!(text.contains(party), "{party}:\n{text}");
    }
    // The first copy's barcode and QR decode: the box, and where the handover is.
    let symbols = decoded(dir.path(), &pdf);
    let qr = format!(
        "http://{}/api/v1/handovers/{first_id}/list.pdf",
        daemon.addr
    );
    let mut expected = vec![barcode.clone(), qr.clone()];
    expected.sort();
    assert_eq!(symbols, expected);
    // The QR's address serves the same list.
    let again = dir.path().join("again.pdf");
    assert_eq!(
        download(
            &daemon,
            &token_b,
            qr.trim_start_matches(&format!("http://{}", daemon.addr)),
            &again
        ),
        "200"
    );
    assert!(daemon.terminate().success());
}

#[test]
fn station_contents_import_works_with_the_daemon_stopped_and_running() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        "档案号,题名,客户名称,类别,位置\n\
         G-1,供电客户档案,华南电力,供电,2号库房/01列/A面/1节/1层\n\
         G-2,供电客户档案,东方机械,供电,2号库房/01列/A面/1节/1层\n",
    )
    .expect("ledger");
    let imported = run(station(&data).arg("import").arg(&ledger));
    assert!(imported.status.success(), "{}", stdout(&imported));
    let (_, token) = person_with_token(&data, "张三", "clerk");

    // Daemon stopped: the CLI opens the store itself.
    let first = dir.path().join("g1.csv");
    fs::write(
        &first,
        "档案号,序号,资料名称,页数,签字\nG-1,1,报装申请,2,已签\nG-1,2,供用电合同,9,已签\n",
    )
    .expect("file");
    let output = run(station(&data).args(["contents", "import"]).arg(&first));
    assert!(output.status.success(), "{}", common::stderr(&output));

    // Daemon running: the CLI hands the file to it.
    let daemon = Daemon::start(&data);
    let second = dir.path().join("g2.csv");
    fs::write(&second, "档案号,资料名称,页数\nG-2,用电检查单,1\n").expect("file");
    let output = run(station(&data).args(["contents", "import"]).arg(&second));
    assert!(output.status.success(), "{}", common::stderr(&output));
    // A bad file changes nothing and says which line.
    let bad = dir.path().join("bad.csv");
    fs::write(
        &bad,
        "档案号,资料名称,页数\nG-2,用电检查单,1\nG-9,报装申请,2\n",
    )
    .expect("file");
    let output = run(station(&data).args(["contents", "import"]).arg(&bad));
    assert!(!output.status.success());

    let pages = |archive_no: &str| -> u64 {
        let found = answer(
            http_get_as(
                daemon.addr,
                &format!("/api/v1/boxes?archive_no={archive_no}"),
                &token,
            ),
            200,
        );
        let barcode = found[0]["barcode"].as_str().expect("barcode").to_owned();
        let contents = answer(
            http_get_as(
                daemon.addr,
                &format!("/api/v1/boxes/{barcode}/contents"),
                &token,
            ),
            200,
        );
        contents["pages"].as_u64().expect("pages")
    };
    assert_eq!(pages("G-1"), 11);
    assert_eq!(pages("G-2"), 1);
    assert!(daemon.terminate().success());
}
