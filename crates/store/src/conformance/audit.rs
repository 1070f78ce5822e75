//! The audit log: entries kept whole, listed newest first a page at a time.

use std::sync::Arc;

use chimpassist_protocol::AuditId;
use chimpassist_protocol::audit::{ActorKind, AuditAction};

use super::support::*;
use crate::{AuditRecord, Store};

fn entry(n: i64, action: AuditAction) -> AuditRecord {
    AuditRecord {
        id: AuditId::new(),
        at: T0 + n,
        // Every third entry by an API token: the kind reads back too.
        actor_kind: if n % 3 == 0 {
            ActorKind::Token
        } else {
            ActorKind::Attendant
        },
        actor_id: "admin".to_owned(),
        actor_name: "Administrator".to_owned(),
        action,
        target: format!("a-{n}"),
        summary: (n % 2 == 0).then(|| format!("role: attendant → admin ({n})")),
    }
}

/// Entries come back exactly as written, newest first, and the cursor pages through them
/// without skipping or repeating one.
pub async fn audit_entries_page_newest_first(store: Arc<dyn Store>) {
    let written: Vec<AuditRecord> = (0..7)
        .map(|n| {
            let action = AuditAction::ALL[n as usize % AuditAction::ALL.len()];
            entry(n, action)
        })
        .collect();
    for e in &written {
        store.record_audit(e.clone()).await.expect("record_audit");
    }
    let newest_first: Vec<AuditRecord> = written.iter().rev().cloned().collect();
    let first = store.audit_log(None, 3).await.expect("page 1");
    assert_eq!(first, newest_first[..3].to_vec());
    let second = store.audit_log(Some(first[2].id), 3).await.expect("page 2");
    assert_eq!(second, newest_first[3..6].to_vec());
    let last = store
        .audit_log(Some(second[2].id), 3)
        .await
        .expect("page 3");
    assert_eq!(last, newest_first[6..].to_vec());
    assert!(
        store
            .audit_log(Some(last[0].id), 3)
            .await
            .unwrap()
            .is_empty()
    );
}
