//! The modules of `station` depend on each other in one direction only: no module reaches,
//! through `crate::…` paths in its non-test code, a module that reaches back to it. The
//! device definitions (`devices::definition`) count as a module of their own: they are the
//! leaf that config, the store and the devices share.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        panic!("cannot read {}", dir.display());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            out.push(path);
        }
    }
}

/// The module a file belongs to: its first path component under `src/`.
fn module_of(relative: &str) -> String {
    if relative == "devices/definition.rs" {
        return "devices::definition".to_owned();
    }
    let first = relative.split('/').next().unwrap_or(relative);
    first.trim_end_matches(".rs").to_owned()
}

/// The modules named by `crate::…` paths in `text`.
fn references(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        let after = &rest[name.len()..];
        if name == "devices" && after.starts_with("::definition") {
            found.insert("devices::definition".to_owned());
        } else {
            found.insert(name);
        }
    }
    found
}

/// The code of a file without its test module (`#[cfg(test)] mod tests { … }` at the end).
fn without_tests(text: &str) -> &str {
    match text.find("#[cfg(test)]\nmod tests {") {
        Some(at) => &text[..at],
        None => text,
    }
}

fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for file in files {
        let relative = file
            .strip_prefix(&src)
            .map(|path| path.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        if relative == "lib.rs" || relative == "main.rs" || relative.ends_with("tests.rs") {
            continue;
        }
        let module = module_of(&relative);
        let text = fs::read_to_string(&file).unwrap_or_default();
        let refs = references(without_tests(&text));
        let entry = graph.entry(module.clone()).or_default();
        entry.extend(refs.into_iter().filter(|name| *name != module));
    }
    graph
}

/// Whether `to` is reachable from `from`.
fn reaches(graph: &BTreeMap<String, BTreeSet<String>>, from: &str, to: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut stack = vec![from.to_owned()];
    while let Some(module) = stack.pop() {
        if module == to {
            return true;
        }
        if seen.insert(module.clone()) {
            stack.extend(graph.get(&module).into_iter().flatten().cloned());
        }
    }
    false
}

#[test]
fn no_module_of_station_depends_on_a_module_that_depends_on_it() {
    let graph = graph();
    assert!(graph.len() > 10, "too few modules found: {graph:?}");
    let mut cycles = Vec::new();
    for (module, refs) in &graph {
        for target in refs {
            if graph.contains_key(target) && reaches(&graph, target, module) {
                cycles.push(format!("{module} -> {target} -> … -> {module}"));
            }
        }
    }
    assert!(cycles.is_empty(), "dependency cycles: {cycles:#?}");
}

#[test]
fn the_cycle_check_sees_a_cycle() {
    let mut graph = graph();
    graph
        .entry("store".to_owned())
        .or_default()
        .insert("server".to_owned());
    assert!(
        reaches(&graph, "server", "store") && reaches(&graph, "store", "server"),
        "the check must notice a module that reaches back"
    );
}
