//! The key layout of the one sled tree: a one-byte family tag, then the family's key.
//!
//! Barcodes are stored as their 11-byte printed text and numbers as big-endian, so that
//! prefix scans come out in barcode, sequence and date order.

use chrono::{Datelike, NaiveDate};

use crate::barcode::{Barcode, Kind};

/// Schema version of the key layout and record encodings.
pub const SCHEMA: &[u8] = b"m:schema";
/// Chain head: last event's seq (8 bytes BE) and hash (32 bytes).
pub const HEAD: &[u8] = b"m:head";
/// The first event position stored with a format byte (8 bytes BE): the events before it
/// were written before event formats existed (format 0). Written once, when the store is
/// created (1) or upgraded to schema 3 (the head then, plus one), and never changed.
pub const EVENT_FORMAT_FROM: &[u8] = b"m:event_format_from";
/// Next loan number.
pub const LOAN_ID: &[u8] = b"m:loan";
/// Next handover number.
pub const HANDOVER_ID: &[u8] = b"m:handover";
/// Next pick list number.
pub const PICK_LIST_ID: &[u8] = b"m:picklist";
/// Next loan slip number.
pub const LOAN_SLIP_ID: &[u8] = b"m:loanslip";

/// Family tags.
pub const ITEM: u8 = b'i';
pub const ARCHIVE_NO: u8 = b'a';
pub const PATH: u8 = b'p';
pub const CONTENTS: u8 = b's';
pub const APPROVAL: u8 = b'q';
pub const JOB: u8 = b'j';
pub const JOB_DUE: u8 = b'J';
pub const TOKEN: u8 = b't';
pub const TOKEN_ID: u8 = b'T';
pub const CUSTOMER: u8 = b'c';
pub const EVENT: u8 = b'e';
pub const HISTORY: u8 = b'h';
pub const LOAN: u8 = b'o';
pub const BORROWER: u8 = b'b';
pub const DUE: u8 = b'd';
pub const OPEN_LOAN: u8 = b'x';
pub const HANDOVER: u8 = b'g';
pub const HANDOVER_DUE: u8 = b'G';
/// Pick lists by number (see `picklists.rs`).
pub const PICK_LIST: u8 = b'y';
pub const CERTIFICATES_OF: u8 = b'n';
/// Loan slips (档案资料出借单) by number (see `loanslips.rs`).
pub const LOAN_SLIP: u8 = b'L';
/// Approved loan slips with boxes still to lend, by borrower and slip number (empty values).
pub const SLIP_TO_LEND: u8 = b'W';
/// The loan slip a loan was opened against, by loan number (the slip's number, 8 bytes BE).
pub const SLIP_OF_LOAN: u8 = b'X';
/// The extensions of a handover's deadline, by handover number (see `handovers.rs`).
pub const HANDOVER_EXTENSIONS: u8 = b'V';
/// Returns awaiting their completeness check or confirmed incomplete, by loan number (see
/// `returns.rs`).
pub const RETURN_CHECK: u8 = b'R';
/// Station-managed numbering schemes by name (JSON).
pub const SCHEME: u8 = b'k';
/// Station-managed devices (scanners, printers) by name (JSON).
pub const DEVICE: u8 = b'v';
/// Disabled devices by name (config or station origin), empty values.
pub const DISABLED: u8 = b'w';
/// People who have left: their badges and tokens no longer work (empty values).
pub const DEPARTED: u8 = b'l';
/// Box search: one empty value per gram (a character or a pair of neighbouring characters)
/// of a box's customer name and archive number, and the box (see `search.rs`).
pub const GRAM: u8 = b'f';
/// People's sign-in secrets (password and badge PIN) as argon2id hashes, by badge.
pub const CREDENTIAL: u8 = b'Z';
/// Replaced badges, both ways: `u` + a person's own code → the code of the badge they carry
/// now; `u` + a replacement badge's code → the person it stands for (see `people.rs`).
pub const BADGE: u8 = b'u';
/// A location's fill tally (items there, capacity, on loan, missing; over itself and
/// everything under it), by location (see `tally.rs`).
pub const FILL: u8 = b'F';
/// How many boxes a category has of a year (8 bytes BE), by category and year (see
/// `tally.rs`).
pub const CATEGORY_YEAR: u8 = b'Y';

/// A box's contents list: one compact record per document, by box and position (2 bytes
/// BE), so that one prefix scan reads a box's list in order (see `contents.rs`).
pub const DOCUMENT: u8 = b'D';
/// A box's paper record: how many documents its list holds, its expiry date and the
/// supplements it waits for, by box (see `contents.rs`).
pub const PAPERS: u8 = b'E';
/// Expiry dates (合同到期日) of boxes and documents, by day (4 bytes BE days from CE), box
/// and position (`u16::MAX` for the box itself): empty values, for expiry reminders.
pub const EXPIRY: u8 = b'K';

/// The kind of an API token that is not a person's own (`integration`), by token number
/// (8 bytes BE; see `tokens.rs`): a token without an entry is a person's. Kept apart so that
/// the token record's encoding stays as it is.
pub const TOKEN_KIND: u8 = b'I';
/// Archive tasks from the business systems by number (8 bytes BE; see `tasks.rs`).
pub const TASK: u8 = b'A';
/// Every open task by the due moment of its current step (8 bytes BE, shifted so that the
/// order is the time order) and number; the value is the step's index (1 byte). The
/// scheduler reads it from the start up to "now plus the longest warning threshold", and no
/// further; a supervisor's list reads it in order of lateness.
pub const TASK_DUE: u8 = b'B';
/// Open tasks whose current step belongs to the archive room rather than one person (no
/// collector named: review; handover and shelving), by number (empty values).
pub const TASK_ROOM: u8 = b'C';
/// A task's number (8 bytes BE) by the external id its business system gave it.
pub const TASK_EXTERNAL: u8 = b'N';
/// Open tasks by the person their current step belongs to and number (empty values): a
/// person's inbox is one prefix read.
pub const TASK_OWNER: u8 = b'O';
/// Open tasks by the box they name and number (empty values): scans of the box complete
/// the task's step.
pub const TASK_BOX: u8 = b'P';
/// The once-only guard of urging: task number, step index (1 byte) and reminder ordinal
/// (4 bytes BE) → the number of the first notification sent for it (see `reminders.rs`).
pub const REMINDED: u8 = b'H';
/// Notifications by recipient and number (8 bytes BE): a person's list is one prefix read,
/// newest last (see `reminders.rs`).
pub const NOTIFICATION: u8 = b'M';
// `Q` is kept for the delivery queue of the other channels (e-mail, WeCom, DingTalk,
// webhooks): pending deliveries by their next attempt, like the print queue's `J`. Not
// written yet.

fn tagged(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len = 1 + parts.iter().map(|part| part.len()).sum::<usize>();
    let mut key = Vec::with_capacity(len);
    key.push(tag);
    for part in parts {
        key.extend_from_slice(part);
    }
    key
}

/// Counter of the last barcode sequence handed out for `kind`.
pub fn barcode_counter(kind: Kind) -> Vec<u8> {
    format!("m:seq:{}", kind.prefix()).into_bytes()
}

/// Counter of the last archive-number sequence of `scheme` in `year`.
pub fn number_counter(scheme: &str, year: u16) -> Vec<u8> {
    format!("m:num:{scheme}:{year:04}").into_bytes()
}

pub fn item(barcode: Barcode) -> Vec<u8> {
    tagged(ITEM, &[&barcode.to_key()])
}

pub fn items_of_kind(kind: Kind) -> Vec<u8> {
    vec![ITEM, kind.prefix() as u8]
}

pub fn archive_no(number: &str) -> Vec<u8> {
    tagged(ARCHIVE_NO, &[number.as_bytes()])
}

pub fn path(path: &str) -> Vec<u8> {
    tagged(PATH, &[path.as_bytes()])
}

/// Next token number.
pub const TOKEN_COUNTER: &[u8] = b"m:token";

/// A token by the SHA-256 of its secret.
pub fn token(hash: &[u8; 32]) -> Vec<u8> {
    tagged(TOKEN, &[hash])
}

/// A token's hash by its number (for listing and revoking).
pub fn token_id(id: u64) -> Vec<u8> {
    tagged(TOKEN_ID, &[&id.to_be_bytes()])
}

/// Next task number.
pub const TASK_COUNTER: &[u8] = b"m:task";

/// The kind of token `id`, when it is not a person's own.
pub fn token_kind(id: u64) -> Vec<u8> {
    tagged(TOKEN_KIND, &[&id.to_be_bytes()])
}

/// A task.
pub fn task(id: u64) -> Vec<u8> {
    tagged(TASK, &[&id.to_be_bytes()])
}

/// An open task's entry in the due index.
pub fn task_due(due: i64, id: u64) -> Vec<u8> {
    tagged(
        TASK_DUE,
        &[&(due as u64 ^ (1 << 63)).to_be_bytes(), &id.to_be_bytes()],
    )
}

/// The first due-index key after every entry due at or before `at`.
pub fn task_due_after(at: i64) -> Vec<u8> {
    tagged(
        TASK_DUE,
        &[&(at.saturating_add(1) as u64 ^ (1 << 63)).to_be_bytes()],
    )
}

/// The due moment and task number of a due-index key.
pub fn parse_task_due(key: &[u8]) -> Option<(i64, u64)> {
    let rest = key.strip_prefix(&[TASK_DUE])?;
    let due = decode_u64(rest.get(..8)?)? ^ (1 << 63);
    Some((due as i64, decode_u64(rest.get(8..)?)?))
}

/// An open task whose current step is the archive room's.
pub fn task_room(id: u64) -> Vec<u8> {
    tagged(TASK_ROOM, &[&id.to_be_bytes()])
}

/// A task by its business system's external id.
pub fn task_external(external_id: &str) -> Vec<u8> {
    tagged(TASK_EXTERNAL, &[external_id.as_bytes()])
}

/// An open task in `owner`'s inbox.
pub fn task_owner(owner: Barcode, id: u64) -> Vec<u8> {
    tagged(TASK_OWNER, &[&owner.to_key(), &id.to_be_bytes()])
}

/// Every open task in `owner`'s inbox.
pub fn task_owner_prefix(owner: Barcode) -> Vec<u8> {
    tagged(TASK_OWNER, &[&owner.to_key()])
}

/// An open task naming `archive_box`.
pub fn task_box(archive_box: Barcode, id: u64) -> Vec<u8> {
    tagged(TASK_BOX, &[&archive_box.to_key(), &id.to_be_bytes()])
}

/// Every open task naming `archive_box`.
pub fn task_box_prefix(archive_box: Barcode) -> Vec<u8> {
    tagged(TASK_BOX, &[&archive_box.to_key()])
}

/// Next notification number.
pub const NOTIFICATION_COUNTER: &[u8] = b"m:notification";

/// The once-only guard of reminder `ordinal` of `step` of task `id`.
pub fn reminded(id: u64, step: u8, ordinal: u32) -> Vec<u8> {
    tagged(
        REMINDED,
        &[&id.to_be_bytes(), &[step], &ordinal.to_be_bytes()],
    )
}

/// Notification `id` of `recipient`.
pub fn notification(recipient: Barcode, id: u64) -> Vec<u8> {
    tagged(NOTIFICATION, &[&recipient.to_key(), &id.to_be_bytes()])
}

/// Every notification of `recipient`.
pub fn notifications_of(recipient: Barcode) -> Vec<u8> {
    tagged(NOTIFICATION, &[&recipient.to_key()])
}

/// Next print job number.
pub const JOB_ID: &[u8] = b"m:job";

/// A print job.
pub fn job(id: u64) -> Vec<u8> {
    tagged(JOB, &[&id.to_be_bytes()])
}

/// A pending print job by the time of its next attempt.
pub fn job_due(at: i64, id: u64) -> Vec<u8> {
    // Shifted so that the big-endian order is the time order.
    tagged(
        JOB_DUE,
        &[&(at as u64 ^ (1 << 63)).to_be_bytes(), &id.to_be_bytes()],
    )
}

/// A borrower's recorded loan approval.
pub fn approval(borrower: Barcode) -> Vec<u8> {
    tagged(APPROVAL, &[&borrower.to_key()])
}

/// What stands at a location: one packed, sorted list per location (see [`pack`]), so a
/// move rewrites two small values instead of touching per-item index keys and counts.
pub fn contents(location: Barcode) -> Vec<u8> {
    tagged(CONTENTS, &[&location.to_key()])
}

/// One document of a box's contents list (positions count from 1).
pub fn document(archive_box: Barcode, position: u16) -> Vec<u8> {
    tagged(DOCUMENT, &[&archive_box.to_key(), &position.to_be_bytes()])
}

/// Every document of a box's contents list.
pub fn documents_of(archive_box: Barcode) -> Vec<u8> {
    tagged(DOCUMENT, &[&archive_box.to_key()])
}

/// A box's paper record.
pub fn papers(archive_box: Barcode) -> Vec<u8> {
    tagged(PAPERS, &[&archive_box.to_key()])
}

/// An expiry date of a box (`position` `u16::MAX`) or of one of its documents.
pub fn expiry(day: NaiveDate, archive_box: Barcode, position: u16) -> Vec<u8> {
    let days = day.num_days_from_ce().max(0) as u32;
    tagged(
        EXPIRY,
        &[
            &days.to_be_bytes(),
            &archive_box.to_key(),
            &position.to_be_bytes(),
        ],
    )
}

pub fn customer(customer_key: &str, item: Barcode) -> Vec<u8> {
    tagged(CUSTOMER, &[customer_key.as_bytes(), &[0], &item.to_key()])
}

pub fn customer_prefix(customer_key_prefix: &str) -> Vec<u8> {
    tagged(CUSTOMER, &[customer_key_prefix.as_bytes()])
}

/// A box's entry under `gram` in the search index; the box packed as in contents lists
/// (5 bytes), for the index has a few dozen entries a box.
pub fn gram(gram: &str, item: Barcode) -> Vec<u8> {
    tagged(GRAM, &[gram.as_bytes(), &[0], &pack(&[item])])
}

/// Every entry under exactly `gram` (the gram and its terminator).
pub fn gram_prefix(gram: &str) -> Vec<u8> {
    tagged(GRAM, &[gram.as_bytes(), &[0]])
}

/// Every entry whose gram begins with `start` (a single character finds each pair it
/// begins and the text's last character).
pub fn grams_starting(start: &str) -> Vec<u8> {
    tagged(GRAM, &[start.as_bytes()])
}

/// The packed barcode at the end of a gram entry.
pub fn trailing_packed(key: &[u8]) -> Option<Barcode> {
    let start = key.len().checked_sub(PACKED_LEN)?;
    unpack(key.get(start..)?)?.into_iter().next()
}

pub fn event(seq: u64) -> Vec<u8> {
    tagged(EVENT, &[&seq.to_be_bytes()])
}

pub fn history(item: Barcode, seq: u64) -> Vec<u8> {
    tagged(HISTORY, &[&item.to_key(), &seq.to_be_bytes()])
}

pub fn history_prefix(item: Barcode) -> Vec<u8> {
    tagged(HISTORY, &[&item.to_key()])
}

/// A pick list.
pub fn pick_list(id: u64) -> Vec<u8> {
    tagged(PICK_LIST, &[&id.to_be_bytes()])
}

/// A loan slip.
pub fn loan_slip(id: u64) -> Vec<u8> {
    tagged(LOAN_SLIP, &[&id.to_be_bytes()])
}

/// An approved loan slip of `borrower` with boxes still to lend.
pub fn slip_to_lend(borrower: Barcode, slip: u64) -> Vec<u8> {
    tagged(SLIP_TO_LEND, &[&borrower.to_key(), &slip.to_be_bytes()])
}

/// The approved loan slips of `borrower` with boxes still to lend.
pub fn slips_to_lend_prefix(borrower: Barcode) -> Vec<u8> {
    tagged(SLIP_TO_LEND, &[&borrower.to_key()])
}

/// The loan slip loan `loan` was opened against.
pub fn slip_of_loan(loan: u64) -> Vec<u8> {
    tagged(SLIP_OF_LOAN, &[&loan.to_be_bytes()])
}

/// The extensions of handover `id`'s deadline.
pub fn handover_extensions(id: u64) -> Vec<u8> {
    tagged(HANDOVER_EXTENSIONS, &[&id.to_be_bytes()])
}

/// The completeness check of returned loan `loan`.
pub fn return_check(loan: u64) -> Vec<u8> {
    tagged(RETURN_CHECK, &[&loan.to_be_bytes()])
}

pub fn loan(id: u64) -> Vec<u8> {
    tagged(LOAN, &[&id.to_be_bytes()])
}

pub fn borrower(person: Barcode, loan_id: u64) -> Vec<u8> {
    tagged(BORROWER, &[&person.to_key(), &loan_id.to_be_bytes()])
}

pub fn borrower_prefix(person: Barcode) -> Vec<u8> {
    tagged(BORROWER, &[&person.to_key()])
}

fn day_bytes(day: NaiveDate) -> [u8; 4] {
    // Days from the common era, shifted so that the big-endian order is the date order.
    (day.num_days_from_ce() as u32 ^ 0x8000_0000).to_be_bytes()
}

pub fn due(day: NaiveDate, loan_id: u64) -> Vec<u8> {
    tagged(DUE, &[&day_bytes(day), &loan_id.to_be_bytes()])
}

/// Upper bound (exclusive) of due keys on or before `day`.
pub fn due_after(day: NaiveDate) -> Vec<u8> {
    let next = day.succ_opt().unwrap_or(day);
    tagged(DUE, &[&day_bytes(next)])
}

pub fn open_loan(item: Barcode) -> Vec<u8> {
    tagged(OPEN_LOAN, &[&item.to_key()])
}

pub fn handover(id: u64) -> Vec<u8> {
    tagged(HANDOVER, &[&id.to_be_bytes()])
}

pub fn handover_due(deadline: NaiveDate, id: u64) -> Vec<u8> {
    tagged(HANDOVER_DUE, &[&day_bytes(deadline), &id.to_be_bytes()])
}

pub fn certificates_of(archive_no: &str, certificate: Barcode) -> Vec<u8> {
    tagged(
        CERTIFICATES_OF,
        &[archive_no.as_bytes(), &[0], &certificate.to_key()],
    )
}

/// A station-managed numbering scheme.
pub fn scheme(name: &str) -> Vec<u8> {
    tagged(SCHEME, &[name.as_bytes()])
}

/// A station-managed device.
pub fn device(name: &str) -> Vec<u8> {
    tagged(DEVICE, &[name.as_bytes()])
}

/// The marker of a disabled device.
pub fn disabled(name: &str) -> Vec<u8> {
    tagged(DISABLED, &[name.as_bytes()])
}

/// The barcode at the end of an index key.
pub fn trailing_barcode(key: &[u8]) -> Option<Barcode> {
    let start = key.len().checked_sub(crate::barcode::BARCODE_LEN)?;
    Barcode::parse(std::str::from_utf8(key.get(start..)?).ok()?).ok()
}

/// The big-endian number at the end of a key.
pub fn trailing_u64(key: &[u8]) -> Option<u64> {
    let start = key.len().checked_sub(8)?;
    Some(u64::from_be_bytes(key.get(start..)?.try_into().ok()?))
}

/// A big-endian counter value.
pub fn decode_u64(value: &[u8]) -> Option<u64> {
    Some(u64::from_be_bytes(value.try_into().ok()?))
}

/// Bytes per barcode in a packed contents list: the prefix letter and the sequence (u32 BE).
const PACKED_LEN: usize = 5;

/// Packs sorted barcodes into a contents value.
pub fn pack(items: &[Barcode]) -> Vec<u8> {
    let mut out = Vec::with_capacity(items.len() * PACKED_LEN);
    for item in items {
        out.push(item.kind().prefix() as u8);
        // Sequences are at most 999,999,999 and so fit in a u32.
        out.extend_from_slice(&(item.seq() as u32).to_be_bytes());
    }
    out
}

/// Unpacks a contents value; `None` if it is damaged.
pub fn unpack(bytes: &[u8]) -> Option<Vec<Barcode>> {
    if !bytes.len().is_multiple_of(PACKED_LEN) {
        return None;
    }
    bytes
        .chunks_exact(PACKED_LEN)
        .map(|chunk| {
            let (prefix, seq) = chunk.split_first()?;
            let kind = Kind::from_prefix(char::from(*prefix))?;
            let seq = u32::from_be_bytes(seq.try_into().ok()?);
            Barcode::new(kind, u64::from(seq)).ok()
        })
        .collect()
}

/// The date of [`day_bytes`].
fn day_from_bytes(bytes: &[u8]) -> Option<NaiveDate> {
    let days = u32::from_be_bytes(bytes.try_into().ok()?) ^ 0x8000_0000;
    NaiveDate::from_num_days_from_ce_opt(days as i32)
}

/// A key as people read it (in `station verify`'s findings): the family byte, then its
/// parts (barcodes and text as they are, numbers in decimal, dates as dates, a token's
/// hash in hex), separated by `:`. A key that does not have its family's shape is shown
/// as text, or with its bytes escaped.
pub fn describe(key: &[u8]) -> String {
    fn text(bytes: &[u8]) -> Option<String> {
        std::str::from_utf8(bytes).ok().map(str::to_owned)
    }
    fn number(bytes: &[u8]) -> Option<u64> {
        decode_u64(bytes)
    }
    fn barcode(bytes: &[u8]) -> Option<String> {
        let text = std::str::from_utf8(bytes).ok()?;
        Barcode::parse(text).ok().map(|barcode| barcode.to_string())
    }
    let described = key.split_first().and_then(|(tag, rest)| {
        let tag = char::from(*tag);
        let len = crate::barcode::BARCODE_LEN;
        let parts: Vec<String> = match tag {
            'o' | 'g' | 'j' | 'T' | 'e' | 'L' | 'X' | 'V' | 'R' | 'I' | 'A' | 'C' => {
                vec![number(rest)?.to_string()]
            }
            'b' | 'h' | 'W' | 'O' | 'P' if rest.len() == len + 8 => {
                vec![
                    barcode(rest.get(..len)?)?,
                    number(rest.get(len..)?)?.to_string(),
                ]
            }
            'd' | 'G' if rest.len() == 12 => vec![
                day_from_bytes(rest.get(..4)?)?.to_string(),
                number(rest.get(4..)?)?.to_string(),
            ],
            'J' | 'B' if rest.len() == 16 => vec![
                ((number(rest.get(..8)?)? ^ (1 << 63)) as i64).to_string(),
                number(rest.get(8..)?)?.to_string(),
            ],
            'q' | 'x' | 'i' | 'l' | 's' | 'Z' | 'u' | 'F' => vec![barcode(rest)?],
            'N' => vec![text(rest)?],
            'Y' => {
                let (category, year) = parse_category_year(key)?;
                vec![category, year.to_string()]
            }
            'f' => {
                let split = rest.len().checked_sub(PACKED_LEN + 1)?;
                if rest.get(split) != Some(&0) {
                    return None;
                }
                vec![
                    text(rest.get(..split)?)?,
                    trailing_packed(rest)?.to_string(),
                ]
            }
            'n' | 'c' => {
                let split = rest.len().checked_sub(len + 1)?;
                if rest.get(split) != Some(&0) {
                    return None;
                }
                vec![text(rest.get(..split)?)?, barcode(rest.get(split + 1..)?)?]
            }
            't' if rest.len() == 32 => {
                vec![rest.iter().map(|byte| format!("{byte:02x}")).collect()]
            }
            _ => return None,
        };
        Some(format!("{tag}:{}", parts.join(":")))
    });
    described.unwrap_or_else(|| match std::str::from_utf8(key) {
        Ok(text) if !text.chars().any(char::is_control) => text.to_owned(),
        _ => key.escape_ascii().to_string(),
    })
}

/// A location's fill tally.
pub fn fill(location: Barcode) -> Vec<u8> {
    tagged(FILL, &[&location.to_key()])
}

/// The tally of boxes of `category` in `year` (0: no year).
pub fn category_year(category: &str, year: u16) -> Vec<u8> {
    tagged(
        CATEGORY_YEAR,
        &[category.as_bytes(), &[0], &year.to_be_bytes()],
    )
}

/// Every tally of boxes of `category`, whatever the year.
pub fn category_prefix(category: &str) -> Vec<u8> {
    tagged(CATEGORY_YEAR, &[category.as_bytes(), &[0]])
}

/// The category and year of a [`category_year`] key.
pub fn parse_category_year(key: &[u8]) -> Option<(String, u16)> {
    let rest = key.strip_prefix(&[CATEGORY_YEAR])?;
    let split = rest.len().checked_sub(3)?;
    if rest.get(split) != Some(&0) {
        return None;
    }
    let category = std::str::from_utf8(rest.get(..split)?).ok()?.to_owned();
    let year = u16::from_be_bytes(rest.get(split + 1..)?.try_into().ok()?);
    Some((category, year))
}

/// The first key after every path index key that begins with `prefix`.
pub fn path_prefix_end(prefix: &str) -> Vec<u8> {
    let mut key = path(prefix);
    while let Some(last) = key.pop() {
        if last < u8::MAX {
            key.push(last + 1);
            break;
        }
    }
    key
}

/// `person`'s password and PIN hashes.
pub fn credentials(person: Barcode) -> Vec<u8> {
    tagged(CREDENTIAL, &[&person.to_key()])
}

/// A replaced badge's entry: a person's current badge, or whom a replacement stands for.
pub fn badge(code: Barcode) -> Vec<u8> {
    tagged(BADGE, &[&code.to_key()])
}

/// Marks `person` as having left.
pub fn departed(person: Barcode) -> Vec<u8> {
    tagged(DEPARTED, &[&person.to_key()])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contents_pack_and_unpack() {
        let items = vec![
            Barcode::new(Kind::Box, 1).expect("valid"),
            Barcode::new(Kind::Box, 999_999_999).expect("valid"),
            Barcode::new(Kind::Certificate, 7).expect("valid"),
        ];
        assert_eq!(unpack(&pack(&items)), Some(items));
        assert_eq!(unpack(&[]), Some(Vec::new()));
        assert_eq!(unpack(b"B\0\0\0"), None, "truncated");
        assert_eq!(unpack(b"X\0\0\0\x01"), None, "unknown prefix");
        assert_eq!(unpack(b"B\0\0\0\0"), None, "sequence zero");
    }

    #[test]
    fn keys_are_described_as_people_read_them() {
        let person = Barcode::new(Kind::Person, 12).expect("valid");
        let day = NaiveDate::from_ymd_opt(2026, 1, 3).expect("date");
        assert_eq!(describe(&loan(17)), "o:17");
        assert_eq!(describe(&return_check(17)), "R:17");
        assert_eq!(describe(&borrower(person, 17)), format!("b:{person}:17"));
        assert_eq!(describe(&due(day, 17)), "d:2026-01-03:17");
        assert_eq!(describe(&handover_due(day, 5)), "G:2026-01-03:5");
        assert_eq!(describe(&job_due(-5, 3)), "J:-5:3");
        assert_eq!(describe(&history(person, 42)), format!("h:{person}:42"));
        assert_eq!(describe(&approval(person)), format!("q:{person}"));
        assert_eq!(describe(&credentials(person)), format!("Z:{person}"));
        assert_eq!(
            describe(&certificates_of("A-1", person)),
            format!("n:A-1:{person}")
        );
        assert_eq!(
            describe(&token(&[0xab; 32])),
            format!("t:{}", "ab".repeat(32))
        );
        assert_eq!(describe(&task(7)), "A:7");
        assert_eq!(describe(&task_due(-5, 7)), "B:-5:7");
        assert_eq!(describe(&task_room(7)), "C:7");
        assert_eq!(describe(&token_kind(2)), "I:2");
        assert_eq!(describe(&task_external("CRM-1")), "N:CRM-1");
        assert_eq!(describe(&task_owner(person, 7)), format!("O:{person}:7"));
        assert_eq!(describe(&task_box(person, 7)), format!("P:{person}:7"));
        assert_eq!(parse_task_due(&task_due(-5, 7)), Some((-5, 7)));
        assert!(task_due(-5, 7) < task_due(3, 1) && task_due(3, 1) < task_due_after(3));
        assert_eq!(describe(b"m:head"), "m:head");
        assert_eq!(describe(b"o\x01"), "o\\x01", "a damaged key is escaped");
    }
}
