//! The web pages, embedded in the binary: the counter page and the supervisor page.

use axum::Router;

use crate::server::AppState;

/// The page routes (no token needed: the pages ask for one and send it with every call).
pub fn routes() -> Router<AppState> {
    Router::new()
}
