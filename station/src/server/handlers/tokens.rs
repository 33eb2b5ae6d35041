//! Bearer tokens: created and revoked by administrators.

use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, parse_barcode, parse_number, ApiError, Path};
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};

/// A token to create.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TokenRequest {
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    person: String,
    #[serde(default)]
    label: String,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct TokenView {
    id: u64,
    person: String,
    /// Shown this once.
    secret: String,
}

pub(crate) async fn create_token(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<TokenRequest>,
) -> Result<(StatusCode, Json<TokenView>), ApiError> {
    let request = json_body(body)?;
    let person = parse_barcode(&request.person)?;
    let actor = principal.actor();
    let new = state
        .archive
        .run(move |store| store.create_token(&actor, person, &request.label))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenView {
            id: new.token.id,
            person: new.token.person.to_string(),
            secret: new.secret,
        }),
    ))
}

pub(crate) async fn revoke_token(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id = parse_number(&id, ("令牌编号", "token number"))?;
    let actor = principal.actor();
    state
        .archive
        .run(move |store| store.revoke_token(&actor, id))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
