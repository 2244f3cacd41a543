//! Elderly-care facilities and their inspections (DOMAIN.md §4), pure: the kinds and
//! codes, what a facility record must satisfy, bed counts over time, the nursing-bed
//! share against its target, and where a hazard stands. No I/O here.

use chrono::NaiveDate;
use serde::Serialize;

/// 护理型床位 should be at least this share of an institution's beds (national target
/// for 2025 in the 十四五 elderly-care plan).
pub const NURSING_TARGET_PCT: f64 = 55.0;

coded!(
    /// The four kinds of facility.
    FacilityKind {
        Institution = "institution", "养老机构";
        Daycare = "daycare", "社区日间照料中心";
        HappinessHome = "happiness_home", "农村幸福院";
        StreetCentre = "street_centre", "街道综合养老服务中心";
    }
);

coded!(
    Ownership {
        Public = "public", "公办";
        Private = "private", "民办";
    }
);

coded!(
    FacilityStatus {
        Planned = "planned", "规划";
        Building = "building", "在建";
        Operating = "operating", "运营";
        Closed = "closed", "停业";
    }
);

coded!(
    /// What an inspection looks at.
    InspectionItem {
        Fire = "fire", "消防安全";
        Food = "food", "食品安全";
        Service = "service", "服务质量";
        Medical = "medical", "医疗卫生";
        Building = "building", "建筑安全";
    }
);

coded!(
    Severity {
        General = "general", "一般隐患";
        Major = "major", "重大隐患";
    }
);

impl FacilityStatus {
    /// Open to older people (or was): such a facility has an opening date.
    pub fn has_opened(self) -> bool {
        matches!(self, FacilityStatus::Operating | FacilityStatus::Closed)
    }
}

/// A facility as entered (a form or a ledger row), checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewFacility {
    pub number: String,
    pub name: String,
    pub kind: FacilityKind,
    pub community: String,
    pub ownership: Ownership,
    pub status: FacilityStatus,
    pub opened_on: Option<NaiveDate>,
    pub operator: String,
    pub star_grade: Option<i64>,
    /// The beds at opening (total, nursing-type).
    pub beds: i64,
    pub nursing_beds: i64,
}

/// The checks on one facility beyond each field's own format; each message names the
/// field and says what to do.
pub fn check_facility(f: &NewFacility, today: NaiveDate) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if f.number.is_empty() || f.number.chars().count() > 32 {
        errors.push(("设施编号", "应填写，不超过 32 个字符".to_string()));
    }
    match (f.status.has_opened(), f.opened_on) {
        (true, None) => errors.push((
            "开业日期",
            format!("状态为「{}」的设施应填写开业日期", f.status.label()),
        )),
        (false, Some(_)) => errors.push((
            "开业日期",
            format!(
                "状态为「{}」的设施尚未开业，开业日期应为空",
                f.status.label()
            ),
        )),
        (_, Some(d)) if d > today => {
            errors.push(("开业日期", format!("{d} 晚于今天，开业后再登记为运营")))
        }
        _ => {}
    }
    if f.beds < 0 {
        errors.push(("床位数", "不能为负数".to_string()));
    }
    if f.nursing_beds < 0 || f.nursing_beds > f.beds {
        errors.push((
            "护理型床位数",
            format!("应在 0 到床位数（{}）之间，收到 {}", f.beds, f.nursing_beds),
        ));
    }
    if let Some(star) = f.star_grade {
        if f.kind != FacilityKind::Institution {
            errors.push(("星级", "只有养老机构评定星级".to_string()));
        } else if !(1..=5).contains(&star) {
            errors.push(("星级", format!("应为 1 到 5，收到 {star}")));
        }
    }
    errors
}

/// One dated change of beds (the opening counts as one).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BedEvent {
    pub on: NaiveDate,
    pub beds: i64,
    pub nursing: i64,
}

/// Beds (total, nursing) in effect on `day`: every event effective on or before it.
pub fn beds_on(events: &[BedEvent], day: NaiveDate) -> (i64, i64) {
    events
        .iter()
        .filter(|e| e.on <= day)
        .fold((0, 0), |(b, n), e| (b + e.beds, n + e.nursing))
}

/// Checks a change against the beds in effect on its day and on every later event's day:
/// no count may go below zero, and nursing beds may not exceed all beds.
pub fn check_bed_change(events: &[BedEvent], change: BedEvent) -> Result<(), String> {
    if change.beds == 0 && change.nursing == 0 {
        return Err("床位变动数和护理型床位变动数不能都为 0".into());
    }
    let mut all = events.to_vec();
    all.push(change);
    let mut days: Vec<NaiveDate> = all
        .iter()
        .map(|e| e.on)
        .filter(|d| *d >= change.on)
        .collect();
    days.sort();
    days.dedup();
    for day in days {
        let (beds, nursing) = beds_on(&all, day);
        if beds < 0 || nursing < 0 {
            return Err(format!(
                "变动后 {day} 的床位为 {beds} 张、护理型 {nursing} 张，不能为负数：请核对变动数"
            ));
        }
        if nursing > beds {
            return Err(format!(
                "变动后 {day} 的护理型床位（{nursing} 张）多于总床位（{beds} 张）"
            ));
        }
    }
    Ok(())
}

/// Checks a facility's whole bed history when its opening changes: the changes must come
/// on or after the opening day (none before it has opened), and no day may leave a
/// negative count or more nursing beds than beds.
pub fn check_history(
    opened_on: Option<NaiveDate>,
    opening: (i64, i64),
    changes: &[BedEvent],
) -> Result<(), String> {
    let Some(first) = changes.iter().map(|c| c.on).min() else {
        return Ok(());
    };
    let Some(opened) = opened_on else {
        return Err(format!(
            "该设施已有 {} 起的床位变动，不能改为未开业：请先删除或核对床位变动",
            first
        ));
    };
    if first < opened {
        return Err(format!(
            "该设施有 {first} 的床位变动，早于开业日期 {opened}：请核对开业日期"
        ));
    }
    let mut events = changes.to_vec();
    events.push(BedEvent {
        on: opened,
        beds: opening.0,
        nursing: opening.1,
    });
    for day in events.iter().map(|e| e.on) {
        let (beds, nursing) = beds_on(&events, day);
        if beds < 0 || nursing < 0 || nursing > beds {
            return Err(format!(
                "按这样的开业床位，{day} 的床位为 {beds} 张、护理型 {nursing} 张：请核对床位数（开业时的床位，不是现有床位）"
            ));
        }
    }
    Ok(())
}

/// Nursing-type beds as a percentage of all beds, one decimal; none without beds.
pub fn nursing_share(beds: i64, nursing: i64) -> Option<f64> {
    (beds > 0).then(|| (nursing as f64 * 1000.0 / beds as f64).round() / 10.0)
}

/// Where a hazard stands on a day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HazardState {
    /// To be rectified, deadline not passed.
    Open,
    /// Deadline passed, not rectified.
    Overdue,
    /// Rectified, waiting for the re-check.
    Rectified,
    /// Re-checked: closed.
    Closed,
}

impl HazardState {
    pub fn of(
        deadline: NaiveDate,
        rectified_on: Option<NaiveDate>,
        rechecked: bool,
        today: NaiveDate,
    ) -> HazardState {
        match (rectified_on, rechecked) {
            (Some(_), true) => HazardState::Closed,
            (Some(_), false) => HazardState::Rectified,
            (None, _) if today > deadline => HazardState::Overdue,
            (None, _) => HazardState::Open,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            HazardState::Open => "整改中",
            HazardState::Overdue => "逾期未整改",
            HazardState::Rectified => "已整改待复查",
            HazardState::Closed => "复查通过",
        }
    }
}

/// A year's construction progress of one kind in one district.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Progress {
    pub target: i64,
    pub opened: i64,
    /// opened ÷ target in percent, one decimal; none without a target.
    pub pct: Option<f64>,
}

impl Progress {
    pub fn new(target: i64, opened: i64) -> Progress {
        Progress {
            target,
            opened,
            pct: (target > 0).then(|| (opened as f64 * 1000.0 / target as f64).round() / 10.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn facility() -> NewFacility {
        NewFacility {
            number: "YL-001".into(),
            name: "东湖区福寿养老院".into(),
            kind: FacilityKind::Institution,
            community: "369902001001".into(),
            ownership: Ownership::Public,
            status: FacilityStatus::Operating,
            opened_on: Some(d("2026-07-01")),
            operator: "东湖区民政局".into(),
            star_grade: Some(3),
            beds: 120,
            nursing_beds: 70,
        }
    }

    #[test]
    fn a_facility_opens_with_a_date_and_consistent_beds() {
        let today = d("2026-11-29");
        assert!(check_facility(&facility(), today).is_empty());
        let planned = NewFacility {
            status: FacilityStatus::Planned,
            ..facility()
        };
        assert_eq!(check_facility(&planned, today)[0].0, "开业日期");
        let too_many = NewFacility {
            nursing_beds: 121,
            ..facility()
        };
        assert_eq!(check_facility(&too_many, today)[0].0, "护理型床位数");
        let star_on_daycare = NewFacility {
            kind: FacilityKind::Daycare,
            ..facility()
        };
        assert_eq!(check_facility(&star_on_daycare, today)[0].0, "星级");
        let future = NewFacility {
            opened_on: Some(d("2026-12-01")),
            ..facility()
        };
        assert_eq!(check_facility(&future, today)[0].0, "开业日期");
    }

    #[test]
    fn beds_are_the_events_up_to_the_day() {
        // Opened 2026-06-30 with 100 beds (40 nursing), +20 (+20) on 07-01, −10 on 09-30.
        let events = [
            BedEvent {
                on: d("2026-06-30"),
                beds: 100,
                nursing: 40,
            },
            BedEvent {
                on: d("2026-07-01"),
                beds: 20,
                nursing: 20,
            },
            BedEvent {
                on: d("2026-09-30"),
                beds: -10,
                nursing: 0,
            },
        ];
        assert_eq!(beds_on(&events, d("2026-06-29")), (0, 0));
        assert_eq!(beds_on(&events, d("2026-06-30")), (100, 40));
        assert_eq!(beds_on(&events, d("2026-09-30")), (110, 60));
        // 60 of 110 = 54.5%: below the 55% target.
        assert_eq!(nursing_share(110, 60), Some(54.5));
        assert_eq!(nursing_share(0, 0), None);
        // Taking 61 nursing beds away on 08-01 would leave −21 from then on.
        let err = check_bed_change(
            &events,
            BedEvent {
                on: d("2026-08-01"),
                beds: -61,
                nursing: -61,
            },
        )
        .unwrap_err();
        assert!(err.contains("不能为负数"), "{err}");
        // Removing 55 ordinary beds on 08-01 leaves 65 beds, 60 nursing; then the −10 on
        // 09-30 leaves 55 beds with 60 nursing: refused on that later day.
        let err = check_bed_change(
            &events,
            BedEvent {
                on: d("2026-08-01"),
                beds: -55,
                nursing: 0,
            },
        )
        .unwrap_err();
        assert!(err.contains("2026-09-30"), "{err}");
        assert!(
            check_bed_change(
                &events,
                BedEvent {
                    on: d("2026-08-01"),
                    beds: 0,
                    nursing: 0
                }
            )
            .is_err()
        );
    }

    #[test]
    fn a_new_opening_is_checked_against_the_changes_after_it() {
        let changes = [BedEvent {
            on: d("2026-08-01"),
            beds: -50,
            nursing: 0,
        }];
        // Opened with 100: 50 left after the change. Re-entered as 20: −30 from 08-01.
        assert!(check_history(Some(d("2026-03-01")), (100, 40), &changes).is_ok());
        let err = check_history(Some(d("2026-03-01")), (20, 0), &changes).unwrap_err();
        assert!(err.contains("2026-08-01") && err.contains("-30"), "{err}");
        // Nursing beds more than beds after the change.
        assert!(check_history(Some(d("2026-03-01")), (100, 60), &changes).is_err());
        // Back to not opened, or opened after its first change.
        assert!(check_history(None, (0, 0), &changes).is_err());
        assert!(check_history(Some(d("2026-09-01")), (100, 0), &changes).is_err());
        assert!(check_history(None, (0, 0), &[]).is_ok());
    }

    #[test]
    fn a_hazard_is_overdue_the_day_after_its_deadline() {
        let deadline = d("2026-10-31");
        assert_eq!(
            HazardState::of(deadline, None, false, d("2026-10-31")),
            HazardState::Open
        );
        assert_eq!(
            HazardState::of(deadline, None, false, d("2026-11-01")),
            HazardState::Overdue
        );
        assert_eq!(
            HazardState::of(deadline, Some(d("2026-11-05")), false, d("2026-11-29")),
            HazardState::Rectified
        );
        assert_eq!(
            HazardState::of(deadline, Some(d("2026-11-05")), true, d("2026-11-29")),
            HazardState::Closed
        );
    }

    #[test]
    fn progress_against_a_target() {
        assert_eq!(Progress::new(3, 2).pct, Some(66.7));
        assert_eq!(Progress::new(0, 1).pct, None);
        assert_eq!(
            FacilityKind::parse("农村幸福院"),
            Some(FacilityKind::HappinessHome)
        );
        assert_eq!(InspectionItem::parse("fire"), Some(InspectionItem::Fire));
        assert_eq!(Severity::labels(), "一般隐患、重大隐患");
    }
}
