//! Signing in from the pages (a session cookie, see `server::sessions`), signing out,
//! changing one's own password, and administrators setting people's passwords and PINs.

use std::time::Duration;

use crate::barcode::Barcode;
use crate::message;
use crate::model::{Person, Role};
use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, parse_barcode, ApiError, Path};
use crate::server::sessions::{clear_cookie, set_cookie};
use crate::server::AppState;
use crate::store::{Secret, StoreError};
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

/// The client's address, put into each request by the server's accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ClientAddr(pub(crate) std::net::IpAddr);

/// Sign in by name and password, or by badge and PIN.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignInRequest {
    /// The person's name (with `password`).
    name: Option<String>,
    password: Option<String>,
    /// The badge's code, as scanned (with `pin`).
    badge: Option<String>,
    /// 4–8 digits.
    pin: Option<String>,
}

/// Who is signed in.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SessionPerson {
    /// Their badge.
    barcode: String,
    name: String,
    #[schemars(extend("enum" = ["clerk", "supervisor", "admin"]))]
    role: String,
}

/// A page's sign-in: who, and what it sends in `X-CSRF-Token` with every change (none for
/// a bearer token, which needs none).
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SessionView {
    person: SessionPerson,
    csrf: Option<String>,
}

impl SessionView {
    fn new(person: &Person, csrf: Option<String>) -> SessionView {
        SessionView {
            person: SessionPerson {
                barcode: person.barcode.to_string(),
                name: person.name.clone(),
                role: role_name(person.role).to_owned(),
            },
            csrf,
        }
    }
}

fn role_name(role: Role) -> &'static str {
    match role {
        Role::Clerk => "clerk",
        Role::Supervisor => "supervisor",
        Role::Admin => "admin",
    }
}

/// What a wrong password or PIN of a known person is recorded as (`AccessDenied`).
const SIGN_IN_ACTION: (&str, &str) = ("登录（密码或 PIN 错误）", "sign in (wrong password or PIN)");

/// How an attempt turned out, decided on the blocking pool.
enum Attempt {
    SignedIn(Person),
    /// Wrong, unknown, left, or nothing set; the person when one was found.
    Failed(Option<Barcode>),
    Ambiguous,
}

pub(crate) async fn sign_in(
    State(state): State<AppState>,
    client: Option<Extension<ClientAddr>>,
    body: JsonBody<SignInRequest>,
) -> Result<Response, ApiError> {
    let request = json_body(body)?;
    let address = client.map_or_else(
        || "unknown".to_owned(),
        |Extension(addr)| addr.0.to_string(),
    );
    let fields = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned)
    };
    let (key, by_name, secret) = match (
        fields(&request.name),
        request.password.clone().filter(|p| !p.is_empty()),
        fields(&request.badge),
        request.pin.clone().filter(|p| !p.is_empty()),
    ) {
        (Some(name), Some(password), None, None) => (format!("name:{name}"), Some(name), password),
        (None, None, Some(badge), Some(pin)) => {
            (format!("badge:{}", badge.to_ascii_uppercase()), None, pin)
        }
        _ => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                message!(AuthSignInFields),
            ))
        }
    };
    let keys = vec![key.clone(), format!("addr:{address}")];
    let now = Instant::now();
    if let Err(wait) = state.throttle.check(&keys, now) {
        return Err(throttled(wait));
    }
    let badge = request.badge.clone().unwrap_or_default();
    let attempt = state
        .archive
        .run(move |store| {
            let person = match &by_name {
                Some(name) => {
                    let mut named = store.active_people_named(name)?;
                    if named.len() > 1 {
                        return Ok::<_, StoreError>(Attempt::Ambiguous);
                    }
                    named.pop()
                }
                None => match Barcode::parse(badge.trim()) {
                    // A replaced badge signs nobody in, like an unknown one.
                    Ok(barcode) => match store.badge_holder(barcode) {
                        Ok(Some(holder)) => store.active_person(holder.barcode)?,
                        Ok(None) => None,
                        Err(error) if error.is_rejection() => None,
                        Err(error) => return Err(error),
                    },
                    Err(_) => None,
                },
            };
            let Some(person) = person else {
                crate::store::verify_nothing(&secret);
                return Ok(Attempt::Failed(None));
            };
            let credentials = store.credentials(person.barcode)?;
            let hash = if by_name.is_some() {
                credentials.password
            } else {
                credentials.pin
            };
            let Some(hash) = hash else {
                crate::store::verify_nothing(&secret);
                return Ok(Attempt::Failed(Some(person.barcode)));
            };
            if crate::store::verify_secret(&secret, &hash) {
                Ok(Attempt::SignedIn(person))
            } else {
                Ok(Attempt::Failed(Some(person.barcode)))
            }
        })
        .await?;
    match attempt {
        Attempt::SignedIn(person) => {
            state.throttle.succeed(&key);
            let (id, csrf) = state
                .sessions
                .create(person.barcode, now)
                .map_err(|error| {
                    tracing::error!(%error, "no random bytes for a session id");
                    ApiError::internal()
                })?;
            tracing::info!(person = %person.barcode, client = %address, "signed in");
            let cookie = set_cookie(&id, state.sessions.max_age(), state.secure_cookies);
            let mut response = Json(SessionView::new(&person, Some(csrf))).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(header::SET_COOKIE, value);
            }
            Ok(response)
        }
        Attempt::Ambiguous => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            message!(AuthNameAmbiguous, name = key.trim_start_matches("name:")),
        )),
        Attempt::Failed(person) => {
            let kind = if key.starts_with("name:") {
                "password"
            } else {
                "badge PIN"
            };
            tracing::warn!(client = %address, kind, "sign-in failed");
            for (locked, lock) in state.throttle.fail(&keys, now) {
                let what = locked.split(':').next().unwrap_or("key");
                tracing::warn!(client = %address, locked = what, seconds = lock.as_secs(), "repeated failed sign-ins: attempts refused for a while");
            }
            if let Some(person) = person {
                let records =
                    state
                        .denials
                        .note(person, format!("sign-in@{address}"), SIGN_IN_ACTION, now);
                crate::server::denials::spawn_write(&state.archive, records);
            }
            Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                message!(AuthSignInFailed),
            ))
        }
    }
}

/// The 429 for an attempt while locked, with `Retry-After` in whole seconds.
fn throttled(wait: Duration) -> ApiError {
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        message!(AuthThrottled, seconds = seconds),
    )
    .with_retry_after(seconds)
}

pub(crate) async fn get_session(Extension(principal): Extension<Principal>) -> Json<SessionView> {
    let csrf = principal
        .session
        .as_ref()
        .map(|session| session.csrf.clone());
    Json(SessionView::new(&principal.person, csrf))
}

pub(crate) async fn end_session(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
) -> Response {
    if let Some(session) = &principal.session {
        state.sessions.end(&session.id);
        tracing::info!(person = %principal.person.barcode, "signed out");
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    if let Ok(value) = HeaderValue::from_str(&clear_cookie(state.secure_cookies)) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

/// One's own new password, with the current one.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct OwnPasswordRequest {
    old: String,
    new: String,
}

pub(crate) async fn change_own_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<OwnPasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let request = json_body(body)?;
    let person = principal.person.clone();
    crate::store::check_password(&request.new, &person)
        .map_err(|message| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message))?;
    // Guessing the current password from a stolen session is slowed like signing in.
    let keys = vec![format!("change:{}", person.barcode)];
    let now = Instant::now();
    if let Err(wait) = state.throttle.check(&keys, now) {
        return Err(throttled(wait));
    }
    let actor = principal.actor();
    let changed = state
        .archive
        .run(move |store| {
            let current = store.credentials(person.barcode)?.password;
            if !current.is_some_and(|hash| crate::store::verify_secret(&request.old, &hash)) {
                return Ok::<_, StoreError>(false);
            }
            let hash = crate::store::hash_secret(&request.new)?;
            store.set_secret(&actor, person.barcode, Secret::Password, &hash)?;
            Ok(true)
        })
        .await?;
    if !changed {
        state.throttle.fail(&keys, now);
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            message!(AuthWrongPassword),
        ));
    }
    state.throttle.succeed(&keys[0]);
    Ok(StatusCode::NO_CONTENT)
}

/// A person's new password, set by an administrator.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PasswordRequest {
    password: String,
}

/// A person's new badge PIN, set by an administrator.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PinRequest {
    /// 4–8 digits.
    pin: String,
}

pub(crate) async fn set_password(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    body: JsonBody<PasswordRequest>,
) -> Result<StatusCode, ApiError> {
    let person = parse_barcode(&barcode)?;
    let request = json_body(body)?;
    set_secret(
        &state,
        &principal,
        person,
        Secret::Password,
        request.password,
    )
    .await
}

pub(crate) async fn set_pin(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    body: JsonBody<PinRequest>,
) -> Result<StatusCode, ApiError> {
    let person = parse_barcode(&barcode)?;
    let request = json_body(body)?;
    set_secret(&state, &principal, person, Secret::Pin, request.pin).await
}

/// Checks `secret` against the policy for `person`, hashes it and stores it.
async fn set_secret(
    state: &AppState,
    principal: &Principal,
    person: Barcode,
    which: Secret,
    secret: String,
) -> Result<StatusCode, ApiError> {
    let actor = principal.actor();
    let outcome = state
        .archive
        .run(move |store| store.set_checked_secret(&actor, person, which, &secret))
        .await?;
    outcome.map_err(|message| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message))?;
    Ok(StatusCode::NO_CONTENT)
}
