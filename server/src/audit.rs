//! The audit log: each admin action recorded once it has succeeded, with who, when, what
//! and on which record.
//!
//! The entry is written after the action, not in its transaction: should that write fail,
//! the action stands and the failure is logged as an error (an admin's change is not undone
//! for want of its log line).

use chimpassist_protocol::AuditId;
use chimpassist_protocol::audit::AuditAction;
use chimpassist_store::{Attendant, AuditRecord};

use crate::auth::Actor;
use crate::state::AppState;
use crate::views::now_ms;

/// Records that `actor` did `action` to `target`.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    action: AuditAction,
    target: impl ToString,
    summary: Option<String>,
) {
    let entry = AuditRecord {
        id: AuditId::new(),
        at: now_ms(),
        actor_kind: actor.kind(),
        actor_id: actor.id_for_log(),
        actor_name: actor.name.clone(),
        action,
        target: target.to_string(),
        summary,
    };
    if let Err(error) = state.store.record_audit(entry).await {
        tracing::error!(%error, action = action.as_str(), "the audit log missed an admin action");
    }
}

/// What an edit of an attendant changed, in words: which fields, and the values that are
/// not personal data (role, queues, capacity, disabled). `None` when nothing did.
pub fn attendant_changes(before: &Attendant, after: &Attendant) -> Option<String> {
    let mut changes = Vec::new();
    if before.role != after.role {
        changes.push(format!(
            "role: {} → {}",
            before.role.as_str(),
            after.role.as_str()
        ));
    }
    if before.queues != after.queues {
        let list = |q: &[chimpassist_protocol::QueueId]| {
            q.iter().map(|q| q.as_str()).collect::<Vec<_>>().join(", ")
        };
        changes.push(format!(
            "queues: {} → {}",
            list(&before.queues),
            list(&after.queues)
        ));
    }
    if before.capacity != after.capacity {
        changes.push(format!(
            "capacity: {} → {}",
            before.capacity, after.capacity
        ));
    }
    if before.disabled != after.disabled {
        changes.push(
            if after.disabled {
                "disabled"
            } else {
                "enabled"
            }
            .to_owned(),
        );
    }
    for (changed, field) in [
        (before.name != after.name, "name"),
        (before.avatar_url != after.avatar_url, "avatar"),
        (before.skill != after.skill, "skill"),
    ] {
        if changed {
            changes.push(format!("{field} changed"));
        }
    }
    (!changes.is_empty()).then(|| changes.join("; "))
}

#[cfg(test)]
mod tests {
    use chimpassist_protocol::{AttendantId, QueueId, Role};

    use super::*;

    fn attendant() -> Attendant {
        Attendant {
            id: AttendantId::parse("a-1").unwrap(),
            email: "eve@example.com".into(),
            name: "Eve".into(),
            avatar_url: None,
            role: Role::Attendant,
            skill: "support".into(),
            queues: vec![QueueId::default_queue()],
            capacity: 3,
            disabled: false,
            password_hash: Some("hash".into()),
            must_change_password: false,
            created_at: 0,
        }
    }

    #[test]
    fn an_edit_is_summed_up_without_personal_values() {
        let before = attendant();
        let mut after = before.clone();
        after.role = Role::Admin;
        after.queues.push(QueueId::parse("billing").unwrap());
        after.disabled = true;
        after.name = "Eve Santos".into();
        let summary = attendant_changes(&before, &after).unwrap();
        assert_eq!(
            summary,
            "role: attendant → admin; queues: default → default, billing; disabled; name changed"
        );
        assert!(!summary.contains("Santos"));
        assert_eq!(attendant_changes(&before, &before), None);
    }
}
