//! A calendar quarter (`2026Q3` = 2026-07-01 to 2026-09-30), as METRICS.md counts by it.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quarter {
    pub year: i32,
    /// 1 to 4.
    pub number: u32,
}

impl Quarter {
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, 3 * self.number - 2, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }

    pub fn next(self) -> Quarter {
        match self.number {
            4 => Quarter {
                year: self.year + 1,
                number: 1,
            },
            n => Quarter {
                year: self.year,
                number: n + 1,
            },
        }
    }

    pub fn previous(self) -> Quarter {
        match self.number {
            1 => Quarter {
                year: self.year - 1,
                number: 4,
            },
            n => Quarter {
                year: self.year,
                number: n - 1,
            },
        }
    }

    /// The quarter a date falls in.
    pub fn of(day: NaiveDate) -> Quarter {
        Quarter {
            year: day.year(),
            number: (day.month() - 1) / 3 + 1,
        }
    }

    /// 第三季度 etc.
    pub fn label(self) -> String {
        let n = ["一", "二", "三", "四"][(self.number - 1) as usize];
        format!("{} 年第{n}季度", self.year)
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}Q{}", self.year, self.number)
    }
}

impl FromStr for Quarter {
    type Err = String;

    /// `2026Q3` (also `2026q3`, `2026-Q3`).
    fn from_str(s: &str) -> Result<Quarter, String> {
        let bad = || format!("季度「{s}」应写成 2026Q3 这样的形式（年份 + Q + 1 到 4）");
        let upper = s.trim().to_uppercase().replace('-', "");
        let (year, number) = upper.split_once('Q').ok_or_else(bad)?;
        let year: i32 = year.parse().map_err(|_| bad())?;
        let number: u32 = number.parse().map_err(|_| bad())?;
        if !(1..=4).contains(&number) || !(2000..=2100).contains(&year) {
            return Err(bad());
        }
        Ok(Quarter { year, number })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn quarters_run_from_the_first_to_the_last_day() {
        let q: Quarter = "2026Q3".parse().unwrap();
        assert_eq!(
            (q.first_day(), q.last_day()),
            (d("2026-07-01"), d("2026-09-30"))
        );
        let q4: Quarter = "2026q4".parse().unwrap();
        assert_eq!(q4.last_day(), d("2026-12-31"));
        assert_eq!(q4.next().to_string(), "2027Q1");
        assert_eq!(
            "2026Q1".parse::<Quarter>().unwrap().previous().to_string(),
            "2025Q4"
        );
        assert_eq!(Quarter::of(d("2026-09-30")), q);
        assert_eq!(Quarter::of(d("2026-10-01")), q4);
        assert_eq!(q.label(), "2026 年第三季度");
        assert!("2026Q5".parse::<Quarter>().is_err());
        assert!("Q3".parse::<Quarter>().is_err());
    }
}
