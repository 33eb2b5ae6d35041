//! Who a request acts for: bearer tokens and page sign-ins ([`Principal`]) and roles. A
//! route's least role comes from its row in the route table and is enforced by the router
//! ([`guard`]).

use crate::message;
use crate::message::Message;
use crate::model::{Person, Role};
use crate::server::error::ApiError;
use crate::server::sessions::{cookie_value, same_secret, COOKIE};
use crate::server::AppState;
use axum::extract::Request;
use axum::extract::State;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The person a request acts for, from its bearer token or its page's sign-in.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's owner, or who signed in on the page (as the store has them now).
    pub person: Person,
    /// The page's sign-in, when the request came with the session cookie.
    pub(crate) session: Option<SessionRef>,
    /// The request came with an integration token (a business system's): it reaches only
    /// the integration routes (`Endpoint::integration`), whatever its person's role.
    pub(crate) integration: bool,
}

/// The sign-in a request came with.
#[derive(Debug, Clone)]
pub(crate) struct SessionRef {
    /// Its id (the cookie's value).
    pub(crate) id: String,
    /// What the page sends in `X-CSRF-Token`.
    pub(crate) csrf: String,
}

impl Principal {
    /// The actor stamped on the events of this request's changes: `P…@web` for what a
    /// signed-in person does from a page, `P…@api` for a bearer token (scans are stamped
    /// `P…@<workstation>` by the workflow engine).
    pub fn actor(&self) -> crate::store::Actor {
        let via = if self.session.is_some() {
            "web"
        } else if self.integration {
            "integration"
        } else {
            "api"
        };
        crate::store::Actor::new(format!("{}@{via}", self.person.barcode))
    }
}

/// The header a page sends with every change, equal to its session's CSRF value.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// Every API route needs `Authorization: Bearer <token>` of a live token (or, for the
/// live stream, which browsers open without headers, `?token=`), or the `station_session`
/// cookie of a live page sign-in; `/healthz`, the web pages and signing in
/// (`POST /api/v1/session`) do not. A sign-in's person is read again from the store at
/// every request (a new role counts at once; someone who has left is signed out), and a
/// change made with the cookie (any method but GET and HEAD) must carry `X-CSRF-Token`.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/api/") && path != "/metrics" {
        return next.run(request).await;
    }
    if path == "/api/v1/session" && request.method() == Method::POST {
        return next.run(request).await;
    }
    let query_token = (path == "/api/v1/live")
        .then(|| {
            request.uri().query().and_then(|query| {
                query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("token="))
                    .map(str::to_owned)
            })
        })
        .flatten();
    let secret = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_owned)
        .or(query_token)
        .filter(|secret| !secret.is_empty());
    let unauthorized = |message: Message| {
        let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        response
    };
    let Some(secret) = secret else {
        let cookie = request
            .headers()
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|header| cookie_value(header, COOKIE))
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        let Some(id) = cookie else {
            return unauthorized(message!(AuthMissingToken));
        };
        let Some(session) = state.sessions.get(&id, tokio::time::Instant::now()) else {
            return unauthorized(message!(AuthSessionEnded));
        };
        let barcode = session.person;
        let person = state
            .archive
            .run(move |store| store.active_person(barcode))
            .await;
        let person = match person {
            Ok(Some(person)) => person,
            Ok(None) => {
                state.sessions.end_person(barcode);
                return unauthorized(message!(AuthSessionEnded));
            }
            Err(error) => return ApiError::from(error).into_response(),
        };
        let safe = matches!(*request.method(), Method::GET | Method::HEAD);
        if !safe {
            let sent = request
                .headers()
                .get(CSRF_HEADER)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default();
            if !same_secret(sent, &session.csrf) {
                tracing::warn!(person = %barcode, path = %request.uri().path(), "a change from a page without its CSRF token was refused");
                return ApiError::new(StatusCode::FORBIDDEN, message!(AuthCsrfMissing))
                    .into_response();
            }
        }
        request.extensions_mut().insert(Principal {
            person,
            session: Some(SessionRef {
                id,
                csrf: session.csrf,
            }),
            integration: false,
        });
        return next.run(request).await;
    };
    // A token found live before is known in memory until a token or a person changes;
    // otherwise the store is asked (off the async threads).
    let login = match state.archive.cached_login(&secret) {
        Some(login) => Ok(Some(login)),
        None => {
            state
                .archive
                .run(move |store| store.authenticate(&secret))
                .await
        }
    };
    match login {
        Ok(Some((_, person, kind))) => {
            // One rule for every path under /api/ (and /metrics): an integration token is
            // let through to the integration routes only, here, before any route runs.
            let integration = kind == crate::store::TokenKind::Integration;
            if integration
                && !super::routes::integration_allows(request.method(), request.uri().path())
            {
                tracing::warn!(person = %person.barcode, method = %request.method(), path = %request.uri().path(), "an integration token was refused outside the integration routes");
                return ApiError::new(
                    StatusCode::FORBIDDEN,
                    message!(
                        AuthIntegrationOnly,
                        method = request.method().as_str(),
                        path = request.uri().path()
                    ),
                )
                .into_response();
            }
            request.extensions_mut().insert(Principal {
                person,
                session: None,
                integration,
            });
            next.run(request).await
        }
        Ok(None) => unauthorized(message!(AuthInvalidToken)),
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// Lets a request through only if its principal has at least the route's role.
pub(crate) async fn guard(
    State((state, role, action)): State<(AppState, Role, (&'static str, &'static str))>,
    request: Request,
    next: Next,
) -> Response {
    let Some(principal) = request.extensions().get::<Principal>().cloned() else {
        // `authenticate` puts a principal into every request under /api/ and /metrics.
        tracing::error!(path = %request.uri().path(), "a guarded route was reached without a principal");
        return ApiError::internal().into_response();
    };
    match state.require(&principal, role, action).await {
        Ok(()) => next.run(request).await,
        Err(error) => error.into_response(),
    }
}

impl AppState {
    /// Refuses (403, recorded as an event) unless `principal` has at least `role`. The
    /// router calls it for every route's least role; handlers call it only for what a
    /// route's data decides (a certificate, a safe).
    pub(crate) async fn require(
        &self,
        principal: &Principal,
        role: Role,
        action: (&'static str, &'static str),
    ) -> Result<(), ApiError> {
        // An integration token reaches only the integration routes (`authenticate`), where
        // its kind, not its person's role, is what lets it in.
        if principal.person.role >= role || principal.integration {
            return Ok(());
        }
        Err(self.refuse(principal, role, action).await)
    }

    /// The 403 for `principal`, who lacks `role` to do `action`; the refusal is counted,
    /// and recorded as an event and logged, repeated ones of one person together
    /// ([`super::denials`]), without waiting for the record.
    pub(crate) async fn refuse(
        &self,
        principal: &Principal,
        role: Role,
        action: (&'static str, &'static str),
    ) -> ApiError {
        let records = self.denials.note(
            principal.person.barcode,
            principal.actor().0,
            action,
            tokio::time::Instant::now(),
        );
        super::denials::spawn_write(&self.archive, records);
        let holders = match role {
            Role::Clerk => ("档案员", "clerks"),
            Role::Supervisor => ("主管", "supervisors"),
            Role::Admin => ("管理员", "administrators"),
        };
        ApiError::new(
            StatusCode::FORBIDDEN,
            message!(AuthForbidden, role = holders, action = action),
        )
    }
}
