//! Files in messages: the name a file is kept under, what the upload answer says of it
//! ([`FileInfo`]) and how a message carries it to someone allowed to see it
//! ([`AttachmentView`], with short-lived signed links).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::ProtocolError;
use crate::ids::FileId;

/// Most files one message carries.
pub const MAX_ATTACHMENTS: usize = 10;

/// What a stored file is: the answer to an upload, kept with the message that carries it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FileInfo {
    pub id: FileId,
    pub name: FileName,
    /// Bytes.
    pub size: u64,
    /// Decided from the bytes, never from the name or what the browser claimed.
    pub content_type: String,
    /// Pixels, for images the server could read (the widget reserves the room before the
    /// thumbnail loads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

impl FileInfo {
    /// Whether browsers may show it in place (raster images only; everything else, SVG
    /// included, is a download).
    pub fn is_inline_image(&self) -> bool {
        matches!(
            self.content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        )
    }
}

/// A file as a message shows it: what it is, and links that work for a while (see the
/// server's `attachments::links`): a link in a stored message would outlive the permission of
/// whoever received it, so links are minted each time a message is sent to someone.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentView {
    #[serde(flatten)]
    pub file: FileInfo,
    /// The whole file (a download unless it is a raster image).
    pub url: String,
    /// A small image to show in the chat; only for images the server could read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail_url: Option<String>,
}

/// Longest kept name, characters (the extension is kept whole).
const MAX_CHARS: usize = 120;

/// A file name safe to store, show and put in `Content-Disposition`: no directories, no
/// control or reserved characters, no leading dots (hidden files), at most [`MAX_CHARS`]
/// characters, never empty, and ending in an extension that matches what the bytes are.
///
/// Deserializing checks the same rules, so a name from a store or another node is one this
/// type could have made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(value_type = String))]
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
        let cleaned = cleaned
            .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
            .trim_end();
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

    /// A name that already follows the rules (read back from a store); refused otherwise.
    pub fn parse(raw: impl Into<String>) -> Result<Self, ProtocolError> {
        let raw = raw.into();
        let safe = !raw.trim().is_empty()
            && raw.chars().count() <= MAX_CHARS
            && !raw.starts_with('.')
            && !raw
                .chars()
                .any(|c| c.is_control() || "<>:\"|?*/\\".contains(c));
        if safe {
            Ok(Self(raw))
        } else {
            Err(ProtocolError::invalid("not a safe file name"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for FileName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for FileName {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        FileName::parse(raw).map_err(|e| serde::de::Error::custom(e.message))
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

    #[test]
    fn what_sanitise_makes_parses_and_nothing_unsafe_does() {
        for raw in [
            "C:\\x\\..\\a<b>.exe",
            "../../x",
            " ",
            ".env",
            &"é".repeat(400),
        ] {
            let made = FileName::sanitise(raw, &["txt"]);
            assert_eq!(FileName::parse(made.as_str()), Ok(made.clone()), "{raw}");
        }
        for bad in [
            "",
            " ",
            ".env",
            "a/b.txt",
            "a\\b.txt",
            "a\u{0}.txt",
            "a?.txt",
        ] {
            assert!(FileName::parse(bad).is_err(), "{bad:?}");
        }
        let bad: Result<FileName, _> = serde_json::from_str("\"../x\"");
        assert!(bad.is_err());
    }
}
