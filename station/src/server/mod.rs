//! The HTTP API: a health check and the read API supervisors need first. This is the only
//! module that knows HTTP and JSON. Store reads take microseconds from the page cache, so
//! handlers call them directly rather than paying a thread hop for each.
//!
//! Built as a function ([`app`]) so tests can call it without a server, and run from a
//! function that takes its listener and a shutdown future ([`run`]), so end-to-end tests can
//! start it on port 0.

use std::future::Future;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};

use std::collections::VecDeque;
use std::sync::Mutex;

use axum::extract::Request;
use axum::middleware::{self, Next};
use axum::routing::post;
use axum::Extension;

use crate::barcode::Barcode;
use crate::devices::{DeviceState, Devices};
use crate::model::{ArchiveBox, Item, LocationKind, Person, Retention, Role};
use crate::store::{Store, StoreError};
use crate::workflow::{Engine, ScanResult};

/// How many recent scan results the station keeps for `GET /api/v1/scans/recent`.
pub const RECENT_RESULTS: usize = 200;

/// The most items one list request returns.
pub const MAX_PAGE: usize = 500;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Arc<Store>,
    /// The scan workflow engine.
    pub engine: Arc<Engine>,
    /// Device states.
    pub devices: Arc<Devices>,
    /// The most recent scan results, newest last.
    pub recent: Arc<Mutex<VecDeque<ScanResult>>>,
    /// The configured workstations.
    pub workstations: Arc<Vec<String>>,
    /// Scan results by outcome since start: ok, warning, error.
    pub outcomes: Arc<[std::sync::atomic::AtomicU64; 3]>,
    /// The configuration (schemes, printers, workstations' printers).
    pub config: Arc<crate::config::Config>,
    /// Label rendering and the print queue.
    pub printing: Option<Arc<crate::printing::Printing>>,
    /// The running devices, which administrators change through the API.
    pub device_manager: Option<Arc<crate::devices::DeviceManager>>,
}

impl AppState {
    /// State over `engine` with the given workstations, and a task that keeps the recent
    /// results (it ends when the engine is dropped).
    pub fn new(engine: Arc<Engine>, devices: Arc<Devices>, workstations: Vec<String>) -> AppState {
        let recent: Arc<Mutex<VecDeque<ScanResult>>> = Arc::default();
        let outcomes: Arc<[std::sync::atomic::AtomicU64; 3]> = Arc::default();
        let mut results = engine.subscribe();
        let keep = recent.clone();
        let count = outcomes.clone();
        tokio::spawn(async move {
            loop {
                match results.recv().await {
                    Ok(result) => {
                        let slot = match result.outcome {
                            crate::workflow::Outcome::Ok => 0,
                            crate::workflow::Outcome::Warning => 1,
                            crate::workflow::Outcome::Error => 2,
                        };
                        count[slot].fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let mut recent = keep.lock().unwrap_or_else(|poison| poison.into_inner());
                        if recent.len() == RECENT_RESULTS {
                            recent.pop_front();
                        }
                        recent.push_back(result);
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        AppState {
            store: engine.store().clone(),
            engine,
            devices,
            recent,
            workstations: Arc::new(workstations),
            outcomes,
            config: Arc::default(),
            printing: None,
            device_manager: None,
        }
    }

    /// The configuration and printing the API registers and prints with.
    pub fn with_printing(
        mut self,
        config: Arc<crate::config::Config>,
        printing: Arc<crate::printing::Printing>,
    ) -> AppState {
        self.config = config;
        self.printing = Some(printing);
        self
    }

    /// The device manager administrators add, remove, enable and disable devices through.
    pub fn with_device_manager(mut self, manager: Arc<crate::devices::DeviceManager>) -> AppState {
        self.device_manager = Some(manager);
        self
    }

    /// Queues `barcodes`' labels on `printer` (or `workstation`'s, or the first).
    fn print_labels(
        &self,
        principal: &Principal,
        barcodes: Vec<String>,
        printer: Option<String>,
        workstation: Option<&str>,
        reprint: Option<(u64, String)>,
    ) -> Result<Vec<crate::model::PrintJob>, ApiError> {
        let printing = self.printing.as_ref().ok_or_else(|| {
            ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_printing",
                "本站未启用打印 / printing is not set up on this station",
            )
        })?;
        let printer = printer
            .or_else(|| self.config.printer_for(workstation))
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "no_printer",
                    "没有配置打印机 / no printer is configured",
                )
            })?;
        let actor = principal.actor();
        printing
            .queue(
                &self.store,
                &actor,
                &printer,
                &crate::printing::LabelRequest::Items { barcodes, reprint },
            )
            .map_err(|error| match error {
                crate::printing::LabelError::Store(error) => ApiError::from(error),
                other => ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "rejected",
                    &other.to_string(),
                ),
            })
    }
}

/// One route of the API: the router and the OpenAPI document are both built from the
/// list of these, so the document cannot drift from what the server serves. The shapes of
/// query strings, request bodies and answers are the handlers' own Rust types, described
/// by their `schemars::JsonSchema` derives.
#[derive(Debug, Clone, Copy)]
pub struct Endpoint {
    /// `get` or `post`.
    pub method: &'static str,
    /// The path, with `{name}` parameters.
    pub path: &'static str,
    /// What it does.
    pub summary: &'static str,
    /// The least role it needs (`None`: no token at all).
    pub role: Option<Role>,
    /// The query string's fields, if it takes any.
    pub query: Option<SchemaFn>,
    /// The JSON request body, if it takes one.
    pub body: Option<SchemaFn>,
    /// What a successful call answers.
    pub answer: Option<Answer>,
}

/// Describes one Rust type into a schema generator.
pub type SchemaFn = fn(&mut schemars::SchemaGenerator) -> schemars::Schema;

/// What a successful call answers.
#[derive(Debug, Clone, Copy)]
pub enum Answer {
    /// JSON of the type `SchemaFn` describes, with this status.
    Json(u16, SchemaFn),
    /// Nothing (204).
    Empty,
    /// A file or text in one of these media types.
    Media(&'static [&'static str]),
}

fn reference<T: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    generator.subschema_for::<T>()
}

fn inline<T: schemars::JsonSchema>(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
    T::json_schema(generator)
}

fn endpoint(
    method: &'static str,
    path: &'static str,
    summary: &'static str,
    role: Option<Role>,
) -> Endpoint {
    Endpoint {
        method,
        path,
        summary,
        role,
        query: None,
        body: None,
        answer: None,
    }
}

impl Endpoint {
    /// Takes a query string of `Q`'s fields.
    fn query<Q: schemars::JsonSchema>(self) -> Endpoint {
        Endpoint {
            query: Some(inline::<Q>),
            ..self
        }
    }

    /// Takes a JSON body of type `B`.
    fn body<B: schemars::JsonSchema>(self) -> Endpoint {
        Endpoint {
            body: Some(reference::<B>),
            ..self
        }
    }

    /// Answers 200 with a `T`.
    fn json<T: schemars::JsonSchema>(self) -> Endpoint {
        Endpoint {
            answer: Some(Answer::Json(200, reference::<T>)),
            ..self
        }
    }

    /// Answers 201 with the created `T`.
    fn created<T: schemars::JsonSchema>(self) -> Endpoint {
        Endpoint {
            answer: Some(Answer::Json(201, reference::<T>)),
            ..self
        }
    }

    /// Answers 204 with no body.
    fn empty(self) -> Endpoint {
        Endpoint {
            answer: Some(Answer::Empty),
            ..self
        }
    }

    /// Answers a file or text of one of `types`.
    fn media(self, types: &'static [&'static str]) -> Endpoint {
        Endpoint {
            answer: Some(Answer::Media(types)),
            ..self
        }
    }
}

/// Every route with its handler.
fn routes() -> Vec<(Endpoint, axum::routing::MethodRouter<AppState>)> {
    let clerk = Some(Role::Clerk);
    let supervisor = Some(Role::Supervisor);
    let admin = Some(Role::Admin);
    vec![
        (
            endpoint("get", "/healthz", "Health check", None).json::<Health>(),
            get(healthz),
        ),
        (
            endpoint(
                "get",
                "/api/v1/items/{barcode}",
                "An item by its barcode (certificates: supervisors)",
                clerk,
            )
            .json::<ItemView>(),
            get(get_item),
        ),
        (
            endpoint(
                "get",
                "/api/v1/items/{barcode}/history",
                "An item's events, oldest first",
                clerk,
            )
            .json::<Vec<EventView>>(),
            get(item_history),
        ),
        (
            endpoint(
                "get",
                "/api/v1/boxes",
                "Boxes by archive_no or customer prefix (limit ≤ 500)",
                clerk,
            )
            .query::<BoxQuery>()
            .json::<Vec<ItemView>>(),
            get(find_boxes),
        ),
        (
            endpoint(
                "get",
                "/api/v1/locations/{barcode}/items",
                "What stands at a location (safes: supervisors)",
                clerk,
            )
            .query::<ListQuery>()
            .json::<Vec<ItemView>>(),
            get(location_items),
        ),
        (
            endpoint(
                "post",
                "/api/v1/scans",
                "Run a scan at a workstation, as a serial scanner would",
                clerk,
            )
            .body::<ScanRequest>()
            .json::<ScanResult>(),
            post(post_scan),
        ),
        (
            endpoint(
                "get",
                "/api/v1/scans/recent",
                "Recent scan results, optionally of one workstation",
                clerk,
            )
            .query::<RecentQuery>()
            .json::<Vec<ScanResult>>(),
            get(recent_scans),
        ),
        (
            endpoint(
                "get",
                "/api/v1/devices",
                "Scanners and printers with their state",
                clerk,
            )
            .json::<Vec<DeviceState>>(),
            get(devices),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loans/approvals",
                "Record a supervisor's approval for a borrower",
                supervisor,
            )
            .body::<ApprovalRequest>()
            .created::<ApprovalView>(),
            post(approve_borrower),
        ),
        (
            endpoint(
                "get",
                "/api/v1/live",
                "Server-sent events of scan results",
                clerk,
            )
            .query::<LiveQuery>()
            .media(&["text/event-stream"]),
            get(live),
        ),
        (
            endpoint(
                "get",
                "/api/v1/loans",
                "Open loans: all, overdue, or one borrower's",
                clerk,
            )
            .query::<LoanQuery>()
            .json::<Vec<LoanView>>(),
            get(loans),
        ),
        (
            endpoint(
                "get",
                "/api/v1/handovers",
                "Open handovers with their deadline state",
                clerk,
            )
            .json::<Vec<HandoverView>>(),
            get(handovers),
        ),
        (
            endpoint(
                "get",
                "/api/v1/reports/{file}",
                "ledger.csv, ledger.xlsx, loans.csv or loans.xlsx",
                supervisor,
            )
            .media(&["text/csv", XLSX]),
            get(ledger_report),
        ),
        (
            endpoint(
                "post",
                "/api/v1/boxes/register",
                "Register a box (optionally printing its label)",
                clerk,
            )
            .body::<RegisterRequest>()
            .created::<Registered>(),
            post(register_box),
        ),
        (
            endpoint(
                "post",
                "/api/v1/boxes/{barcode}/edit",
                "Edit a box's descriptive fields",
                clerk,
            )
            .body::<EditRequest>()
            .json::<ItemView>(),
            post(edit_box),
        ),
        (
            endpoint(
                "post",
                "/api/v1/labels",
                "Print items' labels (reprints need a reason)",
                clerk,
            )
            .body::<LabelsRequest>()
            .created::<Vec<JobView>>(),
            post(print_labels),
        ),
        (
            endpoint(
                "get",
                "/api/v1/labels/queue",
                "Labels waiting for their printer",
                clerk,
            )
            .json::<Vec<JobView>>(),
            get(label_queue),
        ),
        (
            endpoint(
                "post",
                "/api/v1/labels/{id}/cancel",
                "Cancel a waiting label, with the reason",
                clerk,
            )
            .body::<CancelRequest>()
            .empty(),
            post(cancel_label),
        ),
        (
            endpoint("get", "/api/v1/people", "People and their badges", clerk)
                .json::<Vec<PersonView>>(),
            get(people),
        ),
        (
            endpoint(
                "post",
                "/api/v1/people/add",
                "Add a person with a new badge",
                admin,
            )
            .body::<PersonRequest>()
            .created::<PersonView>(),
            post(add_person),
        ),
        (
            endpoint(
                "post",
                "/api/v1/people/{barcode}/edit",
                "Change a person's name, role, direct borrowing, or mark them left",
                admin,
            )
            .body::<PersonEditRequest>()
            .json::<PersonView>(),
            post(edit_person),
        ),
        (
            endpoint("get", "/api/v1/schemes", "Numbering schemes", clerk)
                .json::<Vec<admin::SchemeView>>(),
            get(admin::schemes),
        ),
        (
            endpoint(
                "post",
                "/api/v1/schemes/add",
                "Add a numbering scheme",
                admin,
            )
            .body::<admin::SchemeRequest>()
            .created::<admin::SchemeView>(),
            post(admin::add_scheme),
        ),
        (
            endpoint(
                "post",
                "/api/v1/schemes/{name}/retire",
                "Retire a scheme added through the station (no new numbers)",
                admin,
            )
            .json::<admin::SchemeView>(),
            post(admin::retire_scheme),
        ),
        (
            endpoint(
                "post",
                "/api/v1/devices/add",
                "Add a scanner or printer and start it",
                admin,
            )
            .body::<crate::devices::definition::DeviceDefinition>()
            .created::<DeviceState>(),
            post(admin::add_device),
        ),
        (
            endpoint(
                "post",
                "/api/v1/devices/{name}/remove",
                "Stop and remove a device added through the station",
                admin,
            )
            .empty(),
            post(admin::remove_device),
        ),
        (
            endpoint(
                "post",
                "/api/v1/devices/{name}/enable",
                "Start a device again",
                admin,
            )
            .json::<DeviceState>(),
            post(admin::enable_device),
        ),
        (
            endpoint(
                "post",
                "/api/v1/devices/{name}/disable",
                "Stop a device until it is enabled again",
                admin,
            )
            .json::<DeviceState>(),
            post(admin::disable_device),
        ),
        (
            endpoint(
                "get",
                "/api/v1/locations",
                "The location tree, with capacity use",
                clerk,
            )
            .json::<Vec<LocationView>>(),
            get(locations),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loans/{id}/renew",
                "Renew a loan by the loan period",
                supervisor,
            )
            .json::<LoanView>(),
            post(renew_loan),
        ),
        (
            endpoint(
                "post",
                "/api/v1/certificates/register",
                "Register a certificate (权证)",
                supervisor,
            )
            .body::<CertificateRequest>()
            .created::<ItemView>(),
            post(register_certificate),
        ),
        (
            endpoint(
                "post",
                "/api/v1/tokens/create",
                "Create a token for a person (shown once)",
                admin,
            )
            .body::<TokenRequest>()
            .created::<TokenView>(),
            post(create_token),
        ),
        (
            endpoint(
                "post",
                "/api/v1/tokens/{id}/revoke",
                "Revoke a token",
                admin,
            )
            .empty(),
            post(revoke_token),
        ),
        (
            endpoint("get", "/api/v1/openapi.json", "This document", clerk)
                .json::<serde_json::Value>(),
            get(openapi_json),
        ),
        (
            endpoint("get", "/metrics", "Prometheus metrics", clerk)
                .media(&["text/plain; version=0.0.4"]),
            get(metrics),
        ),
    ]
}

/// The API's endpoints, as documented.
pub fn endpoints() -> Vec<Endpoint> {
    routes().into_iter().map(|(endpoint, _)| endpoint).collect()
}

/// The OpenAPI 3.1 document of [`endpoints`]: paths, parameters, roles, and the JSON
/// Schemas (2020-12) of every query string, request body and answer, derived from the
/// handlers' own types.
pub fn openapi() -> serde_json::Value {
    use schemars::generate::SchemaSettings;
    use serde_json::{json, Map, Value};
    let settings = SchemaSettings::draft2020_12().with(|settings| {
        settings.definitions_path = "/components/schemas".into();
        settings.meta_schema = None;
    });
    // Requests are read (deserialize: defaulted fields are optional) and inlined; answers
    // are written (serialize) and share their named types under components/schemas.
    let mut requests = settings
        .clone()
        .for_deserialize()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let mut answers = settings.for_serialize().into_generator();
    let error = json!({"$ref": "#/components/schemas/Error"});
    let error_response = |description: &str| json!({"description": description, "content": {"application/json": {"schema": error}}});
    let mut paths = Map::new();
    for endpoint in endpoints() {
        let mut parameters: Vec<Value> = endpoint
            .path
            .split('/')
            .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| json!({"name": name, "in": "path", "required": true, "schema": {"type": "string"}}))
            .collect();
        if let Some(query) = endpoint.query {
            let schema = query(&mut requests).to_value();
            let required = schema["required"].as_array().cloned().unwrap_or_default();
            for (name, field) in schema["properties"].as_object().into_iter().flatten() {
                let mut parameter = json!({
                    "name": name,
                    "in": "query",
                    "required": required.contains(&Value::from(name.as_str())),
                    "schema": field,
                });
                if let Some(description) = field.get("description") {
                    parameter["description"] = description.clone();
                }
                parameters.push(parameter);
            }
        }
        let mut responses = Map::new();
        match endpoint.answer {
            Some(Answer::Json(status, answer)) => {
                let mut ok = json!({"description": "OK", "content": {"application/json": {"schema": answer(&mut answers).to_value()}}});
                if endpoint.path == "/api/v1/boxes" {
                    ok["headers"] = json!({"x-next-after": {
                        "description": "The cursor of the next page (pass it as `after`), when there may be more",
                        "schema": {"type": "string"}
                    }});
                }
                responses.insert(status.to_string(), ok);
            }
            Some(Answer::Empty) => {
                responses.insert("204".into(), json!({"description": "Done"}));
            }
            Some(Answer::Media(types)) => {
                let content: Map<String, Value> = types
                    .iter()
                    .map(|media| ((*media).to_owned(), json!({"schema": {"type": "string"}})))
                    .collect();
                responses.insert(
                    "200".into(),
                    json!({"description": "OK", "content": content}),
                );
            }
            None => {}
        }
        responses.insert("400".into(), error_response("Bad request"));
        responses.insert("404".into(), error_response("No such thing"));
        if endpoint.body.is_some() {
            responses.insert("413".into(), error_response("The body is too large"));
            responses.insert(
                "422".into(),
                error_response("Refused by the archive's rules; nothing changed"),
            );
        }
        if endpoint.role.is_some() {
            responses.insert("401".into(), error_response("No live bearer token"));
            responses.insert(
                "403".into(),
                error_response("The token's role may not do this"),
            );
        }
        responses.insert(
            "500".into(),
            error_response("Internal error (logged on the station)"),
        );
        let mut operation = json!({
            "summary": endpoint.summary,
            "parameters": parameters,
            "responses": responses,
        });
        if let Some(body) = endpoint.body {
            operation["requestBody"] = json!({
                "required": true,
                "content": {"application/json": {"schema": body(&mut requests).to_value()}}
            });
        }
        match endpoint.role {
            Some(role) => {
                operation["security"] = json!([{"bearer": []}]);
                operation["x-role"] = json!(format!("{role:?}").to_lowercase());
            }
            None => operation["security"] = json!([]),
        }
        let entry = paths
            .entry(endpoint.path.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        entry[endpoint.method] = operation;
    }
    reference::<ErrorBody>(&mut answers);
    let schemas = answers.take_definitions(true);
    json!({
        "openapi": "3.1.0",
        "info": {"title": "archive station", "version": env!("CARGO_PKG_VERSION")},
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas,
        }
    })
}

async fn openapi_json() -> Json<serde_json::Value> {
    Json(openapi())
}

/// The HTTP application.
pub fn app(state: AppState) -> Router {
    let mut router = Router::new();
    for (endpoint, handler) in routes() {
        router = router.route(endpoint.path, handler);
    }
    router
        .merge(crate::web::routes())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(state.clone(), authenticate))
        .layer(middleware::from_fn(time_limit))
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state)
}

/// The person a request acts for, from its bearer token.
#[derive(Debug, Clone)]
pub struct Principal {
    /// The token's owner.
    pub person: Person,
    /// The token's number.
    pub token: u64,
}

impl Principal {
    /// The actor stamped on the events of this request's changes.
    pub fn actor(&self) -> crate::store::Actor {
        crate::store::Actor::new(format!("{}@api", self.person.barcode))
    }
}

/// A number from the path, or a 400 that names it.
fn parse_number(text: &str, zh: &str, en: &str) -> Result<u64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            &format!("{zh} {text:?} 无效 / {en} {text:?} is not a number"),
        )
    })
}

/// Every API route needs `Authorization: Bearer <token>` of a live token (or, for the
/// live stream, which browsers open without headers, `?token=`); `/healthz` and the
/// static web pages do not.
async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
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
    let unauthorized = |message: &str| {
        let mut response =
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", message).into_response();
        response.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
        response
    };
    let Some(secret) = secret else {
        return unauthorized("需要令牌（Authorization: Bearer …）/ a bearer token is required (Authorization: Bearer …)");
    };
    match state.store.authenticate(&secret) {
        Ok(Some((token, person))) => {
            request.extensions_mut().insert(Principal {
                person,
                token: token.id,
            });
            next.run(request).await
        }
        Ok(None) => unauthorized("令牌无效或已吊销 / the token is invalid or revoked"),
        Err(error) => ApiError::from(error).into_response(),
    }
}

impl AppState {
    /// Refuses (403, recorded as an event) unless `principal` has at least `role`.
    async fn require(&self, principal: &Principal, role: Role, what: &str) -> Result<(), ApiError> {
        if principal.person.role >= role {
            return Ok(());
        }
        let store = self.store.clone();
        let person = principal.person.barcode;
        let actor = principal.actor();
        let denied = what.to_owned();
        if let Ok(Err(error)) = blocking(move || store.record_denial(&actor, person, &denied)).await
        {
            tracing::error!(%error, "recording a denial failed");
        }
        tracing::warn!(person = %person, what, "request denied");
        let (zh, en) = match role {
            Role::Clerk => ("档案员", "clerks"),
            Role::Supervisor => ("主管", "supervisors"),
            Role::Admin => ("管理员", "administrators"),
        };
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("只有{zh}可以{what} / only {en} may do this: {what}"),
        ))
    }
}

/// Serves `app` on `listener` until `shutdown` completes, then finishes open requests.
pub async fn run(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use axum::serve::ListenerExt;
    // Answers are small and latency matters more than packet count: no Nagle delay.
    let listener = listener.tap_io(|stream| {
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
    });
    axum::serve(listener, app(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// An error answered as `{"error": code, "message": {"zh": …, "en": …}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    zh: String,
    en: String,
}

/// The one shape of every error answer.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
struct ErrorBody {
    /// A short machine-readable code, e.g. `forbidden`.
    error: &'static str,
    /// What is wrong, for people.
    message: crate::workflow::Message,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, bilingual: &str) -> ApiError {
        let (zh, en) = split_bilingual(bilingual);
        ApiError {
            status,
            code,
            zh,
            en,
        }
    }
}

/// Splits a "中文 / English" message into its halves.
pub fn split_bilingual(message: &str) -> (String, String) {
    match message.split_once(" / ") {
        Some((zh, en)) => (zh.trim().to_owned(), en.trim().to_owned()),
        None => (message.to_owned(), message.to_owned()),
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.code,
            message: crate::workflow::Message {
                zh: self.zh,
                en: self.en,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        if error.is_rejection() {
            let status = match error {
                StoreError::NotFound(_)
                | StoreError::UnknownScheme(_)
                | StoreError::UnknownLoan(_)
                | StoreError::UnknownToken(_)
                | StoreError::UnknownJob(_)
                | StoreError::UnknownHandover(_)
                | StoreError::UnknownDevice(_) => StatusCode::NOT_FOUND,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            return ApiError::new(status, "rejected", &error.to_string());
        }
        tracing::error!(%error, "store failure while answering a request");
        ApiError::internal()
    }
}

impl ApiError {
    /// A 500 that says nothing of the internals (they are logged).
    fn internal() -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "内部错误，已记录日志 / internal error, logged on the station",
        )
    }
}

/// A JSON body, or a 400 that says what is wrong with it.
fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, ApiError> {
    body.map(|Json(value)| value).map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                &format!("请求体超过 {MAX_BODY_BYTES} 字节 / the request body is larger than {MAX_BODY_BYTES} bytes"),
            );
        }
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_request",
            &format!("请求格式错误：{rejection} / malformed request: {rejection}"),
        )
    })
}

/// The largest request body accepted.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a request may take (the live stream excepted).
pub const REQUEST_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Answers 503 when a request runs past [`REQUEST_TIMEOUT`].
async fn time_limit(request: Request, next: Next) -> Response {
    if request.uri().path() == "/api/v1/live" {
        return next.run(request).await;
    }
    match tokio::time::timeout(REQUEST_TIMEOUT, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "timeout",
            "请求超时 / the request took too long",
        )
        .into_response(),
    }
}

/// Runs store work (which waits for a flush) off the async threads.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(%error, "blocking task failed");
        ApiError::internal()
    })
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        "没有这个地址 / no such endpoint",
    )
}

#[derive(Serialize, schemars::JsonSchema)]
struct Health {
    status: &'static str,
    events: u64,
}

async fn healthz(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok",
        events: state.store.head().0,
    })
}

/// A place with its barcode and human path.
#[derive(Serialize, schemars::JsonSchema)]
struct PlaceView {
    barcode: String,
    path: String,
}

/// An item as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
struct ItemView {
    #[schemars(extend("enum" = ["box", "certificate", "location", "person"]))]
    kind: &'static str,
    barcode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    archive_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    year: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retention: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["registered", "stored", "at counter", "on loan", "in handover", "missing", null]))]
    status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<PlaceView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    home: Option<PlaceView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    /// Who has the box, if it is lent.
    #[serde(skip_serializing_if = "Option::is_none")]
    holder: Option<String>,
    /// When it is due back, if it is lent.
    #[serde(skip_serializing_if = "Option::is_none")]
    due: Option<chrono::NaiveDate>,
}

fn place_view(store: &Store, barcode: Option<Barcode>) -> Result<Option<PlaceView>, StoreError> {
    let Some(barcode) = barcode else {
        return Ok(None);
    };
    let path = match store.get_item(barcode)? {
        Some(Item::Location(location)) => location.path,
        _ => String::new(),
    };
    Ok(Some(PlaceView {
        barcode: barcode.to_string(),
        path,
    }))
}

fn box_view(store: &Store, archive_box: ArchiveBox) -> Result<ItemView, StoreError> {
    let (holder, due) = match store.open_loan_of(archive_box.barcode)? {
        Some(loan) => (
            Some(person_name(store, loan.borrower)?.unwrap_or_else(|| loan.borrower.to_string())),
            Some(loan.due),
        ),
        None => (None, None),
    };
    Ok(ItemView {
        kind: "box",
        barcode: archive_box.barcode.to_string(),
        status: Some(archive_box.status.label().1),
        place: place_view(store, archive_box.place)?,
        home: place_view(store, archive_box.home)?,
        archive_no: Some(archive_box.archive_no),
        title: Some(archive_box.title),
        customer: Some(archive_box.customer),
        category: Some(archive_box.category),
        year: archive_box.year,
        retention: archive_box.retention.map(Retention::to_text),
        path: None,
        name: None,
        holder,
        due,
    })
}

fn item_view(store: &Store, item: Item) -> Result<ItemView, StoreError> {
    let empty = |kind: &'static str, barcode: Barcode| ItemView {
        kind,
        barcode: barcode.to_string(),
        archive_no: None,
        title: None,
        customer: None,
        category: None,
        year: None,
        retention: None,
        status: None,
        place: None,
        home: None,
        path: None,
        name: None,
        holder: None,
        due: None,
    };
    Ok(match item {
        Item::Box(archive_box) => box_view(store, archive_box)?,
        Item::Certificate(certificate) => ItemView {
            archive_no: Some(certificate.archive_no),
            title: Some(certificate.kind.to_text().to_owned()),
            name: Some(certificate.number),
            status: Some(certificate.status.label().1),
            place: place_view(store, certificate.place)?,
            ..empty("certificate", certificate.barcode)
        },
        Item::Location(location) => ItemView {
            path: Some(location.path),
            name: Some(location.name),
            ..empty("location", location.barcode)
        },
        Item::Person(person) => ItemView {
            name: Some(person.name),
            ..empty("person", person.barcode)
        },
    })
}

fn parse_barcode(text: &str) -> Result<Barcode, ApiError> {
    Barcode::parse(text)
        .map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, "bad_barcode", &error.to_string()))
}

async fn get_item(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
) -> Result<Json<ItemView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let store = &state.store;
    let item = store
        .get_item(barcode)?
        .ok_or(StoreError::NotFound(barcode))?;
    if matches!(item, Item::Certificate(_)) {
        state
            .require(&principal, Role::Supervisor, "查看权证 / see certificates")
            .await?;
    }
    Ok(Json(item_view(store, item)?))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct BoxQuery {
    archive_no: Option<String>,
    customer: Option<String>,
    category: Option<String>,
    year: Option<u16>,
    /// registered, stored, at counter, on loan, in handover, missing.
    status: Option<String>,
    /// A location's barcode: the boxes standing there.
    location: Option<String>,
    /// The last barcode of the previous page.
    after: Option<String>,
    limit: Option<usize>,
}

/// How many boxes a filtered search looks at for one page before it stops (the caller
/// continues from the cursor in the `x-next-after` header).
const MAX_SCANNED: usize = 100_000;

/// Boxes by archive number (exact), customer prefix, location, category, year, status;
/// `limit` per page (≤ 500), `after` = the cursor; the next cursor comes back in the
/// `x-next-after` header when there may be more.
async fn find_boxes(
    State(state): State<AppState>,
    Query(query): Query<BoxQuery>,
) -> Result<Response, ApiError> {
    let limit = query.limit.unwrap_or(50);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "bad_limit",
            &format!("limit 应在 1–{MAX_PAGE} 之间 / limit must be between 1 and {MAX_PAGE}"),
        ));
    }
    let after = query.after.as_deref().map(parse_barcode).transpose()?;
    let status = match query.status.as_deref() {
        Some(text) => Some(
            [
                crate::model::ItemStatus::Registered,
                crate::model::ItemStatus::Stored,
                crate::model::ItemStatus::AtCounter,
                crate::model::ItemStatus::OnLoan,
                crate::model::ItemStatus::InHandover,
                crate::model::ItemStatus::Missing,
            ]
            .into_iter()
            .find(|status| status.label().1 == text || status.label().0 == text)
            .ok_or_else(|| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "bad_status",
                    &format!("状态 {text:?} 无效 / status {text:?} is not known"),
                )
            })?,
        ),
        None => None,
    };
    let keep = |b: &ArchiveBox| {
        query.category.as_ref().is_none_or(|c| b.category == *c)
            && query.year.is_none_or(|y| b.year == Some(y))
            && status.is_none_or(|s| b.status == s)
    };
    let store = &state.store;
    let mut boxes = Vec::new();
    let mut next = None;
    if let Some(number) = &query.archive_no {
        boxes.extend(store.box_by_archive_no(number.trim())?.filter(|b| keep(b)));
    } else if let Some(customer) = &query.customer {
        let page = store.search_customer(customer, after, limit)?;
        if page.len() == limit {
            next = page.last().map(|b| b.barcode);
        }
        boxes.extend(page.into_iter().filter(|b| keep(b)));
    } else if let Some(location) = &query.location {
        let location = parse_barcode(location)?;
        for barcode in store.barcodes_at(location, usize::MAX)? {
            if after.is_some_and(|after| barcode <= after) {
                continue;
            }
            if let Some(Item::Box(archive_box)) = store.get_item(barcode)? {
                if keep(&archive_box) {
                    if boxes.len() == limit {
                        next = boxes.last().map(|b: &ArchiveBox| b.barcode);
                        break;
                    }
                    boxes.push(archive_box);
                }
            }
        }
    } else if query.category.is_some() || query.year.is_some() || status.is_some() {
        for (scanned, archive_box) in store.boxes_after(after).enumerate() {
            let archive_box = archive_box?;
            if scanned == MAX_SCANNED {
                next = Some(archive_box.barcode);
                break;
            }
            if keep(&archive_box) {
                boxes.push(archive_box);
                if boxes.len() == limit {
                    next = boxes.last().map(|b| b.barcode);
                    break;
                }
            }
        }
    }
    let views = boxes
        .into_iter()
        .map(|b| box_view(store, b))
        .collect::<Result<Vec<_>, _>>()?;
    let mut response = Json(views).into_response();
    if let Some(next) = next {
        if let Ok(value) = axum::http::HeaderValue::from_str(&next.to_string()) {
            response.headers_mut().insert("x-next-after", value);
        }
    }
    Ok(response)
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ListQuery {
    limit: Option<usize>,
}

async fn location_items(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    Query(query): Query<ListQuery>,
) -> Result<Json<Vec<ItemView>>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let limit = query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let store = &state.store;
    match store.get_item(barcode)? {
        Some(Item::Location(location)) if location.kind == LocationKind::Safe => {
            state
                .require(
                    &principal,
                    Role::Supervisor,
                    "查看保险柜 / see a safe's contents",
                )
                .await?;
        }
        Some(Item::Location(_)) => {}
        Some(_) | None => return Err(StoreError::NotFound(barcode).into()),
    }
    let views = store
        .items_at(barcode, limit)?
        .into_iter()
        .map(|item| item_view(store, item))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Json(views))
}

/// A scan sent over HTTP: a browser page or a keyboard-wedge scanner station.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ScanRequest {
    workstation: String,
    data: String,
}

/// The longest scan accepted over HTTP, in bytes (a scanner's own limit is far lower).
const MAX_SCAN_BYTES: usize = 4096;

async fn post_scan(
    State(state): State<AppState>,
    body: Result<Json<ScanRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ScanResult>, ApiError> {
    let request = json_body(body)?;
    if !state.workstations.contains(&request.workstation) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_workstation",
            &format!(
                "工作站 {:?} 未配置 / workstation {:?} is not configured",
                request.workstation, request.workstation
            ),
        ));
    }
    if request.data.len() > MAX_SCAN_BYTES {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "scan_too_long",
            &format!(
                "扫描内容超过 {MAX_SCAN_BYTES} 字节 / scan longer than {MAX_SCAN_BYTES} bytes"
            ),
        ));
    }
    let engine = state.engine.clone();
    let result = blocking(move || engine.scan(&request.workstation, &request.data)).await?;
    Ok(Json(result))
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RecentQuery {
    workstation: Option<String>,
    limit: Option<usize>,
}

async fn recent_scans(
    State(state): State<AppState>,
    Query(query): Query<RecentQuery>,
) -> Json<Vec<ScanResult>> {
    let limit = query.limit.unwrap_or(50).clamp(1, RECENT_RESULTS);
    let recent = state
        .recent
        .lock()
        .unwrap_or_else(|poison| poison.into_inner());
    let mut out: Vec<ScanResult> = recent
        .iter()
        .rev()
        .filter(|result| {
            query
                .workstation
                .as_ref()
                .is_none_or(|workstation| *workstation == result.workstation)
        })
        .take(limit)
        .cloned()
        .collect();
    out.reverse();
    Json(out)
}

async fn devices(State(state): State<AppState>) -> Json<Vec<DeviceState>> {
    Json(state.devices.snapshot())
}

/// A supervisor's approval for someone to borrow, recorded before the checkout.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct ApprovalRequest {
    borrower: String,
    /// The approving supervisor; the token's owner when absent.
    approver: Option<String>,
    /// Last day it may be used; today when absent.
    valid_until: Option<chrono::NaiveDate>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct ApprovalView {
    borrower: String,
    approver: String,
    valid_until: chrono::NaiveDate,
}

async fn approve_borrower(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<ApprovalRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<ApprovalView>), ApiError> {
    state
        .require(&principal, Role::Supervisor, "批准借阅 / approve loans")
        .await?;
    let request = json_body(body)?;
    let borrower = parse_barcode(&request.borrower)?;
    let approver = match &request.approver {
        Some(text) => parse_barcode(text)?,
        None => principal.person.barcode,
    };
    if approver != principal.person.barcode && principal.person.role < Role::Admin {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            "只能以自己的名义批准 / you may approve only in your own name",
        ));
    }
    let today = chrono::DateTime::from_timestamp_millis(state.store.now())
        .map(|at| at.date_naive())
        .unwrap_or_default();
    let valid_until = request.valid_until.unwrap_or(today);
    if valid_until < today {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rejected",
            "批准的有效期已过 / the approval would already have expired",
        ));
    }
    let actor = crate::store::Actor::new(format!("{approver}@api"));
    let store = state.store.clone();
    let approval =
        blocking(move || store.approve_borrower(&actor, borrower, approver, valid_until)).await??;
    Ok((
        StatusCode::CREATED,
        Json(ApprovalView {
            borrower: approval.borrower.to_string(),
            approver: approval.approver.to_string(),
            valid_until: approval.valid_until,
        }),
    ))
}

/// One event as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
struct EventView {
    seq: u64,
    at: crate::model::Millis,
    station: String,
    actor: String,
    kind: String,
    changes: Vec<crate::event::Change>,
}

async fn item_history(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
) -> Result<Json<Vec<EventView>>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let store = &state.store;
    let item = store
        .get_item(barcode)?
        .ok_or(StoreError::NotFound(barcode))?;
    if matches!(item, Item::Certificate(_)) {
        state
            .require(&principal, Role::Supervisor, "查看权证 / see certificates")
            .await?;
    }
    let events = store
        .history(barcode)?
        .into_iter()
        .map(|event| EventView {
            seq: event.seq,
            at: event.body.at,
            station: event.body.station,
            actor: event.body.actor,
            kind: format!("{:?}", event.body.kind),
            changes: event.body.changes,
        })
        .collect();
    Ok(Json(events))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct LiveQuery {
    workstation: Option<String>,
    /// Browsers' EventSource cannot send headers; the middleware reads this.
    #[serde(rename = "token")]
    _token: Option<String>,
}

/// Server-sent events: every scan result (event `scan`, the result as JSON), optionally
/// only those of one workstation, and every committed change (event `change`: seq, count,
/// kind, item, actor).
async fn live(
    State(state): State<AppState>,
    Query(query): Query<LiveQuery>,
) -> axum::response::sse::Sse<
    impl futures_util::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>,
> {
    use axum::response::sse::{Event, KeepAlive, Sse};
    use tokio::sync::broadcast::error::RecvError;
    let results = state.engine.subscribe();
    let changes = state.store.subscribe();
    let stream = futures_util::stream::unfold(
        (results, changes, query.workstation),
        |(mut results, mut changes, workstation)| async move {
            loop {
                let event = tokio::select! {
                    result = results.recv() => match result {
                        Ok(result) => {
                            if workstation.as_ref().is_some_and(|w| *w != result.workstation) {
                                continue;
                            }
                            Event::default()
                                .event("scan")
                                .json_data(&result)
                                .unwrap_or_else(|_| Event::default().event("scan"))
                        }
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    },
                    change = changes.recv() => match change {
                        Ok(change) => Event::default()
                            .event("change")
                            .json_data(&change)
                            .unwrap_or_else(|_| Event::default().event("change")),
                        Err(RecvError::Lagged(_)) => continue,
                        Err(RecvError::Closed) => return None,
                    },
                };
                return Some((Ok(event), (results, changes, workstation)));
            }
        },
    );
    Sse::new(stream).keep_alive(KeepAlive::default())
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LoanQuery {
    /// Only loans past their due date.
    overdue: Option<bool>,
    /// Only this borrower's loans.
    borrower: Option<String>,
}

/// An open loan as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
struct LoanView {
    id: u64,
    item: String,
    archive_no: Option<String>,
    title: Option<String>,
    borrower: String,
    borrower_name: Option<String>,
    approver: Option<String>,
    out_at: crate::model::Millis,
    due: chrono::NaiveDate,
    overdue: bool,
}

fn today(store: &Store) -> chrono::NaiveDate {
    chrono::DateTime::from_timestamp_millis(store.now())
        .map(|at| at.date_naive())
        .unwrap_or_default()
}

fn person_name(store: &Store, barcode: Barcode) -> Result<Option<String>, StoreError> {
    Ok(match store.get_item(barcode)? {
        Some(Item::Person(person)) => Some(person.name),
        _ => None,
    })
}

/// Open loans: all, overdue only, or one borrower's.
fn loan_views(
    store: &Store,
    overdue_only: bool,
    borrower: Option<Barcode>,
) -> Result<Vec<LoanView>, StoreError> {
    let today = today(store);
    let loans = match borrower {
        Some(borrower) => store.open_loans_of(borrower)?,
        None if overdue_only => store.loans_due_by(today.pred_opt().unwrap_or(today))?,
        None => store.loans_due_by(chrono::NaiveDate::MAX)?,
    };
    let mut out = Vec::with_capacity(loans.len());
    for loan in loans {
        let overdue = loan.due < today;
        if overdue_only && !overdue {
            continue;
        }
        let (archive_no, title) = match store.get_item(loan.item)? {
            Some(Item::Box(archive_box)) => (Some(archive_box.archive_no), Some(archive_box.title)),
            _ => (None, None),
        };
        out.push(LoanView {
            id: loan.id,
            item: loan.item.to_string(),
            archive_no,
            title,
            borrower: loan.borrower.to_string(),
            borrower_name: person_name(store, loan.borrower)?,
            approver: loan.approver.map(|a| a.to_string()),
            out_at: loan.out_at,
            due: loan.due,
            overdue,
        });
    }
    Ok(out)
}

/// Open loans: all, overdue (`?overdue=true`), or one borrower's (`?borrower=P…`).
async fn loans(
    State(state): State<AppState>,
    Query(query): Query<LoanQuery>,
) -> Result<Json<Vec<LoanView>>, ApiError> {
    let borrower = query.borrower.as_deref().map(parse_barcode).transpose()?;
    Ok(Json(loan_views(
        &state.store,
        query.overdue == Some(true),
        borrower,
    )?))
}

const LOAN_COLUMNS: [&str; 8] = [
    "借阅号",
    "条码",
    "档案号",
    "题名",
    "借阅人",
    "借出时间",
    "应还日期",
    "逾期",
];

fn loan_rows(store: &Store) -> Result<Vec<Vec<String>>, StoreError> {
    Ok(loan_views(store, false, None)?
        .into_iter()
        .map(|loan| {
            vec![
                loan.id.to_string(),
                loan.item,
                loan.archive_no.unwrap_or_default(),
                loan.title.unwrap_or_default(),
                loan.borrower_name.unwrap_or(loan.borrower),
                chrono::DateTime::from_timestamp_millis(loan.out_at)
                    .map(|at| at.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_default(),
                loan.due.to_string(),
                if loan.overdue { "是" } else { "否" }.to_owned(),
            ]
        })
        .collect())
}

fn download(bytes: Vec<u8>, content_type: &'static str, name: &str) -> Response {
    (
        [
            (axum::http::header::CONTENT_TYPE, content_type.to_owned()),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        bytes,
    )
        .into_response()
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

fn report_error(error: crate::ledger::LedgerError) -> ApiError {
    tracing::error!(%error, "writing a report failed");
    ApiError::internal()
}

/// The ledger (台帐) as CSV or XLSX.
async fn ledger_report(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    state
        .require(&principal, Role::Supervisor, "导出报表 / export reports")
        .await?;
    let store = state.store.clone();
    match file.as_str() {
        "ledger.csv" => {
            let bytes = blocking(move || {
                let mut out = Vec::new();
                crate::ledger::export_csv(&store, &mut out).map(|_| out)
            })
            .await?
            .map_err(report_error)?;
            Ok(download(bytes, "text/csv; charset=utf-8", "ledger.csv"))
        }
        "ledger.xlsx" => {
            let bytes = blocking(move || crate::ledger::export_xlsx(&store))
                .await?
                .map_err(report_error)?;
            Ok(download(bytes, XLSX, "ledger.xlsx"))
        }
        "loans.csv" | "loans.xlsx" => {
            let rows = blocking(move || loan_rows(&store)).await??;
            if file == "loans.xlsx" {
                let bytes = crate::ledger::xlsx("借阅", &LOAN_COLUMNS, &rows).map_err(report_error)?;
                return Ok(download(bytes, XLSX, "loans.xlsx"));
            }
            let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
            let written = std::iter::once(LOAN_COLUMNS.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>())
                .chain(rows)
                .try_for_each(|row| writer.write_record(&row));
            let bytes = written
                .ok()
                .and_then(|()| writer.into_inner().ok())
                .ok_or_else(ApiError::internal)?;
            Ok(download(bytes, "text/csv; charset=utf-8", "loans.csv"))
        }
        _ => Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "not_found",
            "报表只有 ledger.csv、ledger.xlsx、loans.csv、loans.xlsx / reports are ledger.csv, ledger.xlsx, loans.csv, loans.xlsx",
        )),
    }
}

/// An open handover with its deadline state.
#[derive(Serialize, schemars::JsonSchema)]
struct HandoverView {
    id: u64,
    #[schemars(extend("enum" = ["officer_to_officer", "officer_to_archivist"]))]
    stage: &'static str,
    from: String,
    to: String,
    items: Vec<String>,
    deadline: chrono::NaiveDate,
    /// `normal`, `warning` (due today) or `overdue`.
    #[schemars(extend("enum" = ["normal", "warning", "overdue"]))]
    state: &'static str,
}

/// Open handovers, earliest deadline first, each normal / warning / overdue.
async fn handovers(State(state): State<AppState>) -> Result<Json<Vec<HandoverView>>, ApiError> {
    let store = &state.store;
    let today = today(store);
    let views = store
        .open_handovers()?
        .into_iter()
        .map(|handover| HandoverView {
            id: handover.id,
            stage: match handover.stage {
                crate::model::HandoverStage::OfficerToOfficer => "officer_to_officer",
                crate::model::HandoverStage::OfficerToArchivist => "officer_to_archivist",
            },
            from: handover.from.to_string(),
            to: handover.to.to_string(),
            items: handover.items.iter().map(ToString::to_string).collect(),
            deadline: handover.deadline,
            state: match handover.deadline.cmp(&today) {
                std::cmp::Ordering::Less => "overdue",
                std::cmp::Ordering::Equal => "warning",
                std::cmp::Ordering::Greater => "normal",
            },
        })
        .collect();
    Ok(Json(views))
}

mod admin;
#[cfg(test)]
mod tests;

/// Prometheus text format: scans by outcome, durable-write latency, events, print jobs,
/// device states.
async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    use std::fmt::Write as _;
    use std::sync::atomic::Ordering;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# HELP station_scans_total Scan results since start, by outcome."
    );
    let _ = writeln!(out, "# TYPE station_scans_total counter");
    for (slot, outcome) in ["ok", "warning", "error"].iter().enumerate() {
        let value = state.outcomes[slot].load(Ordering::Relaxed);
        let _ = writeln!(out, "station_scans_total{{outcome=\"{outcome}\"}} {value}");
    }
    let latency = state.store.write_latency();
    let _ = writeln!(
        out,
        "# HELP station_durable_write_seconds Time from a change's start to its flush."
    );
    let _ = writeln!(out, "# TYPE station_durable_write_seconds histogram");
    for (bound, count) in &latency.buckets {
        let _ = writeln!(
            out,
            "station_durable_write_seconds_bucket{{le=\"{bound}\"}} {count}"
        );
    }
    let _ = writeln!(
        out,
        "station_durable_write_seconds_bucket{{le=\"+Inf\"}} {}",
        latency.count
    );
    let _ = writeln!(
        out,
        "station_durable_write_seconds_sum {}",
        latency.sum_seconds
    );
    let _ = writeln!(out, "station_durable_write_seconds_count {}", latency.count);
    let _ = writeln!(out, "# HELP station_events Events in the log.");
    let _ = writeln!(out, "# TYPE station_events gauge");
    let _ = writeln!(out, "station_events {}", state.store.head().0);
    let pending = state.store.pending_jobs()?.len();
    let _ = writeln!(
        out,
        "# HELP station_print_jobs_pending Labels waiting for their printer."
    );
    let _ = writeln!(out, "# TYPE station_print_jobs_pending gauge");
    let _ = writeln!(out, "station_print_jobs_pending {pending}");
    let _ = writeln!(
        out,
        "# HELP station_device_connected Whether a device is connected (1) or not (0)."
    );
    let _ = writeln!(out, "# TYPE station_device_connected gauge");
    for device in state.devices.snapshot() {
        let name = device.name.replace(['\\', '"', '\n'], "_");
        let _ = writeln!(
            out,
            "station_device_connected{{name=\"{name}\",kind=\"{}\"}} {}",
            device.kind,
            u8::from(device.connected)
        );
    }
    Ok((
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4",
        )],
        out,
    )
        .into_response())
}

/// A box to register.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct RegisterRequest {
    title: String,
    customer: String,
    #[serde(default)]
    category: String,
    archive_no: Option<String>,
    scheme: Option<String>,
    year: Option<u16>,
    retention: Option<String>,
    /// Home shelf as a path, e.g. `1号库房/05列/A面/3节/4层`.
    home: Option<String>,
    /// Print its label at once on this workstation's printer.
    print_at: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct Registered {
    #[serde(flatten)]
    item: ItemView,
    label_jobs: Vec<u64>,
}

async fn register_box(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<RegisterRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let request = json_body(body)?;
    let bad =
        |message: String| ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "rejected", &message);
    let year = request.year.unwrap_or_else(|| {
        u16::try_from(chrono::Datelike::year(&today(&state.store))).unwrap_or(2000)
    });
    let scheme = match &request.scheme {
        Some(name) => Some(
            crate::config::effective_schemes(&state.config, &state.store)?
                .into_iter()
                .find(|scheme| scheme.name() == name)
                .ok_or_else(|| {
                    bad(format!(
                        "编号方案 {name} 不存在 / numbering scheme {name} does not exist"
                    ))
                })?,
        ),
        None => None,
    };
    let retention = match &request.retention {
        Some(text) => Some(crate::model::Retention::parse(text).ok_or_else(|| {
            bad(format!(
                "保管期限 {text:?} 无效 / retention {text:?} is not valid"
            ))
        })?),
        None => None,
    };
    let actor = principal.actor();
    let store = state.store.clone();
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
    let registered = blocking(move || {
        store.write(&actor, |tx| {
            let home = match &home_path {
                Some(path) => Some(tx.ensure_location(path)?),
                None => None,
            };
            tx.register_box(&crate::store::NewBox {
                home,
                ..new.clone()
            })
        })
    })
    .await??;
    let mut label_jobs = Vec::new();
    if let Some(workstation) = &request.print_at {
        let jobs = state.print_labels(
            &principal,
            vec![registered.barcode.to_string()],
            None,
            Some(workstation),
            None,
        )?;
        label_jobs = jobs.iter().map(|job| job.id).collect();
    }
    Ok((
        StatusCode::CREATED,
        Json(Registered {
            item: box_view(&state.store, registered)?,
            label_jobs,
        }),
    ))
}

/// Fields to change; absent ones stay.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct EditRequest {
    title: Option<String>,
    customer: Option<String>,
    category: Option<String>,
    year: Option<u16>,
    retention: Option<String>,
}

async fn edit_box(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    body: Result<Json<EditRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<ItemView>, ApiError> {
    let barcode = parse_barcode(&barcode)?;
    let request = json_body(body)?;
    let retention = match &request.retention {
        Some(text) => Some(Some(crate::model::Retention::parse(text).ok_or_else(
            || {
                ApiError::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    "rejected",
                    &format!("保管期限 {text:?} 无效 / retention {text:?} is not valid"),
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
    let store = state.store.clone();
    let edited = blocking(move || store.edit_box(&actor, barcode, &edit)).await??;
    Ok(Json(box_view(&state.store, edited)?))
}

/// Labels to print.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct LabelsRequest {
    barcodes: Vec<String>,
    printer: Option<String>,
    workstation: Option<String>,
    /// For a reprint: the job reprinted.
    reprint_of: Option<u64>,
    /// Why it is printed again (required with `reprint_of`).
    reason: Option<String>,
}

#[derive(Serialize, schemars::JsonSchema)]
struct JobView {
    id: u64,
    printer: String,
    subject: String,
    attempts: u32,
    last_error: Option<String>,
    next_attempt_at: crate::model::Millis,
}

impl From<crate::model::PrintJob> for JobView {
    fn from(job: crate::model::PrintJob) -> JobView {
        JobView {
            id: job.id,
            printer: job.printer,
            subject: job.subject,
            attempts: job.attempts,
            last_error: job.last_error,
            next_attempt_at: job.next_attempt_at,
        }
    }
}

async fn print_labels(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<LabelsRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Vec<JobView>>), ApiError> {
    let request = json_body(body)?;
    let reprint = match (request.reprint_of, request.reason) {
        (Some(job), Some(reason)) => Some((job, reason)),
        (Some(_), None) => return Err(StoreError::ReprintReason.into()),
        (None, _) => None,
    };
    let state_for_print = state.clone();
    let jobs = blocking(move || {
        state_for_print.print_labels(
            &principal,
            request.barcodes,
            request.printer,
            request.workstation.as_deref(),
            reprint,
        )
    })
    .await??;
    Ok((
        StatusCode::CREATED,
        Json(jobs.into_iter().map(JobView::from).collect()),
    ))
}

/// Why a waiting label is cancelled.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CancelRequest {
    /// Recorded with the cancellation, e.g. "printer replaced".
    reason: String,
}

/// Cancels a waiting label: a person's decision, recorded as an event.
async fn cancel_label(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: Result<Json<CancelRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<StatusCode, ApiError> {
    let id = parse_number(&id, "打印任务编号", "print job number")?;
    let request = json_body(body)?;
    let actor = principal.actor();
    let store = state.store.clone();
    blocking(move || store.cancel_print(&actor, id, &request.reason)).await??;
    Ok(StatusCode::NO_CONTENT)
}

async fn label_queue(State(state): State<AppState>) -> Result<Json<Vec<JobView>>, ApiError> {
    Ok(Json(
        state
            .store
            .pending_jobs()?
            .into_iter()
            .map(JobView::from)
            .collect(),
    ))
}

/// A person as the API shows them.
#[derive(Serialize, schemars::JsonSchema)]
struct PersonView {
    /// The badge's barcode.
    barcode: String,
    name: String,
    #[schemars(extend("enum" = ["clerk", "supervisor", "admin"]))]
    role: String,
    borrow_directly: bool,
    /// `false` once they have left: their badge and tokens no longer work.
    active: bool,
}

impl PersonView {
    fn new(person: Person, active: bool) -> PersonView {
        PersonView {
            barcode: person.barcode.to_string(),
            name: person.name,
            role: format!("{:?}", person.role).to_lowercase(),
            borrow_directly: person.borrow_directly,
            active,
        }
    }
}

async fn people(State(state): State<AppState>) -> Result<Json<Vec<PersonView>>, ApiError> {
    let mut out = Vec::new();
    for item in state.store.items_of_kind(crate::barcode::Kind::Person) {
        if let Item::Person(person) = item? {
            let active = !state.store.has_left(person.barcode)?;
            out.push(PersonView::new(person, active));
        }
    }
    Ok(Json(out))
}

/// `clerk`, `supervisor` or `admin`.
fn parse_role(text: &str) -> Result<Role, ApiError> {
    match text {
        "clerk" => Ok(Role::Clerk),
        "supervisor" => Ok(Role::Supervisor),
        "admin" => Ok(Role::Admin),
        other => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "rejected",
            &format!("角色 {other:?} 无效（clerk、supervisor、admin）/ role {other:?} is not clerk, supervisor or admin"),
        )),
    }
}

/// What a refusal of the people routes names.
const MANAGE_PEOPLE: &str = "管理人员 / manage people";

/// A person to add.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct PersonRequest {
    name: String,
    /// clerk, supervisor or admin.
    #[schemars(extend("enum" = ["clerk", "supervisor", "admin"]))]
    role: String,
    #[serde(default)]
    borrow_directly: bool,
}

async fn add_person(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<PersonRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<PersonView>), ApiError> {
    state
        .require(&principal, Role::Admin, MANAGE_PEOPLE)
        .await?;
    let request = json_body(body)?;
    let new = crate::store::NewPerson {
        role: parse_role(&request.role)?,
        name: request.name,
        borrow_directly: request.borrow_directly,
    };
    let actor = principal.actor();
    let store = state.store.clone();
    let person = blocking(move || store.add_person(&actor, &new)).await??;
    Ok((StatusCode::CREATED, Json(PersonView::new(person, true))))
}

/// Changes to a person; absent fields stay.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct PersonEditRequest {
    name: Option<String>,
    #[schemars(extend("enum" = ["clerk", "supervisor", "admin", null]))]
    role: Option<String>,
    borrow_directly: Option<bool>,
    /// `false`: they have left (badge and tokens stop working at once); `true`: back.
    active: Option<bool>,
}

async fn edit_person(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(barcode): Path<String>,
    body: Result<Json<PersonEditRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<PersonView>, ApiError> {
    state
        .require(&principal, Role::Admin, MANAGE_PEOPLE)
        .await?;
    let person = parse_barcode(&barcode)?;
    let request = json_body(body)?;
    let edit = crate::store::PersonEdit {
        role: request.role.as_deref().map(parse_role).transpose()?,
        name: request.name,
        borrow_directly: request.borrow_directly,
        active: request.active,
    };
    let actor = principal.actor();
    let store = state.store.clone();
    let (person, active) = blocking(move || store.edit_person(&actor, person, &edit)).await??;
    Ok(Json(PersonView::new(person, active)))
}

/// A certificate to register.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct CertificateRequest {
    /// 不动产权证, 他项权证, 动产抵押登记, 股权出质登记, or another name.
    kind: String,
    number: String,
    archive_no: String,
}

async fn register_certificate(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<CertificateRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<ItemView>), ApiError> {
    state
        .require(
            &principal,
            Role::Supervisor,
            "登记权证 / register certificates",
        )
        .await?;
    let request = json_body(body)?;
    let new = crate::store::NewCertificate {
        kind: crate::model::CertificateKind::parse(&request.kind),
        number: request.number,
        archive_no: request.archive_no,
    };
    let actor = principal.actor();
    let store = state.store.clone();
    let certificate = blocking(move || store.register_certificate(&actor, &new)).await??;
    Ok((
        StatusCode::CREATED,
        Json(item_view(&state.store, Item::Certificate(certificate))?),
    ))
}

/// A token to create.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    person: String,
    #[serde(default)]
    label: String,
}

#[derive(Serialize, schemars::JsonSchema)]
struct TokenView {
    id: u64,
    person: String,
    /// Shown this once.
    secret: String,
}

async fn create_token(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: Result<Json<TokenRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<TokenView>), ApiError> {
    state
        .require(&principal, Role::Admin, "管理令牌 / manage tokens")
        .await?;
    let request = json_body(body)?;
    let person = parse_barcode(&request.person)?;
    let actor = principal.actor();
    let store = state.store.clone();
    let new = blocking(move || store.create_token(&actor, person, &request.label)).await??;
    Ok((
        StatusCode::CREATED,
        Json(TokenView {
            id: new.token.id,
            person: new.token.person.to_string(),
            secret: new.secret,
        }),
    ))
}

async fn revoke_token(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .require(&principal, Role::Admin, "管理令牌 / manage tokens")
        .await?;
    let id = parse_number(&id, "令牌编号", "token number")?;
    let actor = principal.actor();
    let store = state.store.clone();
    blocking(move || store.revoke_token(&actor, id)).await??;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, schemars::JsonSchema)]
struct LocationView {
    barcode: String,
    path: String,
    kind: String,
    parent: Option<String>,
    capacity: Option<u32>,
    items: usize,
}

/// Every location in path order (a tree by its paths), with what stands there.
async fn locations(State(state): State<AppState>) -> Result<Json<Vec<LocationView>>, ApiError> {
    let store = &state.store;
    let mut out = Vec::new();
    for item in store.items_of_kind(crate::barcode::Kind::Location) {
        if let Item::Location(location) = item? {
            out.push(LocationView {
                barcode: location.barcode.to_string(),
                items: store.count_at(location.barcode)?,
                path: location.path,
                kind: format!("{:?}", location.kind).to_lowercase(),
                parent: location.parent.map(|p| p.to_string()),
                capacity: location.capacity,
            });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Json(out))
}

async fn renew_loan(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<LoanView>, ApiError> {
    state
        .require(&principal, Role::Supervisor, "续借 / renew loans")
        .await?;
    let id = parse_number(&id, "借阅单号", "loan number")?;
    let store = state.store.clone();
    let days = i64::from(state.config.loan_days);
    let actor = principal.actor();
    let loan = blocking(move || {
        let loan = store.loan(id)?.ok_or(StoreError::UnknownLoan(id))?;
        let from = loan.due.max(today(&store));
        store.renew_loan(&actor, id, from + chrono::Duration::days(days))
    })
    .await??;
    let views = loan_views(&state.store, false, Some(loan.borrower))?;
    views
        .into_iter()
        .find(|view| view.id == id)
        .map(Json)
        .ok_or_else(|| StoreError::UnknownLoan(id).into())
}
