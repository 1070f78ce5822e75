//! Who is asking: customers (server-issued tokens, optionally verified identities) and
//! attendants (accounts, argon2 passwords or the external hook, cookie sessions).

pub mod api_tokens;
pub mod password;
pub mod tokens;

use std::sync::Arc;
use std::time::Duration;

use chimpassist_protocol::audit::ActorKind;
use chimpassist_protocol::{
    ApiTokenId, AttendantId, AttributeChanges, CustomerId, ErrorCode, QueueId, Role, UserClaim,
};
use chimpassist_store::{Attendant, AuthSession, Customer, Store};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::config::Endpoint;
use crate::domain;
use crate::edge::{ClientIp, Throttles};
use crate::error::{AppError, AppResult};
use crate::revoke::SessionRef;
use crate::views::now_ms;
use tokens::{CustomerTokens, Proof};

/// Who acts on a route that a session or an API token may use: the attendant (for a token,
/// an admin's view named after it: [`api_tokens::acting_as`]) and which of the two it is,
/// for the audit log. Reads as the attendant.
#[derive(Debug, Clone)]
pub struct Actor {
    pub attendant: Attendant,
    /// Set when an API token acts.
    pub token: Option<ApiTokenId>,
}

impl From<Attendant> for Actor {
    fn from(attendant: Attendant) -> Self {
        Self {
            attendant,
            token: None,
        }
    }
}

impl Actor {
    pub fn kind(&self) -> ActorKind {
        if self.token.is_some() {
            ActorKind::Token
        } else {
            ActorKind::Attendant
        }
    }

    /// The attendant's id, or the token's.
    pub fn id_for_log(&self) -> String {
        match &self.token {
            Some(token) => token.to_string(),
            None => self.attendant.id.as_str().to_owned(),
        }
    }
}

impl std::ops::Deref for Actor {
    type Target = Attendant;
    fn deref(&self) -> &Attendant {
        &self.attendant
    }
}

/// Name of the back-office session cookie.
pub const SESSION_COOKIE: &str = "chimp_session";
/// Back-office sessions last this long.
pub const SESSION_TTL: Duration = Duration::from_secs(7 * 24 * 3600);

/// Settings of [`Auth`].
#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub identity_secret: Option<SecretString>,
    pub require_verified: bool,
    pub authentication_endpoint: Option<Endpoint>,
    pub default_capacity: u32,
}

/// Authentication and identity decisions.
#[derive(Clone)]
pub struct Auth {
    store: Arc<dyn Store>,
    tokens: CustomerTokens,
    settings: AuthSettings,
    http: reqwest::Client,
    edge: Arc<crate::edge::Edge>,
    /// Counts the argon2 verifications logins cost (`chimpassist_password_checks`).
    checks: prometheus_client::metrics::counter::Counter,
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").finish_non_exhaustive()
    }
}

/// A live back-office session and its attendant as stored now.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub me: Attendant,
    /// The session's name on the bus and in the hub (see [`SessionRef`]).
    pub session: SessionRef,
    /// The stored hash of the session's token (never the token itself): how an open socket
    /// reads its session again.
    token_hash: String,
}

impl SignedIn {
    pub fn token_hash(&self) -> &str {
        &self.token_hash
    }

    /// `password_change_required` while the account still has a password it was given (the
    /// default `admin`, or one an admin set): until it picks its own, the session may only
    /// read `/api/me`, change the password and log out.
    pub fn require_settled(&self) -> AppResult<()> {
        if self.me.must_change_password {
            return Err(AppError::client(
                ErrorCode::PasswordChangeRequired,
                "change your password first (POST /api/me/password)",
            ));
        }
        Ok(())
    }
}

/// A customer after `hello` / `POST /session`, with the token to keep.
#[derive(Debug, Clone)]
pub struct CustomerGrant {
    pub customer: Customer,
    pub token: String,
    /// Attributes the site signed in its identity token, to apply once the socket is up.
    pub attributes: Option<AttributeChanges>,
}

/// The user the authentication hook returns.
#[derive(Debug, Deserialize)]
struct HookUser {
    id: serde_json::Value,
    name: Option<String>,
    email: Option<String>,
    #[serde(rename = "avatarURL")]
    avatar_url: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
}

impl Auth {
    pub fn new(
        store: Arc<dyn Store>,
        token_secret: &[u8],
        settings: AuthSettings,
        http: reqwest::Client,
        edge: Arc<crate::edge::Edge>,
        checks: prometheus_client::metrics::counter::Counter,
    ) -> Self {
        Self {
            store,
            tokens: CustomerTokens::new(token_secret),
            settings,
            http,
            edge,
            checks,
        }
    }

    fn throttles(&self) -> &Throttles {
        &self.edge.throttles
    }

    /// Decides which customer record a browser is, from its token and the host page's claim.
    ///
    /// - A claim with a valid proof is *verified*: one record per site id, shared by all
    ///   browsers, so history follows the person. With a signed token the record shows the
    ///   token's `name`, `email` and `avatar` (and nothing the page claimed); with an HMAC,
    ///   which covers the id only, it shows the page's claims, marked unverified.
    /// - An unverified claim or no claim is tied to this browser's token: the record the token
    ///   names is reused only if it is unverified and claims the same site id (or none).
    ///   A different id, or a logged-out browser holding a verified token, gets a fresh
    ///   record and token — the new identity sees none of the old history. Fresh records are
    ///   rate-limited per client network (`NEW_CUSTOMERS_PER_MINUTE_PER_IP`).
    pub async fn resolve_customer(
        &self,
        token: Option<&str>,
        claim: Option<&UserClaim>,
        client: ClientIp,
    ) -> AppResult<CustomerGrant> {
        let claimed_id = claim
            .and_then(|c| c.id.as_deref())
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| id.chars().take(128).collect::<String>());
        let name = claim
            .and_then(|c| c.name.as_deref())
            .and_then(domain::display_name);
        let avatar = claim
            .and_then(|c| c.avatar_url.as_deref())
            .and_then(domain::web_url);
        let email = claim
            .and_then(|c| c.email.as_deref())
            .and_then(domain::email);
        let proof = match (&claimed_id, &self.settings.identity_secret, claim) {
            (Some(id), Some(secret), Some(c)) => tokens::identity_proof(
                secret.expose_secret().as_bytes(),
                id,
                c.hash.as_deref(),
                c.token.as_deref(),
            ),
            _ => None,
        };
        if claimed_id.is_some() && proof.is_none() && self.settings.require_verified {
            return Err(AppError::client(
                ErrorCode::VerificationRequired,
                "this site requires a verified identity (userData.hash or userData.token)",
            ));
        }
        let now = now_ms();
        let current = match token.and_then(|t| self.tokens.verify(t)) {
            Some(id) => self.store.get_customer(&id).await?,
            None => None,
        };
        let mut signed_attributes = None;
        let customer = match (proof, claimed_id.clone()) {
            (Some(proof), Some(id)) => {
                let (name, avatar, email, profile_verified) = match proof {
                    Proof::Hmac => (name, avatar, email, false),
                    Proof::Token {
                        name,
                        email,
                        avatar,
                        attributes,
                    } => {
                        // A malformed set is the site's bug: logged, and the visitor is let in
                        // without it (refusing would lock them out until the site is fixed).
                        signed_attributes = attributes.and_then(|a| {
                            serde_json::from_value::<AttributeChanges>(a)
                                .inspect_err(|e| {
                                    tracing::warn!(site_id = %id, error = %e, "the identity token's attributes were not kept");
                                })
                                .ok()
                        });
                        (
                            name.as_deref().and_then(domain::display_name),
                            avatar.as_deref().and_then(domain::web_url),
                            email.as_deref().and_then(domain::email),
                            true,
                        )
                    }
                };
                self.store
                    .upsert_verified_customer(Customer {
                        id: CustomerId::parse(format!("v-{}", uuid::Uuid::now_v7()))?,
                        external_id: Some(id.clone()),
                        verified: true,
                        profile_verified,
                        name: name.unwrap_or(id),
                        avatar_url: avatar,
                        email,
                        created_at: now,
                    })
                    .await?
            }
            _ => match current {
                Some(c) if !c.verified && c.external_id == claimed_id => {
                    let name = name.clone().unwrap_or_else(|| c.name.clone());
                    let avatar = avatar.clone().or_else(|| c.avatar_url.clone());
                    let email = email.clone().or_else(|| c.email.clone());
                    if name != c.name || avatar != c.avatar_url || email != c.email {
                        self.store
                            .update_customer_profile(
                                &c.id,
                                name.clone(),
                                avatar.clone(),
                                email.clone(),
                            )
                            .await?;
                    }
                    Customer {
                        name,
                        avatar_url: avatar,
                        email,
                        ..c
                    }
                }
                _ => {
                    self.throttles().customers.check(client)?;
                    let fresh = Customer {
                        id: CustomerId::parse(format!("c-{}", uuid::Uuid::now_v7()))?,
                        external_id: claimed_id.clone(),
                        verified: false,
                        profile_verified: false,
                        name: name.clone().unwrap_or_else(guest_name),
                        avatar_url: avatar.clone(),
                        email: email.clone(),
                        created_at: now,
                    };
                    self.store.create_customer(fresh).await?
                }
            },
        };
        let token = self.tokens.issue(&customer.id, now);
        Ok(CustomerGrant {
            customer,
            token,
            attributes: signed_attributes,
        })
    }

    /// A fresh token for `customer` (a mail's link opening their chat: `api::mail`).
    pub fn customer_token(&self, customer: &CustomerId) -> String {
        self.tokens.issue(customer, crate::views::now_ms())
    }

    /// The customer a bearer token names (REST routes of the widget).
    pub async fn customer_for_token(&self, token: &str) -> AppResult<Customer> {
        let id = self.tokens.verify(token).ok_or_else(|| {
            AppError::client(
                ErrorCode::Unauthenticated,
                "invalid or expired customer token",
            )
        })?;
        self.store
            .get_customer(&id)
            .await?
            .ok_or_else(|| AppError::client(ErrorCode::Unauthenticated, "unknown customer"))
    }

    /// Checks credentials; on success creates a session and returns its cookie token.
    ///
    /// Throttled before any password is hashed: per client network
    /// (`LOGINS_PER_MINUTE_PER_IP`) and per login ([`crate::edge::LoginBackoff`]), both
    /// answered `429` with `Retry-After`. Every attempt that gets past them costs exactly one
    /// argon2 verification — against a dummy hash when the login is unknown or lives in the
    /// authentication hook — so the time taken does not tell which logins exist. A disabled
    /// account answers exactly like a wrong password.
    pub async fn login(
        &self,
        client: ClientIp,
        login: &str,
        password: SecretString,
    ) -> AppResult<(Attendant, String)> {
        let login = domain::login(login)?;
        self.throttles().logins.check(client)?;
        let now = tokio::time::Instant::now();
        self.throttles().accounts.check(&login, now)?;
        let outcome = self.check_credentials(&login, password).await;
        let refused = match &outcome {
            Ok(a) => a.disabled,
            Err(e) => e.code() == ErrorCode::InvalidCredentials,
        };
        if refused {
            self.throttles().accounts.failed(&login, now);
            tracing::info!(%client, "login refused");
            return Err(invalid_credentials());
        }
        let attendant = outcome?;
        self.throttles().accounts.succeeded(&login);
        let token = tokens::random_token();
        let now = now_ms();
        let ttl = i64::try_from(SESSION_TTL.as_millis()).unwrap_or(i64::MAX);
        self.store
            .create_auth_session(AuthSession {
                token_hash: tokens::token_hash(&token),
                attendant_id: attendant.id.clone(),
                created_at: now,
                expires_at: now.saturating_add(ttl),
            })
            .await?;
        tracing::info!(attendant = %attendant.id, "login");
        Ok((attendant, token))
    }

    /// The account `login` and `password` name, or a client error when they do not match.
    /// One argon2 verification whatever the case (see [`Auth::login`]).
    async fn check_credentials(&self, login: &str, password: SecretString) -> AppResult<Attendant> {
        let local = self.store.get_attendant_by_email(login).await?;
        self.checks.inc();
        if let Some(a) = local.as_ref().filter(|a| a.password_hash.is_some()) {
            let hash = a.password_hash.clone().unwrap_or_default();
            return if password::verify(password, hash).await? {
                Ok(a.clone())
            } else {
                Err(invalid_credentials())
            };
        }
        // Unknown here (or the hook's): pay for one hash like a known account does.
        let dummy = password::dummy_hash().await?;
        let _ = password::verify(SecretString::from(String::new()), dummy).await?;
        self.login_through_hook(login, password, local).await
    }

    /// `POST {AUTHENTICATION_ENDPOINT}/chimpassist/auth`; creates or refreshes the local
    /// record of a hook user (without a password: the hook stays the authority).
    async fn login_through_hook(
        &self,
        login: &str,
        password: SecretString,
        existing: Option<Attendant>,
    ) -> AppResult<Attendant> {
        let Some(endpoint) = &self.settings.authentication_endpoint else {
            return Err(invalid_credentials());
        };
        let url = format!(
            "{}/chimpassist/auth",
            endpoint.url().as_str().trim_end_matches('/')
        );
        let response = self
            .http
            .post(&url)
            .timeout(Duration::from_secs(5))
            .json(&serde_json::json!({"email": login, "password": password.expose_secret()}))
            .send()
            .await
            .map_err(|e| {
                tracing::warn!(error = %e, "authentication endpoint unreachable");
                AppError::client(
                    ErrorCode::UpstreamFailed,
                    "the authentication service did not answer",
                )
            })?;
        match response.status().as_u16() {
            200 => {}
            401 | 403 | 404 => return Err(invalid_credentials()),
            status => {
                tracing::warn!(status, "authentication endpoint failed");
                return Err(AppError::client(
                    ErrorCode::UpstreamFailed,
                    "the authentication service failed",
                ));
            }
        }
        let user: HookUser = response.json().await.map_err(|e| {
            tracing::warn!(error = %e, "authentication endpoint answered nonsense");
            AppError::client(
                ErrorCode::UpstreamFailed,
                "the authentication service answered nonsense",
            )
        })?;
        let name = user
            .name
            .as_deref()
            .and_then(domain::display_name)
            .unwrap_or_else(|| login.to_owned());
        let avatar = user.avatar_url.as_deref().and_then(domain::web_url);
        let skill = user
            .kind
            .clone()
            .unwrap_or_else(|| "support/firstLevel".into());
        if let Some(a) = existing {
            let update = chimpassist_store::AttendantUpdate {
                name: Some(name),
                avatar_url: Some(avatar),
                skill: Some(skill),
                ..Default::default()
            };
            return Ok(self.store.update_attendant(&a.id, update).await?);
        }
        let external = match &user.id {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let email = user
            .email
            .as_deref()
            .and_then(domain::email)
            .unwrap_or_else(|| login.to_owned());
        let attendant = Attendant {
            id: AttendantId::parse(format!("ext-{external}"))?,
            email,
            name,
            avatar_url: avatar,
            role: Role::Attendant,
            skill,
            queues: vec![QueueId::default_queue()],
            capacity: self.settings.default_capacity,
            disabled: false,
            password_hash: None,
            must_change_password: false,
            created_at: now_ms(),
        };
        Ok(self.store.create_attendant(attendant).await?)
    }

    /// The session a cookie token names, if it is live and its account enabled; its
    /// attendant as stored now.
    pub async fn session(&self, token: &str) -> AppResult<SignedIn> {
        self.session_by_hash(tokens::token_hash(token)).await
    }

    /// The same, by the stored hash of the token (how an open socket checks its session
    /// again). `unauthenticated` when the session is gone, expired, or its account disabled.
    pub async fn session_by_hash(&self, token_hash: String) -> AppResult<SignedIn> {
        let session = self
            .store
            .get_auth_session(&token_hash)
            .await?
            .filter(|s| s.expires_at > now_ms())
            .ok_or_else(AppError::unauthenticated)?;
        let me = self
            .store
            .get_attendant(&session.attendant_id)
            .await?
            .filter(|a| !a.disabled)
            .ok_or_else(AppError::unauthenticated)?;
        Ok(SignedIn {
            me,
            session: SessionRef::of_hash(&token_hash),
            token_hash,
        })
    }

    /// Deletes the session; returns its reference (for cutting its sockets), or `None` if the
    /// token named no session.
    pub async fn logout(&self, token: &str) -> AppResult<Option<(AttendantId, SessionRef)>> {
        let hash = tokens::token_hash(token);
        let session = self.store.get_auth_session(&hash).await?;
        self.store.delete_auth_session(&hash).await?;
        Ok(session.map(|s| (s.attendant_id, SessionRef::of_hash(&hash))))
    }
}

fn invalid_credentials() -> AppError {
    AppError::client(
        ErrorCode::InvalidCredentials,
        "wrong e-mail/user or password",
    )
}

fn guest_name() -> String {
    use rand::Rng;
    format!("Guest {}", rand::thread_rng().gen_range(1000..100_000))
}
