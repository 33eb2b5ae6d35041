//! Paging of list answers, the one shape of every list route: the query takes `limit`
//! (1 to [`MAX_PAGE`], the page size) and `after` (the cursor: the `x-next-after` header of
//! the previous page); the answer is a JSON array, and the `x-next-after` header is there
//! exactly when more follow. A cursor is the position of the page's last entry in the
//! list's order (a barcode, an id, a date and an id), not an offset, so an entry added or
//! removed between two pages shifts no other entry into or out of view.
//!
//! **Invariant:** no list route answers more than [`MAX_PAGE`] entries without
//! `x-next-after`.

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use crate::message;
use crate::server::error::ApiError;
use crate::server::MAX_PAGE;

/// The response header with the cursor of the next page.
pub(crate) const NEXT_HEADER: &str = "x-next-after";

/// The query of a list route that takes nothing else.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct PageQuery {
    /// Page size, 1–500 (default 500).
    #[schemars(range(min = 1, max = 500))]
    pub(crate) limit: Option<usize>,
    /// The cursor: the `x-next-after` header of the previous page.
    #[schemars(length(min = 1))]
    pub(crate) after: Option<String>,
}

/// One page of a list and the cursor of the next, when there is more.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) next: Option<String>,
}

impl<T: Serialize> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.items).into_response();
        if let Some(next) = self.next.and_then(|next| HeaderValue::from_str(&next).ok()) {
            response.headers_mut().insert(NEXT_HEADER, next);
        }
        response
    }
}

/// The page size asked for: `limit` when it is 1 to [`MAX_PAGE`], `default` without it.
pub(crate) fn page_size(limit: Option<usize>, default: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(default),
        Some(limit) if (1..=MAX_PAGE).contains(&limit) => Ok(limit),
        Some(_) => Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            message!(RequestBadLimit, max = MAX_PAGE),
        )),
    }
}

/// A key as a cursor fit for a header: bytes other than letters, digits and `-._~/`
/// percent-encoded (a path is Chinese; a barcode or a number stays as it is).
fn encode_cursor(key: &str) -> String {
    key.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'/' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

/// The key a cursor stands for ([`encode_cursor`] undone; anything else taken as it is).
fn decode_cursor(cursor: &str) -> String {
    let bytes = cursor.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|hex| std::str::from_utf8(hex).ok())
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match (byte, hex) {
            (b'%', Some(decoded)) => {
                out.push(decoded);
                index += 3;
            }
            _ => {
                out.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The page of `items` after the cursor `after`, at most `limit`, in the order of `key`
/// (each entry's position, unique in the list; sortable as text). The next cursor stands
/// for the last entry's key when entries remain.
pub(crate) fn page_of<T>(
    items: Vec<T>,
    key: impl Fn(&T) -> String,
    after: Option<&str>,
    limit: usize,
) -> Page<T> {
    let after = after.map(decode_cursor);
    let after = after.as_deref();
    let mut keyed: Vec<(String, T)> = items
        .into_iter()
        .map(|item| (key(&item), item))
        .filter(|(key, _)| after.is_none_or(|after| key.as_str() > after))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let more = keyed.len() > limit;
    keyed.truncate(limit);
    let next = if more {
        keyed.last().map(|(key, _)| encode_cursor(key))
    } else {
        None
    };
    Page {
        items: keyed.into_iter().map(|(_, item)| item).collect(),
        next,
    }
}

/// A number as a cursor that sorts as text like the number.
pub(crate) fn number_key(number: u64) -> String {
    format!("{number:020}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_entry_once_in_key_order() {
        let items: Vec<u64> = (0..1203).rev().collect();
        let mut seen = Vec::new();
        let mut after: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = page_of(items.clone(), |n| number_key(*n), after.as_deref(), 500);
            pages += 1;
            seen.extend(page.items);
            match page.next {
                Some(next) => after = Some(next),
                None => break,
            }
        }
        assert_eq!(pages, 3);
        assert_eq!(seen, (0..1203).collect::<Vec<u64>>());
    }

    #[test]
    fn a_list_that_fits_has_no_next_cursor() {
        let page = page_of(vec![3, 1, 2], |n: &u64| number_key(*n), None, 3);
        assert_eq!((page.items, page.next), (vec![1, 2, 3], None));
        let page = page_of(vec![3, 1, 2], |n: &u64| number_key(*n), None, 2);
        assert_eq!(page.next, Some(number_key(2)));
    }

    #[test]
    fn a_chinese_key_makes_an_ascii_cursor_that_leads_on() {
        let paths = vec![
            "1号库房/01列".to_owned(),
            "1号库房/02列".to_owned(),
            "2号库房".to_owned(),
        ];
        let page = page_of(paths.clone(), Clone::clone, None, 1);
        let next = page.next.expect("more");
        assert!(HeaderValue::from_str(&next).is_ok(), "{next}");
        let page = page_of(paths, Clone::clone, Some(&next), 1);
        assert_eq!(page.items, ["1号库房/02列"]);
        assert_eq!(decode_cursor("B0000000019"), "B0000000019");
        assert_eq!(decode_cursor("100%"), "100%");
    }

    #[test]
    fn the_limit_is_1_to_the_maximum() {
        assert!(page_size(Some(0), 50).is_err());
        assert!(page_size(Some(MAX_PAGE + 1), 50).is_err());
        assert_eq!(page_size(None, 50).ok(), Some(50));
        assert_eq!(page_size(Some(MAX_PAGE), 50).ok(), Some(MAX_PAGE));
    }
}
