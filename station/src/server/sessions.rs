//! Page sign-ins (sessions): in memory only, so a restart signs everyone out. Each has a
//! random 256-bit id from the OS (the `station_session` cookie) and a random CSRF value the
//! page sends back in `X-CSRF-Token` with every change. A session ends when its person
//! signs out, after `[server] session_idle_minutes` without a request, after
//! `session_max_hours` in all, or when the person leaves. At most [`MAX_SESSIONS`] are
//! kept: a new one beyond that ends the oldest.
//!
//! Times are passed in (`now`), so that tests move the clock instead of sleeping.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use crate::barcode::Barcode;

/// The most sessions kept at once.
pub(crate) const MAX_SESSIONS: usize = 10_000;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "station_session";

/// One signed-in page.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// Who signed in (their record is read again at every request).
    pub(crate) person: Barcode,
    /// What the page must send in `X-CSRF-Token` with every change.
    pub(crate) csrf: String,
    created: Instant,
    last_used: Instant,
}

/// Every live session.
pub(crate) struct Sessions {
    idle: Duration,
    max_age: Duration,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    by_id: HashMap<String, Session>,
    /// Ids in the order they were made (ended ones are skipped when met).
    order: VecDeque<String>,
}

impl Sessions {
    /// Sessions that end after `idle` without use or `max_age` in all.
    pub(crate) fn new(idle: Duration, max_age: Duration) -> Sessions {
        Sessions {
            idle,
            max_age,
            inner: Mutex::default(),
        }
    }

    /// Sessions as `[server]` says.
    pub(crate) fn from_config(server: &crate::config::ServerConfig) -> Sessions {
        Sessions::new(
            Duration::from_secs(server.session_idle_minutes.saturating_mul(60)),
            Duration::from_secs(server.session_max_hours.saturating_mul(3600)),
        )
    }

    /// The longest a session can last (the cookie's `Max-Age`).
    pub(crate) fn max_age(&self) -> Duration {
        self.max_age
    }

    /// A new session for `person`: its id and CSRF value. Fails only when the OS gives no
    /// random bytes.
    pub(crate) fn create(
        &self,
        person: Barcode,
        now: Instant,
    ) -> std::io::Result<(String, String)> {
        let id = random_hex()?;
        let csrf = random_hex()?;
        let mut inner = self.lock();
        while inner.by_id.len() >= MAX_SESSIONS {
            let Some(oldest) = inner.order.pop_front() else {
                break;
            };
            inner.by_id.remove(&oldest);
        }
        if inner.order.len() >= 2 * MAX_SESSIONS {
            let Inner { by_id, order } = &mut *inner;
            order.retain(|id| by_id.contains_key(id));
        }
        inner.by_id.insert(
            id.clone(),
            Session {
                person,
                csrf: csrf.clone(),
                created: now,
                last_used: now,
            },
        );
        inner.order.push_back(id.clone());
        Ok((id, csrf))
    }

    /// The live session `id`, used now (an expired one ends here and is `None`).
    pub(crate) fn get(&self, id: &str, now: Instant) -> Option<Session> {
        let mut inner = self.lock();
        let session = inner.by_id.get_mut(id)?;
        let expired = now.saturating_duration_since(session.last_used) >= self.idle
            || now.saturating_duration_since(session.created) >= self.max_age;
        if expired {
            inner.by_id.remove(id);
            return None;
        }
        session.last_used = now;
        Some(session.clone())
    }

    /// Ends session `id` (nothing when it is not there).
    pub(crate) fn end(&self, id: &str) {
        self.lock().by_id.remove(id);
    }

    /// Ends every session of `person`.
    pub(crate) fn end_person(&self, person: Barcode) {
        self.lock()
            .by_id
            .retain(|_, session| session.person != person);
    }

    /// How many sessions are live or not yet found expired.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().by_id.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

/// 256 random bits from the OS, as 64 hex digits.
fn random_hex() -> std::io::Result<String> {
    let mut bytes = [0u8; 32];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut bytes)?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// The value of cookie `name` in a `Cookie` header's text.
pub(crate) fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim())
}

/// Whether two texts are equal, in a time that does not depend on where they differ.
pub(crate) fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The `Set-Cookie` value that gives the page session `id`.
pub(crate) fn set_cookie(id: &str, max_age: Duration, secure: bool) -> String {
    format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{}",
        max_age.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub(crate) fn clear_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::barcode::Kind;

    fn person(seq: u64) -> Barcode {
        Barcode::new(Kind::Person, seq).expect("a badge")
    }

    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test(start_paused = true)]
    async fn a_session_ends_after_its_idle_time_and_its_absolute_time() {
        let sessions = Sessions::new(30 * MINUTE, 120 * MINUTE);
        let start = Instant::now();
        let (id, csrf) = sessions.create(person(1), start).expect("random");
        assert_eq!(id.len(), 64);
        assert_ne!(id, csrf);
        let got = sessions.get(&id, start + 29 * MINUTE).expect("still live");
        assert_eq!((got.person, got.csrf), (person(1), csrf));
        // Used every 29 minutes, it lives on until its absolute end.
        let mut at = start + 29 * MINUTE;
        while at + 29 * MINUTE < start + 120 * MINUTE {
            at += 29 * MINUTE;
            assert!(sessions.get(&id, at).is_some(), "{:?}", at - start);
        }
        assert!(
            sessions.get(&id, start + 120 * MINUTE).is_none(),
            "absolute expiry"
        );
        assert_eq!(sessions.len(), 0, "an expired session is gone");

        let (idle, _) = sessions.create(person(2), start).expect("random");
        assert!(
            sessions.get(&idle, start + 30 * MINUTE).is_none(),
            "idle expiry"
        );
        assert!(sessions.get("not-an-id", start).is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn ending_a_session_or_its_person_ends_it_and_no_other() {
        let sessions = Sessions::new(30 * MINUTE, 120 * MINUTE);
        let now = Instant::now();
        let (a, _) = sessions.create(person(1), now).expect("random");
        let (b, _) = sessions.create(person(1), now).expect("random");
        let (c, _) = sessions.create(person(2), now).expect("random");
        sessions.end(&a);
        assert!(sessions.get(&a, now).is_none());
        assert!(sessions.get(&b, now).is_some());
        sessions.end_person(person(1));
        assert!(sessions.get(&b, now).is_none());
        assert!(sessions.get(&c, now).is_some());
    }

    #[tokio::test(start_paused = true)]
    async fn the_sessions_are_bounded_and_the_oldest_goes() {
        let sessions = Sessions::new(30 * MINUTE, 120 * MINUTE);
        let now = Instant::now();
        let (first, _) = sessions.create(person(1), now).expect("random");
        let (second, _) = sessions.create(person(2), now).expect("random");
        sessions.end(&second);
        for seq in 0..MAX_SESSIONS as u64 {
            sessions
                .create(person(3 + seq % 1000), now)
                .expect("random");
            assert!(sessions.len() <= MAX_SESSIONS);
        }
        assert_eq!(sessions.len(), MAX_SESSIONS);
        assert!(sessions.get(&first, now).is_none(), "the oldest went");
        assert!(sessions.lock().order.len() <= 2 * MAX_SESSIONS);
    }

    #[test]
    fn cookies_are_read_and_written_with_their_attributes() {
        assert_eq!(
            cookie_value("a=1; station_session=abc ; b=2", COOKIE),
            Some("abc")
        );
        assert_eq!(cookie_value("station_sessionx=abc", COOKIE), None);
        let cookie = set_cookie("abc", Duration::from_secs(3600), false);
        assert_eq!(
            cookie,
            "station_session=abc; HttpOnly; SameSite=Strict; Path=/; Max-Age=3600"
        );
        assert!(set_cookie("abc", Duration::from_secs(1), true).ends_with("; Secure"));
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "ab"));
    }
}
