//! Numbering schemes through the API: the list for everyone, adding and retiring for
//! administrators. What station.toml defines stays defined there (the API answers "change
//! it there"); what an administrator adds is kept in the store, and every change is an event.

use axum::extract::State;

use axum::http::StatusCode;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};

use crate::config::{known_schemes, KnownScheme};
use crate::server::auth::Principal;
use crate::server::error::{json_body, ApiError, JsonBody, Path, Query};
use crate::server::AppState;

/// A numbering scheme as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SchemeView {
    name: String,
    /// E.g. `{year}鸿借字第{seq:03}号`.
    template: String,
    /// `config` (station.toml: change it there) or `station` (added through the API).
    #[schemars(extend("enum" = ["config", "station"]))]
    origin: &'static str,
    /// A retired scheme keeps its numbers but allocates no new ones.
    retired: bool,
}

impl From<KnownScheme> for SchemeView {
    fn from(scheme: KnownScheme) -> SchemeView {
        SchemeView {
            name: scheme.name,
            template: scheme.template,
            origin: scheme.origin.as_str(),
            retired: scheme.retired,
        }
    }
}

/// Every numbering scheme: station.toml's, then those added through the station.
/// Numbering schemes by name, a page at a time.
pub(crate) async fn schemes(
    State(state): State<AppState>,
    Query(query): Query<crate::server::paging::PageQuery>,
) -> Result<crate::server::paging::Page<SchemeView>, ApiError> {
    use crate::server::paging::{page_of, page_size};
    let limit = page_size(query.limit, crate::server::MAX_PAGE)?;
    let config = state.config.clone();
    let schemes = state
        .archive
        .run(move |store| known_schemes(&config, store))
        .await?;
    // station.toml's first, in the file's order, then the stored ones by name.
    let keyed: Vec<(String, SchemeView)> = schemes
        .into_iter()
        .enumerate()
        .map(|(index, scheme)| {
            let key = match scheme.origin {
                crate::devices::definition::Origin::Config => format!("0/{index:06}"),
                crate::devices::definition::Origin::Station => format!("1/{}", scheme.name),
            };
            (key, SchemeView::from(scheme))
        })
        .collect();
    let page = page_of(keyed, |(key, _)| key.clone(), query.after.as_deref(), limit);
    Ok(crate::server::paging::Page {
        items: page.items.into_iter().map(|(_, view)| view).collect(),
        next: page.next,
    })
}

/// A numbering scheme to add.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchemeRequest {
    /// Letters, digits, `-`, `_`; not used by another scheme.
    #[schemars(length(min = 1, max = 32), pattern(r"^[A-Za-z0-9_\u4e00-\u9fff-]+$"))]
    name: String,
    /// `{year}`, `{seq}` or `{seq:0N}` around fixed text, e.g. `{year}鸿借字第{seq:03}号`.
    #[schemars(length(min = 1))]
    template: String,
}

/// Adds a numbering scheme (kept in the store).
pub(crate) async fn add_scheme(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<SchemeRequest>,
) -> Result<(StatusCode, Json<SchemeView>), ApiError> {
    let request = json_body(body)?;
    let taken = state.config.scheme_names();
    let actor = principal.actor();
    let added = state
        .archive
        .run(move |store| store.add_scheme(&actor, &request.name, &request.template, &taken))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(SchemeView::from(KnownScheme::from(added))),
    ))
}

/// Retires a scheme added through the station: its numbers stay, it allocates no more.
pub(crate) async fn retire_scheme(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(name): Path<String>,
) -> Result<Json<SchemeView>, ApiError> {
    let taken = state.config.scheme_names();
    let actor = principal.actor();
    let retired = state
        .archive
        .run(move |store| store.retire_scheme(&actor, &name, &taken))
        .await?;
    Ok(Json(SchemeView::from(KnownScheme::from(retired))))
}

/// The template to preview.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct SchemePreviewQuery {
    #[schemars(length(min = 1))]
    template: String,
}

/// The first number a new scheme with this template would give.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct SchemePreview {
    /// The first number this year.
    next: String,
    /// The year it is for (this year in the station's time zone).
    year: u16,
}

/// Checks a template as `schemes/add` would and shows the first number it gives this
/// year (a new scheme's sequence starts at 1): the admin page's live preview. A template
/// that is not one is a bad query (400, with the template's fault by code).
pub(crate) async fn preview_scheme(
    State(state): State<AppState>,
    Query(query): Query<SchemePreviewQuery>,
) -> Result<Json<SchemePreview>, ApiError> {
    let scheme = crate::numbering::Scheme::new("preview", &query.template)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.message()))?;
    let year = state.archive.this_year();
    Ok(Json(SchemePreview {
        next: scheme.format(year, 1),
        year,
    }))
}
