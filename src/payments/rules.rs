//! The payroll rules, pure: which months a case is paid for, with what amount, and what a
//! month's payroll holds (regular lines, arrears, re-issues). The I/O is in `store`.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::money::Fen;

/// A calendar month, `2026-11`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Month {
    pub year: i32,
    /// 1 to 12.
    pub month: u32,
}

impl Month {
    pub fn of(day: NaiveDate) -> Month {
        Month {
            year: day.year(),
            month: day.month(),
        }
    }
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }
    pub fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }
    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }
    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MAX)
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl std::str::FromStr for Month {
    type Err = String;
    fn from_str(s: &str) -> Result<Month, String> {
        let s = s.trim();
        let bad = || format!("月份「{s}」应写作 2026-11。");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        if !(2000..=2100).contains(&year) || !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Month { year, month })
    }
}

/// What a case's payments depend on.
#[derive(Clone, Debug)]
pub struct PayableCase {
    pub approved_on: NaiveDate,
    pub exited_on: Option<NaiveDate>,
    /// The amount now.
    pub monthly_amount: Fen,
    /// Reviews that changed the amount, oldest first: (date, old, new).
    pub amount_changes: Vec<(NaiveDate, Fen, Fen)>,
}

/// Paid from the month after approval (从批准次月起发放) through the month the case stops
/// (停保当月照发，次月起停发).
pub fn payable(case: &PayableCase, m: Month) -> bool {
    Month::of(case.approved_on) < m && case.exited_on.is_none_or(|e| m <= Month::of(e))
}

/// The amount for month `m`: a change takes effect from the month after the review, as
/// an approval does.
pub fn amount_for(case: &PayableCase, m: Month) -> Fen {
    let mut amount = case
        .amount_changes
        .first()
        .map_or(case.monthly_amount, |(_, old, _)| *old);
    for (on, _, new) in &case.amount_changes {
        if Month::of(*on) < m {
            amount = *new;
        }
    }
    amount
}

/// Where a payroll is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Generated,
    Submitted,
    Approved,
    Exported,
    Reconciled,
}

pub const STATUSES: [Status; 5] = [
    Status::Generated,
    Status::Submitted,
    Status::Approved,
    Status::Exported,
    Status::Reconciled,
];

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Status::Generated => "generated",
            Status::Submitted => "submitted",
            Status::Approved => "approved",
            Status::Exported => "exported",
            Status::Reconciled => "reconciled",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Status::Generated => "已生成",
            Status::Submitted => "已提交待审批",
            Status::Approved => "已审批",
            Status::Exported => "已导出银行文件",
            Status::Reconciled => "已对账",
        }
    }
    pub fn from_code(s: &str) -> Option<Status> {
        STATUSES.into_iter().find(|x| x.code() == s)
    }
}

/// A step a person takes on a payroll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Submit,
    Approve,
    /// 退回: the approver sends it back to be generated again, with a reason.
    Return,
}

impl Action {
    pub fn parse(s: &str) -> Option<Action> {
        match s {
            "submit" => Some(Action::Submit),
            "approve" => Some(Action::Approve),
            "return" => Some(Action::Return),
            _ => None,
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Action::Submit => "提交审批",
            Action::Approve => "审批通过",
            Action::Return => "退回",
        }
    }
}

/// Who did what so far, for the maker–checker rule.
pub struct Makers<'a> {
    pub generated_by: &'a str,
    pub submitted_by: Option<&'a str>,
    /// Whoever corrected a line of it.
    pub corrected_by: &'a [String],
}

/// The status an action leads to, or why it is refused. Maker and checker must differ:
/// whoever generated, submitted or corrected a payroll cannot approve it.
pub fn next(
    status: Status,
    action: Action,
    actor: &str,
    makers: &Makers,
) -> Result<Status, String> {
    match (status, action) {
        (Status::Generated, Action::Submit) => Ok(Status::Submitted),
        (Status::Submitted, Action::Approve) => {
            if actor == makers.generated_by
                || makers.submitted_by == Some(actor)
                || makers.corrected_by.iter().any(|c| c == actor)
            {
                Err(
                    "生成、提交或更正名册的人不能审批同一份名册，请由另一位审批人员审批。"
                        .to_string(),
                )
            } else {
                Ok(Status::Approved)
            }
        }
        (Status::Submitted, Action::Return) => Ok(Status::Generated),
        (s, a) => Err(format!("名册{}，不能{}。", s.label(), a.label())),
    }
}

/// A correction of one pending line before the bank file goes out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Correction {
    /// The amount was wrong: pay this instead.
    Amount(Fen),
    /// The line should not be paid in this payroll.
    Remove,
}

impl Correction {
    pub fn code(self) -> &'static str {
        match self {
            Correction::Amount(_) => "amount",
            Correction::Remove => "remove",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Correction::Amount(_) => "更正金额",
            Correction::Remove => "移出名册",
        }
    }

    /// Reads the form: `action` amount|remove, the new amount for `amount`, a reason.
    pub fn parse(action: &str, amount: &str, reason: &str) -> Result<(Correction, String), String> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 500 {
            return Err(
                "「更正原因」必填，不超过 500 字（如：复核后金额调整为 820 元）。".to_string(),
            );
        }
        let correction = match action.trim() {
            "amount" | "更正金额" => {
                let fen = Fen::parse_yuan(amount).map_err(|_| {
                    format!(
                        "「更正后金额」「{}」不是金额，请填写元，最多两位小数。",
                        amount.trim()
                    )
                })?;
                if fen.0 <= 0 {
                    return Err(
                        "「更正后金额」须大于 0；不应发放的请选择「移出名册」。".to_string()
                    );
                }
                Correction::Amount(fen)
            }
            "remove" | "移出名册" => Correction::Remove,
            other => {
                return Err(format!(
                    "「更正方式」「{other}」无法识别，请选择 更正金额 或 移出名册。"
                ));
            }
        };
        Ok((correction, reason.to_string()))
    }
}

/// Whether a payroll in `status` may still be corrected, and why not. Once the bank has
/// the file, a line is what the bank pays: failures come back in the return and are
/// re-issued; money paid wrongly is recovered (追回).
pub fn correctable(status: Status) -> Result<(), String> {
    match status {
        Status::Generated | Status::Submitted | Status::Approved => Ok(()),
        Status::Exported | Status::Reconciled => Err(format!(
            "名册{}，银行文件已发出，不能再更正：失败的笔数回盘后下月重发，多发的请在「异常发放」中认定后追回。",
            status.label()
        )),
    }
}

/// The bank reference of a line: what the bank's return file quotes back.
pub fn reference(line_id: i64) -> String {
    format!("MZ{line_id:010}")
}

pub fn parse_reference(s: &str) -> Option<i64> {
    let digits = s.trim().strip_prefix("MZ")?;
    if digits.len() != 10 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// A line as the bank file carries it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingLine {
    pub id: i64,
    pub amount: Fen,
}

/// One row of the bank's return file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Returned {
    /// Row number as the file shows it.
    pub row: usize,
    pub reference: String,
    pub amount: Fen,
    pub paid: bool,
    pub reason: String,
}

/// What reconciliation decides for each line: paid, or failed with the bank's reason.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub line_id: i64,
    pub paid: bool,
    pub reason: String,
}

/// Matches the bank's return against the payroll, to the fen. Every line must come back
/// exactly once with its amount, and nothing else may: otherwise the file is refused with
/// each problem and the difference between the totals.
pub fn reconcile(
    lines: &[PendingLine],
    returned: &[Returned],
) -> Result<Vec<Outcome>, Vec<String>> {
    let mut problems = Vec::new();
    let by_id: std::collections::HashMap<i64, Fen> =
        lines.iter().map(|l| (l.id, l.amount)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut outcomes = Vec::with_capacity(returned.len());
    for r in returned {
        let Some(id) = parse_reference(&r.reference) else {
            problems.push(format!(
                "第 {} 行：参考号「{}」不是本系统的参考号。",
                r.row, r.reference
            ));
            continue;
        };
        let Some(amount) = by_id.get(&id) else {
            problems.push(format!(
                "第 {} 行：参考号 {} 不在这份名册中。",
                r.row, r.reference
            ));
            continue;
        };
        if !seen.insert(id) {
            problems.push(format!(
                "第 {} 行：参考号 {} 重复出现。",
                r.row, r.reference
            ));
            continue;
        }
        if *amount != r.amount {
            problems.push(format!(
                "第 {} 行：参考号 {} 金额 {} 元，名册为 {} 元，相差 {} 元。",
                r.row,
                r.reference,
                r.amount,
                amount,
                r.amount - *amount
            ));
        }
        if !r.paid && r.reason.trim().is_empty() {
            problems.push(format!(
                "第 {} 行：参考号 {} 失败但没有写失败原因。",
                r.row, r.reference
            ));
        }
        outcomes.push(Outcome {
            line_id: id,
            paid: r.paid,
            reason: r.reason.trim().to_string(),
        });
    }
    let missing: Vec<&PendingLine> = lines.iter().filter(|l| !seen.contains(&l.id)).collect();
    if !missing.is_empty() {
        let first: Vec<String> = missing.iter().take(5).map(|l| reference(l.id)).collect();
        problems.push(format!(
            "名册中有 {} 笔没有回盘结果（如 {}）。",
            missing.len(),
            first.join("、")
        ));
    }
    let ours: Fen = lines.iter().map(|l| l.amount).sum();
    let theirs: Fen = returned.iter().map(|r| r.amount).sum();
    if !problems.is_empty() || ours != theirs {
        problems.push(format!(
            "合计：名册 {} 笔 {} 元，回盘 {} 笔 {} 元，相差 {} 元。",
            lines.len(),
            ours,
            returned.len(),
            theirs,
            theirs - ours
        ));
        return Err(problems);
    }
    Ok(outcomes)
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
