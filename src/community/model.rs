//! Community consultation and social organisations (DOMAIN.md §5), pure: the code lists,
//! when an organisation counts as registered, which status changes are allowed, and which
//! organisations are up for revocation for missing two yearly inspections.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

coded!(
    /// What a consultation was about.
    ConsultationCategory {
        Environment = "environment", "环境整治";
        Facilities = "facilities", "公共设施";
        Property = "property", "物业管理";
        Neighbours = "neighbours", "邻里纠纷";
        Other = "other", "其他";
    }
);

coded!(
    ConsultationOutcome {
        Resolved = "resolved", "已解决";
        InProgress = "in_progress", "推进中";
    }
);

coded!(
    OrgKind {
        Association = "association", "社会团体";
        ServiceAgency = "service_agency", "社会服务机构";
        Foundation = "foundation", "基金会";
    }
);

coded!(
    OrgStatus {
        Normal = "normal", "正常";
        Abnormal = "abnormal", "活动异常";
        Revoked = "revoked", "撤销";
        Deregistered = "deregistered", "注销";
    }
);

coded!(
    /// 年检 result.
    InspectionResult {
        Qualified = "qualified", "合格";
        Basically = "basically", "基本合格";
        Unqualified = "unqualified", "不合格";
        Absent = "absent", "未参检";
    }
);

coded!(
    ActivityField {
        Poverty = "poverty", "扶贫济困";
        Environment = "environment", "环保公益";
        Education = "education", "文化教育";
        ElderlyDisabled = "elderly_disabled", "养老助残";
        Other = "other", "其他";
    }
);

impl OrgStatus {
    /// Revoked or deregistered: the organisation no longer exists from its end date.
    pub fn ended(self) -> bool {
        matches!(self, OrgStatus::Revoked | OrgStatus::Deregistered)
    }

    /// Whether the status may change to `to`: between 正常 and 活动异常 either way, from
    /// either to an end; an end is final (a new registration is a new organisation).
    pub fn may_become(self, to: OrgStatus) -> bool {
        !self.ended() && self != to
    }
}

/// Registered on `day`: on or after its registration and before its end.
pub fn registered_on(registered: NaiveDate, ended: Option<NaiveDate>, day: NaiveDate) -> bool {
    registered <= day && ended.is_none_or(|e| day < e)
}

/// The yearly inspection (年检) of a year's work is due by this day of the next year.
pub const INSPECTION_DUE: (u32, u32) = (6, 30);

/// The work years whose inspection was due by `today`: the last two, newest first.
pub fn due_years(today: NaiveDate) -> (i32, i32) {
    let due_this_year = NaiveDate::from_ymd_opt(today.year(), INSPECTION_DUE.0, INSPECTION_DUE.1)
        .is_some_and(|d| today > d);
    let last = if due_this_year {
        today.year() - 1
    } else {
        today.year() - 2
    };
    (last, last - 1)
}

/// Up for revocation (DOMAIN.md §5: two years without inspection): an organisation in
/// existence that was registered before the older of the two due work years began and has
/// no inspection, or only 未参检, for either. The two years, when so.
pub fn up_for_revocation(
    registered: NaiveDate,
    status: OrgStatus,
    inspections: &[(i32, InspectionResult)],
    today: NaiveDate,
) -> Option<(i32, i32)> {
    let (last, before) = due_years(today);
    let missed = |year: i32| {
        !inspections
            .iter()
            .any(|(y, r)| *y == year && *r != InspectionResult::Absent)
    };
    (!status.ended() && registered.year() < before && missed(last) && missed(before))
        .then_some((before, last))
}

/// Resolved consultations as a share of all, one decimal; none without any.
pub fn resolution_rate(resolved: i64, all: i64) -> Option<f64> {
    (all > 0).then(|| (resolved as f64 * 1000.0 / all as f64).round() / 10.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn registered_from_its_date_until_its_end() {
        let (from, end) = (d("2020-03-01"), Some(d("2026-08-15")));
        assert!(!registered_on(from, end, d("2020-02-29")));
        assert!(registered_on(from, end, d("2020-03-01")));
        assert!(registered_on(from, end, d("2026-08-14")));
        // Revoked on 08-15: an activity that day is no longer the organisation's.
        assert!(!registered_on(from, end, d("2026-08-15")));
        assert!(registered_on(from, None, d("2030-01-01")));
    }

    #[test]
    fn two_missed_inspections_put_it_up_for_revocation() {
        use InspectionResult::*;
        // After 06-30 of 2026 the 2025 and 2024 inspections are due; before, 2024 and 2023.
        assert_eq!(due_years(d("2026-11-29")), (2025, 2024));
        assert_eq!(due_years(d("2026-06-30")), (2024, 2023));
        let today = d("2026-11-29");
        let old = d("2019-05-01");
        assert_eq!(
            up_for_revocation(old, OrgStatus::Normal, &[], today),
            Some((2024, 2025))
        );
        // 未参检 counts as missed; one inspection in the two years is enough.
        assert_eq!(
            up_for_revocation(
                old,
                OrgStatus::Abnormal,
                &[(2024, Absent), (2025, Absent)],
                today
            ),
            Some((2024, 2025))
        );
        assert_eq!(
            up_for_revocation(old, OrgStatus::Normal, &[(2025, Unqualified)], today),
            None
        );
        // Registered during 2024: it was not due for both years; ended: nothing to revoke.
        assert_eq!(
            up_for_revocation(d("2024-02-01"), OrgStatus::Normal, &[], today),
            None
        );
        assert_eq!(
            up_for_revocation(old, OrgStatus::Deregistered, &[], today),
            None
        );
    }

    #[test]
    fn statuses_and_rates() {
        assert!(OrgStatus::Normal.may_become(OrgStatus::Abnormal));
        assert!(OrgStatus::Abnormal.may_become(OrgStatus::Normal));
        assert!(OrgStatus::Abnormal.may_become(OrgStatus::Revoked));
        assert!(!OrgStatus::Revoked.may_become(OrgStatus::Normal));
        assert!(!OrgStatus::Normal.may_become(OrgStatus::Normal));
        assert_eq!(resolution_rate(2, 3), Some(66.7));
        assert_eq!(resolution_rate(0, 0), None);
        assert_eq!(OrgKind::parse("基金会"), Some(OrgKind::Foundation));
    }
}
