//! Help for people living rough (流浪乞讨人员救助, DOMAIN.md §6), pure: the code lists, how
//! long a stay is and when it is too long, and which outcomes a departure may have.

use chrono::NaiveDate;
use serde::Serialize;

/// A stay at the station is normally at most this many days; longer ones are flagged
/// (《生活无着的流浪乞讨人员救助管理办法实施细则》: 救助期限一般不超过 10 天).
pub const MAX_STAY_DAYS: i64 = 10;

coded!(
    /// Who the person is, for the care they need.
    Group {
        Minor = "minor", "未成年人";
        Elderly = "elderly", "老年人";
        Disabled = "disabled", "残疾人";
        Mental = "mental", "精神障碍患者";
        Other = "other", "其他";
    }
);

coded!(
    Sex {
        Male = "male", "男";
        Female = "female", "女";
        Unknown = "unknown", "不详";
    }
);

coded!(
    /// What the station gave.
    Service {
        Food = "food", "饮食";
        Lodging = "lodging", "住宿";
        Medical = "medical", "医疗";
        FamilySearch = "family_search", "寻亲";
        Transport = "transport", "返乡乘车";
    }
);

coded!(
    FamilySearch {
        None = "none", "无需寻亲";
        Searching = "searching", "寻亲中";
        Found = "found", "已找到亲属";
        NotFound = "not_found", "未找到";
    }
);

coded!(
    /// How the stay ended.
    Outcome {
        Returned = "returned", "返乡";
        Reunited = "reunited", "寻亲成功";
        Referred = "referred", "转介";
        SelfLeft = "self_left", "自行离站";
        LongStay = "long_stay", "长期滞留";
    }
);

/// Days at the station: from intake to departure, or to `today` while still there.
pub fn stay_days(intake: NaiveDate, left: Option<NaiveDate>, today: NaiveDate) -> i64 {
    (left.unwrap_or(today) - intake).num_days().max(0)
}

/// Over the normal stay.
pub fn long_stay(days: i64) -> bool {
    days > MAX_STAY_DAYS
}

/// Services as stored (codes joined by commas) and back.
pub fn services_text(services: &[Service]) -> String {
    services
        .iter()
        .map(|s| s.code())
        .collect::<Vec<_>>()
        .join(",")
}

pub fn services_of(text: &str) -> Vec<Service> {
    text.split(',').filter_map(Service::parse).collect()
}

/// The checks on a departure: not before intake, not in the future; 寻亲成功 needs the
/// family found.
pub fn check_departure(
    intake: NaiveDate,
    left: NaiveDate,
    outcome: Outcome,
    search: FamilySearch,
    today: NaiveDate,
) -> Result<(), String> {
    if left < intake {
        return Err(format!("「离站日期」{left} 早于入站日期 {intake}"));
    }
    if left > today {
        return Err(format!("「离站日期」{left} 晚于今天"));
    }
    if outcome == Outcome::LongStay {
        return Err(
            "「长期滞留」不是离站结果：在站超过 10 天的已自动标出，转入长期安置的请选「转介」"
                .into(),
        );
    }
    if outcome == Outcome::Reunited && search != FamilySearch::Found {
        return Err("结果为「寻亲成功」时，寻亲情况应为「已找到亲属」：请先登记寻亲结果".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_stay_over_ten_days_is_flagged() {
        let intake = d("2026-11-01");
        // Still there on 11-11: 10 days, normal; on 11-12: 11 days, flagged.
        assert_eq!(stay_days(intake, None, d("2026-11-11")), 10);
        assert!(!long_stay(stay_days(intake, None, d("2026-11-11"))));
        assert!(long_stay(stay_days(intake, None, d("2026-11-12"))));
        // Left on 11-05: 4 days, whatever the day.
        assert_eq!(stay_days(intake, Some(d("2026-11-05")), d("2026-12-31")), 4);
    }

    #[test]
    fn departures_are_checked() {
        let (intake, today) = (d("2026-11-01"), d("2026-11-29"));
        assert!(
            check_departure(
                intake,
                d("2026-11-20"),
                Outcome::LongStay,
                FamilySearch::None,
                today
            )
            .is_err()
        );
        assert!(
            check_departure(
                intake,
                d("2026-11-03"),
                Outcome::Returned,
                FamilySearch::None,
                today
            )
            .is_ok()
        );
        assert!(
            check_departure(
                intake,
                d("2026-10-31"),
                Outcome::Returned,
                FamilySearch::None,
                today
            )
            .is_err()
        );
        assert!(
            check_departure(
                intake,
                d("2026-11-30"),
                Outcome::Returned,
                FamilySearch::None,
                today
            )
            .is_err()
        );
        let err = check_departure(
            intake,
            d("2026-11-03"),
            Outcome::Reunited,
            FamilySearch::Searching,
            today,
        )
        .unwrap_err();
        assert!(err.contains("已找到亲属"), "{err}");
        assert_eq!(
            services_of(&services_text(&[Service::Food, Service::Transport])),
            [Service::Food, Service::Transport]
        );
    }
}
