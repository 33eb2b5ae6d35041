//! The one route table: method, path, least role, the Rust types of its query string, body
//! and answer, and its handler. The router ([`super::app`]) and the OpenAPI document
//! ([`super::openapi`]) are both built from it.

use crate::devices::DeviceState;
use crate::model::Role;
use crate::workflow::ScanResult;
use axum::routing::get;
use axum::routing::post;

use crate::server::handlers::*;
use crate::server::metrics::metrics;
use crate::server::openapi::openapi_json;
use crate::server::paging::PageQuery;
use crate::server::reports::{certificate_ledger_json, ledger_report, CertificateRow, XLSX};
use crate::server::views::{
    EventView, HandoverView, ItemView, JobView, LoanView, LocationView, PersonView,
};
use crate::server::AppState;

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
    /// The least role it needs (`None`: no token at all). Enforced by the router from
    /// this table: a handler never checks its own route's role.
    pub role: Option<Role>,
    /// What a person below `role` is told they may not do, in each language.
    pub action: (&'static str, &'static str),
    /// The query string's fields, if it takes any.
    pub query: Option<SchemaFn>,
    /// The JSON request body, if it takes one.
    pub body: Option<SchemaFn>,
    /// What a successful call answers.
    pub answer: Option<Answer>,
    /// A list answered a page at a time (`limit`, `after`, the `x-next-after` header).
    pub paged: bool,
    /// An integration token (a business system's) may call it; it may call nothing else.
    pub integration: bool,
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

pub(crate) fn reference<T: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    generator.subschema_for::<T>()
}

pub(crate) fn inline<T: schemars::JsonSchema>(
    generator: &mut schemars::SchemaGenerator,
) -> schemars::Schema {
    T::json_schema(generator)
}

pub(crate) fn endpoint(
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
        action: ("这样做", "do this"),
        query: None,
        body: None,
        answer: None,
        paged: false,
        integration: false,
    }
}

/// Whether an integration token may call `method` `path`: the route table's integration
/// routes, matched with their `{parameters}` standing for one path segment each.
pub(crate) fn integration_allows(method: &axum::http::Method, path: &str) -> bool {
    static ALLOWED: std::sync::LazyLock<Vec<(&'static str, &'static str)>> =
        std::sync::LazyLock::new(|| {
            routes()
                .into_iter()
                .filter(|(endpoint, _)| endpoint.integration)
                .map(|(endpoint, _)| (endpoint.method, endpoint.path))
                .collect()
        });
    ALLOWED.iter().any(|(allowed_method, template)| {
        allowed_method.eq_ignore_ascii_case(method.as_str()) && path_matches(template, path)
    })
}

/// Whether `path` is an instance of `template` (`/api/v1/tasks/{id}` matches
/// `/api/v1/tasks/7`).
fn path_matches(template: &str, path: &str) -> bool {
    let mut template = template.split('/');
    let mut path = path.split('/');
    loop {
        match (template.next(), path.next()) {
            (None, None) => return true,
            (Some(expected), Some(segment)) => {
                let parameter = expected.starts_with('{') && expected.ends_with('}');
                if !(parameter && !segment.is_empty() || expected == segment) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

impl Endpoint {
    /// What a refused person may not do (`批准借阅`, `approve loans`).
    fn action(self, zh: &'static str, en: &'static str) -> Endpoint {
        Endpoint {
            action: (zh, en),
            ..self
        }
    }

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

    /// Answers 200 with one page of a list of `T` (see `server::paging`).
    fn list<T: schemars::JsonSchema>(self) -> Endpoint {
        Endpoint {
            answer: Some(Answer::Json(200, reference::<Vec<T>>)),
            paged: true,
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

    /// May be called with an integration token.
    fn integration(self) -> Endpoint {
        Endpoint {
            integration: true,
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
pub(crate) fn routes() -> Vec<(Endpoint, axum::routing::MethodRouter<AppState>)> {
    let clerk = Some(Role::Clerk);
    let supervisor = Some(Role::Supervisor);
    let admin = Some(Role::Admin);
    vec![
        (
            endpoint(
                "get",
                "/healthz",
                "Health: whether the store accepts writes (503 when not) and which devices are faulted",
                None,
            )
            .json::<Health>(),
            get(healthz),
        ),
        (
            endpoint(
                "get",
                "/livez",
                "Liveness: the process serves (for load balancers; touches nothing)",
                None,
            )
            .json::<Live>(),
            get(livez),
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
            .query::<PageQuery>()
            .list::<EventView>(),
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
            .list::<ItemView>(),
            get(find_boxes),
        ),
        (
            endpoint(
                "post",
                "/api/v1/picklists",
                "Make a pick list from pasted lines, a CSV, a box search or an approved loan slip (at most 5,000 boxes); lines that name no single box are answered each with its code (422 picklist.bad_lines) and nothing is made",
                clerk,
            )
            .body::<PickListRequest>()
            .created::<PickListView>(),
            post(create_pick_list),
        ),
        (
            endpoint("get", "/api/v1/picklists", "Pick lists, newest first", clerk)
                .json::<Vec<PickListSummary>>(),
            get(pick_lists),
        ),
        (
            endpoint(
                "get",
                "/api/v1/picklists/{id}",
                "A pick list in walking order: aisles of mobile racks (each opened once), fixed racks, and the boxes not on a shelf with why",
                clerk,
            )
            .json::<PickListView>(),
            get(get_pick_list),
        ),
        (
            endpoint(
                "get",
                "/api/v1/picklists/{id}/pdf",
                "A pick list to print (A4 PDF: each box's Code 128 barcode, archive number, title and shelf, in walking order)",
                clerk,
            )
            .media(&["application/pdf"]),
            get(pick_list_pdf),
        ),
        (
            endpoint(
                "get",
                "/api/v1/locations/{barcode}/items",
                "What stands at a location (safes: supervisors)",
                clerk,
            )
            .query::<PageQuery>()
            .list::<ItemView>(),
            get(location_items),
        ),
        (
            endpoint(
                "get",
                "/api/v1/map",
                "The room overview: every room with every rack's fill (boxes, capacity, % used, on loan, missing); safes and counters (a safe's figures: supervisors)",
                clerk,
            )
            .json::<MapOverview>(),
            get(map_overview),
        ),
        (
            endpoint(
                "get",
                "/api/v1/map/racks/{barcode}",
                "A rack as it stands: sides × sections × shelves, each shelf's fill",
                clerk,
            )
            .json::<RackMap>(),
            get(map_rack),
        ),
        (
            endpoint(
                "get",
                "/api/v1/map/where/{barcode}",
                "Where a box is, room → rack → side → section → shelf (in a safe, or a certificate: supervisors)",
                clerk,
            )
            .json::<WhereView>(),
            get(map_where),
        ),
        (
            endpoint(
                "get",
                "/api/v1/map/categories",
                "How many boxes each category has of each year",
                clerk,
            )
            .json::<Vec<CategoryView>>(),
            get(map_categories),
        ),
        (
            endpoint(
                "post",
                "/api/v1/scans",
                "Run a scan at a workstation as the token's owner (a badge scanned this way never lends its owner's authority)",
                clerk,
            )
            .body::<ScanRequest>()
            .json::<ScanResult>(),
            post(post_scan),
        ),
        (
            endpoint(
                "get",
                "/api/v1/workstations",
                "The configured workstations, each with its mode, context (shelf, borrower, receiver, stock-take progress) and the printer its labels go to",
                clerk,
            )
            .json::<Vec<WorkstationView>>(),
            get(workstations),
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
            .query::<PageQuery>()
            .list::<DeviceState>(),
            get(devices),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loans/approvals",
                "Record a supervisor's approval for a borrower",
                supervisor,
            )
            .action("批准借阅", "approve loans")
            .body::<ApprovalRequest>()
            .created::<ApprovalView>(),
            post(approve_borrower),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loanslips",
                "Fill in a loan slip (档案资料出借单): borrower, purpose, boxes (barcode or archive number, with the documents or pages wanted), due date; it waits for a supervisor's approval",
                clerk,
            )
            .body::<LoanSlipRequest>()
            .created::<LoanSlipView>(),
            post(create_loan_slip),
        ),
        (
            endpoint("get", "/api/v1/loanslips", "Loan slips, newest first", clerk)
                .json::<Vec<LoanSlipView>>(),
            get(loan_slips),
        ),
        (
            endpoint("get", "/api/v1/loanslips/{id}", "A loan slip", clerk).json::<LoanSlipView>(),
            get(get_loan_slip),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loanslips/{id}/approve",
                "Approve a loan slip as the token's owner: its boxes may then be lent at CHECKOUT, with its due date",
                supervisor,
            )
            .action("批准出借单", "approve loan slips")
            .json::<LoanSlipView>(),
            post(approve_loan_slip),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loanslips/{id}/refuse",
                "Refuse a loan slip as the token's owner, with a reason",
                supervisor,
            )
            .action("拒绝出借单", "refuse loan slips")
            .body::<RefuseRequest>()
            .json::<LoanSlipView>(),
            post(refuse_loan_slip),
        ),
        (
            endpoint(
                "get",
                "/api/v1/loanslips/{id}/pdf",
                "A loan slip to print (again): A4 PDF with borrower, purpose, boxes, approver, dates, signature lines, its Code 128 barcode and QR code",
                clerk,
            )
            .media(&["application/pdf"]),
            get(loan_slip_pdf),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loanslips/{id}/print",
                "Print a loan slip (again) on an A4 printer (PDF or CUPS): the queued job; a label printer (ZPL) has no A4 paper and is refused (`loanslip.printer_not_a4`), nothing queued",
                clerk,
            )
            .body::<SlipPrintRequest>()
            .created::<JobView>(),
            post(print_loan_slip),
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
            .list::<LoanView>(),
            get(loans),
        ),
        (
            endpoint(
                "get",
                "/api/v1/handovers",
                "Open handovers with their deadline state",
                clerk,
            )
            .query::<PageQuery>()
            .list::<HandoverView>(),
            get(handovers),
        ),
        (
            endpoint(
                "post",
                "/api/v1/handovers/{id}/extend",
                "Extend an open handover's deadline as the token's owner (a supervisor), with a reason; its deadline state follows the new deadline",
                supervisor,
            )
            .action("延长移交期限", "extend handover deadlines")
            .body::<ExtendRequest>()
            .json::<ExtendedView>(),
            post(extend_handover),
        ),
        (
            endpoint(
                "post",
                "/api/v1/handovers",
                "Start a handover of boxes from `from` (default: the caller) to `to`; a box lacking required documents needs a `reason` (else 422 handover.incomplete), recorded in its history",
                clerk,
            )
            .action("移交档案", "hand over boxes")
            .body::<HandoverRequest>()
            .created::<HandoverStarted>(),
            post(start_handover),
        ),
        (
            endpoint(
                "post",
                "/api/v1/handovers/{id}/supplement",
                "The reviewer's supplement list (补充资料清单): every box of the handover lacking required documents waits for them until its contents are complete (422 handover.no_supplement when none lacks anything)",
                clerk,
            )
            .action("要求补充资料", "ask for supplements")
            .created::<SupplementList>(),
            post(request_supplement),
        ),
        (
            endpoint(
                "get",
                "/api/v1/handovers/{id}/certificates.pdf",
                "A handover's certificate list (权证移交清单) to print: name, certificate number, quantity; the parties with signature and date lines; three copies (A角联, B角联, 档案联); its Code 128 barcode and QR code",
                supervisor,
            )
            .action("打印权证移交清单", "print certificate handover lists")
            .media(&["application/pdf"]),
            get(certificate_handover_pdf),
        ),
        (
            endpoint(
                "get",
                "/api/v1/handovers/{id}/list.pdf",
                "The handover list (移交清单) as a PDF: for every box, three copies (A角联 / B角联 / 档案联) with its barcode, a QR of this address, its contents with page counts and totals, and the parties' signature and date lines",
                clerk,
            )
            .media(&["application/pdf"]),
            get(handover_list_pdf),
        ),
        (
            endpoint(
                "get",
                "/api/v1/handovers/{id}/supplement.pdf",
                "The supplement list (补充资料清单) as a PDF for A: every box of the handover with what it still lacks (missing or unsigned), and the signature lines (422 handover.no_supplement when nothing lacks)",
                clerk,
            )
            .media(&["application/pdf"]),
            get(supplement_pdf),
        ),
        (
            endpoint(
                "get",
                "/api/v1/handovers/{id}/supplement",
                "What the boxes of a handover still lack",
                clerk,
            )
            .json::<SupplementList>(),
            get(get_supplement),
        ),
        (
            endpoint(
                "post",
                "/api/v1/tasks",
                "A business system's finished step opens its archive task (integration tokens; idempotent by `external_id`: the same body again answers 200 with the same task and changes nothing, another body 409 task.conflict); 201 with the task, its first step (add) due by its limit",
                supervisor,
            )
            .action("提交档案任务", "post archive tasks")
            .integration()
            .body::<TaskRequest>()
            .created::<TaskView>(),
            post(post_task),
        ),
        (
            endpoint(
                "get",
                "/api/v1/tasks",
                "Pending archive work with its state (normal, warning, overdue), the most late first: the caller's own steps (`mine`), the archive room's (`room`) or every open task (`all`, supervisors), read from the owner and due indexes",
                clerk,
            )
            .query::<TasksQuery>()
            .json::<Vec<TaskView>>(),
            get(list_tasks),
        ),
        (
            endpoint(
                "get",
                "/api/v1/tasks/{id}",
                "An archive task with its steps done and its current step's state",
                clerk,
            )
            .json::<TaskView>(),
            get(get_task),
        ),
        (
            endpoint(
                "post",
                "/api/v1/tasks/{id}/advance",
                "Complete an archive task's current step (named in `step`) by one click: the step's owner (the archive room's steps: any archivist) or a supervisor; the next step is due by its limit; an event in the task's box's history",
                clerk,
            )
            .body::<AdvanceRequest>()
            .json::<TaskView>(),
            post(advance_task),
        ),
        (
            endpoint(
                "get",
                "/api/v1/notifications",
                "The caller's own notifications (reminders of their tasks' steps entering warning, overdue and urged again; a supervisor's also those escalated to them), newest first, at most 200 (`before` pages on); the live stream sends each new one as event `notification`",
                clerk,
            )
            .query::<NotificationsQuery>()
            .json::<Vec<NotificationView>>(),
            get(list_notifications),
        ),
        (
            endpoint(
                "post",
                "/api/v1/notifications/{id}/read",
                "Mark one of the caller's own notifications read (another person's: 404 notification.unknown)",
                clerk,
            )
            .json::<NotificationView>(),
            post(read_notification),
        ),
        (
            endpoint(
                "get",
                "/api/v1/reports/{file}",
                "ledger.csv, ledger.xlsx (with each box's project's certificate count), loans.csv, loans.xlsx, overdue.csv, overdue.xlsx, fill.csv, fill.xlsx (rooms' and racks' fill), categories.csv or categories.xlsx (boxes by category and year), certificates.csv or certificates.xlsx (the certificate ledger, 权证台帐)",
                supervisor,
            )
            .action("导出报表", "export reports")
            .media(&["text/csv", XLSX]),
            get(ledger_report),
        ),
        (
            endpoint(
                "get",
                "/api/v1/certificates/ledger",
                "The certificate ledger (权证台帐): every certificate with its name, number, archive number, safe, status, holder and handover dates",
                supervisor,
            )
            .action("查看权证台帐", "see the certificate ledger")
            .json::<Vec<CertificateRow>>(),
            get(certificate_ledger_json),
        ),
        (
            Endpoint {
                answer: Some(Answer::Json(202, reference::<ImportStarted>)),
                ..endpoint(
                    "post",
                    "/api/v1/imports",
                    "Upload a ledger to import (the raw file as the body: CSV in UTF-8 or GB18030, or .xlsx; at most 64 MiB; one import at a time, else 409)",
                    supervisor,
                )
                .action("导入台帐", "import ledgers")
                .query::<ImportQuery>()
            },
            post(upload_import),
        ),
        (
            endpoint(
                "get",
                "/api/v1/imports/{id}",
                "An uploaded ledger's import: progress, then the per-line report (the last 20 imports are kept in memory)",
                supervisor,
            )
            .action("导入台帐", "import ledgers")
            .json::<ImportView>(),
            get(get_import),
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
                "get",
                "/api/v1/boxes/{barcode}/contents",
                "A box's contents list (册内资料清单): documents in order with page counts and totals, its expiry date, and its completeness against the category's checklist (missing and unsigned required documents; waiting for supplements)",
                clerk,
            )
            .json::<ContentsView>(),
            get(box_contents),
        ),
        (
            endpoint(
                "put",
                "/api/v1/boxes/{barcode}/contents",
                "Replace a box's contents list (and set or clear its expiry date); each changed position is recorded before → after",
                clerk,
            )
            .action("编辑资料清单", "edit contents lists")
            .body::<ContentsRequest>()
            .json::<ContentsView>(),
            axum::routing::put(replace_box_contents),
        ),
        (
            endpoint(
                "post",
                "/api/v1/boxes/{barcode}/contents",
                "Edit one document of a box's contents list (add, set, remove) or its expiry date",
                clerk,
            )
            .action("编辑资料清单", "edit contents lists")
            .body::<ContentsEditRequest>()
            .json::<ContentsView>(),
            post(edit_box_contents),
        ),
        (
            endpoint(
                "post",
                "/api/v1/contents/import",
                "Import contents lists: the raw file as the body (CSV in UTF-8 or GB18030, or .xlsx; at most 16 MiB), one row per document (档案号 or 条码, 序号, 资料名称, 类型, 页数, 日期, 原件, 到期日, 签字); each box named gets its rows as its list; all or nothing (422 contents.import_bad_row naming the line)",
                clerk,
            )
            .action("导入资料清单", "import contents lists")
            .json::<ContentsImportView>(),
            post(import_contents_file),
        ),
        (
            endpoint(
                "get",
                "/api/v1/checklists",
                "The category checklists (典型资料清单): each item required or optional, and who must sign it",
                clerk,
            )
            .json::<Vec<crate::contents::Checklist>>(),
            get(checklists),
        ),
        (
            endpoint(
                "post",
                "/api/v1/labels",
                "Print items' labels (badges: administrators; certificates: supervisors; reprints need a reason)",
                clerk,
            )
            .body::<LabelsRequest>()
            .created::<Vec<JobView>>(),
            post(print_labels),
        ),
        (
            endpoint(
                "post",
                "/api/v1/labels/shelves",
                "Print the labels of every shelf under a location (a room, a rack, a side, a section; a safe and its drawers: supervisors), in walking order, at most 1000 (else 422 label.too_many)",
                clerk,
            )
            .body::<ShelfLabelsRequest>()
            .created::<Vec<JobView>>(),
            post(print_shelf_labels),
        ),
        (
            endpoint(
                "get",
                "/api/v1/labels/shelves.pdf",
                "The labels of every shelf under a location on A4 sticker sheets (3 × 8, template shelf-a4), in walking order, as one PDF to download; at most 1000 (else 422 label.too_many)",
                clerk,
            )
            .query::<SheetQuery>()
            .media(&["application/pdf"]),
            get(shelf_label_sheet),
        ),
        (
            endpoint(
                "get",
                "/api/v1/labels/queue",
                "Labels waiting for their printer",
                clerk,
            )
            .query::<PageQuery>()
            .list::<JobView>(),
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
            endpoint("get", "/api/v1/people", "People (badge codes: supervisors and administrators only)", clerk)
                .query::<PageQuery>()
                .list::<PersonView>(),
            get(people),
        ),
        (
            endpoint(
                "post",
                "/api/v1/people/add",
                "Add a person with a new badge",
                admin,
            )
            .action("管理人员", "manage people")
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
            .action("管理人员", "manage people")
            .body::<PersonEditRequest>()
            .json::<PersonView>(),
            post(edit_person),
        ),
        (
            endpoint(
                "post",
                "/api/v1/people/{barcode}/password",
                "Set or reset a person's password (policy: 10+ characters, not only digits, not their name or badge)",
                admin,
            )
            .action("管理人员", "manage people")
            .body::<PasswordRequest>()
            .empty(),
            post(set_password),
        ),
        (
            endpoint(
                "post",
                "/api/v1/people/{barcode}/pin",
                "Set or reset a person's badge PIN (4–8 digits)",
                admin,
            )
            .action("管理人员", "manage people")
            .body::<PinRequest>()
            .empty(),
            post(set_pin),
        ),
        (
            endpoint(
                "post",
                "/api/v1/people/{barcode}/badge",
                "Replace a person's badge (lost or damaged): a new code; earlier badges stop working",
                admin,
            )
            .action("管理人员", "manage people")
            .json::<BadgeView>(),
            post(replace_badge),
        ),
        (
            endpoint(
                "post",
                "/api/v1/session",
                "Sign in a page by name and password or badge and PIN: sets the station_session cookie",
                None,
            )
            .body::<SignInRequest>()
            .json::<SessionView>(),
            post(sign_in),
        ),
        (
            endpoint(
                "get",
                "/api/v1/session",
                "Who is signed in (with the page's CSRF value), or who owns the token",
                clerk,
            )
            .json::<SessionView>(),
            get(get_session),
        ),
        (
            endpoint(
                "post",
                "/api/v1/session/end",
                "Sign out: the page's session ends on the station",
                clerk,
            )
            .empty(),
            post(end_session),
        ),
        (
            endpoint(
                "post",
                "/api/v1/session/password",
                "Change one's own password (with the current one)",
                clerk,
            )
            .body::<OwnPasswordRequest>()
            .empty(),
            post(change_own_password),
        ),
        (
            endpoint("get", "/api/v1/schemes", "Numbering schemes", clerk)
                .query::<PageQuery>()
                .list::<SchemeView>(),
            get(schemes),
        ),
        (
            endpoint(
                "post",
                "/api/v1/schemes/add",
                "Add a numbering scheme",
                admin,
            )
            .action("管理编号方案", "manage numbering schemes")
            .body::<SchemeRequest>()
            .created::<SchemeView>(),
            post(add_scheme),
        ),
        (
            endpoint(
                "get",
                "/api/v1/schemes/preview",
                "Check a scheme's template and show the first number it would give this year",
                admin,
            )
            .action("管理编号方案", "manage numbering schemes")
            .query::<SchemePreviewQuery>()
            .json::<SchemePreview>(),
            get(preview_scheme),
        ),
        (
            endpoint(
                "post",
                "/api/v1/schemes/{name}/retire",
                "Retire a scheme added through the station (no new numbers)",
                admin,
            )
            .action("管理编号方案", "manage numbering schemes")
            .json::<SchemeView>(),
            post(retire_scheme),
        ),
        (
            endpoint(
                "post",
                "/api/v1/devices/add",
                "Add a scanner or printer and start it",
                admin,
            )
            .action("管理设备", "manage devices")
            .body::<crate::devices::definition::DeviceDefinition>()
            .created::<DeviceState>(),
            post(add_device),
        ),
        (
            endpoint(
                "post",
                "/api/v1/devices/{name}/remove",
                "Stop and remove a device added through the station",
                admin,
            )
            .action("管理设备", "manage devices")
            .empty(),
            post(remove_device),
        ),
        (
            endpoint(
                "post",
                "/api/v1/devices/{name}/enable",
                "Start a device again",
                admin,
            )
            .action("管理设备", "manage devices")
            .json::<DeviceState>(),
            post(enable_device),
        ),
        (
            endpoint(
                "post",
                "/api/v1/devices/{name}/disable",
                "Stop a device until it is enabled again",
                admin,
            )
            .action("管理设备", "manage devices")
            .json::<DeviceState>(),
            post(disable_device),
        ),
        (
            endpoint(
                "get",
                "/api/v1/locations",
                "The location tree, with capacity use",
                clerk,
            )
            .query::<PageQuery>()
            .list::<LocationView>(),
            get(locations),
        ),
        (
            endpoint(
                "post",
                "/api/v1/locations/add",
                "Define a room, rack, side, section, shelf, safe, drawer or counter (what exists is answered with created: false)",
                supervisor,
            )
            .action("布置库房", "define the room")
            .body::<AddLocationRequest>()
            .json::<DefinedView>(),
            post(add_location),
        ),
        (
            endpoint(
                "post",
                "/api/v1/locations/layout",
                "Lay out a block of racks (room, racks, sides, sections, shelves) in one write",
                supervisor,
            )
            .action("布置库房", "define the room")
            .body::<LayoutRequest>()
            .json::<LayoutView>(),
            post(lay_out_locations),
        ),
        (
            endpoint(
                "post",
                "/api/v1/locations/{barcode}/edit",
                "Change a location's capacity or a rack's mobile flag",
                supervisor,
            )
            .action("布置库房", "define the room")
            .body::<EditLocationRequest>()
            .json::<LocationView>(),
            post(edit_location),
        ),
        (
            endpoint(
                "post",
                "/api/v1/locations/{barcode}/retire",
                "Retire an empty location and everything under it (kept in history)",
                supervisor,
            )
            .action("停用位置", "retire locations")
            .body::<RetireLocationRequest>()
            .json::<RetiredView>(),
            post(retire_location),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loans/{id}/renew",
                "Renew a loan by the loan period",
                supervisor,
            )
            .action("续借", "renew loans")
            .json::<LoanView>(),
            post(renew_loan),
        ),
        (
            endpoint(
                "post",
                "/api/v1/loans/{id}/check",
                "Check a returned box against what was lent: `missing` names the documents (positions) not back, empty confirms the return complete; an incomplete return keeps those documents out on the loan, and a later call naming fewer records them back",
                clerk,
            )
            .action("核对归还", "check returns")
            .body::<CheckRequest>()
            .json::<CheckAnswer>(),
            post(check_return),
        ),
        (
            endpoint(
                "get",
                "/api/v1/loans/{id}/check",
                "A returned box's check: what was lent and what is still out, while it awaits confirmation or is incomplete",
                clerk,
            )
            .json::<crate::store::ReturnCheckView>(),
            get(get_return_check),
        ),
        (
            endpoint(
                "get",
                "/api/v1/returns/unchecked",
                "Returns not confirmed complete: awaiting their check, or incomplete with documents still out",
                clerk,
            )
            .json::<Vec<crate::store::ReturnCheckView>>(),
            get(unchecked_returns),
        ),
        (
            endpoint(
                "post",
                "/api/v1/certificates/register",
                "Register a certificate (权证)",
                supervisor,
            )
            .action("登记权证", "register certificates")
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
            .action("管理令牌", "manage tokens")
            .body::<TokenRequest>()
            .created::<TokenView>(),
            post(create_token),
        ),
        (
            endpoint(
                "get",
                "/api/v1/tokens",
                "Tokens, live and revoked (never their secrets)",
                admin,
            )
            .action("管理令牌", "manage tokens")
            .query::<PageQuery>()
            .list::<TokenListView>(),
            get(list_tokens),
        ),
        (
            endpoint(
                "post",
                "/api/v1/tokens/{id}/revoke",
                "Revoke a token",
                admin,
            )
            .action("管理令牌", "manage tokens")
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
