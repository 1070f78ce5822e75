//! Files in the chat: the upload (`POST /api/attachments`) and the signed download
//! (`GET /api/files/{id}`). What a file may be, and how links are signed, is
//! `crate::attachments`'; this module is the HTTP around it.

mod download;
mod upload;

pub(super) use download::{__path_download, download};
pub(super) use upload::{__path_upload, FORM_OVERHEAD, upload};
