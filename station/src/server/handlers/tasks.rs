//! Archive tasks from the business systems (issue #14): posted by an integration token
//! (idempotent by the external id), advanced a step at a time, listed from the owner index.
//! The rules are in `crate::tasks` and `store/tasks.rs`; these handlers only translate.

use crate::message::Bilingual;
use crate::model::Millis;
use crate::server::auth::Principal;
use crate::server::error::JsonBody;
use crate::server::error::{json_body, parse_barcode, parse_number, ApiError, Path, Query};
use crate::server::redact::Viewer;
use crate::server::{AppState, MAX_PAGE};
use crate::store::{NewTask, Posted, StepBy, Task};
use crate::tasks::{Limit, TaskRules, TaskStep};
use axum::extract::State;
use axum::http::StatusCode;
use axum::Extension;
use axum::Json;
use serde::{Deserialize, Serialize};

/// Limits that replace a task's defaults, by step.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct LimitsRequest {
    #[serde(default)]
    add: Option<Limit>,
    #[serde(default)]
    send: Option<Limit>,
    #[serde(default)]
    review: Option<Limit>,
    #[serde(default)]
    handover: Option<Limit>,
    #[serde(default)]
    shelve: Option<Limit>,
}

/// A business step that finished: the archive task to open for it.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TaskRequest {
    /// The business system's own id of the step; the same id with the same body is the
    /// same task (a replay changes nothing), with another body a conflict (409).
    external_id: String,
    /// A category the station knows (one with a checklist, or of a box it holds).
    category: String,
    /// The business step that finished (text).
    step: String,
    /// The customer's or project's name.
    #[serde(default)]
    customer: Option<String>,
    /// The project's archive number.
    #[serde(default)]
    archive_no: Option<String>,
    /// The box's barcode, when the box exists.
    #[serde(default, rename = "box")]
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    archive_box: Option<String>,
    /// The responsible person's badge: they add, digitise and send the documents.
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    responsible: String,
    /// The team's archive collector's badge, who reviews (none: the archive room).
    #[serde(default)]
    #[schemars(pattern(crate::server::error::BARCODE_PATTERN))]
    collector: Option<String>,
    /// The paper documents expected (none: the required items of the category's checklist).
    #[serde(default)]
    documents: Option<Vec<String>>,
    /// A loan project: default limits A→B 3 working days, B→archive 2.
    #[serde(default)]
    loan_project: bool,
    /// Limits replacing the defaults: `{"hours": 48}` or `{"working_days": 3}` per step.
    #[serde(default)]
    limits: LimitsRequest,
    /// The business time limit (业扩时限): due at the end of this local day.
    #[serde(default)]
    business_deadline: Option<chrono::NaiveDate>,
    /// When the business step finished, in ms since the epoch (default: now).
    #[serde(default)]
    occurred_at: Option<Millis>,
}

/// One step done.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct StepView {
    step: &'static str,
    at: Millis,
    /// Who did it (badge, masked for clerks).
    person: Option<String>,
    /// When it was due.
    due_at: Millis,
    /// Done by its due moment.
    on_time: bool,
}

/// Each step's limit.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct LimitsView {
    add: Limit,
    send: Limit,
    review: Limit,
    handover: Limit,
    shelve: Limit,
}

/// An archive task with its current step's state.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct TaskView {
    id: u64,
    external_id: String,
    category: String,
    /// The business step that finished.
    business_step: String,
    customer: Option<String>,
    archive_no: Option<String>,
    #[serde(rename = "box")]
    archive_box: Option<String>,
    responsible: String,
    collector: Option<String>,
    documents: Vec<String>,
    #[schemars(extend("enum" = ["add", "send", "review", "handover", "shelve", "done"]))]
    step: &'static str,
    /// The current step's name in Chinese and English.
    step_label: Option<Bilingual>,
    /// Whose the current step is (none: the archive room's, or done).
    owner: Option<String>,
    /// When the current step is due (none when done).
    due_at: Option<Millis>,
    /// The same, as a local date and time.
    due: Option<String>,
    #[schemars(extend("enum" = ["normal", "warning", "overdue"]))]
    state: Option<&'static str>,
    /// How late the current step is in ms (negative: time left).
    late_ms: Option<i64>,
    business_due_at: Option<Millis>,
    #[schemars(extend("enum" = ["normal", "warning", "overdue"]))]
    business_state: Option<&'static str>,
    limits: LimitsView,
    occurred_at: Millis,
    created_at: Millis,
    history: Vec<StepView>,
}

fn task_view(task: Task, rules: &TaskRules, now: Millis, viewer: Option<Viewer>) -> TaskView {
    let code = |barcode: crate::barcode::Barcode| match viewer {
        Some(viewer) => viewer.code(&barcode.to_string()),
        None => barcode.to_string(),
    };
    let zone_due = task.step.map(|_| task.due_at);
    TaskView {
        id: task.id,
        external_id: task.external_id.clone(),
        category: task.category.clone(),
        business_step: task.business_step.clone(),
        customer: task.customer.clone(),
        archive_no: task.archive_no.clone(),
        archive_box: task.archive_box.map(|barcode| barcode.to_string()),
        responsible: code(task.responsible),
        collector: task.collector.map(code),
        documents: task.documents.clone(),
        step: task.step.map_or("done", TaskStep::name),
        step_label: task.step.map(|step| {
            let (zh, en) = step.label();
            Bilingual::new(zh, en)
        }),
        owner: task.owner().map(code),
        due_at: zone_due,
        due: None,
        state: task.state(rules, now).map(|state| state.name()),
        late_ms: zone_due.map(|due| now.saturating_sub(due)),
        business_due_at: task.business_due_at,
        business_state: task.business_state(rules, now).map(|state| state.name()),
        limits: LimitsView {
            add: task.limits.add,
            send: task.limits.send,
            review: task.limits.review,
            handover: task.limits.handover,
            shelve: task.limits.shelve,
        },
        occurred_at: task.occurred_at,
        created_at: task.created_at,
        history: task
            .history
            .iter()
            .map(|done| StepView {
                step: done.step.name(),
                at: done.at,
                person: done.person.map(code),
                due_at: done.due_at,
                on_time: done.at < done.due_at,
            })
            .collect(),
    }
}

/// Views of `tasks` with their due moments as local times.
fn views(
    state: &AppState,
    tasks: Vec<Task>,
    rules: &TaskRules,
    viewer: Option<Viewer>,
) -> Vec<TaskView> {
    let now = state.archive.now();
    let zone = state.archive.engine().store().time_zone().clone();
    tasks
        .into_iter()
        .map(|task| {
            let mut view = task_view(task, rules, now, viewer);
            view.due = view.due_at.map(|due| zone.minute_at(due));
            view
        })
        .collect()
}

/// `POST /api/v1/tasks`: 201 with the new task, or 200 with the task a replay made.
pub(crate) async fn post_task(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    body: JsonBody<TaskRequest>,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    let request = json_body(body)?;
    let optional = |text: &Option<String>| -> Result<_, ApiError> {
        text.as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(parse_barcode)
            .transpose()
    };
    let limits = [
        (TaskStep::Add, request.limits.add),
        (TaskStep::Send, request.limits.send),
        (TaskStep::Review, request.limits.review),
        (TaskStep::Handover, request.limits.handover),
        (TaskStep::Shelve, request.limits.shelve),
    ]
    .into_iter()
    .filter_map(|(step, limit)| Some((step, limit?)))
    .collect();
    let new = NewTask {
        external_id: request.external_id,
        category: request.category,
        step: request.step,
        customer: request.customer,
        archive_no: request.archive_no,
        archive_box: optional(&request.archive_box)?,
        responsible: parse_barcode(request.responsible.trim())?,
        collector: optional(&request.collector)?,
        documents: request.documents,
        loan_project: request.loan_project,
        limits,
        business_deadline: request.business_deadline,
        occurred_at: request.occurred_at,
    };
    let rules = state.archive.engine().task_rules();
    let checklists = state.archive.engine().checklists().clone();
    let actor = principal.actor();
    let rules_used = rules.clone();
    let (task, posted) = state
        .archive
        .run(move |store| store.post_task(&actor, &new, &rules_used, &checklists))
        .await?;
    let status = match posted {
        Posted::Created => StatusCode::CREATED,
        Posted::Replayed => StatusCode::OK,
    };
    let mut views = views(&state, vec![task], &rules, None);
    let view = views.pop().ok_or_else(ApiError::internal)?;
    Ok((status, Json(view)))
}

/// `GET /api/v1/tasks/{id}`.
pub(crate) async fn get_task(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
) -> Result<Json<TaskView>, ApiError> {
    let id = parse_number(&id, ("任务编号", "task number"))?;
    let task = state
        .archive
        .run(move |store| store.task(id))
        .await?
        .ok_or(crate::store::Refusal::UnknownTask(id))?;
    let rules = state.archive.engine().task_rules();
    let mut views = views(&state, vec![task], &rules, Some(Viewer::of(&principal)));
    Ok(Json(views.pop().ok_or_else(ApiError::internal)?))
}

/// Which pending work to list.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct TasksQuery {
    /// `mine` (default): the steps that are the caller's; `room`: the archive room's steps
    /// (review without a collector, handover, shelving); `all` (supervisors): every open
    /// task.
    #[serde(default)]
    #[schemars(extend("enum" = ["mine", "room", "all"]))]
    scope: Option<String>,
    /// At most this many (default and most: 500).
    #[serde(default)]
    limit: Option<usize>,
}

/// `GET /api/v1/tasks`: pending work, the most late first, each with its state.
pub(crate) async fn list_tasks(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Query(query): Query<TasksQuery>,
) -> Result<Json<Vec<TaskView>>, ApiError> {
    let limit = query.limit.unwrap_or(MAX_PAGE).clamp(1, MAX_PAGE);
    let me = principal.person.barcode;
    let scope = query.scope.as_deref().unwrap_or("mine").trim().to_owned();
    let tasks = match scope.as_str() {
        "mine" => {
            state
                .archive
                .run(move |store| store.tasks_of(me, crate::store::MAX_INBOX))
                .await?
        }
        "room" => {
            state
                .archive
                .run(move |store| store.room_tasks(crate::store::MAX_INBOX))
                .await?
        }
        "all" => {
            state
                .require(
                    &principal,
                    crate::model::Role::Supervisor,
                    ("查看全部档案任务", "see every archive task"),
                )
                .await?;
            state
                .archive
                .run(move |store| store.open_tasks_by_due(limit))
                .await?
        }
        other => {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                crate::message!(TaskScope, scope = format!("{other:?}")),
            ))
        }
    };
    let rules = state.archive.engine().task_rules();
    let mut views = views(&state, tasks, &rules, Some(Viewer::of(&principal)));
    // The most late first: the earliest due moment.
    views.sort_by_key(|view| (view.due_at.unwrap_or(Millis::MAX), view.id));
    views.truncate(limit);
    Ok(Json(views))
}

/// The step the caller completes (as the page showed it: a second click is refused).
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct AdvanceRequest {
    #[schemars(extend("enum" = ["add", "send", "review", "handover", "shelve"]))]
    step: String,
}

/// `POST /api/v1/tasks/{id}/advance`: completes the current step.
pub(crate) async fn advance_task(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    body: JsonBody<AdvanceRequest>,
) -> Result<Json<TaskView>, ApiError> {
    let id = parse_number(&id, ("任务编号", "task number"))?;
    let request = json_body(body)?;
    let step = TaskStep::parse(&request.step).ok_or_else(|| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            crate::message!(TaskUnknownStep, step = format!("{:?}", request.step)),
        )
    })?;
    let rules = state.archive.engine().task_rules();
    let actor = principal.actor();
    let by = StepBy::Person(principal.person.clone());
    let rules_used = rules.clone();
    let task = state
        .archive
        .run(move |store| store.advance_task(&actor, id, Some(step), &by, &rules_used))
        .await?;
    let mut views = views(&state, vec![task], &rules, Some(Viewer::of(&principal)));
    Ok(Json(views.pop().ok_or_else(ApiError::internal)?))
}
