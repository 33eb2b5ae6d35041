//! The answer types shared by handlers: items with their place, loans, handovers,
//! print jobs, people, locations.

use crate::barcode::Barcode;
use crate::model::{ArchiveBox, Item, Person, Retention};
use crate::store::{Store, StoreError};
use serde::Serialize;

/// A place with its barcode and human path.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PlaceView {
    pub(crate) barcode: String,
    pub(crate) path: String,
}

/// An item as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ItemView {
    #[schemars(extend("enum" = ["box", "certificate", "location", "person"]))]
    pub(crate) kind: &'static str,
    pub(crate) barcode: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) archive_no: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) customer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) year: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) retention: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schemars(extend("enum" = ["registered", "stored", "at counter", "on loan", "in handover", "missing", null]))]
    pub(crate) status: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) place: Option<PlaceView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) home: Option<PlaceView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) path: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) name: Option<String>,
    /// Who has the box, if it is lent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) holder: Option<String>,
    /// When it is due back, if it is lent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) due: Option<chrono::NaiveDate>,
    /// A box's contents list in short: documents, pages, expiry, completeness (in a box's
    /// detail only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) contents: Option<crate::server::handlers::ContentsSummary>,
}

pub(crate) fn place_view(
    store: &Store,
    barcode: Option<Barcode>,
) -> Result<Option<PlaceView>, StoreError> {
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

pub(crate) fn box_view(store: &Store, archive_box: ArchiveBox) -> Result<ItemView, StoreError> {
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
        contents: None,
    })
}

pub(crate) fn item_view(store: &Store, item: Item) -> Result<ItemView, StoreError> {
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
        contents: None,
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

/// One event as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct EventView {
    pub(crate) seq: u64,
    pub(crate) at: crate::model::Millis,
    pub(crate) station: String,
    /// Who: a badge (masked for clerks) and where (`P…@counter`), a token's owner, `cli`…
    pub(crate) actor: String,
    /// The actor's name, when the actor is a person.
    pub(crate) actor_name: Option<String>,
    pub(crate) kind: String,
    pub(crate) changes: Vec<ChangeView>,
}

/// One field's change in an event, with what its codes name.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ChangeView {
    pub(crate) field: String,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
    /// What `before` names when it is a barcode: a location's path, a person's name, a
    /// box's archive number.
    pub(crate) before_name: Option<String>,
    /// What `after` names, likewise.
    pub(crate) after_name: Option<String>,
}

/// What the barcode `code` names, for people reading a history: a location's path, a
/// person's name, a box's archive number (a certificate's number only for `viewer`s who
/// see certificates).
fn code_name(
    store: &Store,
    code: &str,
    viewer: crate::server::redact::Viewer,
    names: &mut std::collections::HashMap<String, Option<String>>,
) -> Result<Option<String>, StoreError> {
    if let Some(name) = names.get(code) {
        return Ok(name.clone());
    }
    let name = match Barcode::parse(code) {
        Err(_) => None,
        Ok(barcode) => match store.get_item(barcode)? {
            Some(Item::Location(location)) => Some(location.path),
            Some(Item::Person(person)) => Some(person.name),
            Some(Item::Box(archive_box)) => Some(archive_box.archive_no),
            Some(Item::Certificate(certificate)) if viewer.sees_certificates() => {
                Some(certificate.number)
            }
            Some(Item::Certificate(_)) | None => None,
        },
    };
    names.insert(code.to_owned(), name.clone());
    Ok(name)
}

/// The history of `item` as `viewer` may see it: badge codes masked for clerks, each
/// code's name alongside (actor, locations, people), and of an event that concerns many
/// items (an import chunk) only the changes about `item`.
pub(crate) fn history_views(
    store: &Store,
    item: Barcode,
    events: Vec<crate::event::Event>,
    viewer: crate::server::redact::Viewer,
) -> Result<Vec<EventView>, StoreError> {
    let own = item.to_string();
    let mut names = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        let body = event.body;
        let actor_code = body.actor.split('@').next().unwrap_or_default();
        let actor_name = match Barcode::parse(actor_code) {
            Ok(barcode) if barcode.kind() == crate::barcode::Kind::Person => {
                code_name(store, actor_code, viewer, &mut names)?
            }
            _ => None,
        };
        let many = body.kind == crate::event::EventKind::Imported;
        let mut changes = Vec::new();
        for change in body.changes {
            let its_own = |after: &str| after.split(' ').next() == Some(own.as_str());
            if many && !change.after.as_deref().is_some_and(its_own) {
                continue;
            }
            let before_name = match &change.before {
                Some(code) => code_name(store, code, viewer, &mut names)?,
                None => None,
            };
            let after_name = match &change.after {
                Some(code) => code_name(store, code, viewer, &mut names)?,
                None => None,
            };
            changes.push(ChangeView {
                field: change.field,
                before: change.before.map(|text| viewer.code(&text)),
                after: change.after.map(|text| viewer.code(&text)),
                before_name,
                after_name,
            });
        }
        out.push(EventView {
            seq: event.seq,
            at: body.at,
            station: body.station,
            actor: viewer.code(&body.actor),
            actor_name,
            kind: format!("{:?}", body.kind),
            changes,
        });
    }
    Ok(out)
}

/// An open loan as the API shows it.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct LoanView {
    pub(crate) id: u64,
    pub(crate) item: String,
    pub(crate) archive_no: Option<String>,
    pub(crate) title: Option<String>,
    pub(crate) borrower: String,
    pub(crate) borrower_name: Option<String>,
    pub(crate) approver: Option<String>,
    pub(crate) out_at: crate::model::Millis,
    pub(crate) due: chrono::NaiveDate,
    pub(crate) overdue: bool,
    /// Days past the due date, by the station's local business dates (0 when not late).
    pub(crate) days_late: i64,
    /// The documents still out after a return confirmed incomplete (the box itself came
    /// back): the loan stays open for them. Empty while the box is out.
    pub(crate) outstanding: Vec<crate::store::LentDocument>,
    /// When the box came back, for a loan open only for documents still out.
    pub(crate) returned_at: Option<crate::model::Millis>,
}

impl LoanView {
    /// The loan as `viewer` may see it: badge codes masked for clerks.
    pub(crate) fn seen_by(mut self, viewer: crate::server::redact::Viewer) -> LoanView {
        self.borrower = viewer.code(&self.borrower);
        self.approver = self.approver.map(|approver| viewer.code(&approver));
        self
    }
}

pub(crate) fn person_name(store: &Store, barcode: Barcode) -> Result<Option<String>, StoreError> {
    Ok(match store.get_item(barcode)? {
        Some(Item::Person(person)) => Some(person.name),
        _ => None,
    })
}

/// Open loans: all, overdue only, or one borrower's.
pub(crate) fn loan_views(
    store: &Store,
    overdue_only: bool,
    borrower: Option<Barcode>,
) -> Result<Vec<LoanView>, StoreError> {
    let today = store.today();
    let loans = match borrower {
        Some(borrower) => store.open_loans_of(borrower)?,
        None if overdue_only => store.loans_due_by(today.pred_opt().unwrap_or(today))?,
        None => store.loans_due_by(chrono::NaiveDate::MAX)?,
    };
    // A return confirmed incomplete keeps its loan open for the documents still out.
    let mut open: Vec<(crate::model::Loan, Option<crate::store::ReturnCheck>)> =
        loans.into_iter().map(|loan| (loan, None)).collect();
    for check in store.unchecked_returns()? {
        if check.state != crate::store::CheckState::Incomplete
            || borrower.is_some_and(|borrower| borrower != check.borrower)
        {
            continue;
        }
        if let Some(loan) = store.loan(check.loan)? {
            open.push((loan, Some(check)));
        }
    }
    let mut out = Vec::with_capacity(open.len());
    for (loan, check) in open {
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
            days_late: if overdue {
                (today - loan.due).num_days()
            } else {
                0
            },
            outstanding: check
                .as_ref()
                .map(|check| check.outstanding().into_iter().cloned().collect())
                .unwrap_or_default(),
            returned_at: check.as_ref().map(|check| check.returned_at),
        });
    }
    Ok(out)
}

/// A deadline's state on `today`: `normal`, `warning` (due today) or `overdue`.
pub(crate) fn deadline_state(
    deadline: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> &'static str {
    match deadline.cmp(&today) {
        std::cmp::Ordering::Less => "overdue",
        std::cmp::Ordering::Equal => "warning",
        std::cmp::Ordering::Greater => "normal",
    }
}

/// An open handover with its deadline state.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct HandoverView {
    pub(crate) id: u64,
    #[schemars(extend("enum" = ["officer_to_officer", "officer_to_archivist"]))]
    pub(crate) stage: &'static str,
    pub(crate) from: String,
    pub(crate) to: String,
    pub(crate) items: Vec<String>,
    pub(crate) deadline: chrono::NaiveDate,
    /// `normal`, `warning` (due today) or `overdue`.
    #[schemars(extend("enum" = ["normal", "warning", "overdue"]))]
    pub(crate) state: &'static str,
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct JobView {
    pub(crate) id: u64,
    pub(crate) printer: String,
    pub(crate) subject: String,
    pub(crate) attempts: u32,
    /// Why the last attempt failed: its code and text in both languages.
    pub(crate) last_error: Option<crate::message::StoredMessage>,
    pub(crate) next_attempt_at: crate::model::Millis,
    /// Deliveries begun; more than `attempts` + 1 while one is under way means an earlier
    /// delivery was interrupted, and the label may come out twice on a TCP or serial
    /// printer.
    pub(crate) deliveries: u32,
}

impl JobView {
    /// The job as `viewer` may see it: a badge's code in its subject masked for clerks.
    pub(crate) fn seen_by(mut self, viewer: crate::server::redact::Viewer) -> JobView {
        self.subject = viewer.code(&self.subject);
        self
    }
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
            deliveries: job.deliveries,
        }
    }
}

/// A person as the API shows them.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct PersonView {
    /// The badge's barcode: shown to supervisors and administrators only (a scanner takes
    /// whoever shows it for this person).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) barcode: Option<String>,
    pub(crate) name: String,
    #[schemars(extend("enum" = ["clerk", "supervisor", "admin"]))]
    pub(crate) role: String,
    pub(crate) borrow_directly: bool,
    /// `false` once they have left: their badge and tokens no longer work.
    pub(crate) active: bool,
    /// The code on the badge they carry now, once theirs was replaced (only the newest
    /// works at a scanner); absent while they carry their first. Supervisors and
    /// administrators only, like `barcode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) badge: Option<String>,
}

impl PersonView {
    pub(crate) fn new(person: Person, active: bool) -> PersonView {
        PersonView {
            barcode: Some(person.barcode.to_string()),
            name: person.name,
            role: format!("{:?}", person.role).to_lowercase(),
            borrow_directly: person.borrow_directly,
            active,
            badge: None,
        }
    }
}

#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct LocationView {
    pub(crate) barcode: String,
    pub(crate) path: String,
    pub(crate) kind: String,
    pub(crate) parent: Option<String>,
    pub(crate) capacity: Option<u32>,
    /// What stands there; absent where the viewer may not see it (a safe or a safe's
    /// drawer, for a clerk: the rule of [`Viewer::sees_safes`]).
    ///
    /// [`Viewer::sees_safes`]: crate::server::redact::Viewer::sees_safes
    pub(crate) items: Option<usize>,
    /// A rack of mobile dense shelving (密集架).
    pub(crate) mobile: bool,
    /// Out of use: nothing can be put here; its history stays.
    pub(crate) retired: bool,
}

impl LocationView {
    /// `location` as `viewer` may see it: what stands there counted only where they may
    /// see it (not a safe's or a drawer's count for a clerk).
    pub(crate) fn seen_by(
        store: &Store,
        location: crate::model::Location,
        viewer: crate::server::redact::Viewer,
    ) -> Result<LocationView, StoreError> {
        let items = if location.kind.keeps_certificates() && !viewer.sees_safes() {
            None
        } else {
            Some(store.count_at(location.barcode)?)
        };
        Ok(LocationView {
            barcode: location.barcode.to_string(),
            items,
            path: location.path,
            kind: format!("{:?}", location.kind).to_lowercase(),
            parent: location.parent.map(|p| p.to_string()),
            capacity: location.capacity,
            mobile: location.mobile,
            retired: location.retired,
        })
    }
}
