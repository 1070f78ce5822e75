//! Password hashing with argon2id (PHC strings), off the async threads.

use std::sync::{Arc, LazyLock, Mutex, mpsc};
use std::time::Duration;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chimpassist_protocol::ErrorCode;
use secrecy::{ExposeSecret, SecretString};

use crate::error::{AppError, AppResult};

/// Shortest password accepted for a local account.
pub const MIN_PASSWORD_LEN: usize = 8;

/// Threads that compute argon2 hashes. Each run takes ~19 MiB and a core for tens of ms.
/// On tokio's blocking pool every concurrent login got a thread of its own and glibc kept
/// each thread's arena (RSS grew to ~600 MiB after 50 logins), and anyone could burn memory
/// and CPU by posting to `/api/login`. Two dedicated threads bound both; extra requests
/// queue.
const HASH_THREADS: usize = 2;
/// Hashes that may wait for a thread. Past it a login is answered `503` with `Retry-After`
/// at once: an unbounded queue made everyone's login wait behind a flood (0.84 s with 64
/// attacking connections, growing without bound). 32 jobs of ~25 ms on two threads is a wait
/// of ~0.4 s at most.
const HASH_QUEUE: usize = 32;

type HashJob = Box<dyn FnOnce() + Send>;

static HASH_POOL: LazyLock<Mutex<mpsc::SyncSender<HashJob>>> = LazyLock::new(|| {
    let (tx, rx) = mpsc::sync_channel::<HashJob>(HASH_QUEUE);
    let rx = Arc::new(Mutex::new(rx));
    for i in 0..HASH_THREADS {
        let rx = Arc::clone(&rx);
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || {
                loop {
                    let job = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    match job {
                        Ok(job) => job(),
                        Err(_) => return,
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start a hashing thread");
        }
    }
    Mutex::new(tx)
});

/// Runs `work` on a hashing thread and waits for its result.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let (reply, result) = tokio::sync::oneshot::channel();
    let job: HashJob = Box::new(move || {
        let _ = reply.send(work());
    });
    let queued = HASH_POOL
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .try_send(job);
    match queued {
        Ok(()) => {}
        Err(mpsc::TrySendError::Full(_)) => {
            return Err(AppError::later(
                ErrorCode::Unavailable,
                "the server is busy checking passwords; try again in a moment",
                Duration::from_secs(1),
            ));
        }
        Err(mpsc::TrySendError::Disconnected(_)) => {
            return Err(AppError::Internal(anyhow::anyhow!(
                "no hashing thread is running"
            )));
        }
    }
    result
        .await
        .map_err(|_| AppError::Internal(anyhow::anyhow!("a hashing thread failed")))?
}

pub async fn hash(password: SecretString) -> AppResult<String> {
    hashing(move || {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        Argon2::default()
            .hash_password(password.expose_secret().as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing failed: {e}")))
    })
    .await
}

/// A hash of a random password, made once: unknown logins are verified against it, so they
/// cost what a known one costs (same algorithm, same parameters).
pub async fn dummy_hash() -> AppResult<String> {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_try_init(|| hash(SecretString::from(super::tokens::random_token())))
        .await
        .cloned()
}

/// True when `password` matches the PHC `hash`.
pub async fn verify(password: SecretString, hash: String) -> AppResult<bool> {
    hashing(move || {
        let parsed = PasswordHash::new(&hash)
            .map_err(|e| AppError::Internal(anyhow::anyhow!("stored hash unreadable: {e}")))?;
        Ok(Argon2::default()
            .verify_password(password.expose_secret().as_bytes(), &parsed)
            .is_ok())
    })
    .await
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
