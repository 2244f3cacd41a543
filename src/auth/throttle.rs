//! Per-address login throttle: at most N attempts a minute from one IP, whatever the
//! usernames, so one machine cannot try passwords across many accounts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

/// Consecutive failures of a name without an account, and until when it is "locked".
type UnknownName = (i64, Option<DateTime<Utc>>);

#[derive(Default, Debug)]
pub struct LoginThrottle {
    attempts: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
    /// Failures per unknown username, so that unknown names "lock" like real ones.
    unknown: Mutex<HashMap<String, UnknownName>>,
}

impl LoginThrottle {
    /// Counts a failed login for a name that has no account. Returns the minutes left
    /// when the name is (now) "locked", exactly as a real account would answer.
    pub fn unknown_failure(
        &self,
        username: &str,
        now: DateTime<Utc>,
        max: i64,
        lockout: Duration,
    ) -> Option<i64> {
        let mut map = self.unknown.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 10_000 {
            map.retain(|_, (_, until)| until.is_some_and(|u| u > now));
        }
        let entry = map.entry(username.to_string()).or_insert((0, None));
        if let Some(until) = entry.1 {
            if until > now {
                return Some(((until - now).num_seconds() + 59) / 60);
            }
            *entry = (0, None);
        }
        entry.0 += 1;
        if entry.0 >= max {
            entry.1 = Some(now + lockout);
            return Some(lockout.num_minutes());
        }
        None
    }

    /// Counts an attempt from `ip` at `now`; refuses it (with the seconds to wait) when
    /// `limit` attempts were already made in the last minute.
    pub fn check(&self, ip: &str, now: DateTime<Utc>, limit: i64) -> Result<(), u64> {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        // Forget addresses that have been quiet, so the map stays small.
        if map.len() > 10_000 {
            map.retain(|_, q| q.back().is_some_and(|t| now - *t < Duration::minutes(1)));
        }
        let window = map.entry(ip.to_string()).or_default();
        while window
            .front()
            .is_some_and(|t| now - *t >= Duration::minutes(1))
        {
            window.pop_front();
        }
        if window.len() as i64 >= limit {
            let oldest = window.front().copied().unwrap_or(now);
            let wait = (oldest + Duration::minutes(1) - now).num_seconds().max(1);
            return Err(wait as u64);
        }
        window.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn limits_per_address_per_minute() {
        let t = LoginThrottle::default();
        let start = Utc.with_ymd_and_hms(2026, 11, 29, 8, 0, 0).unwrap();
        for i in 0..30 {
            assert!(
                t.check("10.0.0.1", start + Duration::seconds(i), 30)
                    .is_ok()
            );
        }
        let wait = t
            .check("10.0.0.1", start + Duration::seconds(30), 30)
            .unwrap_err();
        assert_eq!(wait, 30);
        assert!(
            t.check("10.0.0.2", start + Duration::seconds(30), 30)
                .is_ok(),
            "other address"
        );
        assert!(
            t.check("10.0.0.1", start + Duration::seconds(61), 30)
                .is_ok(),
            "window moved"
        );
    }
}
