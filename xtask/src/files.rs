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
