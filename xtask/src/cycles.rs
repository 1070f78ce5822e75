//! `cargo xtask cycles`: no two top-level modules ("rooms") of a crate may import each other,
//! directly or through others.
//!
//! Why: a cycle is what turns "change the socket" into "change the socket, the views and the
//! app shell" — the architecture review found `net` ↔ `chat` in the widget, `app` ↔ `socket`
//! ↔ `ui` in the back-office and `bus` ↔ `coordinator` in the server. Rust allows cycles inside
//! a crate, so nothing else would stop them coming back.
//!
//! How: each `.rs` file belongs to the room named by its first path component under `src/`
//! (`lib.rs`/`main.rs` to none); every `crate::<room>` path in it (including `use crate::{a,
//! b::c}` groups) is an edge. Comments and test code (`tests.rs`, `tests_*.rs`, `fixtures.rs`,
//! `tests/` folders, a trailing `#[cfg(test)] mod tests { … }`) are left out: tests may reach
//! anywhere. Cycles are the strongly connected components of that graph (Tarjan). A textual
//! scan rather than `cargo modules`: it is std-only, runs in milliseconds, and `use crate::`
//! paths are how this codebase imports (a `super::super::x` would slip past it).

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::Result;

/// The crates whose rooms are checked, by source folder.
const CRATES: &[&str] = &[
    "crates/protocol/src",
    "crates/store/src",
    "crates/store-mongo/src",
    "crates/loadgen/src",
    "server/src",
    "widget/src",
    "backoffice/src",
    "e2e/src",
    "xtask/src",
];

type Graph = BTreeMap<String, BTreeSet<String>>;

pub(crate) fn check() -> Result {
    let mut failed = Vec::new();
    for root in CRATES {
        let root = Path::new(root);
        if !root.is_dir() {
            continue;
        }
        let graph = graph_of(root)?;
        let cycles = cycles(&graph);
        let edges: usize = graph.values().map(BTreeSet::len).sum();
        if cycles.is_empty() {
            println!(
                "{:<24} {:>3} rooms, {:>3} edges, no cycle",
                root.display(),
                graph.len(),
                edges
            );
        } else {
            for cycle in &cycles {
                println!("{:<24} cycle: {}", root.display(), describe(cycle, &graph));
            }
            failed.push(root.display().to_string());
        }
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "import cycles between modules in {}",
            failed.join(", ")
        ))
    }
}

/// The rooms of one crate and which others each one imports.
fn graph_of(root: &Path) -> Result<Graph> {
    let mut files = Vec::new();
    collect(root, &mut files).map_err(|e| format!("reading {}: {e}", root.display()))?;
    let rooms: BTreeSet<String> = files.iter().filter_map(|f| room_of(root, f)).collect();
    let mut graph: Graph = rooms.iter().map(|r| (r.clone(), BTreeSet::new())).collect();
    for file in &files {
        let (Some(room), false) = (room_of(root, file), is_test_file(root, file)) else {
            continue;
        };
        let source =
            fs::read_to_string(file).map_err(|e| format!("reading {}: {e}", file.display()))?;
        for target in imports(&without_tests(&source)) {
            if target != room && rooms.contains(&target) {
                graph.entry(room.clone()).or_default().insert(target);
            }
        }
    }
    Ok(graph)
}

fn collect(dir: &Path, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            collect(&path, files)?;
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    Ok(())
}

/// `src/ws/peer.rs` → `ws`; `src/state.rs` → `state`; the crate root → none.
fn room_of(root: &Path, file: &Path) -> Option<String> {
    let relative = file.strip_prefix(root).ok()?;
    let first = relative.components().next()?.as_os_str().to_str()?;
    let room = first.strip_suffix(".rs").unwrap_or(first);
    (!matches!(room, "lib" | "main")).then(|| room.to_string())
}

fn is_test_file(root: &Path, file: &Path) -> bool {
    let relative = file.strip_prefix(root).unwrap_or(file);
    relative.components().any(|c| {
        let name = c.as_os_str().to_str().unwrap_or("");
        name == "tests" || name == "tests.rs" || name == "fixtures.rs" || name.starts_with("tests_")
    })
}

/// The source up to a trailing test module, without comment lines.
fn without_tests(source: &str) -> String {
    let end = source
        .find("#[cfg(test)]\nmod tests {")
        .unwrap_or(source.len());
    source[..end]
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Every room named after `crate::`, in paths and in `use crate::{…}` groups.
fn imports(source: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = source;
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let end = closing_brace(group).unwrap_or(group.len());
            for item in top_level_items(&group[..end]) {
                found.insert(leading_ident(item.trim_start()).to_string());
            }
        } else {
            found.insert(leading_ident(rest).to_string());
        }
    }
    found.retain(|name| !name.is_empty());
    found
}

fn closing_brace(group: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => return Some(i),
            '}' => depth -= 1,
            _ => {}
        }
    }
    None
}

fn top_level_items(group: &str) -> Vec<&str> {
    let mut items = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                items.push(&group[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    items.push(&group[start..]);
    items
}

fn leading_ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Strongly connected components with more than one room (Tarjan's algorithm).
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    struct Walk<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        found: Vec<Vec<String>>,
    }
    impl<'g> Walk<'g> {
        fn visit(&mut self, room: &'g str) {
            let n = self.index.len();
            self.index.insert(room, n);
            self.low.insert(room, n);
            self.stack.push(room);
            self.on_stack.insert(room);
            for next in self.graph.get(room).into_iter().flatten() {
                let next = next.as_str();
                if !self.index.contains_key(next) {
                    self.visit(next);
                    let low = self.low[room].min(self.low[next]);
                    self.low.insert(room, low);
                } else if self.on_stack.contains(next) {
                    let low = self.low[room].min(self.index[next]);
                    self.low.insert(room, low);
                }
            }
            if self.low[room] == self.index[room] {
                let mut component = Vec::new();
                while let Some(top) = self.stack.pop() {
                    self.on_stack.remove(top);
                    component.push(top.to_string());
                    if top == room {
                        break;
                    }
                }
                if component.len() > 1 {
                    component.sort();
                    self.found.push(component);
                }
            }
        }
    }
    let mut walk = Walk {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        found: Vec::new(),
    };
    for room in graph.keys() {
        if !walk.index.contains_key(room.as_str()) {
            walk.visit(room);
        }
    }
    walk.found
}

/// `a → b, b → a` for the edges inside one cycle, so the reader sees which imports to cut.
fn describe(cycle: &[String], graph: &Graph) -> String {
    let members: BTreeSet<&String> = cycle.iter().collect();
    let mut edges = Vec::new();
    for from in cycle {
        for to in graph.get(from).into_iter().flatten() {
            if members.contains(to) {
                edges.push(format!("{from} → {to}"));
            }
        }
    }
    edges.join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_groups_name_their_rooms() {
        let source = "use crate::a::X;\nuse crate::{b, c::{D, E}, d::F};\nfn f() { crate::e::g(); }\n\
                      // crate::comment\n";
        let found: Vec<_> = imports(&without_tests(source)).into_iter().collect();
        assert_eq!(found, ["a", "b", "c", "d", "e"]);
    }

    #[test]
    fn a_trailing_test_module_is_left_out() {
        let source = "use crate::a;\n#[cfg(test)]\nmod tests {\n    use crate::b;\n}\n";
        let found: Vec<_> = imports(&without_tests(source)).into_iter().collect();
        assert_eq!(found, ["a"]);
    }

    #[test]
    fn a_cycle_through_three_rooms_is_found_and_a_chain_is_not() {
        let graph = |edges: &[(&str, &str)]| {
            let mut g = Graph::new();
            for (from, to) in edges {
                g.entry(from.to_string())
                    .or_default()
                    .insert(to.to_string());
                g.entry(to.to_string()).or_default();
            }
            g
        };
        let cyclic = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")]);
        assert_eq!(cycles(&cyclic), vec![vec!["a", "b", "c"]]);
        let chain = graph(&[("a", "b"), ("b", "c"), ("a", "c")]);
        assert!(cycles(&chain).is_empty());
    }
}
