//! The zip a customer's export is answered as: `README.txt` (the cover page), `data.json`
//! (the [`Document`]) and `attachments/<id>-<name>` (each stored file once). Built in memory
//! on the blocking pool; files are stored as they are (most are compressed already), the text
//! deflated.

use std::io::{Cursor, Write};

use chimpassist_protocol::FileInfo;
use zip::CompressionMethod;
use zip::write::{SimpleFileOptions, ZipWriter};

use super::Gathered;
use super::document::{Document, NOTES_WHY};
use crate::error::{AppError, AppResult};

/// Where a file goes in the archive: its id keeps two files of one name apart.
pub fn file_path(f: &FileInfo) -> String {
    let name: String = f
        .name
        .as_str()
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    format!("attachments/{}-{name}", f.id)
}

/// How long the content is kept, in words: the retention period when the site set one.
fn how_long(retention: Option<std::time::Duration>) -> String {
    match retention {
        Some(period) => {
            let days = period.as_secs() / 86_400;
            let period = if days >= 1 {
                format!("{days} day(s)")
            } else {
                format!("{} hour(s)", (period.as_secs() / 3600).max(1))
            };
            format!(
                "The messages, notes and files of a conversation are deleted {period} after it\n\
                 ends. Your profile stays until the site erases it: when you ask it to, or under\n\
                 its own rules."
            )
        }
        None => "Until the site erases it: when you ask it to, or under its own retention rules."
            .to_owned(),
    }
}

/// The cover page: what the archive holds, why it is kept, how long (`retention`: the
/// server's retention period), what is left out.
pub fn cover(doc: &Document, files: usize, retention: Option<std::time::Duration>) -> String {
    let messages: usize = doc.conversations.iter().map(|c| c.messages.len()).sum();
    let notes = doc.excluded.iter().map(|e| e.count).sum::<usize>();
    format!(
        "Your data — an export from Chimp Assist, the live chat of this site\n\
         =================================================================\n\
         \n\
         Exported {at} (UTC) for customer {id}.\n\
         \n\
         WHAT IS IN THIS ARCHIVE\n\
         - data.json: everything the chat stores about you — your profile (name, e-mail,\n\
         \x20 picture, the site's id for you and whether the site proved it, when you were\n\
         \x20 first seen); your {conversations} conversation(s), each with when it was asked\n\
         \x20 for, answered and ended, and all {messages} message(s) with their times, who\n\
         \x20 wrote them, their files and any calls; your ratings; your {callbacks} callback\n\
         \x20 request(s); the last pages of this site the chat saw you on, with your browser,\n\
         \x20 language and time zone; what the site told the chat about you (attributes).\n\
         - attachments/: the {files} file(s) sent in your conversations, by you or by the\n\
         \x20 support team.\n\
         \n\
         WHY IT IS KEPT\n\
         To answer you, and so that whoever helps you next can see what was said before.\n\
         \n\
         HOW LONG IT IS KEPT\n\
         {how_long}\n\
         \n\
         WHAT IS NOT IN IT\n\
         - {notes} note(s) the support team wrote about your conversations. {why}\n",
        at = doc.exported_at.utc,
        id = doc.customer.id,
        conversations = doc.conversations.len(),
        callbacks = doc.callbacks.len(),
        why = NOTES_WHY,
        how_long = how_long(retention),
    )
}

/// The zip of `gathered`, exported at `now`.
/// `retention`: the server's retention period, which the cover page states.
pub async fn build(
    gathered: Gathered,
    now: i64,
    retention: Option<std::time::Duration>,
) -> AppResult<Vec<u8>> {
    tokio::task::spawn_blocking(move || write(&gathered, now, retention))
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("the export task failed: {e}")))?
}

fn write(g: &Gathered, now: i64, retention: Option<std::time::Duration>) -> AppResult<Vec<u8>> {
    let doc = Document::of(g, now);
    let json = serde_json::to_vec_pretty(&doc)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("export document: {e}")))?;
    let text = SimpleFileOptions::default().compression_method(CompressionMethod::Deflated);
    let stored = SimpleFileOptions::default().compression_method(CompressionMethod::Stored);
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    let fail = |e: &dyn std::fmt::Display| AppError::Internal(anyhow::anyhow!("export zip: {e}"));
    zip.start_file("README.txt", text).map_err(|e| fail(&e))?;
    zip.write_all(cover(&doc, g.files.len(), retention).as_bytes())
        .map_err(|e| fail(&e))?;
    zip.start_file("data.json", text).map_err(|e| fail(&e))?;
    zip.write_all(&json).map_err(|e| fail(&e))?;
    for (info, bytes) in &g.files {
        zip.start_file(file_path(info), stored)
            .map_err(|e| fail(&e))?;
        zip.write_all(bytes).map_err(|e| fail(&e))?;
    }
    let done = zip.finish().map_err(|e| fail(&e))?;
    Ok(done.into_inner())
}

#[cfg(test)]
mod tests {
    use chimpassist_protocol::{FileId, FileName};

    use super::*;

    #[test]
    fn a_files_path_keeps_its_name_under_its_id_and_never_leaves_the_folder() {
        let info = FileInfo {
            id: FileId::new(),
            name: FileName::sanitise("report.pdf", &["pdf"]),
            size: 3,
            content_type: "application/pdf".into(),
            width: None,
            height: None,
        };
        let path = file_path(&info);
        assert_eq!(path, format!("attachments/{}-report.pdf", info.id));
        assert_eq!(path.matches('/').count(), 1);
    }

    #[test]
    fn the_cover_states_the_retention_period_when_there_is_one() {
        use std::time::Duration;
        let year = how_long(Some(Duration::from_secs(365 * 86_400)));
        assert!(year.contains("deleted 365 day(s) after it"), "{year}");
        let hours = how_long(Some(Duration::from_secs(12 * 3600)));
        assert!(hours.contains("deleted 12 hour(s) after it"), "{hours}");
        let none = how_long(None);
        assert!(none.starts_with("Until the site erases it"), "{none}");
    }
}
