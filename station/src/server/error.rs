//! The one error shape (`{"error": code, "message": {"zh", "en"}}`) and the extractors
//! whose rejections answer in it: JSON bodies, query strings, path parameters, unknown
//! routes, wrong methods, time limits.

use crate::barcode::Barcode;
use crate::message;
use crate::message::{Bilingual, Code, Message};
use crate::server::{MAX_BODY_BYTES, REQUEST_TIMEOUT};
use crate::store::{Refusal, StoreError};
use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

/// A number from the path, or a 400 that names it.
pub(crate) fn parse_number(
    text: &str,
    what: (&'static str, &'static str),
) -> Result<u64, ApiError> {
    text.parse().map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            message!(RequestNotANumber, what = what, text = format!("{text:?}")),
        )
    })
}

/// An error answered as `{"error": code, "message": {"zh": …, "en": …}}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    message: Message,
    /// Seconds for a `Retry-After` header (a throttled sign-in).
    retry_after: Option<u64>,
}

/// The one shape of every error answer.
#[derive(Serialize, schemars::JsonSchema)]
#[schemars(rename = "Error")]
pub(crate) struct ErrorBody {
    /// The stable machine code, e.g. `auth.forbidden`.
    error: Code,
    /// What is wrong, for people.
    message: Bilingual,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, message: Message) -> ApiError {
        ApiError {
            status,
            message,
            retry_after: None,
        }
    }

    /// The same answer with `Retry-After: seconds`.
    pub(crate) fn with_retry_after(self, seconds: u64) -> ApiError {
        ApiError {
            retry_after: Some(seconds),
            ..self
        }
    }

    /// A 500 that says nothing of the internals (they are logged).
    pub(crate) fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, message!(InternalError))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.message.code,
            message: self.message.text,
        };
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> ApiError {
        match error {
            StoreError::Refused(refusal) => {
                let status = if refusal.is_not_found() {
                    StatusCode::NOT_FOUND
                } else if matches!(refusal, crate::store::Refusal::TaskConflict { .. }) {
                    StatusCode::CONFLICT
                } else if matches!(refusal, crate::store::Refusal::TaskNotYours { .. }) {
                    StatusCode::FORBIDDEN
                } else {
                    StatusCode::UNPROCESSABLE_ENTITY
                };
                ApiError::new(status, refusal.message())
            }
            StoreError::Failed(failure) => {
                tracing::error!(error = %failure, "store failure while answering a request");
                ApiError::internal()
            }
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> ApiError {
        ApiError::from(StoreError::Refused(refusal))
    }
}

/// A handler's JSON body as axum hands it over; [`json_body`] answers its rejection.
pub(crate) type JsonBody<T> =
    Result<Json<IntegralNumbers<T>>, axum::extract::rejection::JsonRejection>;

/// A request body read as JSON Schema reads it: a number with no fraction is an integer
/// (`500.0` is the integer 500, valid where the OpenAPI document says `"type":
/// "integer"`), which serde alone refuses for an integer field.
pub(crate) struct IntegralNumbers<T>(pub T);

impl<'de, T: serde::de::DeserializeOwned> serde::Deserialize<'de> for IntegralNumbers<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let mut value = serde_json::Value::deserialize(deserializer)?;
        integral_numbers(&mut value);
        serde_path_to_error::deserialize(value)
            .map(IntegralNumbers)
            .map_err(|error| {
                let path = error.path().to_string();
                let inner = error.into_inner();
                if path == "." {
                    serde::de::Error::custom(inner)
                } else {
                    serde::de::Error::custom(format!("{path}: {inner}"))
                }
            })
    }
}

/// Turns every number with no fraction (within ±2⁵³, where a float is exact) into an
/// integer.
fn integral_numbers(value: &mut serde_json::Value) {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match value {
        Value::Number(number) if !number.is_i64() && !number.is_u64() => {
            if let Some(float) = number.as_f64() {
                if float.fract() == 0.0 && float.abs() <= EXACT {
                    // Exact by the bound above.
                    *value = Value::from(float as i64);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_numbers),
        Value::Object(fields) => fields.values_mut().for_each(integral_numbers),
        _ => {}
    }
}

/// A JSON body, or a 400 that says what is wrong with it.
pub(crate) fn json_body<T>(body: JsonBody<T>) -> Result<T, ApiError> {
    body.map(|Json(IntegralNumbers(value))| value)
        .map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                return ApiError::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    message!(RequestTooLarge, max = MAX_BODY_BYTES),
                );
            }
            ApiError::new(StatusCode::BAD_REQUEST, json_problem(&rejection))
        })
}

/// An extractor like axum's own `$inner`, whose rejection answers in the one error shape
/// with the message `$problem` makes of axum's text.
macro_rules! answering_extractor {
    ($(#[$doc:meta])* $name:ident, $inner:ident, $problem:expr) => {
        $(#[$doc])*
        pub(crate) struct $name<T>(pub T);

        impl<T, S> axum::extract::FromRequestParts<S> for $name<T>
        where
            T: serde::de::DeserializeOwned + Send,
            S: Send + Sync,
        {
            type Rejection = ApiError;

            async fn from_request_parts(
                parts: &mut axum::http::request::Parts,
                state: &S,
            ) -> Result<Self, Self::Rejection> {
                match axum::extract::$inner::<T>::from_request_parts(parts, state).await {
                    Ok(axum::extract::$inner(value)) => Ok($name(value)),
                    Err(rejection) => {
                        let problem: fn(&str) -> Message = $problem;
                        Err(ApiError::new(
                            StatusCode::BAD_REQUEST,
                            problem(&rejection.body_text()),
                        ))
                    }
                }
            }
        }
    };
}

answering_extractor!(
    /// The query string as `T`; a query string that does not fit answers 400 in the one
    /// error shape (axum's own extractor answers plain text).
    Query,
    Query,
    |text| match serde_problem(text) {
        message if message.code == Code::RequestInvalidField => {
            message!(RequestBadQuery, detail = detail_of(text))
        }
        named => named,
    }
);

answering_extractor!(
    /// The path's parameters as `T`; a parameter that does not fit answers 400 in the one
    /// error shape.
    Path,
    Path,
    |text| message!(RequestBadPath, detail = detail_of(text))
);

/// Answers a known path called with a method it does not take.
pub(crate) async fn method_not_allowed(method: axum::http::Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        message!(RequestMethodNotAllowed, method = method.as_str()),
    )
}

/// What is wrong with a JSON body that could not be read, named by its own code.
pub(crate) fn json_problem(rejection: &axum::extract::rejection::JsonRejection) -> Message {
    use axum::extract::rejection::JsonRejection;
    match rejection {
        JsonRejection::JsonDataError(error) => serde_problem(&error.body_text()),
        JsonRejection::JsonSyntaxError(error) => {
            message!(RequestMalformedJson, detail = detail_of(&error.body_text()))
        }
        JsonRejection::MissingJsonContentType(_) => message!(RequestNotJson),
        other => message!(RequestMalformedJson, detail = detail_of(&other.body_text())),
    }
}

/// serde's own words after axum's preface ("Failed to deserialize …: ").
pub(crate) fn detail_of(text: &str) -> &str {
    text.split_once(": ").map_or(text, |(_, detail)| detail)
}

/// A field-level deserialisation failure: an unknown or missing field is named; any other
/// (a wrong type, a number out of range) is told with serde's own words as its detail.
pub(crate) fn serde_problem(text: &str) -> Message {
    let detail = detail_of(text);
    let quoted = |marker: &str| {
        detail
            .split_once(marker)
            .and_then(|(_, rest)| rest.split_once('`'))
            .map(|(field, _)| field.to_owned())
    };
    if let Some(field) = quoted("unknown field `") {
        return message!(RequestUnknownField, field = field);
    }
    if let Some(field) = quoted("missing field `") {
        return message!(RequestMissingField, field = field);
    }
    message!(RequestInvalidField, detail = detail)
}

/// Answers 503 when a request runs past [`REQUEST_TIMEOUT`].
pub(crate) async fn time_limit(request: Request, next: Next) -> Response {
    if request.uri().path() == "/api/v1/live" {
        return next.run(request).await;
    }
    // The limit applies until the request's first write begins: a request answered "timed
    // out" changed nothing (its writes will not begin), and one whose write has begun is
    // answered with what it did, however long that takes.
    let deadline = std::sync::Arc::new(crate::store::WriteDeadline::default());
    let answer = crate::archive::with_deadline(deadline.clone(), next.run(request));
    tokio::pin!(answer);
    match tokio::time::timeout(REQUEST_TIMEOUT, &mut answer).await {
        Ok(response) => response,
        Err(_) if deadline.give_up() => {
            ApiError::new(StatusCode::SERVICE_UNAVAILABLE, message!(RequestTimeout)).into_response()
        }
        Err(_) => answer.await,
    }
}

pub(crate) async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, message!(RequestNoRoute))
}

/// A system barcode as the OpenAPI document describes it: a kind letter and ten digits
/// (the check digit is checked when it is read).
pub(crate) const BARCODE_PATTERN: &str = "^[BCLPKbclpk][0-9]{10}$";

pub(crate) fn parse_barcode(text: &str) -> Result<Barcode, ApiError> {
    Barcode::parse(text).map_err(|error| ApiError::new(StatusCode::BAD_REQUEST, error.message()))
}
