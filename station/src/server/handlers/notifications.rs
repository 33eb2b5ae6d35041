//! The caller's own notifications (issue #14, reminding and urging): the reminders the
//! scheduler wrote for them, newest first, and marking one read. One rule, every path: a
//! person reaches only their own (`M` + their badge), here and on the live stream; a
//! supervisor's own include those escalated to them.

use crate::server::auth::Principal;
use crate::server::error::{parse_number, ApiError, Path, Query};
use crate::server::AppState;
use crate::store::{Notification, MAX_NOTIFICATIONS};
use axum::extract::State;
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};

/// Which of the caller's notifications to list.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NotificationsQuery {
    /// At most this many (default and most: 200).
    #[serde(default)]
    limit: Option<usize>,
    /// Only those numbered below this one (the next page).
    #[serde(default)]
    before: Option<u64>,
}

/// A notification as its recipient sees it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub(crate) struct NotificationView {
    /// Its number.
    pub(crate) id: u64,
    /// When it was written, local date and time.
    pub(crate) at: String,
    /// The task's number.
    pub(crate) task: u64,
    /// The task's step: add, send, review, handover, shelve.
    pub(crate) step: String,
    /// The reminder step: warning, overdue, repeat.
    pub(crate) reminder: String,
    /// Which repeat (1, 2, …) for `repeat`.
    pub(crate) repeat: Option<u32>,
    /// Sent to the caller as a supervisor because the owner was urged enough already.
    pub(crate) escalated: bool,
    /// When the step is due, local date and time.
    pub(crate) due: String,
    /// The task's customer or project.
    pub(crate) customer: Option<String>,
    /// Whether the caller marked it read.
    pub(crate) read: bool,
}

pub(crate) fn notification_view(state: &AppState, n: &Notification) -> NotificationView {
    let zone = state.archive.engine().store().time_zone();
    NotificationView {
        id: n.id,
        at: zone.minute_at(n.at),
        task: n.task,
        step: n.step.name().to_owned(),
        reminder: n.reminder.name().to_owned(),
        repeat: match n.reminder {
            crate::tasks::Reminder::Repeat(k) => Some(k),
            _ => None,
        },
        escalated: n.escalated,
        due: zone.minute_at(n.due_at),
        customer: n.customer.clone(),
        read: n.read_at.is_some(),
    }
}

/// The caller's notifications, newest first.
pub(crate) async fn list_notifications(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<NotificationsQuery>,
) -> Result<Json<Vec<NotificationView>>, ApiError> {
    let me = principal.person.barcode;
    let limit = query
        .limit
        .unwrap_or(MAX_NOTIFICATIONS)
        .clamp(1, MAX_NOTIFICATIONS);
    let before = query.before;
    let list = state
        .archive
        .run(move |store| store.notifications_of(me, before, limit))
        .await?;
    Ok(Json(
        list.iter().map(|n| notification_view(&state, n)).collect(),
    ))
}

/// Marks one of the caller's notifications read (another person's is unknown: 404).
pub(crate) async fn read_notification(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<NotificationView>, ApiError> {
    let id = parse_number(&id, ("提醒编号", "notification number"))?;
    let me = principal.person.barcode;
    let read = state
        .archive
        .run(move |store| store.mark_notification_read(me, id))
        .await?;
    Ok(Json(notification_view(&state, &read)))
}

/// The caller's notifications numbered above `after`, oldest first (what the live stream
/// sends when a reminder was written): the same read as the list, so the same rule.
pub(crate) async fn notifications_after(
    state: &AppState,
    me: crate::barcode::Barcode,
    after: u64,
) -> Vec<NotificationView> {
    let list = state
        .archive
        .run(move |store| store.notifications_of(me, None, MAX_NOTIFICATIONS))
        .await
        .unwrap_or_default();
    list.iter()
        .rev()
        .filter(|n| n.id > after)
        .map(|n| notification_view(state, n))
        .collect()
}
