//! Store benchmark at archive scale: import, disk per box, lookups, shelf listing and
//! durable writes (single writer and 8 concurrent writers), with 1,000,000 boxes.
//!
//! `cargo bench -p station --bench store -- [--boxes N] [--dir DIR]`
//! With `--dir` the store is kept there (for `station serve --data DIR` memory checks);
//! a directory that already holds a store is reused and the import step is skipped.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use station::barcode::{Barcode, Kind};
use station::ledger::{self, Encoding, ImportOptions};
use station::model::Item;
use station::numbering::Scheme;
use station::store::{Actor, Store, StoreOptions};

const BOXES_PER_SHELF: u64 = 100;

struct Args {
    boxes: u64,
    dir: Option<PathBuf>,
    cache_mib: u64,
}

fn args() -> Args {
    let mut args = Args {
        boxes: 1_000_000,
        dir: None,
        cache_mib: station::store::DEFAULT_CACHE_BYTES >> 20,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        match arg.as_str() {
            "--boxes" => {
                args.boxes = iter
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(args.boxes)
            }
            "--dir" => args.dir = iter.next().map(PathBuf::from),
            "--cache-mib" => {
                args.cache_mib = iter
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(args.cache_mib)
            }
            _ => {} // cargo bench passes --bench
        }
    }
    args
}

/// The shelf of the `shelf_idx`th hundred boxes: 2 rooms × 50 racks × 2 sides ×
/// 10 sections × 5 shelves = 10,000 shelves.
pub fn shelf_path(shelf_idx: u64) -> String {
    let shelf = shelf_idx % 5 + 1;
    let section = shelf_idx / 5 % 10 + 1;
    let side = if (shelf_idx / 50).is_multiple_of(2) {
        'A'
    } else {
        'B'
    };
    let rack = shelf_idx / 100 % 50 + 1;
    let room = shelf_idx / 5000 % 2 + 1;
    format!("{room}号库房/{rack:02}列/{side}面/{section}节/{shelf}层")
}

fn ledger_csv(scheme: &Scheme, boxes: u64) -> String {
    let mut csv = String::with_capacity(boxes as usize * 120);
    csv.push_str("档案号,题名,客户名称,类别,年度,保管期限,位置\n");
    for n in 0..boxes {
        let year = 2000 + (n % 25) as u16;
        let seq = n / 25 + 1;
        let _ = writeln!(
            csv,
            "{},借款合同及担保资料{n},客户{:07}有限公司,借款,{year},30年,{}",
            scheme.format(year, seq),
            n % 200_000,
            shelf_path(n / BOXES_PER_SHELF)
        );
    }
    csv
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx.min(sorted.len() - 1)]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort_unstable();
    let total: Duration = samples.iter().sum();
    println!(
        "{name:<44} n={:>7}  p50={:>9.1?}  p99={:>9.1?}  max={:>9.1?}  mean={:>9.1?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples.last().copied().unwrap_or_default(),
        total / samples.len().max(1) as u32
    );
}

/// A cheap deterministic pseudo-random sequence (xorshift), so runs are comparable.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = args();
    let temp;
    let dir = match &args.dir {
        Some(dir) => dir.clone(),
        None => {
            temp = tempfile::tempdir()?;
            temp.path().to_owned()
        }
    };
    let scheme = Scheme::new("loan", "{year}鸿借字第{seq:03}号")?;
    let fresh = !dir.join("store").exists();
    let store = Arc::new(Store::open(
        &dir,
        StoreOptions {
            cache_bytes: args.cache_mib << 20,
            ..StoreOptions::default()
        },
    )?);
    let boxes = args.boxes;
    println!(
        "store: {} ({} boxes, {} shelves, cache {} MiB)",
        dir.display(),
        boxes,
        boxes.div_ceil(BOXES_PER_SHELF),
        args.cache_mib
    );

    if fresh {
        let csv = ledger_csv(&scheme, boxes);
        let started = Instant::now();
        let report = ledger::import(
            &store,
            csv.as_bytes(),
            &ImportOptions {
                encoding: Encoding::Auto,
                schemes: std::slice::from_ref(&scheme),
                actor: Actor::new("bench"),
                progress: &|_| {},
            },
        )?;
        let elapsed = started.elapsed();
        assert_eq!(report.created, boxes, "bench import must create every box");
        println!(
            "import (ledger::import, {boxes} rows)            {:.2}s = {:.0} rows/s",
            elapsed.as_secs_f64(),
            boxes as f64 / elapsed.as_secs_f64()
        );
        store.flush()?;
    }
    let disk = store.size_on_disk()?;
    println!(
        "disk (sled size_on_disk)                     {:.1} MiB = {:.0} bytes/box",
        disk as f64 / 1048576.0,
        disk as f64 / boxes as f64
    );

    let mut raw = 0;
    for (family, keys, bytes) in store.family_sizes()? {
        raw += bytes;
        println!(
            "  family {family:?}: {keys:>9} keys {:>8.1} MiB = {:>5.0} bytes/box",
            bytes as f64 / 1048576.0,
            bytes as f64 / boxes as f64
        );
    }
    println!(
        "  raw keys+values {:.1} MiB = {:.0} bytes/box; sled overhead {:.2}x",
        raw as f64 / 1048576.0,
        raw as f64 / boxes as f64,
        disk as f64 / raw.max(1) as f64
    );

    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Box barcodes were handed out 1..=boxes in import order.
    let mut samples = Vec::with_capacity(100_000);
    for _ in 0..100_000 {
        let barcode = Barcode::new(Kind::Box, rng.below(boxes) + 1)?;
        let started = Instant::now();
        let item = store.get_item(barcode)?;
        samples.push(started.elapsed());
        assert!(matches!(item, Some(Item::Box(_))));
    }
    report("lookup by barcode (random, 100k)", samples);

    let mut samples = Vec::with_capacity(100_000);
    for _ in 0..100_000 {
        let n = rng.below(boxes);
        let number = scheme.format(2000 + (n % 25) as u16, n / 25 + 1);
        let started = Instant::now();
        let found = store.box_by_archive_no(&number)?;
        samples.push(started.elapsed());
        assert!(found.is_some());
    }
    report("lookup by archive number (random, 100k)", samples);

    // The box search (`GET /api/v1/boxes?q=`): part of a customer name (the last five
    // digits and 有限 of 客户NNNNNNN有限公司: a few boxes), and a year and a word of the
    // archive number ("2024 借字": one box in 25), each to the full list of matches.
    let mut samples = Vec::with_capacity(1000);
    for _ in 0..1000 {
        let query = format!("{:05}有限", rng.below(boxes.min(200_000)) % 100_000);
        let started = Instant::now();
        let found = store.search_boxes(&query)?;
        samples.push(started.elapsed());
        assert!(!found.is_empty(), "{query}");
    }
    report("search: part of a customer name (1k)", samples);
    let mut samples = Vec::with_capacity(20);
    for _ in 0..20 {
        let query = format!("{} 借字", 2000 + rng.below(25));
        let started = Instant::now();
        let found = store.search_boxes(&query)?;
        samples.push(started.elapsed());
        assert!(found.len() as u64 >= boxes / 25, "{query}");
    }
    report("search: a year and a word (1 box in 25, 20)", samples);

    let n_shelves = boxes.div_ceil(BOXES_PER_SHELF);
    let mut samples = Vec::with_capacity(2000);
    for _ in 0..2000 {
        let path = shelf_path(rng.below(n_shelves));
        let shelf = store.location_by_path(&path)?.ok_or("shelf missing")?;
        let started = Instant::now();
        let items = store.items_at(shelf.barcode, 100)?;
        samples.push(started.elapsed());
        assert!(!items.is_empty());
    }
    report("list a shelf of 100 boxes (2k)", samples);

    let shelves: Vec<Barcode> = (0..64)
        .map(|idx| {
            store
                .location_by_path(&shelf_path(idx * 97 % n_shelves))
                .ok()
                .flatten()
                .map(|l| l.barcode)
                .ok_or("shelf missing")
        })
        .collect::<Result<_, _>>()?;

    let actor = Actor::new("bench");
    let mut samples = Vec::with_capacity(2000);
    for n in 0..2000u64 {
        let item = Barcode::new(Kind::Box, rng.below(boxes) + 1)?;
        let to = shelves[(n % shelves.len() as u64) as usize];
        let started = Instant::now();
        store.move_item(&actor, item, to)?;
        samples.push(started.elapsed());
    }
    report("durable move, 1 writer (2k)", samples);

    let writers = 8u64;
    let per_writer = 1000u64;
    let started = Instant::now();
    let threads: Vec<_> = (0..writers)
        .map(|w| {
            let store = store.clone();
            let shelves = shelves.clone();
            std::thread::spawn(move || -> Result<Vec<Duration>, String> {
                let mut rng = Rng(0x1234_5678 + w);
                let actor = Actor::new(format!("bench-{w}"));
                let mut samples = Vec::with_capacity(per_writer as usize);
                for n in 0..per_writer {
                    let item =
                        Barcode::new(Kind::Box, rng.below(boxes) + 1).map_err(|e| e.to_string())?;
                    let to = shelves[((n + w) % shelves.len() as u64) as usize];
                    let op = Instant::now();
                    store
                        .move_item(&actor, item, to)
                        .map_err(|e| e.to_string())?;
                    samples.push(op.elapsed());
                }
                Ok(samples)
            })
        })
        .collect();
    let mut all = Vec::new();
    for thread in threads {
        all.extend(thread.join().map_err(|_| "writer panicked")??);
    }
    let elapsed = started.elapsed();
    let total = all.len();
    report(&format!("durable move, {writers} writers ({total})"), all);
    println!(
        "  throughput with {writers} writers                  {:.0} durable changes/s",
        total as f64 / elapsed.as_secs_f64()
    );

    let verify_started = Instant::now();
    let verified = store.verify()?;
    println!(
        "verify ({} events, {} items)           {:.2}s, ok={}",
        verified.events,
        verified.items,
        verify_started.elapsed().as_secs_f64(),
        verified.is_ok()
    );
    let admin = store.add_person(
        &Actor::new("bench"),
        &station::store::NewPerson {
            name: "bench".into(),
            role: station::model::Role::Admin,
            borrow_directly: false,
        },
    )?;
    let token = store
        .create_token(&Actor::new("bench"), admin.barcode, "bench")?
        .secret;
    drop(store);
    serve_memory(&dir, boxes, args.cache_mib, &token)?;
    Ok(())
}

/// Starts the real `station serve` on the store with the same cache size, asks it for
/// 20,000 random boxes over one keep-alive connection, and reports its resident memory
/// (VmRSS, and the peak VmHWM).
fn serve_memory(
    dir: &std::path::Path,
    boxes: u64,
    cache_mib: u64,
    token: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    use std::io::{BufRead, BufReader, Read, Write};
    let config = tempfile::NamedTempFile::new()?;
    std::fs::write(config.path(), format!("cache_mib = {cache_mib}\n"))?;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_station"))
        .arg("--config")
        .arg(config.path())
        .arg("--data")
        .arg(dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    // Kept open until the end: the daemon prints more after its address.
    let mut daemon_out = BufReader::new(child.stdout.take().ok_or("no stdout")?);
    daemon_out.read_line(&mut line)?;
    let addr = line
        .trim()
        .rsplit("http://")
        .next()
        .ok_or("no address")?
        .to_owned();
    let mut stream = std::net::TcpStream::connect(&addr)?;
    stream.set_nodelay(true)?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut rng = Rng(0x5EED);
    let started = Instant::now();
    let requests = 20_000;
    for _ in 0..requests {
        let barcode = Barcode::new(Kind::Box, rng.below(boxes) + 1)?;
        let request = format!("GET /api/v1/items/{barcode} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\r\n");
        stream.write_all(request.as_bytes())?;
        let mut length = 0usize;
        let mut status = String::new();
        reader.read_line(&mut status)?;
        if !status.contains(" 200 ") {
            return Err(format!("unexpected answer {status:?}").into());
        }
        loop {
            let mut header = String::new();
            reader.read_line(&mut header)?;
            if header == "\r\n" {
                break;
            }
            if let Some(value) = header.to_ascii_lowercase().strip_prefix("content-length:") {
                length = value.trim().parse()?;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
    }
    let elapsed = started.elapsed();
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id()))?;
    let _ = std::process::Command::new("kill")
        .arg("-TERM")
        .arg(child.id().to_string())
        .status();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .map(|l| l.trim_start_matches(name).trim().to_owned())
            .unwrap_or_default()
    };
    println!(
        "serve: {requests} GET item (1 connection) in {:.2}s; VmRSS {} (peak VmHWM {})",
        elapsed.as_secs_f64(),
        field("VmRSS:"),
        field("VmHWM:")
    );
    child.wait()?;
    Ok(())
}
