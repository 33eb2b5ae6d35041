//! People: the list, adding, editing (role, badge, borrowing, leaving).

use crate::message;
use crate::model::{Item, Role};
use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, parse_barcode, ApiError, Path, Query};
use crate::server::redact::Viewer;
use crate::server::views::PersonView;
use crate::server::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::Deserialize;

/// People by badge, a page at a time.
pub(crate) async fn people(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<crate::server::paging::PageQuery>,
) -> Result<crate::server::paging::Page<PersonView>, ApiError> {
    use crate::server::paging::{number_key, page_of, page_size};
    let sees_badges = Viewer::of(&principal).sees_badges();
    let limit = page_size(query.limit, crate::server::MAX_PAGE)?;
    let after = query.after;
    let people = state
        .archive
        .run(move |store| {
            // People in badge order, numbered: the cursor is a person's place in that order
            // (no one is ever deleted and a new badge sorts last), not their badge code,
            // which a clerk may not see.
            let mut everyone = Vec::new();
            for item in store.items_of_kind(crate::barcode::Kind::Person) {
                if let Item::Person(person) = item? {
                    everyone.push((everyone.len() as u64, person));
                }
            }
            let page = page_of(
                everyone,
                |(place, _)| number_key(*place),
                after.as_deref(),
                limit,
            );
            let mut out = Vec::with_capacity(page.items.len());
            for (_, person) in page.items {
                let active = !store.has_left(person.barcode)?;
                let current = store.current_badge(person.barcode)?;
                let replaced = current != person.barcode;
                let mut view = PersonView::new(person, active);
                if !sees_badges {
                    view.barcode = None;
                } else if replaced {
                    view.badge = Some(current.to_string());
                }
                out.push(view);
            }
            Ok::<_, crate::store::StoreError>(crate::server::paging::Page {
                items: out,
                next: page.next,
            })
        })
        .await?;
    Ok(people)
}

/// `clerk`, `supervisor` or `admin`.
pub(crate) fn parse_role(text: &str) -> Result<Role, ApiError> {
    match text {
        "clerk" => Ok(Role::Clerk),
        "supervisor" => Ok(Role::Supervisor),
        "admin" => Ok(Role::Admin),
        other => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            message!(RequestBadRole, text = format!("{other:?}")),
        )),
    }
}

/// A person to add.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PersonRequest {
    #[schemars(length(min = 1))]
    name: String,
    /// clerk, supervisor or admin.
    #[schemars(extend("enum" = ["clerk", "supervisor", "admin"]))]
    role: String,
    #[serde(default)]
    borrow_directly: bool,
}

pub(crate) async fn add_person(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<PersonRequest>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    let request = json_body(body)?;
    let new = crate::store::NewPerson {
        role: parse_role(&request.role)?,
        name: request.name,
        borrow_directly: request.borrow_directly,
    };
    let actor = principal.actor();
    let person = state
        .archive
        .run(move |store| store.add_person(&actor, &new))
        .await?;
    Ok((StatusCode::CREATED, Json(PersonView::new(person, true))))
}

/// Changes to a person; absent fields stay.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PersonEditRequest {
    #[schemars(length(min = 1))]
    name: Option<String>,
    #[schemars(extend("enum" = ["clerk", "supervisor", "admin", null]))]
    role: Option<String>,
    borrow_directly: Option<bool>,
    /// `false`: they have left (badge and tokens stop working at once); `true`: back.
    active: Option<bool>,
}

pub(crate) async fn edit_person(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    body: JsonBody<PersonEditRequest>,
) -> Result<Json<PersonView>, ApiError> {
    let person = parse_barcode(&barcode)?;
    let request = json_body(body)?;
    let edit = crate::store::PersonEdit {
        role: request.role.as_deref().map(parse_role).transpose()?,
        name: request.name,
        borrow_directly: request.borrow_directly,
        active: request.active,
    };
    let actor = principal.actor();
    let (person, active) = state
        .archive
        .run(move |store| store.edit_person(&actor, person, &edit))
        .await?;
    if !active {
        // Their pages are signed out at once (every request also rereads the person).
        state.sessions.end_person(person.barcode);
    }
    Ok(Json(PersonView::new(person, active)))
}

/// A replacement badge: the person (unchanged) and the code of their new badge.
#[derive(serde::Serialize, schemars::JsonSchema)]
pub(crate) struct BadgeView {
    /// The person's own code, as in every record and URL.
    pub(crate) barcode: String,
    /// The new badge's code: print its label; the earlier badges stop working.
    pub(crate) badge: String,
}

/// Replaces a person's badge (lost or damaged): a new code, the earlier badges refused.
pub(crate) async fn replace_badge(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
) -> Result<Json<BadgeView>, ApiError> {
    let person = parse_barcode(&barcode)?;
    let actor = principal.actor();
    let badge = state
        .archive
        .run(move |store| store.replace_badge(&actor, person))
        .await?;
    Ok(Json(BadgeView {
        barcode: person.to_string(),
        badge: badge.to_string(),
    }))
}
