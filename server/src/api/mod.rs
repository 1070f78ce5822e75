//! The REST API: one `router()`, each area in its own module, OpenAPI generated from the
//! handlers' annotations.

mod account;
mod admin;
mod audit;
mod backoffice;
mod bots;
mod callbacks;
mod canned;
mod contacts;
pub mod extract;
mod files;
mod greetings;
mod health;
mod mail;
mod notes;
mod paging;
mod reports;
mod search;
mod session;
mod stats;
mod stats_stream;
mod tokens;
pub mod upstream;
mod webhooks;

use std::sync::Arc;

use axum::Json;
use axum::Router;
use axum::routing::{delete, get, patch, post, put};
use chimpassist_protocol::token::ApiScope;
use utoipa::OpenApi;

use crate::error::AppError;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    modifiers(&Conventions),
    info(
        title = "Chimp Assist",
        description = "Live-chat server API. Errors are `{code, message}`."
    ),
    paths(
        health::healthz,
        health::readyz,
        health::metrics,
        session::create_session,
        session::session_messages,
        session::customer_messages,
        session::last_session,
        session::attendant_sessions,
        session::attendant_config,
        account::login,
        account::logout,
        account::me,
        account::change_password,
        admin::list_attendants,
        admin::create_attendant,
        admin::update_attendant,
        admin::reset_password,
        admin::list_queues,
        admin::put_queue,
        callbacks::create_callback,
        callbacks::list_callbacks,
        callbacks::mark_done,
        stats::queue_stats,
        stats_stream::queue_stats_stream,
        upstream::customer_info,
        backoffice::backoffice_config,
        backoffice::customer_conversations,
        backoffice::customer_visit,
        backoffice::customer_attributes,
        backoffice::my_conversations,
        backoffice::conversation,
        backoffice::attendant_directory,
        canned::list_canned,
        canned::create_canned,
        canned::update_canned,
        canned::delete_canned,
        greetings::list_rules,
        greetings::create_rule,
        greetings::update_rule,
        greetings::delete_rule,
        greetings::public_rules,
        mail::open,
        mail::unsubscribe,
        notes::list_notes,
        notes::create_note,
        search::search,
        files::upload,
        files::download,
        reports::report_overview,
        reports::report_conversations,
        reports::report_csv,
        reports::report_live,
        webhooks::list_webhooks,
        webhooks::create_webhook,
        webhooks::update_webhook,
        webhooks::delete_webhook,
        webhooks::rotate_secret,
        webhooks::delivery_log,
        webhooks::redeliver,
        audit::audit_log,
        tokens::list_tokens,
        tokens::create_token,
        tokens::revoke_token,
        contacts::export_contact,
        contacts::erase_contact,
        bots::post_message,
        bots::hand_over,
        bots::resolve,
    ),
    components(schemas(
        chimpassist_protocol::CustomerToServer,
        chimpassist_protocol::ServerToCustomer,
        chimpassist_protocol::AttendantToServer,
        chimpassist_protocol::ServerToAttendant,
        chimpassist_protocol::ErrorCode,
        chimpassist_protocol::ErrorBody,
        chimpassist_protocol::webhook::WebhookEvent,
    ))
)]
struct ApiDoc;

/// What holds for every operation, written once instead of on each handler: every path
/// parameter is a string in the path, and any other outcome is an error body (`{code,
/// message}`, its status from the code; `429`/`503` with `Retry-After`). So a generated client
/// (or the API fuzzer) knows every answer the server may give. Also who may call each: the
/// `session` cookie, and on the routes [`token_scope`] names, an `api_token` with that scope.
struct Conventions;

/// The API-token scope an operation takes, as its extractor decides ([`extract::Admin`],
/// [`extract::Reader`], [`extract::ReadingCaller`], [`extract::Integration`]); `None`: no
/// token. Written here for the
/// OpenAPI document; the API tests check every operation of the document against the server.
fn token_scope(method: &str, path: &str, tag: Option<&str>) -> Option<ApiScope> {
    match (method, path, tag) {
        (_, p, _) if p.starts_with("/api/tokens") => None,
        (_, _, Some("admin")) => Some(ApiScope::Admin),
        (_, _, Some("reports")) => Some(ApiScope::ReportsRead),
        ("post", "/api/conversations/{id}/messages", _) => Some(ApiScope::MessagesWrite),
        ("post", "/api/conversations/{id}/handoff" | "/api/conversations/{id}/resolve", _) => {
            Some(ApiScope::ConversationsManage)
        }
        (
            "get",
            "/api/conversations/{id}"
            | "/api/customers/{id}/conversations"
            | "/api/customers/{id}/visit"
            | "/api/customers/{id}/attributes"
            | "/api/search"
            | "/session/{id}/messages"
            | "/customer/{id}/messages"
            | "/customer/{id}/sessions/last",
            _,
        ) => Some(ApiScope::ConversationsRead),
        _ => None,
    }
}

impl utoipa::Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                crate::auth::SESSION_COOKIE,
                "A back-office session (POST /api/login)",
            ))),
        );
        components.add_security_scheme(
            "api_token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token (`chimp_…`, created by an admin: POST /api/tokens). \
                         Each operation lists the scope it needs; `admin` implies every scope.",
                    ))
                    .build(),
            ),
        );
        let error = ResponseBuilder::new()
            .description(
                "An error: `{code, message}` (codes in ErrorCode); `rate_limited` and some \
                 `unavailable` answers also carry `retry_after_seconds` and `Retry-After`",
            )
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(Ref::from_schema_name("ErrorBody")))
                    .build(),
            )
            .build();
        for (path, item) in openapi.paths.paths.iter_mut() {
            let names: Vec<String> = path
                .split('/')
                .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
                .map(str::to_owned)
                .collect();
            for (method, operation) in [
                ("get", &mut item.get),
                ("put", &mut item.put),
                ("post", &mut item.post),
                ("delete", &mut item.delete),
                ("patch", &mut item.patch),
            ] {
                let Some(operation) = operation else { continue };
                let tag = operation
                    .tags
                    .as_ref()
                    .and_then(|t| t.first())
                    .map(String::as_str);
                if let Some(scope) = token_scope(method, path, tag) {
                    let token = SecurityRequirement::new("api_token", [scope.as_str()]);
                    // A bot's routes take a token only ([`extract::Integration`]).
                    operation.security = Some(if tag == Some("bots") {
                        vec![token]
                    } else {
                        vec![
                            SecurityRequirement::new("session", Vec::<String>::new()),
                            token,
                        ]
                    });
                }
                let parameters = operation.parameters.get_or_insert_with(Vec::new);
                for name in &names {
                    let declared = parameters
                        .iter()
                        .any(|p| &p.name == name && p.parameter_in == ParameterIn::Path);
                    if !declared {
                        parameters.push(
                            ParameterBuilder::new()
                                .name(name)
                                .parameter_in(ParameterIn::Path)
                                .required(Required::True)
                                .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
                                .build(),
                        );
                    }
                }
                operation
                    .responses
                    .responses
                    .entry("default".to_owned())
                    .or_insert_with(|| error.clone().into());
            }
        }
    }
}

/// # GET /api/openapi.json
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

async fn fallback() -> AppError {
    AppError::not_found("route")
}

/// The upload route alone: its body may be `MAX_ATTACHMENT_BYTES` (plus the form around it),
/// so it is kept out of the router the JSON body limit wraps.
pub fn upload_router(state: Arc<AppState>) -> Router {
    let limit = state.config.max_attachment_bytes + files::FORM_OVERHEAD;
    Router::new()
        .route(crate::attachments::UPLOAD_PATH, post(files::upload))
        .layer(axum::extract::DefaultBodyLimit::max(
            usize::try_from(limit).unwrap_or(usize::MAX),
        ))
        .with_state(state)
}

pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(health::metrics))
        .route("/api/openapi.json", get(openapi))
        .route("/session", post(session::create_session))
        .route("/session/{id}/messages", get(session::session_messages))
        .route("/customer/{id}/messages", get(session::customer_messages))
        .route("/customer/{id}/sessions/last", get(session::last_session))
        .route("/attendant/{id}/sessions", get(session::attendant_sessions))
        .route("/config/attendant", get(session::attendant_config))
        .route("/config/backoffice", get(backoffice::backoffice_config))
        .route("/api/login", post(account::login))
        .route("/api/logout", post(account::logout))
        .route("/api/me", get(account::me))
        .route("/api/me/password", post(account::change_password))
        .route("/api/me/conversations", get(backoffice::my_conversations))
        .route("/api/conversations/{id}", get(backoffice::conversation))
        .route("/api/conversations/{id}/messages", post(bots::post_message))
        .route("/api/conversations/{id}/handoff", post(bots::hand_over))
        .route("/api/conversations/{id}/resolve", post(bots::resolve))
        .route("/api/reports/overview", get(reports::report_overview))
        .route(
            "/api/reports/conversations",
            get(reports::report_conversations),
        )
        .route("/api/reports/conversations.csv", get(reports::report_csv))
        .route("/api/reports/live", get(reports::report_live))
        .route(
            "/api/attendants",
            get(admin::list_attendants).post(admin::create_attendant),
        )
        // A literal segment wins over `{id}` (ids are `admin`, `a-…` or `ext-…`, never this).
        .route(
            "/api/attendants/directory",
            get(backoffice::attendant_directory),
        )
        .route("/api/attendants/{id}", patch(admin::update_attendant))
        .route("/api/attendants/{id}/password", post(admin::reset_password))
        .route("/api/queues", get(admin::list_queues))
        .route("/api/queues/{id}", put(admin::put_queue))
        .route("/api/callback", post(callbacks::create_callback))
        .route("/api/callbacks", get(callbacks::list_callbacks))
        .route("/api/callbacks/{id}/done", post(callbacks::mark_done))
        .route("/api/stats/{queue_id}", get(stats::queue_stats))
        .route("/api/greetings", get(greetings::public_rules))
        .route("/api/mail/open", post(mail::open))
        .route("/mail/open", get(mail::open_page))
        .route("/api/mail/unsubscribe", post(mail::unsubscribe))
        .route("/mail/unsubscribe", get(mail::unsubscribe_page))
        .route(
            "/api/greeting-rules",
            get(greetings::list_rules).post(greetings::create_rule),
        )
        .route(
            "/api/greeting-rules/{id}",
            put(greetings::update_rule).delete(greetings::delete_rule),
        )
        .route(
            "/api/stats/{queue_id}/stream",
            get(stats_stream::queue_stats_stream),
        )
        .route("/api/files/{id}", get(files::download))
        // The literal `conversations` wins over the statistics proxy's `{kind}`.
        .route(
            "/api/customers/{id}/conversations",
            get(backoffice::customer_conversations),
        )
        .route("/api/customers/{id}/visit", get(backoffice::customer_visit))
        .route(
            "/api/customers/{id}/attributes",
            get(backoffice::customer_attributes),
        )
        .route("/api/customers/{id}/{kind}", get(upstream::customer_info))
        .route(
            "/api/canned",
            get(canned::list_canned).post(canned::create_canned),
        )
        .route(
            "/api/canned/{id}",
            put(canned::update_canned).delete(canned::delete_canned),
        )
        .route(
            "/api/conversations/{id}/notes",
            get(notes::list_notes).post(notes::create_note),
        )
        .route("/api/search", get(search::search))
        .route(
            "/api/webhooks",
            get(webhooks::list_webhooks).post(webhooks::create_webhook),
        )
        .route(
            "/api/webhooks/{id}",
            patch(webhooks::update_webhook).delete(webhooks::delete_webhook),
        )
        .route("/api/audit", get(audit::audit_log))
        .route(
            "/api/tokens",
            get(tokens::list_tokens).post(tokens::create_token),
        )
        .route("/api/tokens/{id}", delete(tokens::revoke_token))
        .route("/api/contacts/{id}", delete(contacts::erase_contact))
        .route("/api/contacts/{id}/export", get(contacts::export_contact))
        .route("/api/webhooks/{id}/rotate", post(webhooks::rotate_secret))
        .route("/api/webhooks/{id}/deliveries", get(webhooks::delivery_log))
        .route(
            "/api/webhooks/{id}/deliveries/{event_id}/redeliver",
            post(webhooks::redeliver),
        )
        .fallback(fallback)
        .with_state(state)
}
