//! Who a request acts for: bearer tokens ([`Principal`]) and roles. A route's least role
//! comes from its row in the route table and is enforced by the router ([`guard`]).

use crate::message;
use crate::message::Message;
use crate::model::{Person, Role};
use crate::server::error::ApiError;
use crate::server::AppState;
use axum::extract::Request;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The person a request acts for, from its bearer token.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's owner.
    pub person: Person,
}

impl Principal {
    /// The actor stamped on the events of this request's changes.
    pub fn actor(&self) -> crate::store::Actor {
        crate::store::Actor::new(format!("{}@api", self.person.barcode))
    }
}

/// Every API route needs `Authorization: Bearer <token>` of a live token (or, for the
/// live stream, which browsers open without headers, `?token=`); `/healthz` and the
/// static web pages do not.
pub(crate) async fn authenticate(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    if !path.starts_with("/api/") && path != "/metrics" {
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
        .or(query_token);
    let unauthorized = |message: Message| {
        let mut response = ApiError::new(StatusCode::UNAUTHORIZED, message).into_response();
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        response
    };
    let Some(secret) = secret else {
        return unauthorized(message!(AuthMissingToken));
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
        Ok(Some((_, person))) => {
            request.extensions_mut().insert(Principal { person });
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
        if principal.person.role >= role {
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
