//! `/metrics`: Prometheus text of scans by outcome, durable-write latency, events,
//! pending print jobs and devices.

use crate::server::error::ApiError;
use crate::server::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

/// Prometheus text format: scans by outcome, durable-write latency, events, print jobs,
/// device states.
pub(crate) async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
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
    let latency = state.archive.write_latency();
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
    let _ = writeln!(
        out,
        "# HELP station_access_denied_total Requests refused for lack of a role since start."
    );
    let _ = writeln!(out, "# TYPE station_access_denied_total counter");
    let _ = writeln!(out, "station_access_denied_total {}", state.denials.total());
    let _ = writeln!(out, "# HELP station_events Events in the log.");
    let _ = writeln!(out, "# TYPE station_events gauge");
    let _ = writeln!(out, "station_events {}", state.archive.head().0);
    let pending = state
        .archive
        .run(|store| store.pending_jobs().map(|jobs| jobs.len()))
        .await?;
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
