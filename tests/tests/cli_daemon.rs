//! The command line while the station runs and while it does not: every subcommand works
//! both ways (through the control socket when the daemon holds the store) and says the
//! same; people are named by badge or name; errors come once, in the locale's language,
//! with a hint; configuration typos are named; a missing `--config` does not create a data
//! directory silently.

mod common;

use std::net::TcpListener;
use std::path::Path;
use std::process::Output;

use common::{http_get_as, run, station, station_bin, stderr, stdout, Daemon};
use station::message::Code;

/// The sample ledger: two good rows and one without a title (refused: exit 3).
const LEDGER: &str = "档案号,题名,客户名称,位置\n\
                      A-1,借款合同,鸿达贸易,1号库房/05列/A面/3节/4层\n\
                      A-2,抵押资料,华南电力,1号库房/05列/A面/3节/4层\n\
                      A-3,,华南电力,1号库房/05列/A面/3节/4层\n";

/// The part of a template before its first placeholder: what the station prints for
/// `code` in that language, whatever the values.
fn head(code: Code, zh: bool) -> &'static str {
    let (zh_text, en_text) = code.templates();
    let text = if zh { zh_text } else { en_text };
    text.split('{').next().unwrap_or(text)
}

/// The longest literal part of `code`'s template (between placeholders): what any text
/// of that message contains.
fn piece(code: Code, zh: bool) -> &'static str {
    let (zh_text, en_text) = code.templates();
    let text = if zh { zh_text } else { en_text };
    text.split(['{', '}'])
        .step_by(2)
        .max_by_key(|part| part.len())
        .unwrap_or(text)
}

/// Output made comparable between two stores: token secrets, hashes and timings vary.
fn normalized(text: &str) -> String {
    text.lines()
        .map(|line| {
            line.split(' ')
                .map(|word| {
                    let hex = word.len() == 64 && word.bytes().all(|b| b.is_ascii_hexdigit());
                    // `0.01` (Chinese) or `0.01s` (English).
                    let number = word.strip_suffix('s').unwrap_or(word);
                    let seconds = number.contains('.') && number.parse::<f64>().is_ok();
                    if word.starts_with("ast_") || hex {
                        "<secret>".to_owned()
                    } else if seconds {
                        "<seconds>".to_owned()
                    } else {
                        word.to_owned()
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// What a command said: its exit status and its normalized output.
#[derive(Debug, PartialEq)]
struct Said {
    command: String,
    status: Option<i32>,
    stdout: String,
}

fn said(command: &str, output: &Output) -> Said {
    Said {
        command: command.to_owned(),
        status: output.status.code(),
        stdout: normalized(&stdout(output)),
    }
}

/// The labels' `job N SUBJECT → PRINTER` parts: printed at once without the daemon,
/// handed to it with it; the jobs are the same.
fn label_jobs(text: &str) -> Vec<String> {
    text.lines()
        .filter(|line| line.contains('→'))
        .filter_map(|line| line.split_once("job ").map(|(_, job)| job.to_owned()))
        .collect()
}

/// Every subcommand on a store prepared with `station init`: what each said, the
/// exported file, the label jobs and the backup's path.
fn every_command(data: &Path, dir: &Path, env: &[(&str, &str)]) -> (Vec<Said>, Vec<u8>) {
    let ledger = dir.join("ledger.csv");
    std::fs::write(&ledger, LEDGER).expect("write the ledger");
    let mut said_so_far: Vec<Said> = Vec::new();
    let out = &mut said_so_far;
    let mut step = |name: &str, args: &[&str]| -> Output {
        let mut command = station(data);
        command.args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        let output = run(&mut command);
        assert!(
            !stderr(&output).contains(head(Code::StoreLocked, false)),
            "{name}: {}",
            stderr(&output)
        );
        out.push(said(name, &output));
        output
    };
    let added = step(
        "person add",
        &["person", "add", "--name", "王芳", "--role", "clerk"],
    );
    assert!(added.status.success(), "{}", stderr(&added));
    step(
        "person add directly",
        &["person", "add", "--name", "李总", "--borrow-directly"],
    );
    step("person list", &["person", "list"]);
    let replaced = step("person badge", &["person", "badge", "王芳"]);
    assert!(replaced.status.success(), "{}", stderr(&replaced));
    assert!(
        stdout(&replaced).trim().starts_with('P'),
        "the new badge's code alone: {}",
        stdout(&replaced)
    );
    let token = step(
        "token create by name",
        &["token", "create", "--person", "王芳", "--label", "script"],
    );
    assert!(token.status.success(), "{}", stderr(&token));
    assert!(
        stdout(&token).trim().starts_with("ast_"),
        "{}",
        stdout(&token)
    );
    step("token list", &["token", "list"]);
    step("token revoke", &["token", "revoke", "2"]);
    step("token list after", &["token", "list"]);
    let imported = step("import", &["import", ledger.to_str().expect("utf-8 path")]);
    assert_eq!(imported.status.code(), Some(3), "{}", stderr(&imported));
    let exported = step("export", &["export"]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let file = dir.join("out.csv");
    let to_file = step(
        "export -o",
        &["export", "-o", file.to_str().expect("utf-8 path")],
    );
    assert!(to_file.status.success(), "{}", stderr(&to_file));
    let written = std::fs::read(&file).expect("the exported file");
    assert_eq!(written, exported.stdout, "the file holds what stdout had");
    let verified = step("verify", &["verify"]);
    assert!(verified.status.success(), "{}", stdout(&verified));
    let registered = step(
        "register",
        &[
            "register",
            "--title",
            "借款合同",
            "--customer",
            "鸿达贸易",
            "--scheme",
            "loan",
            "--year",
            "2026",
            "--home",
            "1号库房/05列/A面/3节/4层",
        ],
    );
    assert!(registered.status.success(), "{}", stderr(&registered));
    let barcode = stdout(&registered)
        .split('\t')
        .next()
        .unwrap_or_default()
        .to_owned();
    let labelled = step("label print", &["label", "print", &barcode]);
    assert!(labelled.status.success(), "{}", stderr(&labelled));
    let jobs = label_jobs(&stdout(&labelled));
    assert_eq!(jobs.len(), 1, "{}", stdout(&labelled));
    let blanks = step("label blanks", &["label", "blanks", "--count", "2"]);
    assert!(blanks.status.success(), "{}", stderr(&blanks));
    assert_eq!(
        label_jobs(&stdout(&blanks)),
        ["2 2 blank box labels → pdf"],
        "one job of two labels: {}",
        stdout(&blanks)
    );
    let cards = step("label cards", &["label", "cards"]);
    assert!(cards.status.success(), "{}", stderr(&cards));
    assert!(
        !label_jobs(&stdout(&cards)).is_empty(),
        "{}",
        stdout(&cards)
    );
    let backup = dir.join("backup");
    let backed = step("backup", &["backup", backup.to_str().expect("utf-8 path")]);
    assert!(backed.status.success(), "{}", stderr(&backed));
    assert!(
        stdout(&backed).contains(&backup.display().to_string()),
        "{}",
        stdout(&backed)
    );
    let copy = run(station(&backup).arg("verify"));
    assert!(copy.status.success(), "{}", stdout(&copy));
    // Online and offline backups say which they were; both name the same place. Labels
    // are printed at once without the daemon and handed to it with it: the same jobs.
    said_so_far.pop();
    for said in said_so_far
        .iter_mut()
        .filter(|said| said.command.starts_with("label"))
    {
        said.stdout = label_jobs(&said.stdout).join("\n");
    }
    (said_so_far, written)
}

/// `station init` on a fresh store: the administrator's token (so that the daemon creates
/// none and both stores hold the same people and tokens).
fn init(data: &Path) -> String {
    let output = run(station(data).arg("init"));
    assert!(output.status.success(), "{}", stderr(&output));
    let said = stdout(&output);
    said.lines()
        .map(str::trim)
        .find(|line| line.starts_with("ast_"))
        .unwrap_or_else(|| panic!("no token in {said}"))
        .to_owned()
}

#[test]
fn every_subcommand_says_the_same_with_the_daemon_running_and_stopped() {
    let stopped = tempfile::tempdir().expect("tempdir");
    let data = stopped.path().join("data");
    init(&data);
    let (alone, export_alone) = every_command(&data, stopped.path(), &[]);

    let running = tempfile::tempdir().expect("tempdir");
    let data = running.path().join("data");
    let admin = init(&data);
    let daemon = Daemon::start(&data);
    let (through, export_through) = every_command(&data, running.path(), &[]);
    for (a, b) in alone.iter().zip(&through) {
        assert_eq!(a, b, "without the daemon vs through it");
    }
    assert_eq!(alone.len(), through.len());
    assert_eq!(export_alone, export_through);

    // Through the socket the CLI acts as it does alone: as `cli`.
    let box_barcode = through
        .iter()
        .find(|said| said.command == "register")
        .and_then(|said| said.stdout.split('\t').next().map(str::to_owned))
        .expect("registered");
    let (status, history) = http_get_as(
        daemon.addr,
        &format!("/api/v1/items/{box_barcode}/history"),
        &admin,
    );
    assert_eq!(status, 200, "{history}");
    assert!(history.contains("\"actor\":\"cli\""), "{history}");
    assert!(daemon.terminate().success());
}

#[test]
fn people_are_named_by_badge_or_name_and_same_names_need_a_flag() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let first = run(station(&data).args(["person", "add", "--name", "王芳"]));
    assert!(first.status.success(), "{}", stderr(&first));
    let badge = stdout(&first)
        .split('\t')
        .next()
        .unwrap_or_default()
        .to_owned();

    // By name, and by badge.
    for who in ["王芳", badge.as_str()] {
        let token = run(station(&data).args(["token", "create", "--person", who]));
        assert!(token.status.success(), "{who}: {}", stderr(&token));
    }
    // Someone unknown: said so, with where to look.
    let unknown = run(station(&data).args(["--lang", "en", "token", "create", "--person", "赵六"]));
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains(head(Code::CliPersonUnknown, false)),
        "{}",
        stderr(&unknown)
    );

    // The same name again: refused (nothing added) unless asked for.
    let again = run(station(&data).args(["--lang", "en", "person", "add", "--name", "王芳"]));
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains(head(Code::CliPersonSameName, false)),
        "{}",
        stderr(&again)
    );
    assert!(stderr(&again).contains(&badge), "{}", stderr(&again));
    assert!(
        stderr(&again).contains(head(Code::CliPersonSameNameHint, false)),
        "{}",
        stderr(&again)
    );
    let listed = run(station(&data).args(["person", "list"]));
    assert_eq!(
        stdout(&listed).matches("王芳").count(),
        1,
        "{}",
        stdout(&listed)
    );
    let second = run(station(&data).args([
        "person",
        "add",
        "--name",
        "王芳",
        "--role",
        "supervisor",
        "--allow-same-name",
    ]));
    assert!(second.status.success(), "{}", stderr(&second));
    let second_badge = stdout(&second)
        .split('\t')
        .next()
        .unwrap_or_default()
        .to_owned();

    // Now the name is ambiguous: refused, listing both with badge and role.
    let ambiguous =
        run(station(&data).args(["--lang", "en", "token", "create", "--person", "王芳"]));
    assert!(!ambiguous.status.success());
    let said = stderr(&ambiguous);
    assert!(
        said.contains(head(Code::CliPersonAmbiguous, false)),
        "{said}"
    );
    assert!(
        said.contains(&badge) && said.contains(&second_badge),
        "{said}"
    );
    assert!(
        said.contains("Supervisor") && said.contains("Clerk"),
        "{said}"
    );
    // The badge still names one of them.
    let token = run(station(&data).args(["token", "create", "--person", &second_badge]));
    assert!(token.status.success(), "{}", stderr(&token));
}

#[test]
fn errors_are_printed_once_in_the_locales_language_with_a_hint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("no-such-station.toml");
    let attempt = |env: &[(&str, &str)], args: &[&str]| -> String {
        let mut command = std::process::Command::new(station_bin());
        command
            .env_remove("LANG")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("RUST_LOG", "info")
            .arg("--config")
            .arg(&missing)
            .args(args)
            .args(["person", "list"]);
        for (key, value) in env {
            command.env(key, value);
        }
        let output = run(&mut command);
        assert!(!output.status.success());
        stderr(&output)
    };
    let path = missing.display().to_string();
    for (env, args, zh) in [
        (vec![("LANG", "zh_CN.UTF-8")], vec![], true),
        (vec![("LC_ALL", "zh_CN.UTF-8"), ("LANG", "C")], vec![], true),
        (vec![("LC_MESSAGES", "zh_TW.UTF-8")], vec![], true),
        (vec![("LANG", "C.UTF-8")], vec![], false),
        (vec![], vec![], false),
        (vec![("LANG", "zh_CN.UTF-8")], vec!["--lang", "en"], false),
        (vec![("LANG", "en_US.UTF-8")], vec!["--lang", "zh"], true),
    ] {
        let said = attempt(&env, &args);
        let context = format!("{env:?} {args:?}: {said}");
        assert!(said.contains(head(Code::ConfigReadFailed, zh)), "{context}");
        assert!(
            said.contains(head(Code::CliConfigMissingHint, zh)),
            "{context}"
        );
        assert!(
            !said.contains(head(Code::ConfigReadFailed, !zh)),
            "{context}"
        );
        assert_eq!(said.matches(&path).count(), 1, "named once: {context}");
        let chinese = said.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        assert_eq!(chinese, zh, "{context}");
    }
}

#[test]
fn a_port_in_use_names_its_holder_and_the_listen_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let holder = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = holder.local_addr().expect("address").port();
    for listen in [format!("127.0.0.1:{port}"), format!("localhost:{port}")] {
        let output =
            run(station(&dir.path().join("data"))
                .args(["--lang", "en", "serve", "--listen", &listen]));
        assert!(!output.status.success());
        let said = stderr(&output);
        assert!(said.contains(head(Code::CliPortInUse, false)), "{said}");
        assert!(said.contains(head(Code::CliPortHeldBy, false)), "{said}");
        assert!(
            said.contains(&format!("(pid {})", std::process::id())),
            "the test process holds it: {said}"
        );
        assert!(said.contains("`listen`"), "{said}");
    }
    drop(holder);
    // `localhost:PORT` is an address the station accepts.
    let daemon = Daemon::start_with(station(&dir.path().join("data")).args([
        "serve",
        "--listen",
        "localhost:0",
    ]));
    assert!(daemon.addr.ip().is_loopback(), "{}", daemon.addr);
    assert!(daemon.terminate().success());
}

#[test]
fn config_typos_are_named_with_the_closest_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "[[scheme]]\nnmae = \"loan\"\ntemplate = \"{year}-{seq}\"\n",
            "nmae",
            "name",
        ),
        (
            "[[scheme]]\nname = \"loan\"\ntemplate = \"{year}-{seq}\"\ncolour = \"red\"\n",
            "colour",
            "",
        ),
        (
            "data_dir = \"./d\"\nlistn = \"127.0.0.1:1\"\n",
            "listn",
            "listen",
        ),
        (
            "[[printer]]\nname = \"p\"\nlanguage = \"pdf\"\nconect = \"dir://./labels\"\n",
            "conect",
            "connect",
        ),
    ];
    for (text, typo, closest) in cases {
        let config = dir.path().join("station.toml");
        std::fs::write(&config, text).expect("write the config");
        let output = run(station(&dir.path().join("data"))
            .args(["--lang", "en", "--config"])
            .arg(&config)
            .args(["person", "list"]));
        assert!(!output.status.success(), "{text}");
        let said = stderr(&output);
        assert!(said.contains(head(Code::ConfigSyntax, false)), "{said}");
        assert!(said.contains(typo), "{said}");
        if closest.is_empty() {
            assert!(
                !said.contains(head(Code::ConfigDidYouMean, false)),
                "{said}"
            );
        } else {
            assert!(
                said.contains(&format!(
                    "{}{closest}`?",
                    head(Code::ConfigDidYouMean, false)
                )),
                "{said}"
            );
        }
        assert!(!dir.path().join("data").exists(), "nothing created");
    }
}

#[test]
fn a_forgotten_config_says_where_the_data_directory_is_created() {
    let dir = tempfile::tempdir().expect("tempdir");
    let list = |lang: &str| {
        let mut command = std::process::Command::new(station_bin());
        command
            .current_dir(dir.path())
            .env_remove("STATION_CONFIG")
            .env("LANG", lang)
            .env("RUST_LOG", "warn")
            .args(["person", "list"]);
        run(&mut command)
    };
    let first = list("zh_CN.UTF-8");
    assert!(first.status.success(), "{}", stderr(&first));
    let said = stderr(&first);
    let created = dir.path().join("station-data");
    assert!(created.is_dir());
    assert_eq!(said.lines().count(), 1, "one line: {said}");
    assert!(said.contains(head(Code::CliDataDirCreated, true)), "{said}");
    assert!(said.contains("station-data"), "{said}");
    // Once it exists, nothing more is said.
    let second = list("C");
    assert!(second.status.success());
    assert_eq!(stderr(&second), "", "{}", stderr(&second));
}

#[test]
fn an_unreadable_excel_workbook_given_to_import_says_what_to_do() {
    let dir = tempfile::tempdir().expect("tempdir");
    let workbook = dir.path().join("台帐.xlsx");
    // A zip archive's header and nothing a ledger reader can use.
    std::fs::write(&workbook, b"PK\x03\x04\x14\x00\x00\x00\x08\x00garbage").expect("write");
    let output = run(station(&dir.path().join("data"))
        .args(["--lang", "en", "import"])
        .arg(&workbook));
    assert!(!output.status.success());
    let said = stderr(&output);
    assert!(said.contains(head(Code::CliXlsxHint, false)), "{said}");
}

#[test]
fn register_print_says_where_the_label_went_and_printing_it_again_needs_a_reprint() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let admin = init(&data);
    // The defaults' scheme `loan` and folder printer: a fresh store, no station.toml.
    let registered = run(station(&data).args([
        "--lang",
        "en",
        "register",
        "--title",
        "借款合同",
        "--customer",
        "鸿达贸易",
        "--scheme",
        "loan",
        "--print",
    ]));
    assert!(registered.status.success(), "{}", stderr(&registered));
    let said = stdout(&registered);
    let barcode = said.split('\t').next().unwrap_or_default().to_owned();
    let went = said
        .lines()
        .find(|line| line.contains(piece(Code::CliLabelFile, false)))
        .unwrap_or_else(|| panic!("where the label went: {said}"));
    let file = went.rsplit("file ").next().unwrap_or_default().trim();
    assert!(Path::new(file).is_file(), "{went}");
    assert!(
        file.starts_with(data.join("labels").to_str().expect("utf-8")),
        "{went}"
    );

    // Labels whose subject has spaces get file names without them.
    let cards = run(station(&data).args(["label", "cards"]));
    assert!(cards.status.success(), "{}", stderr(&cards));
    let names: Vec<String> = std::fs::read_dir(data.join("labels"))
        .expect("the labels folder")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    for name in &names {
        assert!(!name.contains(' '), "{names:?}");
    }

    // Printed once: again only as a reprint with a reason, on every path.
    let refused_code = Code::LabelAlreadyPrinted.as_str();
    let again = run(station(&data).args(["--lang", "en", "label", "print", &barcode]));
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains(head(Code::LabelAlreadyPrinted, false)),
        "{}",
        stderr(&again)
    );
    let daemon = Daemon::start(&data);
    let through = run(station(&data).args(["--lang", "en", "label", "print", &barcode]));
    assert!(!through.status.success(), "{}", stdout(&through));
    assert!(
        stderr(&through).contains(head(Code::LabelAlreadyPrinted, false)),
        "{}",
        stderr(&through)
    );
    let (status, body) = common::http_post_as(
        daemon.addr,
        "/api/v1/labels",
        &format!(r#"{{"barcodes":["{barcode}"]}}"#),
        &admin,
    );
    assert_eq!(status, 422, "{body}");
    assert!(body.contains(refused_code), "{body}");
    let reprint = run(station(&data).args([
        "label",
        "print",
        &barcode,
        "--reprint",
        "1",
        "--reason",
        "标签破损",
    ]));
    assert!(reprint.status.success(), "{}", stderr(&reprint));
    assert!(daemon.terminate().success());
}

#[test]
fn labels_of_different_sizes_requested_together_are_separate_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let registered = run(station(&data).args([
        "register",
        "--title",
        "借款合同",
        "--customer",
        "鸿达贸易",
        "--archive-no",
        "A-1",
        "--home",
        "1号库房/05列/A面/3节/4层",
    ]));
    assert!(registered.status.success(), "{}", stderr(&registered));
    let said = stdout(&registered);
    let columns: Vec<&str> = said.trim().split('\t').collect();
    let [box_barcode, _, shelf] = columns[..] else {
        panic!("barcode, number, shelf: {said}");
    };
    // A box label (100×60 mm) and a shelf label (70×30 mm) in one request.
    let printed = run(station(&data).args(["label", "print", box_barcode, shelf]));
    assert!(printed.status.success(), "{}", stderr(&printed));
    let mut names: Vec<String> = std::fs::read_dir(data.join("labels"))
        .expect("the labels folder")
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [format!("1-{box_barcode}.pdf"), format!("2-{shelf}.pdf")],
        "one file per size"
    );
}
