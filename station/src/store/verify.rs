//! `station verify`: recompute the event chain and check every index against the records:
//! items and their archive-number, path, customer and contents indexes; history (`h`);
//! loans (`o`) with their borrower (`b`), due-date (`d`) and open-loan (`x`) entries;
//! handovers (`g`) and open handovers by deadline (`G`); certificates of a project (`n`);
//! tokens (`t`, `T`); sign-in secrets (`Z`); approvals (`q`); print jobs (`j`) and pending
//! jobs (`J`); settings; the box search's grams (`f`, `search.rs`); return checks (`R`,
//! each of a returned loan of its box); archive tasks (`A`) with their indexes (`N`, `B`,
//! `O`, `C`, `P`).
//! Each finding names the key.

use std::collections::{HashMap, HashSet};

use super::{decode, keys, Result, Store, StoreError};
use crate::barcode::Barcode;
use crate::event::{ChainError, ChainVerifier};
use crate::event::{Event, EventKind};
use crate::message;
use crate::message::Message;
use crate::model::{customer_key, Handover, Item, Loan, LoanApproval, PrintJob, PrintState, Token};

/// What verification found.
#[derive(Debug, Clone, Default)]
pub struct VerifyReport {
    /// Events checked.
    pub events: u64,
    /// Items checked.
    pub items: u64,
    /// Index entries checked.
    pub index_entries: u64,
    /// Where the chain breaks, if it does.
    pub chain_error: Option<ChainError>,
    /// Index inconsistencies, one message each.
    pub problems: Vec<Message>,
}

impl VerifyReport {
    /// Whether everything checked out.
    pub fn is_ok(&self) -> bool {
        self.chain_error.is_none() && self.problems.is_empty()
    }
}

impl Store {
    /// Checks the event hash chain and the consistency of every index.
    pub fn verify(&self) -> Result<VerifyReport> {
        let mut report = VerifyReport::default();
        let (head_seq, head_hash) = self.head();
        let mut chain = ChainVerifier::default();
        for entry in self.tree.scan_prefix([keys::EVENT]) {
            let (key, value) = entry.map_err(StoreError::storage("reading events"))?;
            report.events += 1;
            let result = self
                .decode_event(&key, &value)
                .and_then(|event| chain.push(&event));
            if let Err(error) = result {
                report.chain_error = Some(error);
                break;
            }
        }
        if report.chain_error.is_none() {
            if let Err(error) = chain.finish(head_seq, &head_hash) {
                report.chain_error = Some(error);
            }
        }

        // Forward: every record has its index entries.
        let mut expected_at: HashSet<(Barcode, Barcode)> = HashSet::new();
        for entry in self.tree.scan_prefix([keys::ITEM]) {
            let (key, value) = entry.map_err(StoreError::storage("reading items"))?;
            report.items += 1;
            let item: Item = match decode(&value, &key) {
                Ok(item) => item,
                Err(error) => {
                    report.problems.push(error.message());
                    continue;
                }
            };
            let barcode = item.barcode();
            if key.as_ref() != keys::item(barcode).as_slice() {
                report.problems.push(message!(
                    VerifyKeyMismatch,
                    key = String::from_utf8_lossy(&key).into_owned(),
                    barcode = barcode
                ));
            }
            match &item {
                Item::Box(archive_box) => {
                    self.expect_points_to(
                        &keys::archive_no(&archive_box.archive_no),
                        barcode,
                        &mut report,
                    )?;
                    let customer = keys::customer(&customer_key(&archive_box.customer), barcode);
                    if !self.exists(&customer)? {
                        report
                            .problems
                            .push(message!(VerifyCustomerIndexMissing, barcode = barcode));
                    }
                    if let Some(place) = archive_box.place {
                        expected_at.insert((place, barcode));
                    }
                    let loan_open = self.exists(&keys::open_loan(barcode))?;
                    let on_loan = archive_box.status == crate::model::ItemStatus::OnLoan;
                    if loan_open != on_loan {
                        report
                            .problems
                            .push(message!(VerifyLoanStatusMismatch, barcode = barcode));
                    }
                }
                Item::Certificate(certificate) => {
                    if let Some(place) = certificate.place {
                        expected_at.insert((place, barcode));
                    }
                }
                Item::Location(location) => {
                    self.expect_points_to(&keys::path(&location.path), barcode, &mut report)?;
                }
                Item::Person(_) => {}
            }
        }

        // Backward: every index entry points at a record that agrees.
        for entry in self.tree.scan_prefix([keys::CONTENTS]) {
            let (key, value) = entry.map_err(StoreError::storage("reading location contents"))?;
            let location = keys::trailing_barcode(&key);
            let contents = keys::unpack(&value);
            let (Some(location), Some(contents)) = (location, contents) else {
                report.problems.push(message!(
                    VerifyContentsUnreadable,
                    key = String::from_utf8_lossy(&key).into_owned()
                ));
                continue;
            };
            for item in contents {
                report.index_entries += 1;
                if !expected_at.remove(&(location, item)) {
                    report.problems.push(message!(
                        VerifyListedElsewhere,
                        location = location,
                        item = item
                    ));
                }
            }
        }
        for (location, item) in expected_at {
            report.problems.push(message!(
                VerifyMissingFromContents,
                item = item,
                location = location
            ));
        }
        for tag in [keys::ARCHIVE_NO, keys::PATH, keys::CUSTOMER] {
            for entry in self.tree.scan_prefix([tag]) {
                let (key, value) = entry.map_err(StoreError::storage("reading an index"))?;
                report.index_entries += 1;
                let target = if tag == keys::CUSTOMER {
                    keys::trailing_barcode(&key)
                } else {
                    keys::trailing_barcode(&value)
                };
                let Some(target) = target else {
                    report.problems.push(message!(
                        VerifyIndexEntryUnreadable,
                        key = String::from_utf8_lossy(&key).into_owned()
                    ));
                    continue;
                };
                let agrees = match (tag, self.get_item(target)?) {
                    (keys::ARCHIVE_NO, Some(Item::Box(b))) => {
                        key.get(1..) == Some(b.archive_no.as_bytes())
                    }
                    (keys::PATH, Some(Item::Location(l))) => {
                        key.get(1..) == Some(l.path.as_bytes())
                    }
                    (keys::CUSTOMER, Some(Item::Box(b))) => {
                        key.as_ref()
                            == keys::customer(&customer_key(&b.customer), target).as_slice()
                    }
                    _ => false,
                };
                if !agrees {
                    report.problems.push(message!(
                        VerifyIndexEntryDisagrees,
                        key = String::from_utf8_lossy(&key).into_owned(),
                        target = target
                    ));
                }
            }
        }
        self.check_settings(&mut report.problems)?;
        for entry in self.tree.scan_prefix([keys::OPEN_LOAN]) {
            let (key, value) = entry.map_err(StoreError::storage("reading open loans"))?;
            report.index_entries += 1;
            let loan: Option<Loan> = match keys::decode_u64(&value) {
                Some(id) => self.get(&keys::loan(id))?,
                None => None,
            };
            let ok = loan.is_some_and(|loan| {
                loan.returned_at.is_none() && keys::open_loan(loan.item) == key.as_ref()
            });
            if !ok {
                report.problems.push(message!(
                    VerifyOpenLoanMismatch,
                    key = String::from_utf8_lossy(&key).into_owned()
                ));
            }
        }
        self.check_grams(&mut report)?;
        self.check_tallies(&mut report)?;
        self.check_history(&mut report)?;
        self.check_loans(&mut report)?;
        self.check_handovers(&mut report)?;
        self.check_certificates(&mut report)?;
        self.check_tokens(&mut report)?;
        self.check_credentials(&mut report)?;
        self.check_badges(&mut report)?;
        self.check_approvals(&mut report)?;
        self.check_jobs(&mut report)?;
        self.check_return_checks(&mut report)?;
        self.check_tasks(&mut report)?;
        Ok(report)
    }

    /// Every key of the family `tag`, with its value.
    fn family(&self, tag: u8) -> impl Iterator<Item = Result<(sled::IVec, sled::IVec)>> + '_ {
        self.tree
            .scan_prefix([tag])
            .map(|entry| entry.map_err(StoreError::storage("reading for verify")))
    }

    /// `record` (its key) should have the entry `key`.
    fn expect_entry(&self, record: &[u8], key: &[u8], report: &mut VerifyReport) -> Result<()> {
        report.index_entries += 1;
        if !self.exists(key)? {
            report.problems.push(message!(
                VerifyEntryMissing,
                record = keys::describe(record),
                key = keys::describe(key)
            ));
        }
        Ok(())
    }

    /// `record` (its key) should not have the entry `key` (it is closed, done, …).
    fn expect_no_entry(&self, key: &[u8], report: &mut VerifyReport) -> Result<()> {
        if self.exists(key)? {
            report.problems.push(dangling(key));
        }
        Ok(())
    }

    /// A record: decoded, and stored under the key it belongs under.
    fn keyed_record<T: serde::de::DeserializeOwned>(
        key: &[u8],
        value: &[u8],
        key_of: impl Fn(&T) -> Vec<u8>,
        report: &mut VerifyReport,
    ) -> Option<T> {
        let Ok(record) = decode::<T>(value, key) else {
            report
                .problems
                .push(message!(StoreCorrupt, key = keys::describe(key)));
            return None;
        };
        let expected = key_of(&record);
        if expected.as_slice() != key {
            report.problems.push(message!(
                VerifyRecordMisplaced,
                key = keys::describe(key),
                expected = keys::describe(&expected)
            ));
            return None;
        }
        Some(record)
    }

    /// `h`: each event is in the history of every item it concerns, and each history entry
    /// names an event that concerns its item.
    fn check_history(&self, report: &mut VerifyReport) -> Result<()> {
        // Every (item, event) pair the events call for, gathered in one pass: the entries
        // are then checked against it, not by decoding an event per entry (an import's
        // event concerns up to a thousand boxes, each with its own entry).
        let mut expected: HashSet<(Barcode, u64)> = HashSet::new();
        for entry in self.family(keys::EVENT) {
            let (key, value) = entry?;
            // An event that does not decode is the chain's finding already.
            let Ok(event) = self.decode_event(&key, &value) else {
                continue;
            };
            for item in concerned(self, &event)? {
                self.expect_entry(&key, &keys::history(item, event.seq), report)?;
                expected.insert((item, event.seq));
            }
        }
        for entry in self.family(keys::HISTORY) {
            let (key, _) = entry?;
            report.index_entries += 1;
            let parsed = key
                .get(1..1 + crate::barcode::BARCODE_LEN)
                .and_then(|bytes| std::str::from_utf8(bytes).ok())
                .and_then(|text| Barcode::parse(text).ok())
                .zip(keys::trailing_u64(&key))
                .filter(|(item, seq)| keys::history(*item, *seq).as_slice() == key.as_ref());
            let Some(pair) = parsed else {
                report.problems.push(unreadable(&key));
                continue;
            };
            if !expected.contains(&pair) {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `o`, `b`, `d` (and `x` forward): an open loan has its borrower, due-date and
    /// open-loan entries; a closed one none; each entry names an open loan that agrees.
    fn check_loans(&self, report: &mut VerifyReport) -> Result<()> {
        for entry in self.family(keys::LOAN) {
            let (key, value) = entry?;
            let Some(loan) =
                Self::keyed_record(&key, &value, |loan: &Loan| keys::loan(loan.id), report)
            else {
                continue;
            };
            let borrower = keys::borrower(loan.borrower, loan.id);
            let due = keys::due(loan.due, loan.id);
            if loan.returned_at.is_none() {
                self.expect_entry(&key, &borrower, report)?;
                self.expect_entry(&key, &due, report)?;
                let open = self
                    .tree
                    .get(keys::open_loan(loan.item))
                    .map_err(StoreError::storage("reading open loans"))?;
                if open.and_then(|bytes| keys::decode_u64(&bytes)) != Some(loan.id) {
                    report.problems.push(message!(
                        VerifyEntryMissing,
                        record = keys::describe(&key),
                        key = keys::describe(&keys::open_loan(loan.item))
                    ));
                }
            } else {
                self.expect_no_entry(&borrower, report)?;
                self.expect_no_entry(&due, report)?;
            }
        }
        for tag in [keys::BORROWER, keys::DUE] {
            for entry in self.family(tag) {
                let (key, _) = entry?;
                report.index_entries += 1;
                let loan: Option<Loan> = match keys::trailing_u64(&key) {
                    Some(id) => self.lookup(&keys::loan(id))?,
                    None => None,
                };
                let agrees = loan.is_some_and(|loan| {
                    let expected = if tag == keys::BORROWER {
                        keys::borrower(loan.borrower, loan.id)
                    } else {
                        keys::due(loan.due, loan.id)
                    };
                    loan.returned_at.is_none() && expected.as_slice() == key.as_ref()
                });
                if !agrees {
                    report.problems.push(dangling(&key));
                }
            }
        }
        Ok(())
    }

    /// `g`, `G`: an open handover is listed by its deadline, a confirmed one not; each
    /// deadline entry names an open handover with that deadline.
    fn check_handovers(&self, report: &mut VerifyReport) -> Result<()> {
        for entry in self.family(keys::HANDOVER) {
            let (key, value) = entry?;
            let Some(handover) = Self::keyed_record(
                &key,
                &value,
                |handover: &Handover| keys::handover(handover.id),
                report,
            ) else {
                continue;
            };
            let due = keys::handover_due(handover.deadline, handover.id);
            if handover.confirmed_at.is_none() {
                self.expect_entry(&key, &due, report)?;
            } else {
                self.expect_no_entry(&due, report)?;
            }
        }
        for entry in self.family(keys::HANDOVER_DUE) {
            let (key, _) = entry?;
            report.index_entries += 1;
            let handover: Option<Handover> = match keys::trailing_u64(&key) {
                Some(id) => self.lookup(&keys::handover(id))?,
                None => None,
            };
            let agrees = handover.is_some_and(|handover| {
                handover.confirmed_at.is_none()
                    && keys::handover_due(handover.deadline, handover.id).as_slice() == key.as_ref()
            });
            if !agrees {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `n`: every certificate is listed under its project's archive number, and every
    /// entry names a certificate of that number.
    fn check_certificates(&self, report: &mut VerifyReport) -> Result<()> {
        for entry in self
            .tree
            .scan_prefix(keys::items_of_kind(crate::barcode::Kind::Certificate))
        {
            let (key, value) = entry.map_err(StoreError::storage("reading items"))?;
            // An item that does not decode is reported with the items.
            if let Ok(Item::Certificate(certificate)) = decode::<Item>(&value, &key) {
                let listed = keys::certificates_of(&certificate.archive_no, certificate.barcode);
                self.expect_entry(&key, &listed, report)?;
            }
        }
        for entry in self.family(keys::CERTIFICATES_OF) {
            let (key, _) = entry?;
            report.index_entries += 1;
            let agrees = match keys::trailing_barcode(&key) {
                Some(barcode) => matches!(
                    self.lookup(&keys::item(barcode))?,
                    Some(Item::Certificate(certificate))
                        if keys::certificates_of(&certificate.archive_no, barcode).as_slice()
                            == key.as_ref()
                ),
                None => false,
            };
            if !agrees {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `t`, `T`: each token belongs to a person and is found by its number; each number
    /// leads to the token that has it.
    fn check_tokens(&self, report: &mut VerifyReport) -> Result<()> {
        for entry in self.family(keys::TOKEN) {
            let (key, value) = entry?;
            let Ok(token) = decode::<Token>(&value, &key) else {
                report
                    .problems
                    .push(message!(StoreCorrupt, key = keys::describe(&key)));
                continue;
            };
            if !matches!(
                self.lookup(&keys::item(token.person))?,
                Some(Item::Person(_))
            ) {
                report.problems.push(dangling(&key));
            }
            report.index_entries += 1;
            let by_id = keys::token_id(token.id);
            let points_back = self
                .tree
                .get(&by_id)
                .map_err(StoreError::storage("reading tokens"))?
                .is_some_and(|hash| key.get(1..) == Some(hash.as_ref()));
            if !points_back {
                report.problems.push(message!(
                    VerifyEntryMissing,
                    record = keys::describe(&key),
                    key = keys::describe(&by_id)
                ));
            }
        }
        for entry in self.family(keys::TOKEN_ID) {
            let (key, value) = entry?;
            report.index_entries += 1;
            let token: Option<Token> = match <[u8; 32]>::try_from(value.as_ref()) {
                Ok(hash) => self.lookup(&keys::token(&hash))?,
                Err(_) => None,
            };
            let agrees =
                token.is_some_and(|token| keys::token_id(token.id).as_slice() == key.as_ref());
            if !agrees {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `u`: a person's entry names a replacement badge that stands for them; a replacement's
    /// entry names a person whose badge was replaced.
    fn check_badges(&self, report: &mut VerifyReport) -> Result<()> {
        for entry in self.family(keys::BADGE) {
            let (key, value) = entry?;
            report.index_entries += 1;
            let code = key
                .get(1..)
                .and_then(|code| std::str::from_utf8(code).ok())
                .and_then(|code| Barcode::parse(code).ok());
            let (Some(code), Some(other)) = (code, keys::trailing_barcode(&value)) else {
                report.problems.push(unreadable(&key));
                continue;
            };
            let points_back = |from: Barcode| -> Result<Option<Barcode>> {
                Ok(self
                    .tree
                    .get(keys::badge(from))
                    .map_err(StoreError::storage("reading an index"))?
                    .and_then(|value| keys::trailing_barcode(&value)))
            };
            let agrees = if matches!(self.lookup(&keys::item(code))?, Some(Item::Person(_))) {
                points_back(other)? == Some(code)
            } else {
                matches!(self.lookup(&keys::item(other))?, Some(Item::Person(_)))
                    && points_back(other)?.is_some()
            };
            if !agrees {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `Z`: each person's sign-in secrets decode and belong to a person.
    fn check_credentials(&self, report: &mut VerifyReport) -> Result<()> {
        for entry in self.family(keys::CREDENTIAL) {
            let (key, value) = entry?;
            report.index_entries += 1;
            if decode::<super::Credentials>(&value, &key).is_err() {
                report
                    .problems
                    .push(message!(StoreCorrupt, key = keys::describe(&key)));
                continue;
            }
            let owner = key
                .get(1..)
                .and_then(|code| std::str::from_utf8(code).ok())
                .and_then(|code| Barcode::parse(code).ok());
            let is_person = match owner {
                Some(owner) => matches!(self.lookup(&keys::item(owner))?, Some(Item::Person(_))),
                None => false,
            };
            if !is_person {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `q`: each approval is stored under its borrower and names a borrower and an approver
    /// who are people.
    fn check_approvals(&self, report: &mut VerifyReport) -> Result<()> {
        for entry in self.family(keys::APPROVAL) {
            let (key, value) = entry?;
            report.index_entries += 1;
            let Some(approval) = Self::keyed_record(
                &key,
                &value,
                |approval: &LoanApproval| keys::approval(approval.borrower),
                report,
            ) else {
                continue;
            };
            let is_person = |barcode| -> Result<bool> {
                Ok(matches!(
                    self.lookup(&keys::item(barcode))?,
                    Some(Item::Person(_))
                ))
            };
            if !is_person(approval.borrower)? || !is_person(approval.approver)? {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `j`, `J`: a pending job is listed by its next attempt, a finished one not; each
    /// entry names a pending job due then.
    fn check_jobs(&self, report: &mut VerifyReport) -> Result<()> {
        for entry in self.family(keys::JOB) {
            let (key, value) = entry?;
            let Some(job) =
                Self::keyed_record(&key, &value, |job: &PrintJob| keys::job(job.id), report)
            else {
                continue;
            };
            let due = keys::job_due(job.next_attempt_at, job.id);
            if job.state == PrintState::Pending {
                self.expect_entry(&key, &due, report)?;
            } else {
                self.expect_no_entry(&due, report)?;
            }
        }
        for entry in self.family(keys::JOB_DUE) {
            let (key, _) = entry?;
            report.index_entries += 1;
            let job: Option<PrintJob> = match keys::trailing_u64(&key) {
                Some(id) => self.lookup(&keys::job(id))?,
                None => None,
            };
            let agrees = job.is_some_and(|job| {
                job.state == PrintState::Pending
                    && keys::job_due(job.next_attempt_at, job.id).as_slice() == key.as_ref()
            });
            if !agrees {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `R`: each return check belongs to a loan of its box that has been returned. Both
    /// families are in loan-number order, so one pass over each answers it (no read per
    /// check).
    fn check_return_checks(&self, report: &mut VerifyReport) -> Result<()> {
        let mut loans = self.family(keys::LOAN).peekable();
        for entry in self.family(keys::RETURN_CHECK) {
            let (key, value) = entry?;
            report.index_entries += 1;
            let Some(check) = Self::keyed_record(
                &key,
                &value,
                |check: &super::ReturnCheck| keys::return_check(check.loan),
                report,
            ) else {
                continue;
            };
            let wanted = keys::loan(check.loan);
            // The loans before this one belong to no check.
            while let Some(Ok((loan_key, _))) = loans.peek() {
                if loan_key.as_ref() >= wanted.as_slice() {
                    break;
                }
                loans.next();
            }
            let loan = match loans.peek() {
                Some(Ok((loan_key, value))) if loan_key.as_ref() == wanted.as_slice() => {
                    // A loan that does not decode is reported with the loans.
                    decode::<Loan>(value, loan_key).ok()
                }
                Some(Err(_)) => {
                    loans.next().transpose()?;
                    None
                }
                _ => None,
            };
            let agrees = loan.is_some_and(|loan| {
                loan.id == check.loan && loan.item == check.item && loan.returned_at.is_some()
            });
            if !agrees {
                report.problems.push(dangling(&key));
            }
        }
        Ok(())
    }

    /// `A` with `N`, `B`, `O`, `C`, `P`: every task is found by its external id; an open
    /// task is in `B` once (with its step), in exactly one of `O` (its step's owner) and `C`
    /// (the archive room's), and in `P` when it names a box; a done task in none of them;
    /// every entry is one a task calls for. One pass over the tasks gathers the entries
    /// they call for, one pass over each index family checks them off.
    fn check_tasks(&self, report: &mut VerifyReport) -> Result<()> {
        let mut expected: HashMap<Vec<u8>, Wanted> = HashMap::new();
        for entry in self.family(keys::TASK) {
            let (key, value) = entry?;
            let Some(task) = Self::keyed_record(
                &key,
                &value,
                |task: &super::Task| keys::task(task.id),
                report,
            ) else {
                continue;
            };
            let record = key.to_vec();
            expected.insert(
                keys::task_external(&task.external_id),
                (record.clone(), Some(task.id.to_be_bytes().to_vec())),
            );
            let Some(step) = task.step else {
                continue;
            };
            expected.insert(
                keys::task_due(task.due_at, task.id),
                (record.clone(), Some(vec![step.index()])),
            );
            let inbox = match task.owner() {
                Some(owner) => keys::task_owner(owner, task.id),
                None => keys::task_room(task.id),
            };
            expected.insert(inbox, (record.clone(), None));
            if let Some(archive_box) = task.archive_box {
                expected.insert(keys::task_box(archive_box, task.id), (record, None));
            }
        }
        for tag in [
            keys::TASK_EXTERNAL,
            keys::TASK_DUE,
            keys::TASK_OWNER,
            keys::TASK_ROOM,
            keys::TASK_BOX,
        ] {
            for entry in self.family(tag) {
                let (key, value) = entry?;
                report.index_entries += 1;
                let agrees = match expected.remove(key.as_ref()) {
                    Some((_, Some(wanted))) => wanted.as_slice() == value.as_ref(),
                    Some((_, None)) => true,
                    None => false,
                };
                if !agrees {
                    report.problems.push(dangling(&key));
                }
            }
        }
        let mut missing: Vec<_> = expected.into_iter().collect();
        missing.sort();
        for (key, (record, _)) in missing {
            report.problems.push(message!(
                VerifyEntryMissing,
                record = keys::describe(&record),
                key = keys::describe(&key)
            ));
        }
        Ok(())
    }

    /// The record under `key`; one that does not decode counts as none (it is reported
    /// where its own family is checked), while a storage failure stops the verify.
    fn lookup<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>> {
        match self.get(key) {
            Err(StoreError::Failed(super::StorageError::Corrupt { .. })) => Ok(None),
            other => other,
        }
    }

    fn exists(&self, key: &[u8]) -> Result<bool> {
        self.tree
            .contains_key(key)
            .map_err(StoreError::storage("reading an index"))
    }

    fn expect_points_to(
        &self,
        key: &[u8],
        barcode: Barcode,
        report: &mut VerifyReport,
    ) -> Result<()> {
        let found = self
            .tree
            .get(key)
            .map_err(StoreError::storage("reading an index"))?
            .and_then(|bytes| keys::trailing_barcode(&bytes));
        if found != Some(barcode) {
            report.problems.push(message!(
                VerifyIndexEntryMissing,
                barcode = barcode,
                key = String::from_utf8_lossy(key).into_owned()
            ));
        }
        Ok(())
    }
}

/// The items an event concerns: its own, and for an import chunk every box it created
/// (listed in its changes as `box`: `<barcode> <archive number>`).
/// The items an event's history entries belong to: its item, the boxes an import lists,
/// and every item the label of a print event names (its job, by the `job` change, keeps
/// the subject; a job is never deleted).
fn concerned(store: &Store, event: &Event) -> Result<Vec<Barcode>> {
    let mut items: Vec<Barcode> = event.body.item.into_iter().collect();
    match event.body.kind {
        EventKind::Imported => items.extend(
            event
                .body
                .changes
                .iter()
                .filter(|change| change.field == "box")
                .filter_map(|change| change.after.as_deref()?.split(' ').next())
                .filter_map(|barcode| Barcode::parse(barcode).ok()),
        ),
        // A loan slip's request and a handover's extension list their boxes.
        EventKind::LoanSlipRequested | EventKind::HandoverExtended => items.extend(
            event
                .body
                .changes
                .iter()
                .filter(|change| change.field == "boxes")
                .filter_map(|change| change.after.as_deref())
                .flat_map(|list| list.split(' '))
                .filter_map(|barcode| Barcode::parse(barcode).ok()),
        ),
        EventKind::PrintQueued
        | EventKind::PrintDelayed
        | EventKind::Printed
        | EventKind::PrintCancelled => {
            let job = event
                .body
                .changes
                .iter()
                .filter(|change| change.field == "job")
                .flat_map(|change| [change.before.as_deref(), change.after.as_deref()])
                .find_map(|text| text?.parse::<u64>().ok());
            if let Some(job) = job.map(|id| store.job(id)).transpose()?.flatten() {
                for item in job.labelled_items() {
                    if !items.contains(&item) {
                        items.push(item);
                    }
                }
            }
        }
        _ => {}
    }
    Ok(items)
}

/// What an index entry a record calls for must be: the record's key, and the value the
/// entry must hold if it matters.
type Wanted = (Vec<u8>, Option<Vec<u8>>);

fn dangling(key: &[u8]) -> Message {
    message!(VerifyEntryDangling, key = keys::describe(key))
}

fn unreadable(key: &[u8]) -> Message {
    message!(VerifyIndexEntryUnreadable, key = keys::describe(key))
}

#[cfg(test)]
pub(crate) mod tamper {
    //! Test-only access to raw keys, to prove that verify notices tampering.
    use super::*;
    use crate::event::Event;

    /// Overwrites event `seq` with what `edit` makes of it (stored in its own format).
    pub fn edit_event(store: &Store, seq: u64, edit: impl Fn(&mut Event)) {
        let key = keys::event(seq);
        let bytes = store.tree.get(&key).expect("read").expect("event exists");
        let mut event = store.decode_event(&key, &bytes).expect("decodes");
        edit(&mut event);
        let mut out = Vec::new();
        event.encode(&mut out);
        store.tree.insert(key, out).expect("write");
    }

    /// Overwrites the stored bytes of event `seq` with what `edit` makes of them.
    pub fn edit_event_bytes(store: &Store, seq: u64, edit: impl Fn(&mut Vec<u8>)) {
        let key = keys::event(seq);
        let mut bytes = store
            .tree
            .get(&key)
            .expect("read")
            .expect("event exists")
            .to_vec();
        edit(&mut bytes);
        store.tree.insert(key, bytes).expect("write");
    }

    /// Makes the store look as the previous layout (schema 2) wrote it: every event
    /// rechained in format 0 from the start, no `m:event_format_from`. Flushed; reopen it.
    /// Answers the new head.
    pub fn as_schema_2(store: &Store) -> (u64, crate::event::Hash) {
        let mut prev = crate::event::GENESIS;
        let mut seq = 0;
        for event in store.events(1, usize::MAX).expect("events") {
            let old = Event::chain_as(
                crate::event::Format::Unversioned,
                &prev,
                event.seq,
                event.body,
            );
            let mut out = Vec::new();
            old.encode(&mut out);
            store.tree.insert(keys::event(old.seq), out).expect("write");
            prev = old.hash;
            seq = old.seq;
        }
        store
            .tree
            .insert(keys::HEAD, &super::super::encode_head(seq, &prev)[..])
            .expect("write");
        store.tree.remove(keys::EVENT_FORMAT_FROM).expect("remove");
        store
            .tree
            .insert(keys::SCHEMA, &2u32.to_be_bytes())
            .expect("write");
        store.flush().expect("flush");
        (seq, prev)
    }

    /// Overwrites the raw value under `key` (or removes it, with `None`), behind the
    /// store's back, and flushes.
    pub fn set_raw(store: &Store, key: &[u8], value: Option<&[u8]>) {
        match value {
            Some(value) => store.tree.insert(key, value).map(|_| ()),
            None => store.tree.remove(key).map(|_| ()),
        }
        .expect("write");
        store.flush().expect("flush");
    }

    /// Holds every flush back (as if one were running) until [`release_flushes`]: writers
    /// commit and then wait.
    pub fn hold_flushes(store: &Store) {
        *store
            .durability
            .flushing
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = true;
    }

    /// Lets flushes happen again after [`hold_flushes`].
    pub fn release_flushes(store: &Store) {
        *store
            .durability
            .flushing
            .lock()
            .unwrap_or_else(|poison| poison.into_inner()) = false;
        store.durability.flushed.notify_all();
    }

    /// Commits so far.
    pub fn committed(store: &Store) -> u64 {
        store
            .durability
            .committed
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Writers that have begun (and may be waiting for the writer lock) but not committed.
    pub fn pending_writers(store: &Store) -> u64 {
        store
            .durability
            .pending
            .load(std::sync::atomic::Ordering::SeqCst)
    }

    /// The writer lock, held by another thread until the answer is dropped.
    pub struct HeldWriter {
        release: Option<std::sync::mpsc::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    }

    impl Drop for HeldWriter {
        fn drop(&mut self) {
            self.release.take();
            if let Some(thread) = self.thread.take() {
                thread.join().expect("the holder ends");
            }
        }
    }

    /// Takes the writer lock on another thread and keeps it until the answer is dropped.
    pub fn hold_writer(store: std::sync::Arc<Store>) -> HeldWriter {
        let (locked_tx, locked) = std::sync::mpsc::channel();
        let (release, released) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let _head = store.writer();
            locked_tx.send(()).expect("the test waits");
            // Until the sender is dropped.
            let _ = released.recv();
        });
        locked.recv().expect("the writer lock taken");
        HeldWriter {
            release: Some(release),
            thread: Some(thread),
        }
    }

    /// The key of `borrower`'s approval.
    pub fn approval_key(borrower: Barcode) -> Vec<u8> {
        keys::approval(borrower)
    }

    /// Every key of the family `tag`, for a test to pick one to damage.
    pub fn keys_of(store: &Store, tag: u8) -> Vec<Vec<u8>> {
        store
            .tree
            .scan_prefix([tag])
            .keys()
            .map(|key| key.expect("read").to_vec())
            .collect()
    }

    /// The raw value under `key`.
    pub fn get_raw(store: &Store, key: &[u8]) -> Option<Vec<u8>> {
        store
            .tree
            .get(key)
            .expect("read")
            .map(|value| value.to_vec())
    }

    /// Removes event `seq`.
    pub fn remove_event(store: &Store, seq: u64) {
        store.tree.remove(keys::event(seq)).expect("remove");
    }

    /// Removes `item` from `location`'s contents behind the store's back.
    pub fn remove_at(store: &Store, location: Barcode, item: Barcode) {
        let key = keys::contents(location);
        let bytes = store.tree.get(&key).expect("read").expect("contents exist");
        let mut contents = keys::unpack(&bytes).expect("unpacks");
        contents.retain(|listed| *listed != item);
        store
            .tree
            .insert(key, keys::pack(&contents))
            .expect("write");
    }
}
