//! Password hashing with argon2id (PHC strings), off the async threads.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use secrecy::{ExposeSecret, SecretString};

use crate::error::{AppError, AppResult};

/// Shortest password accepted for a local account.
pub const MIN_PASSWORD_LEN: usize = 8;

pub async fn hash(password: SecretString) -> AppResult<String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing failed: {e}")))
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// True when `password` matches the PHC `hash`.
pub async fn verify(password: SecretString, hash: String) -> AppResult<bool> {
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok())
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?
}

/// A password an admin sets or a user chooses must be long enough.
pub fn check_new(password: &str) -> AppResult<()> {
    if password.chars().count() < MIN_PASSWORD_LEN {
        return Err(AppError::invalid(format!(
            "the password must have at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}
