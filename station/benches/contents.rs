//! Contents-list benchmark: writes 10 documents into every box's contents list and reports
//! the state bytes per document (the `D`, `E` and `K` families' keys and values, and the
//! growth of the store on disk) and the latency of reading one box's contents (the box
//! record and its list: one point read and one prefix scan), p50 and p99.
//!
//! `cargo bench -p station --bench contents -- [--boxes N] [--batch B] [--dir DIR]`
//! (default 1,000,000 boxes; B boxes per durable write, default 500). Without `--dir` the
//! boxes are registered in a temporary store first; with it, DIR is a store made by the
//! `store` bench (`cargo bench -p station --bench store -- --dir DIR`) whose boxes 1..=N get
//! the lists, and it is kept for the HTTP benchmark (`CONTENTS=1 station/benches/http/run.sh
//! DIR N`).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use station::barcode::{Barcode, Kind};
use station::contents::{Checklists, Document};
use station::event::EventKind;
use station::store::{Actor, NewBox, Store, StoreOptions};

const DOCUMENTS: [(&str, u32); 10] = [
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
];

fn args() -> (u64, u64, Option<PathBuf>) {
    let mut boxes = 1_000_000;
    let mut batch = 500;
    let mut dir = None;
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        let mut value = || iter.next().and_then(|n| n.parse().ok());
        match arg.as_str() {
            "--boxes" => boxes = value().unwrap_or(boxes),
            "--batch" => batch = value().unwrap_or(batch).max(1),
            "--dir" => dir = iter.next().map(PathBuf::from),
            _ => {} // cargo bench passes --bench
        }
    }
    (boxes, batch, dir)
}

fn documents(n: u64) -> Vec<Document> {
    let date = NaiveDate::from_ymd_opt(2000 + (n % 25) as i32, 1 + (n % 12) as u32, 1);
    DOCUMENTS
        .iter()
        .map(|(name, pages)| Document {
            name: (*name).to_owned(),
            doc_type: (*name).to_owned(),
            pages: *pages,
            date,
            original: true,
            expiry: (*name == "借款合同")
                .then(|| NaiveDate::from_ymd_opt(2030, 6, 30))
                .flatten(),
            signed: Some(true),
        })
        .collect()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let index = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

fn disk(dir: &Path) -> u64 {
    fn walk(dir: &Path) -> u64 {
        std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|entry| match entry.metadata() {
                Ok(meta) if meta.is_dir() => walk(&entry.path()),
                Ok(meta) => meta.len(),
                Err(_) => 0,
            })
            .sum()
    }
    walk(dir)
}

fn register(store: &Store, actor: &Actor, boxes: u64, batch: u64) -> Vec<Barcode> {
    // Boxes first, so that the contents' growth is measured apart.
    let started = Instant::now();
    let mut barcodes: Vec<Barcode> = Vec::with_capacity(boxes as usize);
    let mut n = 0;
    while n < boxes {
        let end = (n + batch).min(boxes);
        let made = store
            .write(actor, |tx| {
                (n..end)
                    .map(|i| {
                        tx.register_box(&NewBox {
                            archive_no: Some(format!("2012鸿借字第{i:07}号")),
                            title: "借款合同及担保资料".to_owned(),
                            customer: format!("客户{i:07}有限公司"),
                            category: "借款".to_owned(),
                            ..NewBox::default()
                        })
                        .map(|archive_box| archive_box.barcode)
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .expect("boxes registered");
        barcodes.extend(made);
        n = end;
    }
    println!("registered {boxes} boxes in {:.1?}", started.elapsed());
    barcodes
}

fn main() {
    let (boxes, batch, kept) = args();
    let temp = tempfile::tempdir().expect("temp dir");
    let dir = kept.clone().unwrap_or_else(|| temp.path().to_owned());
    let store = Store::open(&dir, StoreOptions::default()).expect("store opens");
    let actor = Actor::new("bench");
    let checklists = Checklists::builtin().expect("shipped checklists");

    let barcodes: Vec<Barcode> = if kept.is_some() {
        // The store bench's boxes are B000000001… in registration order.
        (1..=boxes)
            .map(|seq| Barcode::new(Kind::Box, seq).expect("a box barcode"))
            .collect()
    } else {
        register(&store, &actor, boxes, batch)
    };
    store.flush().expect("flush");
    let disk_before = disk(&dir);

    let started = Instant::now();
    for chunk in barcodes.chunks(batch as usize) {
        store
            .write(&actor, |tx| {
                for barcode in chunk {
                    tx.replace_contents(
                        *barcode,
                        &documents(barcode.seq()),
                        &checklists,
                        EventKind::ContentsImported,
                    )?;
                }
                Ok(())
            })
            .expect("contents written");
    }
    store.flush().expect("flush");
    let written = started.elapsed();
    let documents_total = boxes * DOCUMENTS.len() as u64;
    println!(
        "wrote {documents_total} documents in {written:.1?} ({:.0} documents/s)",
        documents_total as f64 / written.as_secs_f64().max(1e-9)
    );

    let sizes = store.family_sizes().expect("sizes");
    let state: u64 = sizes
        .iter()
        .filter(|(tag, _, _)| matches!(tag, 'D' | 'E' | 'K'))
        .map(|(tag, keys, bytes)| {
            println!("  family {tag}: {keys} keys, {bytes} bytes of keys and values");
            bytes
        })
        .sum();
    let disk_after = disk(&dir);
    println!(
        "state bytes per document (D+E+K keys and values): {:.1}",
        state as f64 / documents_total.max(1) as f64
    );
    println!(
        "disk growth per document (files, events included): {:.1}",
        disk_after.saturating_sub(disk_before) as f64 / documents_total.max(1) as f64
    );

    // Reading one box's contents: the box record and its list, as the API does.
    let mut latencies = Vec::with_capacity(barcodes.len().min(100_000));
    let step = (barcodes.len() / 100_000).max(1);
    let mut pages = 0u64;
    for index in (0..barcodes.len()).step_by(step) {
        // Spread over the store rather than in key order.
        let picked = barcodes[(index * 7919) % barcodes.len()];
        let started = Instant::now();
        let archive_box = store.require_box(picked).expect("box");
        let contents = store.box_contents(&archive_box).expect("contents");
        latencies.push(started.elapsed());
        pages += contents.pages();
    }
    latencies.sort();
    println!(
        "read one box's contents (n={}): p50={:.1?} p99={:.1?} max={:.1?} (pages read: {pages})",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.99),
        latencies.last().copied().unwrap_or_default()
    );
}
