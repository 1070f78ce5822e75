//! What an uploaded file is, from its bytes (`infer`'s magic numbers), never from its name or
//! the browser's `Content-Type`, and whether this deployment keeps it.
//!
//! A program is refused whatever it is called and whatever is allowed; everything else must
//! be of a type this module knows *and* of a group the deployment allows (images, PDF, text,
//! office documents, zip by default). Only raster images are ever shown inline; SVG, HTML and
//! XML are kept as downloads (an SVG or a web page opened from our origin could run script).

use chimpassist_protocol::FileName;

/// The groups a deployment allows, by name (a future `ATTACHMENT_TYPES=image,pdf,…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileGroup {
    Image,
    Pdf,
    Text,
    Office,
    Zip,
}

impl FileGroup {
    /// Every group: the default.
    pub const ALL: [FileGroup; 5] = [
        FileGroup::Image,
        FileGroup::Pdf,
        FileGroup::Text,
        FileGroup::Office,
        FileGroup::Zip,
    ];

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw.trim() {
            "image" => Self::Image,
            "pdf" => Self::Pdf,
            "text" => Self::Text,
            "office" => Self::Office,
            "zip" => Self::Zip,
            _ => return None,
        })
    }

    /// A comma-separated list (`image,pdf`), or the word naming what is wrong.
    pub fn parse_list(raw: &str) -> Result<Vec<Self>, String> {
        raw.split(',')
            .filter(|g| !g.trim().is_empty())
            .map(|g| {
                Self::parse(g).ok_or_else(|| {
                    format!("unknown file group {g:?} (image, pdf, text, office, zip)")
                })
            })
            .collect()
    }
}

/// A type this module knows: its `Content-Type`, group, the extensions a name of it may end
/// in (the first is added when the name has none of them), and whether it may be shown inline.
struct Known {
    mime: &'static str,
    group: FileGroup,
    extensions: &'static [&'static str],
    inline: bool,
}

const fn known(
    mime: &'static str,
    group: FileGroup,
    extensions: &'static [&'static str],
    inline: bool,
) -> Known {
    Known {
        mime,
        group,
        extensions,
        inline,
    }
}

use FileGroup::{Image, Office, Pdf, Text, Zip};

const SVG: &str = "image/svg+xml";
const PLAIN: &str = "text/plain";

static KNOWN: &[Known] = &[
    known("image/png", Image, &["png"], true),
    known("image/jpeg", Image, &["jpg", "jpeg"], true),
    known("image/gif", Image, &["gif"], true),
    known("image/webp", Image, &["webp"], true),
    known(SVG, Image, &["svg"], false),
    known("application/pdf", Pdf, &["pdf"], false),
    known(PLAIN, Text, &["txt", "csv", "log", "md", "json"], false),
    known("text/html", Text, &["html", "htm"], false),
    known("text/xml", Text, &["xml"], false),
    known("application/rtf", Office, &["rtf"], false),
    known("application/msword", Office, &["doc"], false),
    known(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        Office,
        &["docx"],
        false,
    ),
    known("application/vnd.ms-excel", Office, &["xls"], false),
    known(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        Office,
        &["xlsx"],
        false,
    ),
    known("application/vnd.ms-powerpoint", Office, &["ppt"], false),
    known(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        Office,
        &["pptx"],
        false,
    ),
    known(
        "application/vnd.oasis.opendocument.text",
        Office,
        &["odt"],
        false,
    ),
    known(
        "application/vnd.oasis.opendocument.spreadsheet",
        Office,
        &["ods"],
        false,
    ),
    known(
        "application/vnd.oasis.opendocument.presentation",
        Office,
        &["odp"],
        false,
    ),
    known("application/zip", Zip, &["zip"], false),
];

/// A file fit to keep.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checked {
    pub name: FileName,
    /// What the bytes are (served as this, with `nosniff`).
    pub content_type: &'static str,
    pub group: FileGroup,
    /// Raster images only: may be shown in the page rather than downloaded.
    pub inline: bool,
    pub size: u64,
}

/// Why a file is not kept; each says so in words for the sender.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refused {
    Empty,
    TooLarge {
        limit: u64,
    },
    /// An executable, whatever its name says.
    Program,
    /// Known but not allowed here, or not known at all (`"unknown"`).
    NotAllowed {
        what: &'static str,
    },
}

impl Refused {
    pub fn message(&self) -> String {
        match self {
            Self::Empty => "the file is empty".into(),
            Self::TooLarge { limit } => format!("the file is larger than {}", size(*limit)),
            Self::Program => "programs cannot be sent".into(),
            Self::NotAllowed { what } => format!("files of this type ({what}) cannot be sent"),
        }
    }
}

/// A limit in words: `10 MiB`, `64 KiB`.
pub fn size(bytes: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB && bytes.is_multiple_of(MIB) || bytes >= 10 * MIB {
        format!("{} MiB", bytes.div_ceil(MIB))
    } else {
        format!("{} KiB", bytes.div_ceil(1024))
    }
}

/// The checks of one deployment: the largest file and the groups it allows.
#[derive(Clone, Debug)]
pub struct Checks {
    max_bytes: u64,
    allowed: Vec<FileGroup>,
}

impl Checks {
    pub fn new(max_bytes: u64, allowed: Vec<FileGroup>) -> Self {
        Self { max_bytes, allowed }
    }

    /// The largest file kept: a body announcing more is refused before it is read.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// Whether `bytes`, sent as `claimed_name`, may be kept, and as what.
    pub fn check(&self, claimed_name: &str, bytes: &[u8]) -> Result<Checked, Refused> {
        let size = bytes.len() as u64;
        if size == 0 {
            return Err(Refused::Empty);
        }
        if size > self.max_bytes {
            return Err(Refused::TooLarge {
                limit: self.max_bytes,
            });
        }
        let known = sniff(bytes)?;
        if !self.allowed.contains(&known.group) {
            return Err(Refused::NotAllowed { what: known.mime });
        }
        Ok(Checked {
            name: FileName::sanitise(claimed_name, known.extensions),
            content_type: known.mime,
            group: known.group,
            inline: known.inline,
            size,
        })
    }
}

fn by_mime(mime: &str) -> Option<&'static Known> {
    KNOWN.iter().find(|k| k.mime == mime)
}

/// What the bytes are: `infer`'s magic numbers; SVG told apart from other XML; text that is
/// UTF-8 without NUL bytes as plain text; anything else unknown.
fn sniff(bytes: &[u8]) -> Result<&'static Known, Refused> {
    let head = &bytes[..bytes.len().min(1024)];
    match infer::get(bytes) {
        Some(t) if t.matcher_type() == infer::MatcherType::App => Err(Refused::Program),
        Some(t) if t.mime_type() == "text/xml" && contains(head, b"<svg") => {
            by_mime(SVG).ok_or(Refused::NotAllowed { what: SVG })
        }
        Some(t) => by_mime(t.mime_type()).ok_or(Refused::NotAllowed {
            what: KNOWN_NAMES
                .iter()
                .find(|n| **n == t.mime_type())
                .copied()
                .unwrap_or("unknown"),
        }),
        None if trimmed_starts(head, b"<svg") => {
            by_mime(SVG).ok_or(Refused::NotAllowed { what: SVG })
        }
        None if std::str::from_utf8(bytes).is_ok() && !bytes.contains(&0) => {
            by_mime(PLAIN).ok_or(Refused::NotAllowed { what: PLAIN })
        }
        None => Err(Refused::NotAllowed { what: "unknown" }),
    }
}

/// Types `infer` knows that we refuse, named in the refusal (others read "unknown").
static KNOWN_NAMES: &[&str] = &[
    "application/gzip",
    "application/x-7z-compressed",
    "application/vnd.rar",
    "application/x-tar",
    "text/x-shellscript",
    "video/mp4",
    "audio/mpeg",
];

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn trimmed_starts(head: &[u8], prefix: &[u8]) -> bool {
    head.trim_ascii_start().starts_with(prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n";
    /// The start of a Windows program (`MZ`, then the PE header where `e_lfanew` points).
    fn exe() -> Vec<u8> {
        let mut b = vec![0u8; 256];
        b[0] = b'M';
        b[1] = b'Z';
        b[0x3c] = 0x80;
        b[0x80..0x84].copy_from_slice(b"PE\0\0");
        b
    }

    fn checks() -> Checks {
        Checks::new(1024, FileGroup::ALL.to_vec())
    }

    #[test]
    fn a_raster_image_is_kept_as_what_its_bytes_say_and_may_show_inline() {
        let c = checks().check("screenshot.jpg", PNG).unwrap();
        assert_eq!(c.content_type, "image/png");
        assert!(c.inline);
        assert_eq!(c.name.as_str(), "screenshot.jpg.png");
        assert_eq!(c.size, PNG.len() as u64);
    }

    #[test]
    fn a_renamed_program_is_refused_whatever_is_allowed() {
        assert_eq!(checks().check("invoice.pdf", &exe()), Err(Refused::Program));
        assert_eq!(Refused::Program.message(), "programs cannot be sent");
    }

    #[test]
    fn svg_and_html_are_kept_only_as_downloads() {
        let svg = b"<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>";
        let c = checks().check("logo.svg", svg).unwrap();
        assert_eq!((c.content_type, c.inline), ("image/svg+xml", false));
        let bare = checks()
            .check("logo", b"  <svg onload=\"alert(1)\"/>")
            .unwrap();
        assert_eq!((bare.content_type, bare.inline), ("image/svg+xml", false));
        let page = checks()
            .check(
                "page.html",
                b"<!DOCTYPE html><html><script>alert(1)</script></html>",
            )
            .unwrap();
        assert_eq!((page.content_type, page.inline), ("text/html", false));
    }

    #[test]
    fn text_pdf_and_zip_are_known_and_anything_else_is_not() {
        let t = checks()
            .check("notes.csv", "nome;valor\nAna;3\n".as_bytes())
            .unwrap();
        assert_eq!(
            (t.content_type, t.name.as_str()),
            ("text/plain", "notes.csv")
        );
        assert_eq!(
            checks().check("a.pdf", PDF).unwrap().content_type,
            "application/pdf"
        );
        let zip = b"PK\x03\x04\x14\0\0\0\0\0";
        assert_eq!(
            checks().check("a.zip", zip).unwrap().content_type,
            "application/zip"
        );
        assert_eq!(
            checks().check("x.bin", &[0, 1, 2, 3, 0xff, 0xfe]),
            Err(Refused::NotAllowed { what: "unknown" })
        );
        let gz = b"\x1f\x8b\x08\0\0\0\0\0";
        assert_eq!(
            checks().check("x.gz", gz),
            Err(Refused::NotAllowed {
                what: "application/gzip"
            })
        );
    }

    #[test]
    fn the_deployment_s_limits_and_groups_apply() {
        let only_images = Checks::new(1024, vec![FileGroup::Image]);
        assert_eq!(
            only_images.check("a.pdf", PDF),
            Err(Refused::NotAllowed {
                what: "application/pdf"
            })
        );
        assert!(only_images.check("a.png", PNG).is_ok());
        let big = vec![b'a'; 1025];
        assert_eq!(
            checks().check("a.txt", &big),
            Err(Refused::TooLarge { limit: 1024 })
        );
        assert_eq!(checks().check("a.txt", b""), Err(Refused::Empty));
        assert_eq!(
            Refused::TooLarge {
                limit: 10 * 1024 * 1024
            }
            .message(),
            "the file is larger than 10 MiB"
        );
    }

    #[test]
    fn groups_parse_from_a_list() {
        assert_eq!(
            FileGroup::parse_list("image, pdf").unwrap(),
            vec![FileGroup::Image, FileGroup::Pdf]
        );
        assert!(
            FileGroup::parse_list("image,exe")
                .unwrap_err()
                .contains("exe")
        );
    }
}
