//! Loan slips (档案资料出借单) end to end: filled in through the API, approved or refused by a
//! supervisor (every refusal with its code, changing nothing), lent against at CHECKOUT by
//! scans through the API (the slip's due date and approver; a box not on the slip refused),
//! printed at CHECKOUT on the workstation's PDF printer (pdftotext finds its fields, zbarimg
//! decodes its barcode and QR) — also through a real CUPS queue (a private cupsd with a
//! cups-pdf queue) —, reprinted, made into a pick list.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::cups::{Cupsd, QUEUE};
use common::prerequisite::{on_path, prerequisite};
use common::{
    download, get_json as get, http_get_as, import_ledger, parse_json as parse, person_with_token,
    post_json as post, read_pgm, run, scan_at_counter as scan, station, stdout, wait_until, Daemon,
};
use station::workflow::CommandCard;

struct Setup {
    dir: tempfile::TempDir,
    data: PathBuf,
}

/// A store with three boxes on shelves.
fn setup() -> Setup {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_ledger(
        &data,
        dir.path(),
        "档案号,题名,客户名称,位置\n\
         S-1,借款合同,鸿达贸易,2号库房/01列/A面/1节/1层\n\
         S-2,抵押资料,华南电力,2号库房/01列/B面/2节/1层\n\
         S-3,担保资料,东方机械,2号库房/02列/A面/1节/3层\n",
    );
    Setup { dir, data }
}

fn start(setup: &Setup) -> Daemon {
    start_with_config(
        setup,
        "repeat_window_ms = 0\n[[workstation]]\nname = \"counter\"\n",
    )
}

/// The daemon on `setup`'s data with `config` as its station.toml.
fn start_with_config(setup: &Setup, config: &str) -> Daemon {
    let path = setup.dir.path().join("station.toml");
    fs::write(&path, config).expect("config");
    Daemon::start_with(station(&setup.data).arg("--config").arg(&path).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]))
}

fn barcode_of(daemon: &Daemon, token: &str, archive_no: &str) -> String {
    let found = get(
        daemon,
        &format!("/api/v1/boxes?archive_no={archive_no}"),
        token,
    );
    found[0]["barcode"].as_str().expect("barcode").to_owned()
}

fn slip_pdfs(data: &Path) -> Vec<PathBuf> {
    fs::read_dir(data.join("labels"))
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.ends_with("-LS0000001.pdf"))
        })
        .collect()
}

/// The due date of the slips filled in here.
const DUE: &str = "2099-01-31";

/// What pdftotext must find on loan slip 1 as [`slip_request`] fills it in and 李主管
/// approves it: every field, every box, the signature lines.
const SLIP_1_FIELDS: [&str; 9] = [
    "档案资料出借单",
    "王小明",
    "贷后检查",
    "李主管",
    DUE,
    "S-1",
    "S-2",
    "第3-5页",
    "签字",
];

/// A loan slip for `borrower`: S-1 (pages 3–5 of the loan contract) and box `s2`, due
/// [`DUE`], for a post-loan check.
fn slip_request(borrower: &str, s2: &str) -> serde_json::Value {
    serde_json::json!({
        "borrower": borrower,
        "purpose": "贷后检查",
        "boxes": [{ "box": "S-1", "documents": "第3-5页 借款合同" }, { "box": s2 }],
        "due": DUE,
    })
}

/// Approves the loan slip at `path` as `token`'s owner: (status, answer).
fn approve(daemon: &Daemon, path: &str, token: &str) -> (u16, serde_json::Value) {
    post(
        daemon,
        &format!("{path}/approve"),
        serde_json::json!({}),
        token,
    )
}

#[test]
fn a_loan_slip_is_approved_lent_at_checkout_printed_and_decoded() {
    let setup = setup();
    let (borrower, _) = person_with_token(&setup.data, "王小明", "clerk");
    let (supervisor, supervisor_token) = person_with_token(&setup.data, "李主管", "supervisor");
    let (_, clerk_token) = person_with_token(&setup.data, "张档案", "clerk");
    let daemon = start(&setup);
    let (s1, s2, s3) = (
        barcode_of(&daemon, &clerk_token, "S-1"),
        barcode_of(&daemon, &clerk_token, "S-2"),
        barcode_of(&daemon, &clerk_token, "S-3"),
    );
    let due = DUE;
    let slip = slip_request(&borrower, &s2);

    // Refusals, each with its code; nothing is made.
    let mut no_purpose = slip.clone();
    no_purpose["purpose"] = " ".into();
    let mut unknown_box = slip.clone();
    unknown_box["boxes"] = serde_json::json!([{ "box": "S-9" }]);
    let mut past = slip.clone();
    past["due"] = "2001-01-01".into();
    for (body, status, code) in [
        (no_purpose, 422, "loanslip.purpose_missing"),
        (unknown_box, 422, "picklist.line_unknown"),
        (past, 422, "loanslip.due_past"),
    ] {
        let (got, answer) = post(&daemon, "/api/v1/loanslips", body, &clerk_token);
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(code)),
            "{answer}"
        );
    }
    assert_eq!(
        get(&daemon, "/api/v1/loanslips", &clerk_token),
        serde_json::json!([])
    );

    let (status, made) = post(&daemon, "/api/v1/loanslips", slip, &clerk_token);
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["state"], "requested");
    assert_eq!(made["boxes"][0]["barcode"], s1.as_str());
    assert_eq!(made["boxes"][0]["documents"], "第3-5页 借款合同");
    let id = made["id"].as_u64().expect("id");
    let path = format!("/api/v1/loanslips/{id}");

    // A clerk neither approves nor refuses; a refusal needs a reason; a pick list needs
    // an approved slip.
    let (status, answer) = approve(&daemon, &path, &clerk_token);
    assert_eq!(status, 403, "{answer}");
    let (status, answer) = post(
        &daemon,
        &format!("{path}/refuse"),
        serde_json::json!({ "reason": "  " }),
        &supervisor_token,
    );
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("loanslip.reason_missing"))
    );
    let (status, answer) = post(
        &daemon,
        "/api/v1/picklists",
        serde_json::json!({ "loan_slip": id }),
        &clerk_token,
    );
    assert_eq!(
        (status, answer["error"].as_str()),
        (422, Some("picklist.slip_not_approved")),
        "{answer}"
    );
    assert_eq!(get(&daemon, &path, &clerk_token)["state"], "requested");

    let (status, approved) = approve(&daemon, &path, &supervisor_token);
    assert_eq!(status, 200, "{approved}");
    assert_eq!(approved["state"], "approved");
    assert_eq!(approved["approver_name"], "李主管");
    assert_eq!(approved["approver"], supervisor.as_str());
    // Clerks see the slip, badges masked.
    let seen = get(&daemon, &path, &clerk_token);
    assert_ne!(seen["approver"], supervisor.as_str(), "{seen}");

    // The approved slip makes a pick list of its boxes, in walking order.
    let (status, list) = post(
        &daemon,
        "/api/v1/picklists",
        serde_json::json!({ "loan_slip": id }),
        &clerk_token,
    );
    assert_eq!(status, 201, "{list}");
    let picked: Vec<&str> = list["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .flat_map(|group| group["lines"].as_array().into_iter().flatten())
        .filter_map(|line| line["barcode"].as_str())
        .collect();
    assert_eq!(picked, [s1.as_str(), s2.as_str()]);

    // CHECKOUT: the borrower's badge finds the slip; a box not on it is refused.
    assert_eq!(
        scan(
            &daemon,
            &clerk_token,
            &CommandCard::Checkout.barcode().to_string()
        )["code"],
        "mode.entered"
    );
    assert_eq!(
        scan(&daemon, &clerk_token, &borrower)["code"],
        "checkout.slip"
    );
    let refused = scan(&daemon, &clerk_token, &s3);
    assert_eq!(
        (refused["outcome"].as_str(), refused["code"].as_str()),
        (Some("error"), Some("checkout.not_on_slip"))
    );
    assert_eq!(
        get(&daemon, &format!("/api/v1/items/{s3}"), &clerk_token)["status"],
        "stored"
    );
    let lent = scan(&daemon, &clerk_token, &s1);
    assert_eq!(
        (lent["outcome"].as_str(), lent["code"].as_str()),
        (Some("ok"), Some("checkout.lent")),
        "{lent}"
    );
    let lent = scan(&daemon, &clerk_token, &s2);
    assert_eq!(lent["code"], "checkout.lent", "{lent}");
    let loans = get(
        &daemon,
        &format!("/api/v1/loans?borrower={borrower}"),
        &supervisor_token,
    );
    let loans = loans.as_array().expect("loans");
    assert_eq!(loans.len(), 2, "{loans:?}");
    for loan in loans {
        assert_eq!(loan["due"], due, "the slip's due date: {loan}");
    }
    let slip_now = get(&daemon, &path, &clerk_token);
    assert_eq!(slip_now["state"], "lent");

    // Printed once, at the first box, on the workstation's PDF printer.
    wait_until("the loan slip to be printed", || {
        slip_pdfs(&setup.data).len() == 1
    });
    let printed = slip_pdfs(&setup.data).remove(0);
    if prerequisite(
        "a_loan_slip_is_approved_lent_at_checkout_printed_and_decoded",
        "pdftotext, pdftoppm and zbarimg (poppler-utils, zbar-tools)",
        on_path("pdftotext") && on_path("pdftoppm") && on_path("zbarimg"),
    ) {
        check_pdf(&printed, setup.dir.path(), &SLIP_1_FIELDS);
        // Reprinted from the API: the same slip.
        let again = setup.dir.path().join("again.pdf");
        assert_eq!(
            download(&daemon, &clerk_token, &format!("{path}/pdf"), &again),
            "200"
        );
        check_pdf(
            &setup.dir.path().join("again.pdf"),
            setup.dir.path(),
            &["王小明", "S-2"],
        );
    }

    // Both back: the slip is closed.
    assert_eq!(
        scan(
            &daemon,
            &clerk_token,
            &CommandCard::Return.barcode().to_string()
        )["code"],
        "mode.entered"
    );
    scan(&daemon, &clerk_token, &s1);
    scan(&daemon, &clerk_token, &s2);
    assert_eq!(get(&daemon, &path, &clerk_token)["state"], "closed");
    assert!(daemon.terminate().success());
}

#[test]
fn a_loan_slip_is_printed_through_cups_at_checkout_and_reprinted() {
    let test = "a_loan_slip_is_printed_through_cups_at_checkout_and_reprinted";
    if !common::cups::can_run(test)
        || !prerequisite(
            test,
            "curl, pdftotext, pdftoppm and zbarimg (poppler-utils, zbar-tools)",
            on_path("curl") && on_path("pdftotext") && on_path("pdftoppm") && on_path("zbarimg"),
        )
    {
        return;
    }
    let cupsd = Cupsd::start();
    let setup = setup();
    let (borrower, _) = person_with_token(&setup.data, "王小明", "clerk");
    let (_, supervisor_token) = person_with_token(&setup.data, "李主管", "supervisor");
    let (_, clerk_token) = person_with_token(&setup.data, "张档案", "clerk");
    // The counter's printer is an office printer behind CUPS (A4, PDF).
    let daemon = start_with_config(
        &setup,
        &format!(
            "repeat_window_ms = 0\n\
             [[workstation]]\nname = \"counter\"\nprinter = \"office-a4\"\n\
             [[printer]]\nname = \"office-a4\"\nlanguage = \"pdf\"\ndpi = 300\n\
             connect = \"cups://{}/{QUEUE}\"\n",
            cupsd.server()
        ),
    );
    let (s1, s2) = (
        barcode_of(&daemon, &clerk_token, "S-1"),
        barcode_of(&daemon, &clerk_token, "S-2"),
    );
    let (status, made) = post(
        &daemon,
        "/api/v1/loanslips",
        slip_request(&borrower, &s2),
        &clerk_token,
    );
    assert_eq!(status, 201, "{made}");
    let path = format!("/api/v1/loanslips/{}", made["id"]);
    let (status, approved) = approve(&daemon, &path, &supervisor_token);
    assert_eq!(status, 200, "{approved}");

    // CHECKOUT: the first box lent sends the slip to the counter's CUPS printer.
    let checkout = CommandCard::Checkout.barcode().to_string();
    for (code, expected) in [
        (checkout.as_str(), "mode.entered"),
        (borrower.as_str(), "checkout.slip"),
        (s1.as_str(), "checkout.lent"),
        (s2.as_str(), "checkout.lent"),
    ] {
        let result = scan(&daemon, &clerk_token, code);
        assert_eq!(result["code"], expected, "{result}");
        if code == s1 {
            // The answer names the printer the slip went to.
            assert!(
                result["message"]["zh"]
                    .as_str()
                    .is_some_and(|text| text.contains("office-a4")),
                "{result}"
            );
        }
    }
    // The slip CUPS was given reads as the slip: every field, every box, the signature
    // lines, its barcode and QR code.
    let printed = cupsd.wait_for_pdf();
    let received = cupsd.received();
    assert_eq!(received.len(), 1, "one job: {received:?}");
    check_pdf(&received[0], setup.dir.path(), &SLIP_1_FIELDS);
    // What came out of the queue is the page CUPS filtered and cups-pdf rebuilt (not our
    // bytes), and it still scans as the slip.
    assert_ne!(
        fs::read(&printed).expect("the printed PDF"),
        fs::read(&received[0]).expect("the received job")
    );
    check_pdf_codes(&printed, setup.dir.path(), &[], &SLIP_1_CODES);
    // Its text cannot be read back (see Cupsd::received), but the page shows what the
    // slip CUPS was given shows: rasterised alike, nearly all the ink is in one place.
    let differing = page_difference(&received[0], &printed, setup.dir.path());
    assert!(
        differing < 0.05,
        "{:.1}% of the ink moved",
        differing * 100.0
    );
    assert!(
        slip_pdfs(&setup.data).is_empty(),
        "the slip went to CUPS, not to the default PDF folder"
    );

    // Reprinted: the slip fetched again from the API and sent to the same queue.
    let again = setup.dir.path().join("again.pdf");
    assert_eq!(
        download(&daemon, &clerk_token, &format!("{path}/pdf"), &again),
        "200"
    );
    cupsd.run("lp", &["-d".as_ref(), QUEUE.as_ref(), again.as_os_str()]);
    let printed = cupsd.wait_for_pdfs(2);
    let received = cupsd.received();
    assert_eq!(received.len(), 2, "{received:?}");
    check_pdf(&received[1], setup.dir.path(), &SLIP_1_FIELDS);
    check_pdf_codes(&printed[1], setup.dir.path(), &[], &SLIP_1_CODES);
    assert!(page_difference(&received[1], &printed[1], setup.dir.path()) < 0.05);
    assert!(daemon.terminate().success());
}

/// How far the first pages of `a` and `b` differ, rasterised alike (72 dpi, grey): the
/// larger of the shares of either page's inked pixels that have no inked pixel within one
/// pixel on the other (CUPS may move a page by a pixel); 1 when the pages' sizes differ by
/// more than rounding (2 pixels).
fn page_difference(a: &Path, b: &Path, dir: &Path) -> f64 {
    let page = |pdf: &Path, name: &str| {
        let prefix = dir.join(name);
        let rasterised = run(Command::new("pdftoppm")
            .args(["-r", "72", "-gray", "-f", "1", "-l", "1", "-singlefile"])
            .arg(pdf)
            .arg(&prefix));
        assert!(rasterised.status.success(), "pdftoppm {}", pdf.display());
        read_pgm(&prefix.with_extension("pgm"))
    };
    let (first, second) = (page(a, "page-a"), page(b, "page-b"));
    if first.0.abs_diff(second.0) > 2 || first.1.abs_diff(second.1) > 2 {
        return 1.0;
    }
    let (width, height) = (first.0.min(second.0), first.1.min(second.1));
    let inked = |(w, _, pixels): &(usize, usize, Vec<u8>), x: usize, y: usize| {
        pixels.get(y * w + x).is_some_and(|value| *value < 128)
    };
    let unmatched = |one: &(usize, usize, Vec<u8>), other: &(usize, usize, Vec<u8>)| {
        let (mut ink, mut lost) = (0usize, 0usize);
        for y in 1..height.saturating_sub(1) {
            for x in 1..width.saturating_sub(1) {
                if !inked(one, x, y) {
                    continue;
                }
                ink += 1;
                if !(y - 1..=y + 1).any(|ny| (x - 1..=x + 1).any(|nx| inked(other, nx, ny))) {
                    lost += 1;
                }
            }
        }
        if ink == 0 {
            1.0
        } else {
            lost as f64 / ink as f64
        }
    };
    unmatched(&first, &second).max(unmatched(&second, &first))
}

/// pdftotext finds every one of `texts` in `pdf`; zbarimg decodes its Code 128 barcode and
/// its QR code (the slip's address in the API).
fn check_pdf(pdf: &Path, dir: &Path, texts: &[&str]) {
    check_pdf_codes(pdf, dir, texts, &SLIP_1_CODES);
}

/// What the barcode and the QR code of loan slip 1 say, sorted.
const SLIP_1_CODES: [&str; 2] = ["/api/v1/loanslips/1", "LS0000001"];

/// pdftotext finds every one of `texts` in `pdf`; zbarimg decodes exactly `codes` (sorted)
/// from its first page.
fn check_pdf_codes(pdf: &Path, dir: &Path, texts: &[&str], codes: &[&str]) {
    let output = Command::new("pdftotext")
        .arg(pdf)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&output.stdout).to_string();
    for wanted in texts {
        assert!(text.contains(wanted), "{wanted} in {text}");
    }
    let prefix = dir.join("slip-page");
    let rasterised = Command::new("pdftoppm")
        .args(["-r", "300", "-gray", "-png", "-f", "1", "-l", "1"])
        .arg(pdf)
        .arg(&prefix)
        .status()
        .expect("pdftoppm");
    assert!(rasterised.success());
    let page = fs::read_dir(dir)
        .expect("dir")
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .find(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("slip-page") && name.ends_with(".png"))
        })
        .expect("a page");
    let output = Command::new("zbarimg")
        .args(["--quiet", "--raw"])
        .arg(&page)
        .output()
        .expect("zbarimg");
    let mut decoded: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    decoded.sort();
    assert_eq!(decoded, codes);
    fs::remove_file(page).expect("remove the page");
}

/// Whether `said` holds the longest fixed piece of `code`'s template (Chinese or English,
/// as the CLI's locale chooses).
fn says(said: &str, code: station::message::Code) -> bool {
    let (zh, en) = code.templates();
    [zh, en].into_iter().any(|text| {
        let piece = text
            .split(['{', '}'])
            .step_by(2)
            .max_by_key(|part| part.len())
            .unwrap_or(text);
        said.contains(piece)
    })
}

#[test]
fn the_cli_fills_in_approves_and_refuses_loan_slips_with_and_without_the_daemon() {
    use station::message::Code;
    let setup = setup();
    let (_, clerk_token) = person_with_token(&setup.data, "王小明", "clerk");
    person_with_token(&setup.data, "李主管", "supervisor");
    let cli = |args: &[&str]| run(station(&setup.data).arg("loanslip").args(args));

    // Without the daemon.
    let added = cli(&[
        "add",
        "--borrower",
        "王小明",
        "--purpose",
        "审计",
        "--box",
        "S-1=第1页",
        "--box",
        "S-2",
        "--due",
        "2099-01-31",
    ]);
    assert!(added.status.success(), "{}", common::stderr(&added));
    assert_eq!(stdout(&added), "1\trequested\t王小明\t2099-01-31\t2\n");
    let refused = cli(&["approve", "1", "--approver", "王小明"]);
    assert!(!refused.status.success());
    assert!(
        says(&common::stderr(&refused), Code::CheckoutNotApprover),
        "{}",
        common::stderr(&refused)
    );
    let unknown = cli(&[
        "add",
        "--borrower",
        "王小明",
        "--purpose",
        "审计",
        "--box",
        "S-9",
    ]);
    assert!(!unknown.status.success());
    assert!(says(&common::stderr(&unknown), Code::PickListLineUnknown));
    let approved = cli(&["approve", "1", "--approver", "李主管"]);
    assert!(approved.status.success(), "{}", common::stderr(&approved));
    assert_eq!(stdout(&approved), "1\tapproved\t王小明\t2099-01-31\t2\n");

    // With the daemon running: through its control socket, the same answers.
    let daemon = start(&setup);
    let added = cli(&[
        "add",
        "--borrower",
        "王小明",
        "--purpose",
        "复印",
        "--box",
        "S-3",
    ]);
    assert!(added.status.success(), "{}", common::stderr(&added));
    assert!(
        stdout(&added).starts_with("2\trequested\t王小明\t"),
        "{}",
        stdout(&added)
    );
    let no_reason = cli(&["refuse", "2", "--approver", "李主管", "--reason", " "]);
    assert!(!no_reason.status.success());
    assert!(says(
        &common::stderr(&no_reason),
        Code::LoanSlipReasonMissing
    ));
    let refused = cli(&[
        "refuse",
        "2",
        "--approver",
        "李主管",
        "--reason",
        "无需借阅",
    ]);
    assert!(refused.status.success(), "{}", common::stderr(&refused));
    let shown = cli(&["show", "2"]);
    assert!(
        stdout(&shown).contains("reason\t无需借阅"),
        "{}",
        stdout(&shown)
    );
    let listed = cli(&["list"]);
    let states: Vec<&str> = stdout(&listed)
        .lines()
        .map(|line| line.split('\t').nth(1).unwrap_or_default())
        .collect::<Vec<_>>()
        .into_iter()
        .map(|state| match state {
            "refused" => "refused",
            "approved" => "approved",
            _ => "other",
        })
        .collect();
    assert_eq!(states, ["refused", "approved"]);
    // The API sees what the CLI did.
    let slip = get(&daemon, "/api/v1/loanslips/2", &clerk_token);
    assert_eq!(slip["state"], "refused");
    assert_eq!(slip["reason"], "无需借阅");
    assert!(daemon.terminate().success());
}

#[test]
fn a_loan_slip_is_printed_again_on_a_named_printer_through_the_api_and_the_cli() {
    use station::message::Code;
    let setup = setup();
    person_with_token(&setup.data, "王小明", "clerk");
    person_with_token(&setup.data, "李主管", "supervisor");
    let (_, clerk_token) = person_with_token(&setup.data, "张档案", "clerk");
    // An A4 printer writing PDFs to the data folder's labels, and a label printer.
    let config = setup.dir.path().join("station.toml");
    fs::write(
        &config,
        format!(
            "repeat_window_ms = 0\n[[workstation]]\nname = \"counter\"\n\
             [[printer]]\nname = \"a4\"\nlanguage = \"pdf\"\nconnect = \"dir://{}\"\n\
             [[printer]]\nname = \"zebra\"\nlanguage = \"zpl\"\nconnect = \"dir://{}\"\n",
            setup.data.join("labels").display(),
            setup.dir.path().join("zebra").display()
        ),
    )
    .expect("config");
    let cli = |args: &[&str]| {
        run(station(&setup.data)
            .arg("--config")
            .arg(&config)
            .arg("loanslip")
            .args(args))
    };
    let added = cli(&[
        "add",
        "--borrower",
        "王小明",
        "--purpose",
        "贷后检查",
        "--box",
        "S-1=第3-5页 借款合同",
        "--box",
        "S-2",
        "--due",
        DUE,
    ]);
    assert!(added.status.success(), "{}", common::stderr(&added));
    let approved = cli(&["approve", "1", "--approver", "李主管"]);
    assert!(approved.status.success(), "{}", common::stderr(&approved));

    // Without the daemon: a label printer is refused; the A4 printer's job waits in the
    // queue until the station runs.
    let refused = cli(&["print", "1", "--printer", "zebra"]);
    assert!(!refused.status.success());
    assert!(says(&common::stderr(&refused), Code::LoanSlipPrinterNotA4));
    let queued = cli(&["print", "1", "--printer", "a4"]);
    assert!(queued.status.success(), "{}", common::stderr(&queued));
    assert!(
        says(&stdout(&queued), Code::CliLabelQueued),
        "{}",
        stdout(&queued)
    );
    assert!(stdout(&queued).contains("LS0000001"), "{}", stdout(&queued));
    assert!(slip_pdfs(&setup.data).is_empty());

    // The daemon prints it; then once more through the API and once through the CLI
    // (the control socket).
    let daemon = Daemon::start_with(station(&setup.data).arg("--config").arg(&config).args([
        "serve",
        "--listen",
        "127.0.0.1:0",
    ]));
    wait_until("the queued slip to be printed", || {
        slip_pdfs(&setup.data).len() == 1
    });
    let (status, refused) = post(
        &daemon,
        "/api/v1/loanslips/1/print",
        serde_json::json!({ "printer": "zebra" }),
        &clerk_token,
    );
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"], "loanslip.printer_not_a4");
    let (status, job) = post(
        &daemon,
        "/api/v1/loanslips/1/print",
        serde_json::json!({ "printer": "a4" }),
        &clerk_token,
    );
    assert_eq!(status, 201, "{job}");
    assert_eq!(job["subject"], "LS0000001");
    wait_until("the slip printed through the API", || {
        slip_pdfs(&setup.data).len() == 2
    });
    let refused = cli(&["print", "1", "--printer", "zebra"]);
    assert!(!refused.status.success());
    assert!(says(&common::stderr(&refused), Code::LoanSlipPrinterNotA4));
    let queued = cli(&["print", "1", "--printer", "a4"]);
    assert!(queued.status.success(), "{}", common::stderr(&queued));
    assert!(
        says(&stdout(&queued), Code::CliLabelQueued),
        "{}",
        stdout(&queued)
    );
    wait_until("the slip printed through the CLI", || {
        slip_pdfs(&setup.data).len() == 3
    });
    assert!(
        fs::read_dir(setup.dir.path().join("zebra"))
            .map(|files| files.count() == 0)
            .unwrap_or(true),
        "nothing went to the label printer"
    );
    if prerequisite(
        "a_loan_slip_is_printed_again_on_a_named_printer_through_the_api_and_the_cli",
        "pdftotext, pdftoppm and zbarimg (poppler-utils, zbar-tools)",
        on_path("pdftotext") && on_path("pdftoppm") && on_path("zbarimg"),
    ) {
        for printed in slip_pdfs(&setup.data) {
            check_pdf(&printed, setup.dir.path(), &SLIP_1_FIELDS);
        }
    }
    assert!(daemon.terminate().success());
}

/// Where screenshots go: `$CARGO_TARGET_DIR/screenshots` (or `target/screenshots`).
fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let dir = target.join("screenshots");
    fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

#[test]
fn the_supervisor_page_approves_and_refuses_slips_and_shows_the_certificate_ledger() {
    use common::browser::Browser;
    if !prerequisite(
        "the_supervisor_page_approves_and_refuses_slips_and_shows_the_certificate_ledger",
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let setup = setup();
    let (_, admin_token) = person_with_token(&setup.data, "管理员", "admin");
    let (borrower, clerk_token) = person_with_token(&setup.data, "王小明", "clerk");
    let (supervisor, supervisor_token) = person_with_token(&setup.data, "李主管", "supervisor");
    let daemon = start(&setup);
    for (purpose, archive_no) in [("贷后检查", "S-1"), ("复印", "S-2")] {
        let (status, made) = post(
            &daemon,
            "/api/v1/loanslips",
            serde_json::json!({
                "borrower": borrower,
                "purpose": purpose,
                "boxes": [{ "box": archive_no, "documents": "第1-2页" }],
                "due": "2099-01-31",
            }),
            &clerk_token,
        );
        assert_eq!(status, 201, "{made}");
    }
    let (status, certificate) = post(
        &daemon,
        "/api/v1/certificates/register",
        serde_json::json!({ "kind": "不动产权证", "number": "粤(2024)第0001号", "archive_no": "S-1" }),
        &supervisor_token,
    );
    assert_eq!(status, 201, "{certificate}");

    let shots = screenshots();
    let base = format!("http://{}", daemon.addr);
    let browser = Browser::start();
    browser.sign_in_person(
        &format!("{base}/supervisor"),
        daemon.addr,
        &admin_token,
        (&supervisor, "李主管"),
    );
    browser.wait_text("#paper h2", "出借单");
    browser.wait_text("#slips-table", "贷后检查");
    browser.wait_text("#ledger-table", "粤(2024)第0001号");
    // Refusing without a reason is refused, with its code; nothing changes.
    browser.click("[data-refuse='2']").expect("refuse");
    browser.wait_script(
        "the refusal's code",
        "return document.getElementById('slips-status').dataset.code || '';",
        "",
        &serde_json::json!("loanslip.reason_missing"),
    );
    assert_eq!(
        get(&daemon, "/api/v1/loanslips/2", &clerk_token)["state"],
        "requested"
    );
    browser
        .send_keys("[data-reason='2']", "无需借阅")
        .expect("a reason");
    browser.click("[data-refuse='2']").expect("refuse");
    browser.wait_script(
        "slip 2 refused",
        "return document.querySelector('[data-slip=\"2\"]').dataset.state;",
        "",
        &serde_json::json!("refused"),
    );
    browser.click("[data-approve='1']").expect("approve");
    browser.wait_script(
        "slip 1 approved",
        "return document.querySelector('[data-slip=\"1\"]').dataset.state;",
        "",
        &serde_json::json!("approved"),
    );
    let approved = get(&daemon, "/api/v1/loanslips/1", &clerk_token);
    assert_eq!(approved["approver_name"], "李主管");
    browser.screenshot(&shots.join("loan_slips-desk-zh.png"));
    browser.click("#lang").expect("English");
    browser.wait_text("#paper h2", "Loan slips");
    browser.wait_text("#ledger-table", "registered");
    browser.resize(390, 844);
    browser.wait_script(
        "nothing wider than the phone",
        "return document.documentElement.scrollWidth <= 390;",
        "",
        &serde_json::json!(true),
    );
    browser
        .script(
            "document.getElementById('slips-table').scrollIntoView();",
            "",
        )
        .expect("scroll to the slips");
    browser.screenshot(&shots.join("loan_slips-phone-en.png"));
    // The one refusal provoked above is the only failed request the browser logs.
    let errors: Vec<String> = browser
        .console_errors()
        .into_iter()
        .filter(|error| !error.contains("/api/v1/loanslips/2/refuse"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");

    // A clerk never sees the section (and the API refuses the ledger).
    let (status, _) = http_get_as(daemon.addr, "/api/v1/certificates/ledger", &clerk_token);
    assert_eq!(status, 403);
    assert!(daemon.terminate().success());
}

#[test]
fn the_supervisor_page_sends_a_slip_to_a_printer_and_a_label_printer_is_refused() {
    use common::browser::Browser;
    let test = "the_supervisor_page_sends_a_slip_to_a_printer_and_a_label_printer_is_refused";
    if !prerequisite(
        test,
        "Chromium and chromedriver (the Debian packages chromium and chromium-driver)",
        Browser::available(),
    ) {
        return;
    }
    let setup = setup();
    let (_, admin_token) = person_with_token(&setup.data, "管理员", "admin");
    let (borrower, clerk_token) = person_with_token(&setup.data, "王小明", "clerk");
    let (supervisor, _) = person_with_token(&setup.data, "李主管", "supervisor");
    let daemon = start_with_config(
        &setup,
        &format!(
            "repeat_window_ms = 0\n[[workstation]]\nname = \"counter\"\n\
             [[printer]]\nname = \"zebra\"\nlanguage = \"zpl\"\nconnect = \"dir://{}\"\n\
             [[printer]]\nname = \"a4\"\nlanguage = \"pdf\"\nconnect = \"dir://{}\"\n",
            setup.dir.path().join("zebra").display(),
            setup.data.join("labels").display()
        ),
    );
    let (status, made) = post(
        &daemon,
        "/api/v1/loanslips",
        serde_json::json!({
            "borrower": borrower,
            "purpose": "贷后检查",
            "boxes": [{ "box": "S-1", "documents": "第1-2页" }],
            "due": DUE,
        }),
        &clerk_token,
    );
    assert_eq!(status, 201, "{made}");

    let shots = screenshots();
    let browser = Browser::start();
    browser.sign_in_person(
        &format!("http://{}/supervisor", daemon.addr),
        daemon.addr,
        &admin_token,
        (&supervisor, "李主管"),
    );
    browser.wait_text("#slips-table", "贷后检查");
    // Every printer is offered; the label printer is refused by code, nothing printed.
    let choose = |printer: &str| {
        browser
            .script(
                "const select = document.querySelector('[data-print-printer=\"1\"]'); \
                 select.value = arguments[0]; \
                 return Array.from(select.options).map((option) => option.value).sort().join(',');",
                printer,
            )
            .expect("choose a printer")
    };
    assert_eq!(choose("zebra"), serde_json::json!("a4,zebra"));
    browser.click("[data-print='1']").expect("print on zebra");
    browser.wait_script(
        "the refusal's code",
        "return document.getElementById('slips-status').dataset.code || '';",
        "",
        &serde_json::json!("loanslip.printer_not_a4"),
    );
    assert!(slip_pdfs(&setup.data).is_empty());
    choose("a4");
    browser.click("[data-print='1']").expect("print on a4");
    browser.wait_text("#slips-status", "a4");
    wait_until("the slip printed from the page", || {
        slip_pdfs(&setup.data).len() == 1
    });
    assert!(
        fs::read_dir(setup.dir.path().join("zebra"))
            .map(|files| files.count() == 0)
            .unwrap_or(true),
        "nothing went to the label printer"
    );
    browser.resize(390, 844);
    browser.wait_script(
        "nothing wider than the phone",
        "return document.documentElement.scrollWidth <= 390;",
        "",
        &serde_json::json!(true),
    );
    browser
        .script(
            "document.getElementById('slips-table').scrollIntoView();",
            "",
        )
        .expect("scroll to the slips");
    browser.screenshot(&shots.join("loan_slips-print-phone-zh.png"));
    let errors: Vec<String> = browser
        .console_errors()
        .into_iter()
        .filter(|error| !error.contains("/api/v1/loanslips/1/print"))
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(daemon.terminate().success());
}

#[test]
fn a_certificate_handover_list_is_printed_in_three_copies_for_supervisors() {
    if !prerequisite(
        "a_certificate_handover_list_is_printed_in_three_copies_for_supervisors",
        "curl, pdftotext, pdftoppm and zbarimg (poppler-utils, zbar-tools)",
        on_path("curl") && on_path("pdftotext") && on_path("pdftoppm") && on_path("zbarimg"),
    ) {
        return;
    }
    let setup = setup();
    let (receiver, clerk_token) = person_with_token(&setup.data, "张B角", "clerk");
    let (_, supervisor_token) = person_with_token(&setup.data, "李主管", "supervisor");
    let daemon = start(&setup);
    let (status, certificate) = post(
        &daemon,
        "/api/v1/certificates/register",
        serde_json::json!({ "kind": "不动产权证", "number": "粤(2024)第0001号", "archive_no": "S-1" }),
        &supervisor_token,
    );
    assert_eq!(status, 201, "{certificate}");
    let certificate = certificate["barcode"].as_str().expect("barcode").to_owned();
    let s2 = barcode_of(&daemon, &clerk_token, "S-2");
    // Handover 1: the certificate (a supervisor hands certificates over); 2: a box only.
    let handover = CommandCard::Handover.barcode().to_string();
    let done = CommandCard::Done.barcode().to_string();
    for code in [&handover, &receiver, &certificate, &done] {
        let result = scan(&daemon, &supervisor_token, code);
        assert_eq!(result["outcome"], "ok", "{result}");
    }
    for code in [&handover, &receiver, &s2, &done] {
        let result = scan(&daemon, &clerk_token, code);
        assert_eq!(result["outcome"], "ok", "{result}");
    }

    let fetch = |path: &str, token: &str, out: &Path| download(&daemon, token, path, out);
    let pdf = setup.dir.path().join("handover.pdf");
    // Clerks never see certificate details.
    assert_eq!(
        fetch("/api/v1/handovers/1/certificates.pdf", &clerk_token, &pdf),
        "403"
    );
    let refused = setup.dir.path().join("refused.json");
    assert_eq!(
        fetch(
            "/api/v1/handovers/2/certificates.pdf",
            &supervisor_token,
            &refused
        ),
        "422"
    );
    let answer = parse(&fs::read_to_string(&refused).expect("answer"));
    assert_eq!(answer["error"], "handover.no_certificates");
    assert_eq!(
        fetch(
            "/api/v1/handovers/1/certificates.pdf",
            &supervisor_token,
            &pdf
        ),
        "200"
    );
    check_pdf_codes(
        &pdf,
        setup.dir.path(),
        &[
            "权证移交清单",
            "不动产权证",
            "粤(2024)第0001号",
            "1份",
            "A角联",
            "B角联",
            "档案联",
            "李主管",
            "张B角",
            "签字",
        ],
        &["/api/v1/handovers/1", "HO0000001"],
    );
    assert!(daemon.terminate().success());
}
