//! "Now", injectable: rules never read the clock themselves; handlers take it from the
//! app state, and tests set it to the day they need.

use std::sync::Mutex;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, Offset, TimeZone, Utc};

/// China Standard Time (UTC+8, no daylight saving), the zone of every date in the records.
pub fn china_offset() -> FixedOffset {
    // Eight hours is within FixedOffset's range, so the fallback is never taken.
    FixedOffset::east_opt(8 * 3600).unwrap_or(Utc.fix())
}

pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;

    /// Today's date in China Standard Time.
    fn today(&self) -> NaiveDate {
        self.now().with_timezone(&china_offset()).date_naive()
    }

    fn now_local(&self) -> DateTime<FixedOffset> {
        self.now().with_timezone(&china_offset())
    }
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests, demo data with a fixed date).
#[derive(Debug)]
pub struct ManualClock {
    now: Mutex<DateTime<Utc>>,
}

impl ManualClock {
    pub fn new(now: DateTime<Utc>) -> ManualClock {
        ManualClock {
            now: Mutex::new(now),
        }
    }

    /// A clock at noon (China time) of `day`.
    pub fn at_date(day: NaiveDate) -> ManualClock {
        let noon = day
            .and_hms_opt(12, 0, 0)
            .and_then(|t| china_offset().from_local_datetime(&t).single())
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(Utc::now);
        ManualClock::new(noon)
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.now.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }

    pub fn advance(&self, by: Duration) {
        let mut guard = self.now.lock().unwrap_or_else(|p| p.into_inner());
        *guard += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let day = NaiveDate::from_ymd_opt(2026, 9, 30).unwrap();
        let clock = ManualClock::at_date(day);
        assert_eq!(clock.today(), day);
        clock.advance(Duration::hours(12));
        assert_eq!(clock.today(), day.succ_opt().unwrap());
    }

    #[test]
    fn today_is_in_china_time() {
        // 2026-09-30T17:00Z is already 1 October in Beijing.
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 9, 30, 17, 0, 0).unwrap());
        assert_eq!(clock.today(), NaiveDate::from_ymd_opt(2026, 10, 1).unwrap());
    }
}
