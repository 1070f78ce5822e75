//! Short-lived signed links to files.
//!
//! Why links and not a session check on download: a widget on another origin cannot send
//! cookies with an `<img>`, and its customer token must not ride in a URL. Why short-lived: a
//! link stored in a message would outlive the permission of whoever received it. So a link is
//! minted each time a message (live or from history) goes to someone allowed to see it, and
//! it only says "this file, this part, until then", signed with HMAC-SHA256 under a key every
//! node shares (kept in the store), so any node serves a link any node minted.
//!
//! Links end at the close of the half-hour window after the one they are minted in (30 to
//! 60 minutes from now): every link to one file minted in the same window is the same URL, so
//! browsers' caches answer the same picture twice without asking.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chimpassist_protocol::{AttachmentView, FileId, FileInfo, TimestampMs};
use chimpassist_store::FilePart;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Links end at a multiple of this, at least one whole window ahead.
const WINDOW_MS: TimestampMs = 30 * 60 * 1000;

/// The route downloads are served on (`api::files`).
pub const PATH: &str = "/api/files";

/// Why a link is refused (both are `403`: a client cannot tell a forged link from a stale
/// one it should refresh, and need not).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkError {
    Expired,
    Tampered,
}

/// Mints and checks links under one key.
#[derive(Clone)]
pub struct Links {
    key: Vec<u8>,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Links(..)")
    }
}

impl Links {
    pub fn new(key: &[u8]) -> Self {
        Self { key: key.to_vec() }
    }

    fn mac(&self, id: &FileId, part: FilePart, expires: TimestampMs) -> Hmac<Sha256> {
        // Any key length is accepted by HMAC.
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key)
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        let part = match part {
            FilePart::Original => "file",
            FilePart::Thumbnail => "thumb",
        };
        mac.update(format!("{id}:{part}:{expires}").as_bytes());
        mac
    }

    /// When a link minted at `now` ends.
    pub fn expiry(now: TimestampMs) -> TimestampMs {
        (now.div_euclid(WINDOW_MS) + 2) * WINDOW_MS
    }

    /// A path (the client puts its server's origin before it) valid until [`Links::expiry`].
    pub fn mint(&self, id: &FileId, part: FilePart, now: TimestampMs) -> String {
        let expires = Self::expiry(now);
        let sig = URL_SAFE_NO_PAD.encode(self.mac(id, part, expires).finalize().into_bytes());
        let thumb = match part {
            FilePart::Original => "",
            FilePart::Thumbnail => "&part=thumb",
        };
        format!("{PATH}/{id}?expires={expires}{thumb}&sig={sig}")
    }

    /// Whether a link's parts are one this key minted and it has not ended at `now`.
    pub fn verify(
        &self,
        id: &FileId,
        part: FilePart,
        expires: TimestampMs,
        sig: &str,
        now: TimestampMs,
    ) -> Result<(), LinkError> {
        let sig = URL_SAFE_NO_PAD
            .decode(sig)
            .map_err(|_| LinkError::Tampered)?;
        // Constant-time comparison, so timing tells nothing about a forged signature.
        self.mac(id, part, expires)
            .verify_slice(&sig)
            .map_err(|_| LinkError::Tampered)?;
        if expires <= now {
            return Err(LinkError::Expired);
        }
        Ok(())
    }

    /// A file as a message shows it to whoever it is sent to now.
    pub fn view(&self, file: &FileInfo, now: TimestampMs) -> AttachmentView {
        // Only images the server could read have a thumbnail (and so their size).
        let thumbnail = file.is_inline_image() && file.width.is_some();
        AttachmentView {
            url: self.mint(&file.id, FilePart::Original, now),
            thumbnail_url: thumbnail.then(|| self.mint(&file.id, FilePart::Thumbnail, now)),
            file: file.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The query of a minted link, as `(expires, sig)`.
    fn parts(link: &str) -> (TimestampMs, String) {
        let query = link.split_once('?').expect("a query").1;
        let mut expires = 0;
        let mut sig = String::new();
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("expires", v)) => expires = v.parse().expect("a number"),
                Some(("sig", v)) => sig = v.to_owned(),
                _ => {}
            }
        }
        (expires, sig)
    }

    const NOW: TimestampMs = 1_700_000_123_456;

    #[test]
    fn a_minted_link_verifies_until_it_ends() {
        let links = Links::new(b"key");
        let id = FileId::new();
        let (expires, sig) = parts(&links.mint(&id, FilePart::Original, NOW));
        assert!(expires - NOW >= WINDOW_MS && expires - NOW <= 2 * WINDOW_MS);
        assert_eq!(
            links.verify(&id, FilePart::Original, expires, &sig, NOW),
            Ok(())
        );
        assert_eq!(
            links.verify(&id, FilePart::Original, expires, &sig, expires),
            Err(LinkError::Expired)
        );
    }

    #[test]
    fn any_change_to_a_link_breaks_it() {
        let links = Links::new(b"key");
        let id = FileId::new();
        let (expires, sig) = parts(&links.mint(&id, FilePart::Original, NOW));
        let tampered = Err(LinkError::Tampered);
        let other = FileId::new();
        assert_eq!(
            links.verify(&other, FilePart::Original, expires, &sig, NOW),
            tampered
        );
        assert_eq!(
            links.verify(&id, FilePart::Thumbnail, expires, &sig, NOW),
            tampered
        );
        assert_eq!(
            links.verify(&id, FilePart::Original, expires + 1, &sig, NOW),
            tampered
        );
        assert_eq!(
            links.verify(&id, FilePart::Original, expires, "AAAA", NOW),
            tampered
        );
        assert_eq!(
            links.verify(&id, FilePart::Original, expires, "%%", NOW),
            tampered
        );
        let elsewhere = Links::new(b"another key");
        assert_eq!(
            elsewhere.verify(&id, FilePart::Original, expires, &sig, NOW),
            tampered
        );
    }

    #[test]
    fn links_minted_in_one_window_are_the_same_url() {
        let links = Links::new(b"key");
        let id = FileId::new();
        let start = Links::expiry(NOW) - 2 * WINDOW_MS;
        let first = links.mint(&id, FilePart::Thumbnail, start);
        assert_eq!(
            first,
            links.mint(&id, FilePart::Thumbnail, start + WINDOW_MS - 1)
        );
        assert_ne!(
            first,
            links.mint(&id, FilePart::Thumbnail, start + WINDOW_MS)
        );
        assert!(first.starts_with(&format!("{PATH}/{id}?expires=")));
        assert!(first.contains("&part=thumb&sig="));
    }
}
