//! Scan benchmark through real pseudo-terminals: latency from the last byte of a scan
//! written on the scanner's side of a PTY to its result published by the engine, at a
//! clerk's pace (50 scans/s) and flat out, and the sustained rate of durable scans
//! across 4 scanners. Every scan is a SHELVE move: a durable change with its event.
//!
//! `cargo bench -p station --bench scan`

use std::collections::HashMap;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serialport::{SerialPort, TTYPort};
use station::devices::definition::DeviceDefinition;
use station::devices::definition::{ScannerConfig, ScannerProtocol};
use station::devices::{DeviceManager, Devices};
use station::ledger::{self, Encoding, ImportOptions};
use station::store::{Actor, Store, StoreOptions};
use station::workflow::{CommandCard, Engine, Outcome, WorkflowConfig};

const SCANNERS: usize = 4;
const BOXES_PER_SCANNER: usize = 2_000;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let idx = ((sorted.len().max(1) - 1) as f64 * p).round() as usize;
    sorted.get(idx).copied().unwrap_or_default()
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    println!(
        "{name:<52} n={:>5}  p50={:>8.2?}  p99={:>8.2?}  max={:>8.2?}",
        samples.len(),
        percentile(&samples, 0.5),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or_default()
    );
}

fn plug_in(link: &Path) -> Result<TTYPort, Box<dyn std::error::Error>> {
    let (master, slave) = TTYPort::pair()?;
    let slave_path = slave.name().ok_or("PTY slave without a name")?;
    drop(slave);
    // No child process may keep the scanner's side open.
    // SAFETY: fcntl on a descriptor this process owns and keeps open.
    let flagged = unsafe { libc::fcntl(master.as_raw_fd(), libc::F_SETFD, libc::FD_CLOEXEC) };
    if flagged != 0 {
        return Err("cannot set FD_CLOEXEC on the PTY master".into());
    }
    std::os::unix::fs::symlink(slave_path, link)?;
    Ok(master)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(Store::open(
        &dir.path().join("data"),
        StoreOptions::default(),
    )?);
    let mut csv = String::from("档案号,题名,客户名称,位置\n");
    for n in 0..SCANNERS * BOXES_PER_SCANNER {
        csv.push_str(&format!(
            "A-{n},借款合同{n},客户{n},1号库房/01列/A面/1节/1层\n"
        ));
    }
    ledger::import(
        &store,
        csv.as_bytes(),
        &ImportOptions {
            encoding: Encoding::Auto,
            schemes: &[],
            actor: Actor::new("bench"),
            progress: &|_| {},
        },
    )?;
    let boxes: Vec<String> = store
        .boxes()
        .map(|b| b.map(|b| b.barcode.to_string()))
        .collect::<Result<_, _>>()?;
    let shelves: Vec<String> = (0..SCANNERS)
        .map(|n| {
            store
                .ensure_location(
                    &Actor::new("bench"),
                    &format!("2号库房/{:02}列/A面/1节/1层", n + 1),
                )
                .map(|l| l.barcode.to_string())
        })
        .collect::<Result<_, _>>()?;

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let engine = Arc::new(Engine::new(
        store.clone(),
        WorkflowConfig {
            repeat_window_ms: 0,
            ..WorkflowConfig::default()
        },
    ));
    let mut masters = Vec::new();
    let mut configs = Vec::new();
    for n in 0..SCANNERS {
        let link = dir.path().join(format!("scanner-{n}"));
        masters.push(plug_in(&link)?);
        configs.push(ScannerConfig {
            name: format!("scanner-{n}"),
            port: link,
            baud: 115_200,
            parity: Default::default(),
            protocol: ScannerProtocol::Line,
            suffix: Default::default(),
            prefix: String::new(),
            workstation: format!("ws-{n}"),
        });
    }
    let devices = Arc::new(Devices::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut results = engine.subscribe();
    // The scanners run as the daemon runs them: units of the device manager.
    let config = Arc::new(station::config::Config::parse(
        &format!("data_dir = \"{}\"\n", dir.path().join("data").display()),
        "station.toml",
    )?);
    let printing = Arc::new(station::printing::Printing::new(&config));
    let manager = {
        let _guard = runtime.enter();
        DeviceManager::new(config, engine.clone(), devices.clone(), printing, stop_rx)
    };
    runtime.block_on(async {
        for scanner in &configs {
            manager
                .start(DeviceDefinition::Scanner(scanner.clone()))
                .await;
        }
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while devices.snapshot().iter().any(|d| !d.connected) {
        if Instant::now() > deadline {
            return Err("scanners did not connect".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }

    // One collector hands each workstation its results, stamped on arrival.
    let mut routes: HashMap<String, mpsc::Sender<(Instant, Outcome)>> = HashMap::new();
    let mut inboxes = Vec::new();
    for n in 0..SCANNERS {
        let (tx, rx) = mpsc::channel();
        routes.insert(format!("ws-{n}"), tx);
        inboxes.push(rx);
    }
    std::thread::spawn(move || {
        while let Ok(result) = results.blocking_recv() {
            let at = Instant::now();
            if let Some(route) = routes.get(&result.workstation) {
                let _ = route.send((at, result.outcome));
            }
        }
    });

    // Each scanner: SHELVE card and its own shelf.
    for (n, master) in masters.iter_mut().enumerate() {
        for code in [
            CommandCard::Shelve.barcode().to_string(),
            shelves[n].clone(),
        ] {
            master.write_all(format!("{code}\r").as_bytes())?;
            inboxes[n].recv_timeout(Duration::from_secs(10))?;
        }
    }

    let scan = |master: &mut TTYPort,
                inbox: &mpsc::Receiver<(Instant, Outcome)>,
                code: &str|
     -> Result<Duration, Box<dyn std::error::Error + Send + Sync>> {
        master.write_all(format!("{code}\r").as_bytes())?;
        let written = Instant::now();
        let (at, outcome) = inbox.recv_timeout(Duration::from_secs(10))?;
        if outcome == Outcome::Error {
            return Err(format!("scan of {code} refused").into());
        }
        Ok(at.saturating_duration_since(written))
    };

    // A clerk's pace: one scanner, 50 scans/s.
    let mut samples = Vec::new();
    let pace = Duration::from_millis(20);
    let started = Instant::now();
    for (i, code) in boxes[..500].iter().enumerate() {
        let due = started + pace * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        samples.push(scan(&mut masters[0], &inboxes[0], code).map_err(|e| e.to_string())?);
    }
    report("1 scanner at 50 scans/s: last byte -> result", samples);

    // Flat out, one scanner: the next scan as soon as the result is out.
    let mut samples = Vec::new();
    let started = Instant::now();
    for code in &boxes[500..1500] {
        samples.push(scan(&mut masters[0], &inboxes[0], code).map_err(|e| e.to_string())?);
    }
    let rate = samples.len() as f64 / started.elapsed().as_secs_f64();
    report("1 scanner flat out: last byte -> result", samples);
    println!("  sustained with 1 scanner                            {rate:.0} durable scans/s");

    // Flat out, 4 scanners at once, each on its own workstation.
    let started = Instant::now();
    let mut threads = Vec::new();
    for (n, (mut master, inbox)) in masters.into_iter().zip(inboxes).enumerate() {
        let codes: Vec<String> = boxes[n * BOXES_PER_SCANNER..(n + 1) * BOXES_PER_SCANNER].to_vec();
        threads.push(std::thread::spawn(
            move || -> Result<Vec<Duration>, String> {
                let mut samples = Vec::new();
                for code in &codes {
                    samples.push(scan(&mut master, &inbox, code).map_err(|e| e.to_string())?);
                }
                Ok(samples)
            },
        ));
    }
    let mut all = Vec::new();
    for thread in threads {
        all.extend(thread.join().map_err(|_| "scanner thread panicked")??);
    }
    let rate = all.len() as f64 / started.elapsed().as_secs_f64();
    report(
        &format!("{SCANNERS} scanners flat out: last byte -> result"),
        all,
    );
    println!(
        "  sustained across {SCANNERS} scanners                      {rate:.0} durable scans/s"
    );

    let _ = stop_tx.send(true);
    runtime.block_on(manager.shutdown());
    Ok(())
}
