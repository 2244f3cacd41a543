//! Funeral violation cases (殡葬违规案件, DOMAIN.md §6), pure: the kinds, the handling
//! results, the case number, and the dates a case may carry — found not after today,
//! handled not before it was found and not after today. No I/O here.

use chrono::NaiveDate;
use serde::Serialize;

coded!(
    ViolationKind {
        IllegalBurial = "illegal_burial", "违规土葬";
        RandomBurial = "random_burial", "乱埋乱葬";
        IllegalTomb = "illegal_tomb", "违规建墓";
    }
);

coded!(
    Handling {
        Moved = "moved", "迁葬入公墓";
        Cremated = "cremated", "火化后安葬";
        Restored = "restored", "拆除复绿";
        Other = "other", "其他";
    }
);

coded!(
    ViolationStatus {
        Open = "open", "待处理";
        Handled = "handled", "已处理";
    }
);

/// `WG-<district>-<year>-<4-digit seq>`, numbered per district and year of discovery.
pub fn case_no(district: &str, year: i32, seq: i64) -> String {
    format!("WG-{district}-{year}-{seq:04}")
}

/// The day a case was found: not after today.
pub fn check_found(found: NaiveDate, today: NaiveDate) -> Option<(&'static str, String)> {
    (found > today).then(|| ("发现日期", format!("{found} 晚于今天，请核对")))
}

/// The day a case was handled: not before it was found, not after today.
pub fn check_handled(
    found: NaiveDate,
    handled: NaiveDate,
    today: NaiveDate,
) -> Option<(&'static str, String)> {
    if handled < found {
        Some((
            "处理日期",
            format!("{handled} 早于发现日期 {found}，请核对"),
        ))
    } else if handled > today {
        Some(("处理日期", format!("{handled} 晚于今天，处理完毕后再登记")))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn case_numbers_and_dates() {
        assert_eq!(case_no("369921", 2026, 7), "WG-369921-2026-0007");
        let today = day("2026-11-29");
        assert!(check_found(today, today).is_none());
        assert!(check_found(day("2026-11-30"), today).is_some());
        let found = day("2026-10-01");
        assert!(check_handled(found, found, today).is_none());
        assert_eq!(
            check_handled(found, day("2026-09-30"), today).unwrap().0,
            "处理日期"
        );
        assert!(check_handled(found, day("2026-11-30"), today).is_some());
        assert_eq!(
            Handling::parse("拆除复绿"),
            Some(Handling::Restored),
            "a form gives the label"
        );
    }
}
