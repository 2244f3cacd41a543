//! Working days and the clock. Deadlines in civil affairs are counted in working days
//! (工作日): Monday–Friday, except public holidays (休), plus the weekend days the State
//! Council declares make-up workdays (调休上班, 班). The holiday table comes from the
//! yearly notice and is imported by the bureau.

mod clock;
pub mod store;
pub mod web;

use std::collections::BTreeMap;

use chrono::{Datelike, Days, NaiveDate, Weekday};

pub use clock::{Clock, ManualClock, SystemClock, china_offset};

/// How a listed day differs from the Monday–Friday rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DayKind {
    /// 休: a day off (usually a weekday holiday).
    Rest,
    /// 班: a make-up workday on a weekend.
    Work,
}

impl DayKind {
    pub fn code(self) -> &'static str {
        match self {
            DayKind::Rest => "rest",
            DayKind::Work => "work",
        }
    }
    pub fn from_code(code: &str) -> Option<DayKind> {
        match code {
            "rest" => Some(DayKind::Rest),
            "work" => Some(DayKind::Work),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            DayKind::Rest => "休",
            DayKind::Work => "班",
        }
    }
}

/// The working-day calendar: the weekday rule plus the imported exceptions.
#[derive(Clone, Debug, Default)]
pub struct WorkCalendar {
    exceptions: BTreeMap<NaiveDate, DayKind>,
}

impl WorkCalendar {
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, DayKind)>) -> WorkCalendar {
        WorkCalendar {
            exceptions: exceptions.into_iter().collect(),
        }
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(DayKind::Rest) => false,
            Some(DayKind::Work) => true,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The day on which `n` working days after `start` have passed: `start` itself does not
    /// count (a case accepted on Monday with a 1-working-day limit is due on Tuesday).
    /// `n = 0` gives `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day + Days::new(1);
            if self.is_working_day(day) {
                left -= 1;
            }
        }
        day
    }

    /// Working days in `(from, to]`: how many have passed since `from` by the end of `to`.
    /// Negative when `to` is before `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        if to < from {
            return -self.working_days_between(to, from);
        }
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as i64
    }

    pub fn exceptions(&self) -> impl Iterator<Item = (NaiveDate, DayKind)> + '_ {
        self.exceptions.iter().map(|(d, k)| (*d, *k))
    }
}

/// Parses a date as people write it in ledgers: `2026-07-15`, `2026/7/15`, `2026年7月15日`,
/// `2026.7.15`, `20260715`. Excel date cells are converted before they get here.
pub fn parse_date(input: &str) -> Option<NaiveDate> {
    let s = input.trim();
    if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        return NaiveDate::parse_from_str(s, "%Y%m%d").ok();
    }
    let normalised: String = s
        .trim_end_matches('日')
        .chars()
        .map(|c| match c {
            '年' | '月' | '/' | '.' => '-',
            other => other,
        })
        .collect();
    let mut parts = normalised.split('-');
    let (y, m, d) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() || y.len() != 4 || m.is_empty() || d.is_empty() {
        return None;
    }
    if m.len() > 2 || d.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    /// The 2026 National Day holiday as a notice would give it: 1–7 October off, with the
    /// Sunday before and the Saturday after as make-up workdays (illustrative table).
    fn national_day_2026() -> WorkCalendar {
        let mut rows: Vec<(NaiveDate, DayKind)> = (1..=7)
            .map(|day| {
                (
                    NaiveDate::from_ymd_opt(2026, 10, day).unwrap(),
                    DayKind::Rest,
                )
            })
            .collect();
        rows.push((d("2026-09-27"), DayKind::Work));
        rows.push((d("2026-10-10"), DayKind::Work));
        WorkCalendar::new(rows)
    }

    #[test]
    fn weekdays_weekends_and_exceptions() {
        let cal = national_day_2026();
        assert!(cal.is_working_day(d("2026-09-30"))); // Wednesday
        assert!(!cal.is_working_day(d("2026-10-01"))); // holiday Thursday
        assert!(!cal.is_working_day(d("2026-10-03"))); // Saturday in the holiday
        assert!(cal.is_working_day(d("2026-09-27"))); // make-up Sunday
        assert!(cal.is_working_day(d("2026-10-10"))); // make-up Saturday
        assert!(!cal.is_working_day(d("2026-10-11"))); // ordinary Sunday
    }

    #[test]
    fn adding_working_days_skips_holidays_and_counts_make_up_days() {
        let cal = national_day_2026();
        // Friday 25 Sep + 1 → Sunday 27 Sep (make-up workday).
        assert_eq!(cal.add_working_days(d("2026-09-25"), 1), d("2026-09-27"));
        // Wednesday 30 Sep + 1 → Thursday 8 Oct (1–7 Oct off).
        assert_eq!(cal.add_working_days(d("2026-09-30"), 1), d("2026-10-08"));
        // 8 Oct (Thu) + 3 → Fri 9, Sat 10 (班), Mon 12.
        assert_eq!(cal.add_working_days(d("2026-10-08"), 3), d("2026-10-12"));
        assert_eq!(cal.add_working_days(d("2026-10-08"), 0), d("2026-10-08"));
        // Without exceptions: 30 working days from Monday 2 Nov 2026 → Monday 14 Dec.
        let plain = WorkCalendar::default();
        assert_eq!(plain.add_working_days(d("2026-11-02"), 30), d("2026-12-14"));
    }

    #[test]
    fn counting_between_matches_adding() {
        let cal = national_day_2026();
        assert_eq!(
            cal.working_days_between(d("2026-09-30"), d("2026-10-08")),
            1
        );
        assert_eq!(
            cal.working_days_between(d("2026-09-25"), d("2026-10-12")),
            8
        );
        assert_eq!(
            cal.working_days_between(d("2026-10-12"), d("2026-09-25")),
            -8
        );
        assert_eq!(
            cal.working_days_between(d("2026-10-01"), d("2026-10-01")),
            0
        );
        for n in 0..40 {
            let end = cal.add_working_days(d("2026-09-20"), n);
            assert_eq!(cal.working_days_between(d("2026-09-20"), end), i64::from(n));
        }
    }

    #[test]
    fn ledger_date_forms() {
        for s in [
            "2026-07-15",
            "2026/7/15",
            "2026年7月15日",
            "2026.07.15",
            "20260715",
        ] {
            assert_eq!(parse_date(s), Some(d("2026-07-15")), "{s}");
        }
        for s in [
            "2026-02-30",
            "26-7-15",
            "2026-7",
            "July 15",
            "",
            "2026-007-15",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }
}
