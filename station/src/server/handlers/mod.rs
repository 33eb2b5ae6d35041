//! One module per resource: the route handlers and their request types.

mod boxes;
mod contents;
mod devices;
mod handovers;
mod health;
mod imports;
mod items;
mod labels;
mod loans;
mod loanslips;
mod locations;
mod map;
mod notifications;
mod people;
mod picklists;
mod scans;
mod schemes;
mod session;
mod tasks;
mod tokens;

pub(crate) use boxes::*;
pub(crate) use contents::*;
pub(crate) use devices::*;
pub(crate) use handovers::*;
pub(crate) use health::*;
pub(crate) use imports::*;
pub(crate) use items::*;
pub(crate) use labels::*;
pub(crate) use loans::*;
pub(crate) use loanslips::*;
pub(crate) use locations::*;
pub(crate) use map::*;
pub(crate) use notifications::*;
pub(crate) use people::*;
pub(crate) use picklists::*;
pub(crate) use scans::*;
pub(crate) use schemes::*;
pub(crate) use session::*;
pub(crate) use tasks::*;
pub(crate) use tokens::*;

use axum::response::{IntoResponse, Response};

use crate::server::error::ApiError;

/// A PDF made on request, to be shown in the browser as `name`.
fn pdf_answer(pdf: Vec<u8>, name: &str) -> Response {
    (
        [
            (
                axum::http::header::CONTENT_TYPE,
                "application/pdf".to_owned(),
            ),
            (
                axum::http::header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{name}\""),
            ),
        ],
        pdf,
    )
        .into_response()
}

/// Runs `render` (making a PDF: CPU-bound work) on the blocking threads.
async fn off_thread<T: Send + 'static>(
    render: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(render)
        .await
        .map_err(|_| ApiError::internal())?
}
