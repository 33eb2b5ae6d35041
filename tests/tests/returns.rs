//! Returns that check completeness, end to end with the real daemon: a box with a contents
//! list is lent and returned by scans through `POST /api/v1/scans`; the RETURN answer lists
//! what was lent; one document is marked missing at the check route, so the loan stays open
//! for it (the borrower's loans, the supervisor's unconfirmed returns, and, with the wall
//! clock moved 40 days on by libfaketime, the overdue list), until it comes back and the
//! loan closes.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::prerequisite::libfaketime;
use common::{
    get_json as get, person_with_token, post_json as post, run, scan_at_counter as scan, station,
    stdout, Daemon,
};
use station::workflow::CommandCard;

fn config(dir: &Path) -> PathBuf {
    let path = dir.join("station.toml");
    fs::write(
        &path,
        "repeat_window_ms = 0\nloan_days = 30\n[[workstation]]\nname = \"counter\"\n",
    )
    .expect("config");
    path
}

/// `station serve`, its wall clock `days` ahead of the real one when `faketime` is given.
fn serve(data: &Path, config: &Path, faketime: Option<(&Path, i64)>) -> Daemon {
    let mut command = station(data);
    command
        .arg("--config")
        .arg(config)
        .args(["serve", "--listen", "127.0.0.1:0"]);
    if let Some((lib, days)) = faketime {
        command
            .env("LD_PRELOAD", lib)
            .env("FAKETIME", format!("{:+}", days * 24 * 3600))
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1");
    }
    Daemon::start_with(&mut command)
}

#[test]
fn an_incomplete_return_is_kept_open_for_what_is_missing_until_it_comes_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let ledger = dir.path().join("ledger.csv");
    fs::write(
        &ledger,
        "档案号,题名,客户名称,位置\nR-1,借款合同,鸿达贸易,2号库房/01列/A面/1节/1层\n",
    )
    .expect("ledger");
    let output = run(station(&data).arg("import").arg(&ledger));
    assert!(output.status.success(), "{}", stdout(&output));
    let (borrower, borrower_token) = person_with_token(&data, "李主管", "supervisor");
    let (_, clerk_token) = person_with_token(&data, "张档案", "clerk");
    let config = config(dir.path());
    let daemon = serve(&data, &config, None);

    let found = get(&daemon, "/api/v1/boxes?archive_no=R-1", &clerk_token);
    let barcode = found[0]["barcode"].as_str().expect("barcode").to_owned();
    // Its contents list: three documents, 2 + 5 + 12 pages.
    let contents = format!("/api/v1/boxes/{barcode}/contents");
    for (name, pages) in [("借款合同", 2), ("担保合同", 5), ("调查报告", 12)] {
        let (status, answer) = post(
            &daemon,
            &contents,
            serde_json::json!({"op": "add", "document": {"name": name, "pages": pages}}),
            &clerk_token,
        );
        assert_eq!(status, 200, "{answer}");
    }

    // The supervisor borrows it (approving their own loan) ...
    scan(
        &daemon,
        &borrower_token,
        &CommandCard::Checkout.barcode().to_string(),
    );
    scan(&daemon, &borrower_token, &borrower);
    let lent = scan(&daemon, &borrower_token, &barcode);
    assert_eq!(lent["code"], "checkout.lent", "{lent}");
    // ... and brings it back: the clerk scans it in RETURN and sees what was lent.
    scan(
        &daemon,
        &clerk_token,
        &CommandCard::Return.barcode().to_string(),
    );
    let returned = scan(&daemon, &clerk_token, &barcode);
    assert_eq!(returned["code"], "return.check", "{returned}");
    assert_eq!(returned["outcome"], "ok");
    let check = &returned["check"];
    assert_eq!(check["state"], "awaiting");
    assert_eq!(check["pages"], 19);
    assert_eq!(check["documents"].as_array().map(Vec::len), Some(3));
    assert_eq!(check["documents"][1]["name"], "担保合同");
    let loan = check["loan"].as_u64().expect("loan number");
    let unchecked = get(&daemon, "/api/v1/returns/unchecked", &clerk_token);
    assert_eq!(unchecked.as_array().map(Vec::len), Some(1), "{unchecked}");
    assert_eq!(unchecked[0]["state"], "awaiting");

    // 担保合同 is missing: the return is incomplete, the loan stays open for it.
    let check_path = format!("/api/v1/loans/{loan}/check");
    let (status, answer) = post(
        &daemon,
        &check_path,
        serde_json::json!({"missing": [2], "note": "下周送回"}),
        &clerk_token,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["code"], "return.incomplete");
    let mine = format!("/api/v1/loans?borrower={borrower}");
    let open = get(&daemon, &mine, &borrower_token);
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{open}");
    assert_eq!(open[0]["id"].as_u64(), Some(loan));
    assert_eq!(open[0]["outstanding"][0]["name"], "担保合同");
    let unchecked = get(&daemon, "/api/v1/returns/unchecked", &borrower_token);
    assert_eq!(unchecked[0]["state"], "incomplete", "{unchecked}");
    assert_eq!(unchecked[0]["outstanding"][0]["position"], 2);
    // A position that was not lent is refused and changes nothing.
    let (status, refused) = post(
        &daemon,
        &check_path,
        serde_json::json!({"missing": [7]}),
        &clerk_token,
    );
    assert_eq!(status, 422, "{refused}");
    assert_eq!(refused["error"], "return.not_lent");
    let still = get(&daemon, "/api/v1/returns/unchecked", &clerk_token);
    assert_eq!(still, unchecked);
    // The box itself is back at the counter.
    let item = get(&daemon, &format!("/api/v1/items/{barcode}"), &clerk_token);
    assert_eq!(item["status"], "at counter", "{item}");

    // Forty days on (the loan was due in 30), the missing document makes it overdue.
    let daemon = if let Some(lib) =
        libfaketime("an incomplete return shown overdue once its due date has passed")
    {
        let status = daemon.terminate();
        assert!(status.success(), "{status:?}");
        let later = serve(&data, &config, Some((&lib, 40)));
        let overdue = get(&later, "/api/v1/loans?overdue=true", &borrower_token);
        assert_eq!(overdue.as_array().map(Vec::len), Some(1), "{overdue}");
        assert_eq!(overdue[0]["id"].as_u64(), Some(loan));
        let late = overdue[0]["days_late"].as_i64().expect("days late");
        assert!((9..=11).contains(&late), "{overdue}");
        assert_eq!(overdue[0]["outstanding"][0]["name"], "担保合同");
        later
    } else {
        daemon
    };

    // It comes back: the check closes and nothing is open any more.
    let (status, answer) = post(
        &daemon,
        &check_path,
        serde_json::json!({"missing": []}),
        &clerk_token,
    );
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["code"], "return.complete");
    assert_eq!(answer["state"], "complete");
    let open = get(&daemon, &mine, &borrower_token);
    assert_eq!(open.as_array().map(Vec::len), Some(0), "{open}");
    let overdue = get(&daemon, "/api/v1/loans?overdue=true", &borrower_token);
    assert_eq!(overdue.as_array().map(Vec::len), Some(0), "{overdue}");
    let unchecked = get(&daemon, "/api/v1/returns/unchecked", &clerk_token);
    assert_eq!(unchecked.as_array().map(Vec::len), Some(0), "{unchecked}");
    let history = get(
        &daemon,
        &format!("/api/v1/items/{barcode}/history"),
        &borrower_token,
    );
    let kinds: Vec<&str> = history
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|event| event["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"ReturnIncomplete"), "{kinds:?}");
    assert!(kinds.contains(&"ReturnDocumentsBack"), "{kinds:?}");
    let status = daemon.terminate();
    assert!(status.success(), "{status:?}");

    // The store's own check agrees (indexes, chain) after all this.
    let verify = run(station(&data).arg("verify"));
    assert!(verify.status.success(), "{}", stdout(&verify));
}
