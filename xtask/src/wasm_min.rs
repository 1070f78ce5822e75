//! Shrinks what `wasm-bindgen` emits for the widget, before `wasm-opt` and the JS minifier.
//!
//! Two things cost the widget bytes for nothing:
//! - **Names.** Every import and export is named twice, once in the WASM and once in the JS
//!   glue, and wasm-bindgen's names are long and end in a 16-hex-digit hash that brotli cannot
//!   compress (some exports are 300 characters). Each is renamed to a short one, in both files.
//! - **Dead exports.** leptos always depends on `server_fn`, which pulls in `wasm-streams`,
//!   whose `#[wasm_bindgen]` classes (`IntoUnderlyingSource` & co.) are exported whether or
//!   not anything uses them, and exports keep their code alive. The widget never streams, so
//!   those exports and their JS classes are dropped; `wasm-opt` then removes the code.
//!
//! The WASM is edited structurally (only the import and export sections are rewritten; every
//! other section is copied byte for byte). The glue is edited textually against the exact
//! wasm-bindgen version Cargo.lock pins; the browser tests run on the result.

use crate::cmd::Result;

/// Exports of `wasm-streams` the widget never uses (see the module docs).
fn is_dead_export(name: &str) -> bool {
    name.starts_with("intounderlying") || name.starts_with("__wbg_intounderlying")
}

/// Short, distinct identifiers: `a`…`z`, `A`…`Z`, then `a0`, `b0`…
fn short_name(mut n: usize) -> String {
    const FIRST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    const REST: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    let mut s = String::from(FIRST[n % FIRST.len()] as char);
    n /= FIRST.len();
    while n > 0 {
        n -= 1;
        s.push(REST[n % REST.len()] as char);
        n /= REST.len();
    }
    s
}

/// A renamed import or export: `from` in wasm-bindgen's output, `to` after.
#[derive(Debug)]
struct Rename {
    from: String,
    to: String,
}

/// The WASM with short import/export names and without the dead exports, plus the glue
/// rewritten to match.
pub(crate) fn shrink(wasm: &[u8], glue: &str) -> Result<(Vec<u8>, String)> {
    let mut imports = Vec::new();
    let mut exports = Vec::new();
    let mut dropped = Vec::new();
    let mut out = wasm.get(..8).ok_or("not a WASM module")?.to_vec();
    let mut r = Reader { bytes: wasm, at: 8 };
    while r.at < wasm.len() {
        let id = r.byte()?;
        let size = r.leb()? as usize;
        let body = r.take(size)?;
        let body = match id {
            2 => rewrite_imports(body, &mut imports)?,
            7 => rewrite_exports(body, &mut exports, &mut dropped)?,
            _ => body.to_vec(),
        };
        out.push(id);
        write_leb(&mut out, body.len() as u64);
        out.extend_from_slice(&body);
    }
    let glue = rewrite_glue(glue, &imports, &exports, &dropped)?;
    Ok((out, glue))
}

fn rewrite_imports(body: &[u8], renames: &mut Vec<Rename>) -> Result<Vec<u8>> {
    let mut r = Reader { bytes: body, at: 0 };
    let count = r.leb()?;
    let mut out = Vec::new();
    write_leb(&mut out, count);
    for _ in 0..count {
        let module = r.name()?;
        let field = r.name()?;
        let start = r.at;
        r.import_desc()?;
        let desc = &body[start..r.at];
        // Only wasm-bindgen's own imports are named by the glue; leave anything else alone.
        let to = if field.starts_with("__wbg_") || field.starts_with("__wbindgen_") {
            let to = short_name(renames.len());
            renames.push(Rename {
                from: field.to_owned(),
                to: to.clone(),
            });
            to
        } else {
            field.to_owned()
        };
        write_name(&mut out, module);
        write_name(&mut out, &to);
        out.extend_from_slice(desc);
    }
    Ok(out)
}

fn rewrite_exports(
    body: &[u8],
    renames: &mut Vec<Rename>,
    dropped: &mut Vec<String>,
) -> Result<Vec<u8>> {
    let mut r = Reader { bytes: body, at: 0 };
    let count = r.leb()?;
    let mut kept = Vec::new();
    for _ in 0..count {
        let name = r.name()?.to_owned();
        let kind = r.byte()?;
        let index = r.leb()?;
        if is_dead_export(&name) {
            dropped.push(name);
            continue;
        }
        let to = short_name(renames.len());
        renames.push(Rename {
            from: name,
            to: to.clone(),
        });
        kept.push((to, kind, index));
    }
    let mut out = Vec::new();
    write_leb(&mut out, kept.len() as u64);
    for (name, kind, index) in kept {
        write_name(&mut out, &name);
        out.push(kind);
        write_leb(&mut out, index);
    }
    Ok(out)
}

/// The glue names imports as keys of its import object (`name: function(`) and exports as
/// `wasm.name`. Each rename must match: a name the glue does not mention means the glue's
/// format changed, and the build stops rather than ship a widget that fails at load.
fn rewrite_glue(
    glue: &str,
    imports: &[Rename],
    exports: &[Rename],
    dropped: &[String],
) -> Result<String> {
    let mut glue = drop_stream_classes(glue);
    for name in dropped {
        if glue.contains(&format!("wasm.{name}(")) {
            return Err(format!("the glue still calls the dropped export `{name}`"));
        }
    }
    for r in imports {
        let from = format!("\n        {}: function(", r.from);
        if !glue.contains(&from) {
            return Err(format!("import `{}` not found in the glue", r.from));
        }
        glue = glue.replace(&from, &format!("\n        {}: function(", r.to));
    }
    let mut total = 0;
    for r in exports {
        let (renamed, count) = replace_member(&glue, &r.from, &r.to);
        total += count;
        // An export the glue never names (a global like `__abort_handler`, an unused
        // `__wbindgen_free`) is safe to rename. One it names in any other form than
        // `wasm.<name>` means the glue's format changed: the renamed WASM would not load.
        if count == 0 && mentions(&renamed, &r.from) {
            return Err(format!(
                "export `{}` is named in the glue but never as `wasm.{}`: the glue's format changed",
                r.from, r.from
            ));
        }
        glue = renamed;
    }
    if !exports.is_empty() && total == 0 {
        return Err("no export rename matched the glue: its format changed".to_owned());
    }
    Ok(glue)
}

/// Whether `name` appears in `text` as a whole identifier.
fn mentions(text: &str, name: &str) -> bool {
    let ident = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$';
    text.match_indices(name).any(|(i, _)| {
        let before = text[..i].chars().next_back().is_none_or(|c| !ident(c));
        let after = text[i + name.len()..]
            .chars()
            .next()
            .is_none_or(|c| !ident(c));
        before && after
    })
}

/// Replaces `wasm.<from>` (a whole member name) with `wasm.<to>`; returns the new text and
/// how many members were replaced.
fn replace_member(glue: &str, from: &str, to: &str) -> (String, usize) {
    let needle = format!("wasm.{from}");
    let mut count = 0;
    let mut out = String::with_capacity(glue.len());
    let mut rest = glue;
    while let Some(i) = rest.find(&needle) {
        let after = &rest[i + needle.len()..];
        let whole = !after.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_' || c == '$');
        out.push_str(&rest[..i]);
        if whole {
            out.push_str("wasm.");
            out.push_str(to);
            count += 1;
        } else {
            out.push_str(&needle);
        }
        rest = after;
    }
    out.push_str(rest);
    (out, count)
}

/// Removes the `IntoUnderlying*` classes (`export class …` up to the closing `}` at the
/// start of a line) and every other line naming them (dispose hooks, finalization registries).
fn drop_stream_classes(glue: &str) -> String {
    let mut out = String::with_capacity(glue.len());
    let mut in_class = false;
    let mut in_registry = false;
    for line in glue.lines() {
        if line.starts_with("export class IntoUnderlying") {
            in_class = true;
        }
        if in_class {
            if line == "}" {
                in_class = false;
            }
            continue;
        }
        // `const XFinalization = (typeof FinalizationRegistry === 'undefined')` + 2 lines.
        if line.starts_with("const IntoUnderlying") {
            in_registry = true;
        }
        if in_registry {
            if line.trim_end().ends_with(");") {
                in_registry = false;
            }
            continue;
        }
        if line.contains("IntoUnderlying") {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.at).ok_or("truncated WASM")?;
        self.at += 1;
        Ok(b)
    }

    fn leb(&mut self) -> Result<u64> {
        let (mut value, mut shift) = (0u64, 0);
        loop {
            let b = self.byte()?;
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Ok(value);
            }
            shift += 7;
            if shift > 63 {
                return Err("bad LEB128 in WASM".into());
            }
        }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let s = self
            .bytes
            .get(self.at..self.at + n)
            .ok_or("truncated WASM")?;
        self.at += n;
        Ok(s)
    }

    fn name(&mut self) -> Result<&'a str> {
        let n = self.leb()? as usize;
        std::str::from_utf8(self.take(n)?).map_err(|_| "non-UTF-8 name in WASM".into())
    }

    fn limits(&mut self) -> Result {
        let flags = self.byte()?;
        self.leb()?;
        if flags & 1 != 0 {
            self.leb()?;
        }
        Ok(())
    }

    /// Skips an import descriptor (function, table, memory, global or tag).
    fn import_desc(&mut self) -> Result {
        match self.byte()? {
            0x00 => self.leb().map(drop),
            0x01 => {
                self.byte()?;
                self.limits()
            }
            0x02 => self.limits(),
            0x03 => {
                self.byte()?;
                self.byte().map(drop)
            }
            0x04 => {
                self.byte()?;
                self.leb().map(drop)
            }
            kind => Err(format!("unknown import kind {kind:#x} in WASM")),
        }
    }
}

fn write_leb(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn write_name(out: &mut Vec<u8>, name: &str) {
    write_leb(out, name.len() as u64);
    out.extend_from_slice(name.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_names_are_distinct_identifiers() {
        let names: Vec<String> = (0..5000).map(short_name).collect();
        let unique: std::collections::HashSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len());
        assert!(names.iter().all(|n| n.as_bytes()[0].is_ascii_alphabetic()));
        assert_eq!(names[0], "a");
        assert_eq!(names[52], "aa");
    }

    #[test]
    fn leb_round_trips() {
        for v in [0u64, 1, 127, 128, 300, 1 << 20, u64::from(u32::MAX)] {
            let mut out = Vec::new();
            write_leb(&mut out, v);
            assert_eq!(Reader { bytes: &out, at: 0 }.leb(), Ok(v));
        }
    }

    #[test]
    fn members_are_replaced_only_whole() {
        let glue = "wasm.start(); wasm.start_x(); wasm.start;";
        assert_eq!(
            replace_member(glue, "start", "q"),
            ("wasm.q(); wasm.start_x(); wasm.q;".to_owned(), 2)
        );
    }

    fn export(from: &str, to: &str) -> Rename {
        Rename {
            from: from.to_owned(),
            to: to.to_owned(),
        }
    }

    #[test]
    fn an_export_the_glue_never_names_is_renamed_quietly() {
        let glue = "wasm.start();";
        let out = rewrite_glue(
            glue,
            &[],
            &[export("start", "a"), export("__abort_handler", "b")],
            &[],
        );
        assert_eq!(out.as_deref(), Ok("wasm.a();\n"));
    }

    #[test]
    fn an_export_named_another_way_stops_the_build() {
        // A glue that switched to `exports["start"]` would call a function that no longer exists.
        let glue = "wasm.memory; exports[\"start\"]();";
        let out = rewrite_glue(
            glue,
            &[],
            &[export("memory", "a"), export("start", "b")],
            &[],
        );
        assert!(out.unwrap_err().contains("`start`"));
    }

    #[test]
    fn no_export_matching_at_all_stops_the_build() {
        let out = rewrite_glue("instance.go();", &[], &[export("go_unused", "a")], &[]);
        assert!(out.unwrap_err().contains("no export rename matched"));
    }

    #[test]
    fn stream_classes_are_dropped() {
        let glue = "export class IntoUnderlyingSink {\n    free() {}\n}\nif (Symbol.dispose) IntoUnderlyingSink.prototype[Symbol.dispose] = 1;\nexport class Widget {\n}\nconst IntoUnderlyingSinkFinalization = (typeof FinalizationRegistry === 'undefined')\n    ? { register: () => {}, unregister: () => {} }\n    : new FinalizationRegistry(ptr => wasm.f(ptr, 1));\nconst W = 1;\n";
        assert_eq!(
            drop_stream_classes(glue),
            "export class Widget {\n}\nconst W = 1;\n"
        );
    }
}
