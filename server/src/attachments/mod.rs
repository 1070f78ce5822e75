//! Files in the chat (issue 16), built in steps. This step: what an uploaded file *is* and
//! whether it may be kept ([`check`]), decided from its bytes, and the name it is kept
//! under. Not wired to any route yet: `POST /api/attachments`, storage on both backends
//! (GridFS on MongoDB was checked to work against SecantusDB), thumbnails and signed
//! downloads come next.

pub mod check;
pub mod name;

pub use check::{Checked, Checks, FileGroup, Refused};
pub use name::FileName;
