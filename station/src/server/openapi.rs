//! The OpenAPI 3.1 document, built from the route table; schemas are derived from the
//! handlers' own serde types with `schemars`.

use crate::server::error::ErrorBody;
use crate::server::routes::{reference, routes, Answer, Endpoint};
use axum::Json;

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
            .map(|name| {
                // What the handlers read the parameter as (they still check it all).
                let schema = match name {
                    "barcode" => json!({"type": "string", "pattern": crate::server::error::BARCODE_PATTERN}),
                    "id" => json!({"type": "string", "pattern": "^[0-9]{1,19}$"}),
                    "file" => json!({"type": "string", "enum": ["ledger.csv", "ledger.xlsx", "loans.csv", "loans.xlsx", "overdue.csv", "overdue.xlsx"]}),
                    _ => json!({"type": "string", "minLength": 1}),
                };
                json!({"name": name, "in": "path", "required": true, "schema": schema})
            })
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
                if endpoint.paged {
                    ok["headers"] = json!({"x-next-after": {
                        "description": "The cursor of the next page (pass it as `after`), when there is more",
                        "schema": {"type": "string"}
                    }});
                }
                if endpoint.path == "/healthz" {
                    let mut unhealthy = ok.clone();
                    unhealthy["description"] = json!("The store does not accept writes");
                    responses.insert("503".into(), unhealthy);
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
        }
        if endpoint.method == "post"
            || endpoint.method == "put"
            || endpoint.path.ends_with("pdf")
            || endpoint.path.ends_with("/contents")
        {
            // Every change, with a body or without (removing a device, retiring a scheme),
            // and the PDFs made on request (shelf-label sheets, pick lists), which the
            // rules may refuse (nothing to label, too many labels), and a box's contents
            // asked of a barcode that is not a box.
            responses.insert(
                "422".into(),
                error_response("Refused by the archive's rules; nothing changed"),
            );
        }
        if endpoint.path == "/api/v1/session" && endpoint.method == "post" {
            responses.insert(
                "401".into(),
                error_response("Wrong name, password, badge or PIN (which, is not said)"),
            );
            responses.insert(
                "429".into(),
                error_response("Too many failed sign-ins: wait for Retry-After seconds"),
            );
        }
        if endpoint.path == "/api/v1/session/password" {
            responses.insert(
                "429".into(),
                error_response("Too many wrong current passwords: wait for Retry-After seconds"),
            );
        }
        if endpoint.role.is_some() {
            responses.insert(
                "401".into(),
                error_response("No live bearer token or page sign-in"),
            );
            responses.insert(
                "403".into(),
                error_response("The token's role may not do this"),
            );
        }
        responses.insert(
            "500".into(),
            error_response("Internal error (logged on the station)"),
        );
        responses.insert(
            "503".into(),
            error_response("Not answered in time, or the station is busy; try again"),
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
                operation["security"] = json!([{"bearer": []}, {"session": []}]);
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
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "session": {"type": "apiKey", "in": "cookie", "name": "station_session"},
            },
            "schemas": schemas,
        }
    })
}

pub(crate) async fn openapi_json() -> Json<serde_json::Value> {
    Json(openapi())
}
