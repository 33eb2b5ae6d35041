//! Schema fuzzing: schemathesis (from PyPI) generates requests from the station's own
//! OpenAPI document and sends them to the real daemon, once with a clerk's token and once
//! with an administrator's. Any 5xx, any status code the document does not list for the
//! route, any answer that does not match its schema and any answer of a media type the
//! document does not list fails the run.
//!
//! Bounded: a fixed number of cases per route and a fixed seed, so a run takes a few
//! minutes at most and a failure can be replayed. Without schemathesis the test says so
//! loudly and passes; under CI (`CI=true`) it fails.

use std::path::Path;
use std::process::Command;

mod common;

use common::{
    import_sample, person_with_token, prerequisite, run, station, stderr, stdout, Daemon,
};

/// The checks that must hold for every generated request.
const CHECKS: &str = "not_a_server_error,status_code_conformance,\
                      response_schema_conformance,content_type_conformance";

/// Routes left out, and why: the live stream never ends (a request would only time out);
/// revoking tokens or marking people left would revoke the fuzzer's own token halfway
/// (the clerk's run still sends them, and is refused).
const ADMIN_EXCLUDED: &[&str] = &[
    "/api/v1/live",
    "/api/v1/tokens/{id}/revoke",
    "/api/v1/people/{barcode}/edit",
];

/// The schemathesis command: `SCHEMATHESIS` (a program), else `python3 -m
/// schemathesis.cli` (what `pip install` gives, with or without its script on the PATH);
/// `None` when it does not run.
fn schemathesis() -> Option<Vec<String>> {
    let command: Vec<String> = match std::env::var("SCHEMATHESIS") {
        Ok(program) => vec![program],
        Err(_) => ["python3", "-m", "schemathesis.cli"]
            .map(String::from)
            .to_vec(),
    };
    let (program, args) = command.split_first()?;
    let found = Command::new(program)
        .args(args)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success());
    let needed = format!(
        "{} (pip install schemathesis, see .ci/run)",
        command.join(" ")
    );
    prerequisite("the OpenAPI schema fuzzing", &needed, found).then_some(command)
}

/// One schemathesis run against `daemon` with `token`, leaving out `excluded` paths.
fn fuzz(program: &[String], daemon: &Daemon, token: &str, excluded: &[&str], report: &Path) {
    let base = format!("http://{}", daemon.addr);
    let Some((program, args)) = program.split_first() else {
        panic!("no schemathesis command");
    };
    let mut command = Command::new(program);
    command
        .args(args)
        .arg("run")
        .arg(format!("{base}/api/v1/openapi.json"))
        .args(["--url", &base])
        .args(["--header", &format!("Authorization: Bearer {token}")])
        .args(["--checks", CHECKS])
        .args(["--phases", "examples,coverage,fuzzing"])
        .args(["--max-examples", "25"])
        .args(["--seed", "10"])
        // One worker: with two, schemathesis compiles its generators in two threads at once,
        // and CPython 3.11 then fails now and then with "AST constructor recursion depth
        // mismatch" (a runtime error of the fuzzer, not an answer of the station).
        .args(["--workers", "1"])
        .args(["--request-timeout", "30"])
        .args(["--suppress-health-check", "all"])
        .args(["--output-truncate", "false"])
        .args(["--generation-database", "none"])
        .arg("--no-color")
        .arg("--report-dir")
        .arg(report)
        // No colours or progress bars in a test log; no network look-ups of its own.
        .env("NO_COLOR", "1")
        .env("SCHEMATHESIS_TELEMETRY", "false");
    for path in excluded {
        command.args(["--exclude-path", path]);
    }
    let output = run(&mut command);
    assert!(
        output.status.success(),
        "schemathesis found requests where the station and its OpenAPI document disagree:\n{}{}",
        stdout(&output),
        stderr(&output)
    );
}

#[test]
fn generated_requests_get_documented_answers_for_a_clerk_and_an_administrator() {
    let Some(program) = schemathesis() else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    import_sample(&data, dir.path());
    let (_, clerk) = person_with_token(&data, "张三", "clerk");
    let (_, admin) = person_with_token(&data, "管理员", "admin");
    // Thousands of refused requests: only errors in the test's log.
    let daemon = Daemon::start_with(
        station(&data)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env("RUST_LOG", "error"),
    );
    fuzz(
        &program,
        &daemon,
        &clerk,
        &["/api/v1/live"],
        &dir.path().join("clerk"),
    );
    fuzz(
        &program,
        &daemon,
        &admin,
        ADMIN_EXCLUDED,
        &dir.path().join("admin"),
    );
    assert!(daemon.terminate().success());
}
