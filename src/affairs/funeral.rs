//! Funeral (殡葬, DOMAIN.md §6), pure: cemetery kinds and statuses, what a cemetery record
//! must satisfy, and what a dated plot addition must satisfy against its cemetery. The
//! plots a cemetery has at completion count as an addition on its completion date
//! (FORMATS.md `cemeteries`). No I/O here.

use chrono::NaiveDate;
use serde::Serialize;

coded!(
    /// 公益性公墓 serve the residents of their area at a regulated price; 经营性公墓 are
    /// commercial.
    CemeteryKind {
        Public = "public", "公益性公墓";
        Commercial = "commercial", "经营性公墓";
    }
);

coded!(
    CemeteryStatus {
        Building = "building", "在建";
        Completed = "completed", "已建成";
        Closed = "closed", "停用";
    }
);

impl CemeteryStatus {
    /// Built (whether still in use or not): such a cemetery has a completion date.
    pub fn is_built(self) -> bool {
        !matches!(self, CemeteryStatus::Building)
    }
}

/// A cemetery as entered (a ledger row), checked.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct NewCemetery {
    pub number: String,
    pub name: String,
    pub kind: CemeteryKind,
    /// A district (6 digits) or a street (9 digits).
    pub region: String,
    pub status: CemeteryStatus,
    pub completed_on: Option<NaiveDate>,
    /// The plots at completion.
    pub plots: i64,
}

/// The checks on one cemetery beyond each field's own format; each message names the
/// field and says what to do.
pub fn check_cemetery(c: &NewCemetery, today: NaiveDate) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if c.number.chars().count() > 32 {
        errors.push(("公墓编号", "不超过 32 个字符，请核对编号".to_string()));
    }
    if !matches!(c.region.len(), 6 | 9) || !c.region.bytes().all(|b| b.is_ascii_digit()) {
        errors.push(("所属区划", "应为 6 位区县或 9 位街道/乡镇代码".to_string()));
    }
    match (c.status.is_built(), c.completed_on) {
        (true, None) => errors.push((
            "建成日期",
            format!("状态为「{}」的公墓应填写建成日期", c.status.label()),
        )),
        (false, Some(_)) => errors.push((
            "建成日期",
            "状态为「在建」的公墓尚未建成，建成日期应为空".to_string(),
        )),
        (_, Some(d)) if d > today => {
            errors.push(("建成日期", format!("{d} 晚于今天，建成后再登记为已建成")))
        }
        _ => {}
    }
    if c.plots < 0 {
        errors.push((
            "墓穴数",
            "不能为负数，请填写建成时的墓穴（格位）数".to_string(),
        ));
    }
    errors
}

/// Why plots cannot be added to a cemetery completed on `completed` (none: not yet)
/// on `on`, if they cannot. The plots of the completion day itself are the cemetery's
/// 墓穴数 in the register.
pub fn check_addition(
    completed: Option<NaiveDate>,
    on: NaiveDate,
    plots: i64,
    today: NaiveDate,
) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    match completed {
        None => errors.push((
            "公墓编号",
            "该公墓尚未建成（名录中没有建成日期），不能登记新增墓穴：先在公墓名录中登记建成"
                .to_string(),
        )),
        Some(c) if on <= c => errors.push((
            "日期",
            format!("应晚于该公墓的建成日期 {c}：建成时的墓穴数填在公墓名录的「墓穴数」中"),
        )),
        Some(_) => {}
    }
    if on > today {
        errors.push(("日期", format!("{on} 晚于今天")));
    }
    if plots <= 0 {
        errors.push(("新增墓穴数", format!("应为正整数，收到 {plots}")));
    }
    errors
}

/// Whether a cemetery may now say it was completed on `completed` when it holds
/// additions dated `first_addition` and later: they must stay after completion.
pub fn completion_keeps_additions(
    completed: Option<NaiveDate>,
    first_addition: Option<NaiveDate>,
) -> Option<String> {
    let first = first_addition?;
    match completed {
        None => Some(format!(
            "该公墓已登记 {first} 起的新增墓穴，不能改为「在建」：请核对状态"
        )),
        Some(c) if c >= first => Some(format!(
            "该公墓已登记 {first} 的新增墓穴，建成日期应早于它：请核对建成日期"
        )),
        Some(_) => None,
    }
}

/// Whether a cemetery may now say it was completed on `completed` when it holds burials
/// from `first_burial` on: they must stay on or after completion.
pub fn completion_keeps_burials(
    completed: Option<NaiveDate>,
    first_burial: Option<NaiveDate>,
) -> Option<String> {
    let first = first_burial?;
    match completed {
        None => Some(format!(
            "该公墓已有 {first} 起的安葬记录，不能改为「在建」：请核对状态"
        )),
        Some(c) if c > first => Some(format!(
            "该公墓已有 {first} 的安葬记录，建成日期不能晚于它：请核对建成日期"
        )),
        Some(_) => None,
    }
}

/// The dates of a cremation: death not after today, cremation not before the death and
/// not after today.
pub fn check_cremation(
    died: NaiveDate,
    cremated: NaiveDate,
    today: NaiveDate,
) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if died > today {
        errors.push(("死亡日期", format!("{died} 晚于今天，请核对")));
    }
    if cremated < died {
        errors.push(("火化日期", format!("早于死亡日期 {died}，请核对")));
    } else if cremated > today {
        errors.push(("火化日期", format!("{cremated} 晚于今天，火化后再登记")));
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cemetery() -> NewCemetery {
        NewCemetery {
            number: "GM-1".into(),
            name: "青山公益性公墓".into(),
            kind: CemeteryKind::Public,
            region: "369921".into(),
            status: CemeteryStatus::Completed,
            completed_on: Some(day("2026-07-01")),
            plots: 500,
        }
    }

    #[test]
    fn a_built_cemetery_has_a_completion_date_not_after_today() {
        let today = day("2026-11-29");
        assert!(check_cemetery(&cemetery(), today).is_empty());
        let mut c = cemetery();
        c.completed_on = None;
        assert_eq!(check_cemetery(&c, today)[0].0, "建成日期");
        c.status = CemeteryStatus::Building;
        assert!(check_cemetery(&c, today).is_empty());
        c.completed_on = Some(day("2026-01-01"));
        assert_eq!(check_cemetery(&c, today)[0].0, "建成日期");
        let mut c = cemetery();
        c.completed_on = Some(day("2026-11-30"));
        assert_eq!(check_cemetery(&c, today)[0].0, "建成日期");
        c.completed_on = Some(today);
        assert!(check_cemetery(&c, today).is_empty());
    }

    #[test]
    fn region_is_a_district_or_a_street_and_plots_not_negative() {
        let today = day("2026-11-29");
        let mut c = cemetery();
        c.region = "369921001".into();
        assert!(check_cemetery(&c, today).is_empty());
        c.region = "369921001001".into();
        assert_eq!(check_cemetery(&c, today)[0].0, "所属区划");
        let mut c = cemetery();
        c.plots = -1;
        assert_eq!(check_cemetery(&c, today)[0].0, "墓穴数");
    }

    #[test]
    fn additions_come_after_completion_and_are_positive() {
        let today = day("2026-11-29");
        let done = Some(day("2026-07-01"));
        assert!(check_addition(done, day("2026-07-02"), 10, today).is_empty());
        assert_eq!(
            check_addition(done, day("2026-07-01"), 10, today)[0].0,
            "日期"
        );
        assert_eq!(
            check_addition(None, day("2026-07-02"), 10, today)[0].0,
            "公墓编号"
        );
        assert_eq!(
            check_addition(done, day("2026-11-30"), 10, today)[0].0,
            "日期"
        );
        assert_eq!(
            check_addition(done, day("2026-08-01"), 0, today)[0].0,
            "新增墓穴数"
        );
    }

    #[test]
    fn a_completion_date_stays_before_the_additions() {
        let first = Some(day("2026-08-01"));
        assert!(completion_keeps_additions(Some(day("2026-07-01")), first).is_none());
        assert!(completion_keeps_additions(Some(day("2026-08-01")), first).is_some());
        assert!(completion_keeps_additions(None, first).is_some());
        assert!(completion_keeps_additions(None, None).is_none());
    }

    #[test]
    fn a_completion_date_stays_on_or_before_the_burials() {
        let first = Some(day("2026-08-01"));
        assert!(completion_keeps_burials(Some(day("2026-08-01")), first).is_none());
        assert!(completion_keeps_burials(Some(day("2026-08-02")), first).is_some());
        assert!(completion_keeps_burials(None, first).is_some());
        assert!(completion_keeps_burials(None, None).is_none());
    }

    #[test]
    fn a_cremation_follows_the_death_and_is_past() {
        let today = day("2026-11-29");
        assert!(check_cremation(day("2026-11-01"), day("2026-11-01"), today).is_empty());
        assert_eq!(
            check_cremation(day("2026-11-02"), day("2026-11-01"), today)[0].0,
            "火化日期"
        );
        assert_eq!(
            check_cremation(day("2026-11-28"), day("2026-11-30"), today)[0].0,
            "火化日期"
        );
        assert_eq!(
            check_cremation(day("2026-11-30"), day("2026-11-30"), today)[0].0,
            "死亡日期"
        );
    }
}
