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

/// The outcomes a departure may have: 长期滞留 is left out, it is a flag on a person still
/// at the station (see `long_stay`), not a way of leaving it.
pub const DEPARTURES: [Outcome; 4] = [
    Outcome::Returned,
    Outcome::Reunited,
    Outcome::Referred,
    Outcome::SelfLeft,
];

/// The departure outcomes' labels, for a message naming the choices.
pub fn departure_labels() -> String {
    DEPARTURES
        .iter()
        .map(|o| o.label())
        .collect::<Vec<_>>()
        .join("、")
}

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

/// What a known ID number tells about the person must agree with the case: the sex (a
/// caseworker's guess of 不详 gives way to the card), and the group where it is a matter
/// of age on the intake day — a minor is under 18 (they go to the minors' protection
/// centre, so a wrong group is a real mistake), an elderly person 60 or over. Returns the
/// sex to store.
pub fn check_identity(
    id: &crate::ids::IdNumber,
    sex: Sex,
    group: Group,
    intake: NaiveDate,
) -> Result<Sex, String> {
    let card = match id.sex() {
        crate::ids::Sex::Male => Sex::Male,
        crate::ids::Sex::Female => Sex::Female,
    };
    if sex != Sex::Unknown && sex != card {
        return Err(format!(
            "「性别」{}与身份证号（{}）不符：请核对身份证号或改选性别",
            sex.label(),
            card.label()
        ));
    }
    let age = id.age_on(intake);
    if age < 18 && group != Group::Minor {
        return Err(format!(
            "身份证号显示入站时 {age} 岁，未满 18 周岁：「类别」应为未成年人"
        ));
    }
    if age >= 18 && group == Group::Minor {
        return Err(format!(
            "「类别」为未成年人，但身份证号显示入站时已 {age} 岁：请核对身份证号或改选类别"
        ));
    }
    if age < 60 && group == Group::Elderly {
        return Err(format!(
            "「类别」为老年人，但身份证号显示入站时 {age} 岁，未满 60 周岁：请核对身份证号或改选类别"
        ));
    }
    Ok(card)
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
    #[test]
    fn a_known_identity_must_agree_with_sex_and_group() {
        let today = d("2026-11-29");
        // Born 1949-12-31, female: 76 on intake.
        let old = crate::ids::IdNumber::parse("11010519491231002X", today).unwrap();
        let intake = d("2026-11-20");
        assert_eq!(
            check_identity(&old, Sex::Unknown, Group::Elderly, intake),
            Ok(Sex::Female)
        );
        assert!(check_identity(&old, Sex::Male, Group::Elderly, intake).is_err());
        assert!(check_identity(&old, Sex::Female, Group::Minor, intake).is_err());
        // Born 2008-11-21: 17 on 2026-11-20, 18 on 2026-11-21 (the birthday).
        let young = crate::ids::IdNumber::compose("369902", d("2008-11-21"), 11).unwrap();
        assert_eq!(
            check_identity(&young, Sex::Male, Group::Minor, d("2026-11-20")),
            Ok(Sex::Male)
        );
        let err = check_identity(&young, Sex::Male, Group::Other, d("2026-11-20")).unwrap_err();
        assert!(err.contains("未成年人"), "{err}");
        assert!(check_identity(&young, Sex::Male, Group::Minor, d("2026-11-21")).is_err());
        assert!(check_identity(&young, Sex::Male, Group::Elderly, d("2026-11-21")).is_err());
        assert!(check_identity(&young, Sex::Male, Group::Disabled, d("2026-11-21")).is_ok());
    }
}
