//! What an empty store needs before anyone can work: the default queue and a first admin.

use std::sync::Arc;

use chimpassist_protocol::{AssignmentMode, AttendantId, QueueId, Role};
use chimpassist_store::{Attendant, Queue, Store, StoreError};
use secrecy::{ExposeSecret, SecretString};

use crate::auth::password;
use crate::config::Config;
use crate::storage::StartError;
use crate::views::now_ms;

/// The default queue, and a first admin when there is no attendant at all.
pub(super) async fn bootstrap(store: &Arc<dyn Store>, config: &Config) -> Result<(), StartError> {
    if store.get_queue(&QueueId::default_queue()).await?.is_none() {
        store
            .upsert_queue(Queue {
                id: QueueId::default_queue(),
                name: "Default".into(),
                mode: AssignmentMode::Auto,
                skill: None,
                greeting: None,
                away_message: None,
                calls: Default::default(),
                bot: None,
                hours: None,
            })
            .await?;
    }
    if store.count_attendants().await? > 0 {
        return Ok(());
    }
    let (login, password, default) = match (&config.admin_email, &config.admin_password) {
        (Some(login), Some(password)) => (login.to_lowercase(), password.clone(), false),
        (None, None) if config.production => return Err(anyhow::anyhow!(
            "production mode refuses the default admin/admin account: set ADMIN_EMAIL and ADMIN_PASSWORD"
        ).into()),
        // Anyone who can reach the port would know the password.
        (None, None) if !config.host.is_loopback() => return Err(anyhow::anyhow!(
            "refusing to create the default admin/admin account on {}, which is not a loopback \
             address: set ADMIN_EMAIL and ADMIN_PASSWORD",
            config.host
        ).into()),
        (None, None) => ("admin".to_owned(), SecretString::from("admin"), true),
        _ => return Err(anyhow::anyhow!("set both ADMIN_EMAIL and ADMIN_PASSWORD, or neither").into()),
    };
    if !default {
        password::check_new(password.expose_secret())
            .map_err(|e| anyhow::anyhow!("ADMIN_PASSWORD: {}", e.body().message))?;
    }
    let hash = password::hash(password)
        .await
        .map_err(|e| anyhow::anyhow!("hashing the admin password: {e}"))?;
    let created = store
        .create_attendant(Attendant {
            id: AttendantId::parse("admin").map_err(anyhow::Error::from)?,
            email: login.clone(),
            name: "Administrator".into(),
            avatar_url: None,
            role: Role::Admin,
            skill: "support/firstLevel".into(),
            queues: vec![QueueId::default_queue()],
            capacity: config.default_capacity,
            disabled: false,
            password_hash: Some(hash),
            must_change_password: default,
            created_at: now_ms(),
        })
        .await;
    match created {
        Ok(_) => {}
        // Another node of the cluster, starting at the same time, made it first.
        Err(StoreError::Conflict(_)) => return Ok(()),
        Err(e) => return Err(e.into()),
    }
    if default {
        tracing::warn!(
            "\n\n  !!! Created the default account admin/admin. Log in and change its password now. !!!\n  !!! Set ADMIN_EMAIL/ADMIN_PASSWORD, or run with --production, to avoid this.       !!!\n"
        );
    } else {
        tracing::info!(login, "created the first admin account");
    }
    Ok(())
}
