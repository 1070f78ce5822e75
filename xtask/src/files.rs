//! File helpers shared by the front-end builds: reading and writing with the path in the
//! error, content hashes for cache-busting names, and brotli siblings.

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::{self, Result};

pub(crate) fn io(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> String {
    let path = path.display().to_string();
    let what = what.to_owned();
    move |e| format!("{what} {path}: {e}")
}

/// FNV-1a: a stable content hash for cache-busting names (not for security).
pub(crate) fn content_hash(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")[..10].to_owned()
}

/// Writes `path.br` next to `path` (the server sends it as-is) and returns its size.
pub(crate) fn brotli(path: &Path) -> Result<u64> {
    cmd::run(&mut cmd::new(
        "brotli",
        ["-f", "-q", "11", "-k", &path.display().to_string()],
    ))?;
    let br = PathBuf::from(format!("{}.br", path.display()));
    size(&br)
}

pub(crate) fn size(path: &Path) -> Result<u64> {
    Ok(fs::metadata(path).map_err(io("reading", path))?.len())
}

pub(crate) fn read(path: &str) -> Result<String> {
    fs::read_to_string(path).map_err(io("reading", Path::new(path)))
}

pub(crate) fn write(path: &Path, bytes: &[u8]) -> Result {
    fs::write(path, bytes).map_err(io("writing", path))
}

/// Empties (or creates) a build output directory.
pub(crate) fn fresh_dir(path: &Path) -> Result {
    let _ = fs::remove_dir_all(path);
    fs::create_dir_all(path).map_err(io("creating", path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_changes_with_content_and_is_stable() {
        assert_eq!(content_hash(b"abc"), content_hash(b"abc"));
        assert_ne!(content_hash(b"abc"), content_hash(b"abd"));
        assert_eq!(content_hash(b"").len(), 10);
    }
}

/// wasm-bindgen leaves each `#[wasm_bindgen(module = "/…")]` file as a module of its own
/// under `<work>/snippets/`, imported by the glue (`import * as importN from "./snippets/…"`
/// or `import { a, b } from './snippets/…';`), often by several lines. A front end ships its
/// glue as one file, so each file is put in once, wrapped in a function whose exported
/// functions it returns, and every line importing it binds its names to that one copy: a
/// module is one instance, its state shared by all who import it, as in the browser.
pub(crate) fn inline_snippets(work: &Path, glue: &str) -> Result<String> {
    let mut out = String::with_capacity(glue.len());
    let mut inlined: Vec<PathBuf> = Vec::new();
    for line in glue.lines() {
        match snippet_import(line) {
            Some((binding, path)) => {
                let path = normalize(path);
                let index = match inlined.iter().position(|p| *p == path) {
                    Some(index) => index,
                    None => {
                        let file = work.join("snippets").join(&path);
                        let code = read(&file.display().to_string())?;
                        let exports: Vec<&str> = code
                            .split("export function ")
                            .skip(1)
                            .filter_map(|rest| rest.split_once('(').map(|(f, _)| f.trim()))
                            .collect();
                        out.push_str(&format!(
                            "const __snippet{} = (() => {{\n{}\nreturn {{ {} }};\n}})();\n",
                            inlined.len(),
                            code.replace("export function ", "function "),
                            exports.join(", ")
                        ));
                        inlined.push(path);
                        inlined.len() - 1
                    }
                };
                out.push_str(&format!("const {binding} = __snippet{index};"));
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    if out.lines().any(|l| l.starts_with("import ")) {
        return Err("the glue imports a module in a form not inlined".into());
    }
    Ok(out)
}

/// `(binding, path under snippets/)` of a glue line importing a snippet: the binding is
/// `importN` or `{ a, b }`, ready to be declared with `const`.
fn snippet_import(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("import ")?;
    let (binding, from) = rest.split_once(" from ")?;
    let binding = binding.strip_prefix("* as ").unwrap_or(binding);
    let path = from.trim_end_matches(';');
    let path = path
        .strip_prefix("\"./snippets/")
        .and_then(|p| p.strip_suffix('"'))
        .or_else(|| path.strip_prefix("'./snippets/")?.strip_suffix('\''))?;
    Some((binding, path))
}

/// `a/b/../c` → `a/c` (a snippet named from outside its crate, `/../widget/js/call.js`, is
/// written where the path leads, not under its crate's folder).
fn normalize(path: &str) -> PathBuf {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            p => parts.push(p),
        }
    }
    parts.iter().collect()
}

#[cfg(test)]
mod snippet_tests {
    use super::*;

    #[test]
    fn both_import_forms_are_recognised() {
        assert_eq!(
            snippet_import("import * as import1 from \"./snippets/w-1/js/page.js\""),
            Some(("import1", "w-1/js/page.js"))
        );
        assert_eq!(
            snippet_import("import { calls } from './snippets/b-2/../widget/js/call.js';"),
            Some(("{ calls }", "b-2/../widget/js/call.js"))
        );
        assert_eq!(snippet_import("import x from './other.js';"), None);
        assert_eq!(
            normalize("b-2/../widget/js/call.js"),
            PathBuf::from("widget/js/call.js")
        );
    }

    #[test]
    fn a_snippet_imported_by_several_lines_is_one_module() {
        let work = std::env::temp_dir().join(format!("xtask-snippets-{}", std::process::id()));
        let dir = work.join("snippets/w-1/js");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("page.js"),
            "var n = 0;\nexport function bump() { return ++n; }\nexport function seen() { return n; }\n",
        )
        .unwrap();
        let glue = "import { bump } from './snippets/w-1/js/page.js';\n\
                    import * as import1 from \"./snippets/w-1/js/page.js\"\nrest();";
        let out = inline_snippets(&work, glue).expect("inlined");
        let _ = std::fs::remove_dir_all(&work);
        assert_eq!(out.matches("var n = 0;").count(), 1, "{out}");
        assert!(out.contains("const { bump } = __snippet0;"), "{out}");
        assert!(out.contains("const import1 = __snippet0;"), "{out}");
        assert!(out.ends_with("rest();\n"), "{out}");
    }
}
