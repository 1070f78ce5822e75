//! The name a file is kept and offered under: the sender's, made harmless.

/// Longest kept name, characters (the extension is kept whole).
const MAX_CHARS: usize = 120;

/// A file name safe to store, show and put in `Content-Disposition`: no directories, no
/// control or reserved characters, no leading dots (hidden files), at most [`MAX_CHARS`]
/// characters, never empty, and ending in an extension that matches what the bytes are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileName(String);

impl FileName {
    /// `raw` (what the browser sent) made safe, with `extension` appended when its own does
    /// not match one of `extensions` (the sniffed type's): `invoice.exe` holding a PDF is
    /// kept as `invoice.exe.pdf`, so nobody opens it as a program.
    pub fn sanitise(raw: &str, extensions: &[&str]) -> Self {
        // Only the last path segment: browsers on Windows may send `C:\Users\…\x.png`.
        let base = raw.rsplit(['/', '\\']).next().unwrap_or_default();
        let cleaned: String = base
            .chars()
            .map(|c| {
                if c.is_control() || "<>:\"|?*".contains(c) {
                    '_'
                } else {
                    c
                }
            })
            .collect();
        let cleaned = cleaned.trim().trim_start_matches('.').trim();
        let mut name = if cleaned.is_empty() {
            "file".to_owned()
        } else {
            cleaned.to_owned()
        };
        let own = name
            .rsplit_once('.')
            .map(|(_, ext)| ext.to_lowercase())
            .unwrap_or_default();
        if let Some(first) = extensions.first()
            && !extensions.contains(&own.as_str())
        {
            name.push('.');
            name.push_str(first);
        }
        Self(shorten(&name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// At most [`MAX_CHARS`] characters, cut before the extension so it survives.
fn shorten(name: &str) -> String {
    if name.chars().count() <= MAX_CHARS {
        return name.to_owned();
    }
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    let keep = MAX_CHARS.saturating_sub(ext.chars().count() + 1);
    let stem: String = stem.chars().take(keep).collect();
    if ext.is_empty() {
        stem
    } else {
        format!("{stem}.{ext}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_controls_and_reserved_characters_are_gone() {
        let n = FileName::sanitise("C:\\Users\\ana\\..\\rel<at>ório\u{7}.pdf", &["pdf"]);
        assert_eq!(n.as_str(), "rel_at_ório_.pdf");
        let n = FileName::sanitise("../../etc/passwd", &["txt"]);
        assert_eq!(n.as_str(), "passwd.txt");
        assert_eq!(
            FileName::sanitise(".htaccess", &["txt"]).as_str(),
            "htaccess.txt"
        );
        assert_eq!(FileName::sanitise("  ", &["png"]).as_str(), "file.png");
    }

    #[test]
    fn the_extension_says_what_the_bytes_are() {
        assert_eq!(
            FileName::sanitise("invoice.exe", &["pdf"]).as_str(),
            "invoice.exe.pdf"
        );
        assert_eq!(
            FileName::sanitise("Foto.JPG", &["jpg", "jpeg"]).as_str(),
            "Foto.JPG"
        );
        assert_eq!(FileName::sanitise("scan", &["png"]).as_str(), "scan.png");
    }

    #[test]
    fn long_names_keep_their_extension() {
        let long = format!("{}.pdf", "a".repeat(300));
        let n = FileName::sanitise(&long, &["pdf"]);
        assert_eq!(n.as_str().chars().count(), MAX_CHARS);
        assert!(n.as_str().ends_with("a.pdf"));
    }
}
