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
    /// `person` (default): acts with its person's role; `integration`: a business system's,
    /// may post archive tasks and nothing else.
    #[serde(default)]
    #[schemars(extend("enum" = ["person", "integration"]))]
    kind: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct TokenView {
    id: u64,
    person: String,
    /// `person` or `integration`.
    kind: &'static str,
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
    let kind = match request.kind.as_deref() {
        None => crate::store::TokenKind::Person,
        Some(name) => crate::store::TokenKind::parse(name).ok_or_else(|| {
            ApiError::new(
                StatusCode::BAD_REQUEST,
                crate::message!(TokenUnknownKind, kind = format!("{name:?}")),
            )
        })?,
    };
    let actor = principal.actor();
    let new = state
        .archive
        .run(move |store| store.create_token_of_kind(&actor, person, &request.label, kind))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(TokenView {
            id: new.token.id,
            person: new.token.person.to_string(),
            kind: kind.name(),
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

/// A token as the administrators' list shows it: never its secret.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct TokenListView {
    id: u64,
    /// The owner's badge.
    person: String,
    /// The owner's name (empty if the person is not found).
    person_name: String,
    label: String,
    /// `person` or `integration`.
    kind: &'static str,
    created_at: crate::model::Millis,
    /// When it was revoked; null while it works.
    revoked_at: Option<crate::model::Millis>,
}

/// Every token, live or revoked, by number (the admin page's list).
pub(crate) async fn list_tokens(
    State(state): State<AppState>,
    crate::server::error::Query(query): crate::server::error::Query<
        crate::server::paging::PageQuery,
    >,
) -> Result<crate::server::paging::Page<TokenListView>, ApiError> {
    use crate::server::paging::{number_key, page_of, page_size};
    let limit = page_size(query.limit, crate::server::MAX_PAGE)?;
    let tokens = state
        .archive
        .run(|store| {
            let mut out = Vec::new();
            for token in store.tokens()? {
                let kind = store.token_kind(token.id)?.name();
                let person_name = match store.get_item(token.person)? {
                    Some(crate::model::Item::Person(person)) => person.name,
                    _ => String::new(),
                };
                out.push(TokenListView {
                    id: token.id,
                    person: token.person.to_string(),
                    person_name,
                    label: token.label,
                    kind,
                    created_at: token.created_at,
                    revoked_at: token.revoked_at,
                });
            }
            Ok::<_, crate::store::StoreError>(out)
        })
        .await?;
    Ok(page_of(
        tokens,
        |token: &TokenListView| number_key(token.id),
        query.after.as_deref(),
        limit,
    ))
}
