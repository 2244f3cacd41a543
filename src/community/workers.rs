//! Community workers (社区工作者), pure: the posts, who is in post on a day, and the dates
//! of a record. A record runs from the start day to the end day inclusive (the end day is
//! the last day in post); no end day means still in post.

use chrono::NaiveDate;
use serde::Serialize;

coded!(
    /// A community worker's post.
    Post {
        Secretary = "secretary", "社区党组织书记";
        Director = "director", "居（村）委会主任";
        Member = "member", "两委委员";
        FullTime = "full_time", "专职社区工作者";
        Grid = "grid", "专职网格员";
    }
);

/// In post on `day`: started by then and not ended before it.
pub fn in_post(started: NaiveDate, ended: Option<NaiveDate>, day: NaiveDate) -> bool {
    started <= day && ended.is_none_or(|e| e >= day)
}

/// A start day not after today; an end day (if any) not before the start.
pub fn check_dates(
    started: NaiveDate,
    ended: Option<NaiveDate>,
    today: NaiveDate,
) -> Result<(), String> {
    if started > today {
        return Err(format!("「任职日期」{started} 晚于今天，请在到岗后登记。"));
    }
    match ended {
        Some(e) if e < started => Err(format!(
            "「离岗日期」{e} 早于「任职日期」{started}，请核对。"
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn in_post_from_the_start_to_the_end_day_inclusive() {
        let (start, end) = (d("2026-07-01"), Some(d("2026-09-30")));
        assert!(!in_post(start, end, d("2026-06-30")));
        assert!(in_post(start, end, d("2026-07-01")));
        assert!(
            in_post(start, end, d("2026-09-30")),
            "the end day is in post"
        );
        assert!(!in_post(start, end, d("2026-10-01")));
        assert!(in_post(start, None, d("2030-01-01")));
    }

    #[test]
    fn dates_are_checked() {
        let today = d("2026-11-29");
        assert!(check_dates(today, None, today).is_ok());
        assert!(
            check_dates(d("2026-11-30"), None, today)
                .unwrap_err()
                .contains("晚于今天")
        );
        assert!(
            check_dates(today, Some(d("2026-11-28")), today)
                .unwrap_err()
                .contains("早于")
        );
        assert!(check_dates(d("2026-01-01"), Some(d("2026-01-01")), today).is_ok());
        assert_eq!(Post::parse("网格员"), None);
        assert_eq!(Post::parse("专职网格员"), Some(Post::Grid));
    }
}
