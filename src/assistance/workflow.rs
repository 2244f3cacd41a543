//! The application workflow of DOMAIN.md §2, pure: which action may move a case from
//! which state, who may take it, what must be true first, and the deadlines. The store
//! applies what this module allows; nothing here reads a clock or a database.
//!
//! 申请 → 受理 → 调查 → 审核 → 公示 → 确认 (在保 or 不予批准) → 停保; 不予受理 from 申请.

use chrono::{Months, NaiveDate};
use serde::Serialize;

use super::model::Program;
use crate::calendar::WorkCalendar;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Submitted,
    Accepted,
    Investigating,
    Reviewed,
    Notice,
    Active,
    Rejected,
    Refused,
    Exited,
}

pub const STATUSES: [Status; 9] = [
    Status::Submitted,
    Status::Accepted,
    Status::Investigating,
    Status::Reviewed,
    Status::Notice,
    Status::Active,
    Status::Rejected,
    Status::Refused,
    Status::Exited,
];

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Submitted => "submitted",
            Status::Accepted => "accepted",
            Status::Investigating => "investigating",
            Status::Reviewed => "reviewed",
            Status::Notice => "notice",
            Status::Active => "active",
            Status::Rejected => "rejected",
            Status::Refused => "refused",
            Status::Exited => "exited",
        }
    }
    pub fn from_code(s: &str) -> Option<Status> {
        STATUSES.into_iter().find(|x| x.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Submitted => "已申请",
            Status::Accepted => "已受理",
            Status::Investigating => "调查中",
            Status::Reviewed => "街道已审核",
            Status::Notice => "公示中",
            Status::Active => "在保",
            Status::Rejected => "不予批准",
            Status::Refused => "不予受理",
            Status::Exited => "停保",
        }
    }
    /// Still being decided: counts against the 30-working-day deadline.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            Status::Submitted
                | Status::Accepted
                | Status::Investigating
                | Status::Reviewed
                | Status::Notice
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// 受理 (street)
    Accept,
    /// 不予受理, with reason (street)
    Refuse,
    /// 入户调查 and 信息核对 recorded (street or community)
    Investigate,
    /// 街道审核意见: recommend or not, the rules run (street)
    Opinion,
    /// 发布公示 (street)
    Publish,
    /// 区县审核 of a 近亲属 case (district reviewer)
    DistrictReview,
    /// 延期: 45 instead of 30 working days, with reason (street)
    Extend,
    /// 确认 (district approver)
    Approve,
    /// 不予批准, with reason (district approver)
    Reject,
    /// 停保, with a coded reason
    Exit,
    /// 退回重新调查: the opinion and any notice are withdrawn and the household is
    /// investigated again (a district review that does not pass, an objection found
    /// true, a register error seen before approval), with reason.
    Return,
}

pub const ACTIONS: [Action; 11] = [
    Action::Accept,
    Action::Refuse,
    Action::Investigate,
    Action::Opinion,
    Action::Publish,
    Action::DistrictReview,
    Action::Extend,
    Action::Approve,
    Action::Reject,
    Action::Return,
    Action::Exit,
];

impl Action {
    pub fn code(self) -> &'static str {
        match self {
            Action::Accept => "accept",
            Action::Refuse => "refuse",
            Action::Investigate => "investigate",
            Action::Opinion => "opinion",
            Action::Publish => "publish",
            Action::DistrictReview => "district_review",
            Action::Extend => "extend",
            Action::Approve => "approve",
            Action::Reject => "reject",
            Action::Exit => "exit",
            Action::Return => "return",
        }
    }
    pub fn from_code(s: &str) -> Option<Action> {
        ACTIONS.into_iter().find(|a| a.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Accept => "受理",
            Action::Refuse => "不予受理",
            Action::Investigate => "登记调查结果",
            Action::Opinion => "街道审核意见",
            Action::Publish => "发布公示",
            Action::DistrictReview => "区县审核（近亲属备案）",
            Action::Extend => "延长办理期限",
            Action::Approve => "审批确认",
            Action::Reject => "不予批准",
            Action::Exit => "停保",
            Action::Return => "退回重新调查",
        }
    }
    /// The permission a user's role must hold (scope is checked separately).
    pub fn permission(self) -> &'static str {
        match self {
            Action::Accept | Action::Refuse => "assistance:case:accept",
            Action::Investigate => "assistance:case:investigate",
            Action::Opinion | Action::Publish | Action::Extend => "assistance:case:review",
            Action::DistrictReview => "assistance:case:district_review",
            Action::Approve | Action::Reject => "assistance:case:approve",
            Action::Exit => "assistance:case:exit",
            Action::Return => "assistance:case:return",
        }
    }
    /// A reason must be written for these.
    pub fn needs_reason(self) -> bool {
        matches!(
            self,
            Action::Refuse | Action::Reject | Action::Extend | Action::Exit | Action::Return
        )
    }
    /// Whether the action starts from this state at all (other conditions aside).
    pub fn applies_to(self, status: Status) -> bool {
        self.from().contains(&status)
    }
    /// States the action may start from.
    fn from(self) -> &'static [Status] {
        match self {
            Action::Accept | Action::Refuse => &[Status::Submitted],
            Action::Investigate => &[Status::Accepted, Status::Investigating],
            Action::Opinion => &[Status::Investigating, Status::Reviewed],
            Action::Publish => &[Status::Reviewed],
            Action::DistrictReview => &[Status::Reviewed, Status::Notice],
            Action::Extend => &[Status::Accepted, Status::Investigating, Status::Reviewed],
            Action::Approve => &[Status::Notice],
            Action::Reject => &[Status::Reviewed, Status::Notice],
            Action::Exit => &[Status::Active],
            Action::Return => &[Status::Reviewed, Status::Notice],
        }
    }
}

/// What the workflow needs to know of a case to allow an action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseFacts {
    pub status: Status,
    pub close_relative: bool,
    pub district_reviewed: bool,
    pub extended: bool,
    /// The street's opinion: recommended for approval or not.
    pub recommend: Option<bool>,
    /// Last day of the public notice.
    pub notice_until: Option<NaiveDate>,
    pub open_objections: i64,
    /// The rules, run at the opinion, found the household eligible.
    pub eligible: bool,
}

/// Why an action is not allowed now, as the caseworker reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal(pub String);

/// The state the action leads to, or why it may not be taken now.
pub fn next_status(action: Action, facts: &CaseFacts, today: NaiveDate) -> Result<Status, Refusal> {
    let refuse = |s: String| Err(Refusal(s));
    if !action.from().contains(&facts.status) {
        return refuse(format!(
            "案件当前状态为「{}」，不能执行「{}」。",
            facts.status.label(),
            action.label()
        ));
    }
    match action {
        Action::Accept => Ok(Status::Accepted),
        Action::Refuse => Ok(Status::Refused),
        Action::Investigate => Ok(Status::Investigating),
        Action::Opinion => Ok(Status::Reviewed),
        Action::Publish => {
            if facts.recommend != Some(true) {
                return refuse(
                    "街道审核意见为不同意，无需公示；请由区县作出不予批准的决定。".to_string(),
                );
            }
            Ok(Status::Notice)
        }
        Action::DistrictReview => {
            if !facts.close_relative {
                return refuse("只有近亲属备案的案件需要区县审核。".to_string());
            }
            if facts.district_reviewed {
                return refuse("该案件已完成区县审核。".to_string());
            }
            Ok(facts.status)
        }
        Action::Extend => {
            if facts.extended {
                return refuse("办理期限已经延长过一次，不能再次延长。".to_string());
            }
            Ok(facts.status)
        }
        Action::Approve => {
            if let Some(until) = facts.notice_until
                && today <= until
            {
                return refuse(format!("公示期至 {until} 结束，公示期满后才能审批。"));
            }
            if facts.open_objections > 0 {
                return refuse(format!(
                    "还有 {} 条公示异议未处理，请先登记处理结果。",
                    facts.open_objections
                ));
            }
            if facts.close_relative && !facts.district_reviewed {
                return refuse("近亲属备案案件须先经区县审核人员审核。".to_string());
            }
            if !facts.eligible {
                return refuse(
                    "按现行政策核算该家庭不符合条件，不能批准；请作出不予批准的决定。".to_string(),
                );
            }
            Ok(Status::Active)
        }
        Action::Reject => Ok(Status::Rejected),
        Action::Return => Ok(Status::Investigating),
        Action::Exit => Ok(Status::Exited),
    }
}

/// Working-day and calendar limits of the workflow (DOMAIN.md §2 defaults).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Deadlines {
    /// Decision within this many working days of acceptance…
    pub decision_days: u32,
    /// …or this many with a recorded extension.
    pub extended_days: u32,
    /// Calendar days of the public notice.
    pub notice_days: u32,
    /// 先行救助: the file completed within this many working days of the grant.
    pub advance_completion_days: u32,
    /// 渐退: months a household above the line because a member found work keeps the benefit.
    pub gradual_months: u32,
}

impl Default for Deadlines {
    fn default() -> Deadlines {
        Deadlines {
            decision_days: 30,
            extended_days: 45,
            notice_days: 7,
            advance_completion_days: 5,
            gradual_months: 6,
        }
    }
}

impl Deadlines {
    pub fn decision_due(
        &self,
        cal: &WorkCalendar,
        accepted: NaiveDate,
        extended: bool,
    ) -> NaiveDate {
        let days = if extended {
            self.extended_days
        } else {
            self.decision_days
        };
        cal.add_working_days(accepted, days)
    }
    /// The last day of a notice published on `from` (the first day counts).
    pub fn notice_until(&self, from: NaiveDate) -> NaiveDate {
        from + chrono::Days::new(u64::from(self.notice_days.max(1) - 1))
    }
    pub fn advance_due(&self, cal: &WorkCalendar, granted: NaiveDate) -> NaiveDate {
        cal.add_working_days(granted, self.advance_completion_days)
    }
}

/// Overdue: still open (or an advance grant not completed) after its due day.
pub fn is_overdue(due: Option<NaiveDate>, today: NaiveDate) -> bool {
    due.is_some_and(|d| today > d)
}

/// Review interval (DOMAIN.md §2 动态管理): 特困 and 低保 households whose members are all
/// elderly, severely disabled or seriously ill yearly; other 低保 households every 6 months.
pub fn review_interval_months(program: Program, all_members_stable: bool) -> u32 {
    match program {
        Program::Tekun => 12,
        Program::Dibao if all_members_stable => 12,
        Program::Dibao => 6,
    }
}

pub fn next_review(from: NaiveDate, months: u32) -> NaiveDate {
    from.checked_add_months(Months::new(months)).unwrap_or(from)
}

/// The first review of the cycle counted from approval that falls on or after `today`:
/// for a case that comes into the register already active (a roster import), whose
/// earlier reviews were done in the system it came from. One due today is due today.
pub fn next_review_after(approved: NaiveDate, months: u32, today: NaiveDate) -> NaiveDate {
    let mut k = 1;
    let mut next = next_review(approved, months);
    // Bounded: a cycle of at least one month passes any plausible date within 200 steps
    // of 12 months; a month count of 0 would otherwise never move.
    while next < today && k < 1200 && months > 0 {
        k += 1;
        next = next_review(approved, months * k);
    }
    next
}

/// What a periodic review (复核) decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewOutcome {
    Keep,
    Raise,
    Lower,
    Stop,
    /// Above the line because a member found work: the benefit continues until the end
    /// of the gradual exit (渐退), then stops.
    Gradual,
}

impl ReviewOutcome {
    pub fn code(self) -> &'static str {
        match self {
            ReviewOutcome::Keep => "keep",
            ReviewOutcome::Raise => "raise",
            ReviewOutcome::Lower => "lower",
            ReviewOutcome::Stop => "stop",
            ReviewOutcome::Gradual => "gradual",
        }
    }
    pub fn from_code(s: &str) -> Option<ReviewOutcome> {
        [
            ReviewOutcome::Keep,
            ReviewOutcome::Raise,
            ReviewOutcome::Lower,
            ReviewOutcome::Stop,
            ReviewOutcome::Gradual,
        ]
        .into_iter()
        .find(|o| o.code() == s)
    }
    pub fn label(self) -> &'static str {
        match self {
            ReviewOutcome::Keep => "维持",
            ReviewOutcome::Raise => "提高",
            ReviewOutcome::Lower => "降低",
            ReviewOutcome::Stop => "停保",
            ReviewOutcome::Gradual => "渐退",
        }
    }
}

/// The review's outcome from the rules' new amount: eligible keeps/raises/lowers; not
/// eligible stops, unless a member found work (then gradual exit, if allowed).
pub fn review_outcome(
    old_amount: i64,
    new_amount: Option<i64>,
    found_work: bool,
    gradual_months: u32,
) -> ReviewOutcome {
    match new_amount {
        Some(n) if n > old_amount => ReviewOutcome::Raise,
        Some(n) if n < old_amount => ReviewOutcome::Lower,
        Some(_) => ReviewOutcome::Keep,
        None if found_work && gradual_months > 0 => ReviewOutcome::Gradual,
        None => ReviewOutcome::Stop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn facts(status: Status) -> CaseFacts {
        CaseFacts {
            status,
            close_relative: false,
            district_reviewed: false,
            extended: false,
            recommend: Some(true),
            notice_until: None,
            open_objections: 0,
            eligible: true,
        }
    }

    #[test]
    fn the_happy_path_moves_through_every_state() {
        let today = d("2026-11-30");
        let mut f = facts(Status::Submitted);
        for (action, to) in [
            (Action::Accept, Status::Accepted),
            (Action::Investigate, Status::Investigating),
            (Action::Opinion, Status::Reviewed),
            (Action::Publish, Status::Notice),
            (Action::Approve, Status::Active),
            (Action::Exit, Status::Exited),
        ] {
            assert_eq!(next_status(action, &f, today), Ok(to), "{action:?}");
            f.status = to;
        }
    }

    #[test]
    fn a_case_under_opinion_or_in_notice_can_be_sent_back_to_investigation() {
        let today = d("2026-11-30");
        for from in [Status::Reviewed, Status::Notice] {
            assert_eq!(
                next_status(Action::Return, &facts(from), today),
                Ok(Status::Investigating)
            );
        }
        for from in [Status::Submitted, Status::Investigating, Status::Active] {
            assert!(next_status(Action::Return, &facts(from), today).is_err());
        }
        assert!(Action::Return.needs_reason());
        assert_eq!(Action::from_code("return"), Some(Action::Return));
    }

    #[test]
    fn illegal_transitions_are_refused_naming_the_state() {
        let today = d("2026-11-30");
        let err = next_status(Action::Approve, &facts(Status::Submitted), today).unwrap_err();
        assert_eq!(err.0, "案件当前状态为「已申请」，不能执行「审批确认」。");
        assert!(next_status(Action::Accept, &facts(Status::Active), today).is_err());
        assert!(next_status(Action::Exit, &facts(Status::Notice), today).is_err());
        assert!(next_status(Action::Publish, &facts(Status::Investigating), today).is_err());
        assert!(next_status(Action::Refuse, &facts(Status::Accepted), today).is_err());
        // Final states take nothing.
        for s in [Status::Rejected, Status::Refused, Status::Exited] {
            for a in ACTIONS {
                assert!(
                    next_status(a, &facts(s), today).is_err(),
                    "{a:?} from {s:?}"
                );
            }
        }
    }

    #[test]
    fn approval_waits_for_the_end_of_the_notice() {
        let mut f = facts(Status::Notice);
        let deadlines = Deadlines::default();
        let until = deadlines.notice_until(d("2026-11-02"));
        assert_eq!(until, d("2026-11-08"));
        f.notice_until = Some(until);
        let err = next_status(Action::Approve, &f, d("2026-11-08")).unwrap_err();
        assert!(err.0.contains("2026-11-08"), "{}", err.0);
        assert_eq!(
            next_status(Action::Approve, &f, d("2026-11-09")),
            Ok(Status::Active)
        );
    }

    #[test]
    fn open_objections_block_approval() {
        let mut f = facts(Status::Notice);
        f.open_objections = 2;
        let err = next_status(Action::Approve, &f, d("2026-11-30")).unwrap_err();
        assert!(err.0.contains("2 条"), "{}", err.0);
        // A rejection is still possible.
        assert_eq!(
            next_status(Action::Reject, &f, d("2026-11-30")),
            Ok(Status::Rejected)
        );
    }

    #[test]
    fn close_relatives_need_the_district_review_first() {
        let mut f = facts(Status::Notice);
        f.close_relative = true;
        assert!(next_status(Action::Approve, &f, d("2026-11-30")).is_err());
        assert_eq!(
            next_status(Action::DistrictReview, &f, d("2026-11-30")),
            Ok(Status::Notice)
        );
        f.district_reviewed = true;
        assert!(next_status(Action::DistrictReview, &f, d("2026-11-30")).is_err());
        assert_eq!(
            next_status(Action::Approve, &f, d("2026-11-30")),
            Ok(Status::Active)
        );
        // Not a close relative: nothing to review.
        let plain = facts(Status::Notice);
        assert!(next_status(Action::DistrictReview, &plain, d("2026-11-30")).is_err());
    }

    #[test]
    fn ineligible_or_not_recommended_cases_cannot_be_approved_or_published() {
        let mut f = facts(Status::Notice);
        f.eligible = false;
        assert!(next_status(Action::Approve, &f, d("2026-11-30")).is_err());
        let mut r = facts(Status::Reviewed);
        r.recommend = Some(false);
        assert!(next_status(Action::Publish, &r, d("2026-11-30")).is_err());
        assert_eq!(
            next_status(Action::Reject, &r, d("2026-11-30")),
            Ok(Status::Rejected)
        );
    }

    #[test]
    fn one_extension_only() {
        let mut f = facts(Status::Investigating);
        assert_eq!(
            next_status(Action::Extend, &f, d("2026-11-30")),
            Ok(Status::Investigating)
        );
        f.extended = true;
        assert!(next_status(Action::Extend, &f, d("2026-11-30")).is_err());
    }

    #[test]
    fn decision_deadline_counts_working_days_with_holidays_and_make_up_days() {
        use crate::calendar::DayKind;
        let plain = WorkCalendar::default();
        let dl = Deadlines::default();
        // Accepted Monday 2026-11-02: 30 working days = 6 weeks → Monday 2026-12-14.
        assert_eq!(
            dl.decision_due(&plain, d("2026-11-02"), false),
            d("2026-12-14")
        );
        // 45 working days = 9 weeks → Monday 2027-01-04.
        assert_eq!(
            dl.decision_due(&plain, d("2026-11-02"), true),
            d("2027-01-04")
        );
        // A holiday on a weekday pushes it a day; a make-up Saturday pulls it back.
        let cal = WorkCalendar::new([
            (d("2026-11-11"), DayKind::Rest),
            (d("2026-11-14"), DayKind::Work),
        ]);
        assert_eq!(
            dl.decision_due(&cal, d("2026-11-02"), false),
            d("2026-12-14")
        );
        let cal = WorkCalendar::new([(d("2026-11-11"), DayKind::Rest)]);
        assert_eq!(
            dl.decision_due(&cal, d("2026-11-02"), false),
            d("2026-12-15")
        );
        // 先行救助: granted Friday 2026-11-27 → 5 working days → Friday 2026-12-04.
        assert_eq!(dl.advance_due(&plain, d("2026-11-27")), d("2026-12-04"));
        assert!(!is_overdue(Some(d("2026-12-04")), d("2026-12-04")));
        assert!(is_overdue(Some(d("2026-12-04")), d("2026-12-05")));
    }

    #[test]
    fn review_intervals_and_outcomes() {
        assert_eq!(review_interval_months(Program::Tekun, false), 12);
        assert_eq!(review_interval_months(Program::Dibao, true), 12);
        assert_eq!(review_interval_months(Program::Dibao, false), 6);
    }

    #[test]
    fn an_imported_case_is_next_reviewed_at_its_first_cycle_date_after_today() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        // Approved 2025-03-31, 6-monthly: 2025-09-30, 2026-03-31, 2026-09-30, 2027-03-31.
        assert_eq!(
            next_review_after(d("2025-03-31"), 6, d("2026-11-29")),
            d("2027-03-31")
        );
        // A review falling due today is due today.
        assert_eq!(
            next_review_after(d("2026-05-29"), 6, d("2026-11-29")),
            d("2026-11-29")
        );
        // Approved recently: the first cycle date.
        assert_eq!(
            next_review_after(d("2026-10-01"), 12, d("2026-11-29")),
            d("2027-10-01")
        );
        assert_eq!(next_review(d("2026-08-31"), 6), d("2027-02-28"));
        assert_eq!(
            review_outcome(1900, Some(1900), false, 6),
            ReviewOutcome::Keep
        );
        assert_eq!(
            review_outcome(1900, Some(2000), false, 6),
            ReviewOutcome::Raise
        );
        assert_eq!(
            review_outcome(1900, Some(100), false, 6),
            ReviewOutcome::Lower
        );
        assert_eq!(review_outcome(1900, None, false, 6), ReviewOutcome::Stop);
        assert_eq!(review_outcome(1900, None, true, 6), ReviewOutcome::Gradual);
        assert_eq!(review_outcome(1900, None, true, 0), ReviewOutcome::Stop);
    }
}
