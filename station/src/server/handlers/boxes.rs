//! Registering and editing boxes; registering certificates.

use crate::message;
use crate::message::Message;
use crate::model::Item;
use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, parse_barcode, ApiError, Path};
use crate::server::views::{box_view, item_view, ItemView};
use crate::server::AppState;
use crate::store::Refusal;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};

/// A box to register.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct RegisterRequest {
    #[schemars(length(min = 1))]
    title: String,
    #[schemars(length(min = 1))]
    customer: String,
    #[serde(default)]
    category: String,
    #[schemars(length(min = 1))]
    archive_no: Option<String>,
    #[schemars(length(min = 1))]
    scheme: Option<String>,
    year: Option<u16>,
    #[schemars(length(min = 1))]
    retention: Option<String>,
    /// Home shelf as a path, e.g. `1号库房/05列/A面/3节/4层`.
    #[schemars(length(min = 1))]
    home: Option<String>,
    /// Print its label at once on this workstation's printer.
    #[schemars(length(min = 1))]
    print_at: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Registered {
    #[serde(flatten)]
    item: ItemView,
    label_jobs: Vec<u64>,
}

pub(crate) async fn register_box(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<RegisterRequest>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let request = json_body(body)?;
    let bad = |message: Message| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, message);
    let year = request.year.unwrap_or_else(|| state.archive.this_year());
    let scheme = match request.scheme.clone() {
        Some(name) => {
            let config = state.config.clone();
            let schemes = state
                .archive
                .run(move |store| crate::config::effective_schemes(&config, store))
                .await?;
            Some(
                schemes
                    .into_iter()
                    .find(|scheme| scheme.name() == name)
                    .ok_or_else(|| bad(Refusal::UnknownScheme(name).message()))?,
            )
        }
        None => None,
    };
    let retention = match &request.retention {
        Some(text) => Some(
            crate::model::Retention::parse(text)
                .ok_or_else(|| bad(message!(RequestBadRetention, text = format!("{text:?}"))))?,
        ),
        None => None,
    };
    let actor = principal.actor();
    let home_path = request.home.clone();
    let new = crate::store::NewBox {
        archive_no: request.archive_no.clone(),
        scheme: scheme.map(|scheme| (scheme, year)),
        title: request.title.clone(),
        customer: request.customer.clone(),
        category: request.category.clone(),
        year: Some(year),
        retention,
        ..crate::store::NewBox::default()
    };
    let item = state
        .archive
        .run(move |store| {
            let registered = store.write(&actor, |tx| {
                let home = match &home_path {
                    Some(path) => Some(tx.ensure_location(path)?),
                    None => None,
                };
                tx.register_box(&crate::store::NewBox {
                    home,
                    ..new.clone()
                })
            })?;
            box_view(store, registered)
        })
        .await?;
    let mut label_jobs = Vec::new();
    if let Some(workstation) = request.print_at.as_deref() {
        let barcode = item.barcode.clone();
        let jobs = state
            .print_labels(&principal, vec![barcode], None, Some(workstation), None)
            .await?;
        label_jobs = jobs.iter().map(|job| job.id).collect();
    }
    Ok((StatusCode::CREATED, Json(Registered { item, label_jobs })))
}

/// Fields to change; absent ones stay.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct EditRequest {
    #[schemars(length(min = 1))]
    title: Option<String>,
    #[schemars(length(min = 1))]
    customer: Option<String>,
    category: Option<String>,
    year: Option<u16>,
    #[schemars(length(min = 1))]
    retention: Option<String>,
}

pub(crate) async fn edit_box(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    body: JsonBody<EditRequest>,
) -> Result<Json<ItemView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let request = json_body(body)?;
    let retention = match &request.retention {
        Some(text) => Some(Some(crate::model::Retention::parse(text).ok_or_else(
            || {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    message!(RequestBadRetention, text = format!("{text:?}")),
                )
            },
        )?)),
        None => None,
    };
    let edit = crate::store::BoxEdit {
        title: request.title,
        customer: request.customer,
        category: request.category,
        year: request.year.map(Some),
        retention,
        ..crate::store::BoxEdit::default()
    };
    let actor = principal.actor();
    let view = state
        .archive
        .run(move |store| box_view(store, store.edit_box(&actor, barcode, &edit)?))
        .await?;
    Ok(Json(view))
}

/// A certificate to register.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct CertificateRequest {
    /// 不动产权证, 他项权证, 动产抵押登记, 股权出质登记, or another name.
    #[schemars(length(min = 1))]
    kind: String,
    #[schemars(length(min = 1))]
    number: String,
    #[schemars(length(min = 1))]
    archive_no: String,
}

pub(crate) async fn register_certificate(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<CertificateRequest>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    let request = json_body(body)?;
    let new = crate::store::NewCertificate {
        kind: crate::model::CertificateKind::parse(&request.kind),
        number: request.number,
        archive_no: request.archive_no,
    };
    let actor = principal.actor();
    let view = state
        .archive
        .run(move |store| {
            let certificate = store.register_certificate(&actor, &new)?;
            item_view(store, Item::Certificate(certificate))
        })
        .await?;
    Ok((StatusCode::CREATED, Json(view)))
}
