//! Per-address login throttle: at most N attempts a minute from one IP, whatever the
//! usernames, so one machine cannot try passwords across many accounts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};

#[derive(Default, Debug)]
pub struct LoginThrottle {
    attempts: Mutex<HashMap<String, VecDeque<DateTime<Utc>>>>,
}

impl LoginThrottle {
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
