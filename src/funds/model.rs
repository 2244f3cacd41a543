//! Funds (DOMAIN.md §7): what a budget line and an allocation are, the checks on what is
//! entered, and the execution arithmetic. Pure: no I/O.
//!
//! Rates, as the bureau's finance section reads them (财政部门的口径):
//! - 到位率 (allocation rate) = allocated ÷ budget: how much of the year's budget has
//!   arrived from each level of government;
//! - 执行率 (execution rate) = spent ÷ allocated: how much of the money that arrived has
//!   been paid out. Spending is not split by source (a payment is not earmarked), so this
//!   rate is per program and district, never per source.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

use crate::money::Fen;

/// The program a fund pays for: the two monthly benefits and temporary assistance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FundProgram {
    Dibao,
    Tekun,
    Temporary,
}

pub const PROGRAMS: [FundProgram; 3] = [
    FundProgram::Dibao,
    FundProgram::Tekun,
    FundProgram::Temporary,
];

impl FundProgram {
    pub fn code(self) -> &'static str {
        match self {
            FundProgram::Dibao => "dibao",
            FundProgram::Tekun => "tekun",
            FundProgram::Temporary => "temporary",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FundProgram::Dibao => "最低生活保障",
            FundProgram::Tekun => "特困人员救助供养",
            FundProgram::Temporary => "临时救助",
        }
    }
    pub fn parse(s: &str) -> Option<FundProgram> {
        let s = s.trim();
        PROGRAMS
            .into_iter()
            .find(|p| p.code() == s || p.label() == s || short(p.code()) == s)
    }
}

/// The short names caseworkers type: 低保, 特困, 临时救助.
fn short(code: &str) -> &'static str {
    match code {
        "dibao" => "低保",
        "tekun" => "特困",
        _ => "临时救助",
    }
}

/// The level of government a fund comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FundSource {
    Central,
    Province,
    City,
    District,
}

pub const SOURCES: [FundSource; 4] = [
    FundSource::Central,
    FundSource::Province,
    FundSource::City,
    FundSource::District,
];

impl FundSource {
    pub fn code(self) -> &'static str {
        match self {
            FundSource::Central => "central",
            FundSource::Province => "province",
            FundSource::City => "city",
            FundSource::District => "district",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            FundSource::Central => "中央",
            FundSource::Province => "省级",
            FundSource::City => "市级",
            FundSource::District => "区县级",
        }
    }
    pub fn parse(s: &str) -> Option<FundSource> {
        let s = s.trim();
        SOURCES
            .into_iter()
            .find(|x| x.code() == s || x.label() == s || x.label().trim_end_matches('级') == s)
    }
}

fn program_field(s: &str) -> Result<FundProgram, String> {
    FundProgram::parse(s).ok_or_else(|| {
        format!(
            "「项目」「{}」无法识别，请填写 低保、特困 或 临时救助。",
            s.trim()
        )
    })
}

fn source_field(s: &str) -> Result<FundSource, String> {
    FundSource::parse(s).ok_or_else(|| {
        format!(
            "「资金来源」「{}」无法识别，请填写 中央、省级、市级 或 区县级。",
            s.trim()
        )
    })
}

fn year_field(s: &str, today: NaiveDate) -> Result<i32, String> {
    let year: i32 = s.trim().parse().map_err(|_| {
        format!(
            "「预算年度」「{}」不是年份，请填写四位数字，如 {}。",
            s.trim(),
            today.year()
        )
    })?;
    // Budgets are made a year ahead at most; older years are kept for the record.
    if !(2000..=today.year() + 1).contains(&year) {
        return Err(format!(
            "「预算年度」{year} 超出范围，请填写 2000 至 {} 之间的年份。",
            today.year() + 1
        ));
    }
    Ok(year)
}

fn amount_field(label: &str, s: &str, zero_allowed: bool) -> Result<Fen, String> {
    let amount = Fen::parse_yuan(s.trim().trim_end_matches('元').replace(',', "").as_str())
        .map_err(|_| {
            format!(
                "「{label}」「{}」不是金额，请填写元，最多两位小数，如 1250000.00。",
                s.trim()
            )
        })?;
    if amount.0 < 0 || (!zero_allowed && amount.0 == 0) {
        let floor = if zero_allowed {
            "不能为负"
        } else {
            "须大于 0"
        };
        return Err(format!("「{label}」{floor}。"));
    }
    Ok(amount)
}

/// A budget line as entered: a program's budget in a district for a year from one source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BudgetLine {
    pub year: i32,
    pub program: FundProgram,
    pub source: FundSource,
    pub amount: Fen,
}

impl BudgetLine {
    pub fn parse(
        year: &str,
        program: &str,
        source: &str,
        amount: &str,
        today: NaiveDate,
    ) -> Result<BudgetLine, String> {
        Ok(BudgetLine {
            year: year_field(year, today)?,
            program: program_field(program)?,
            source: source_field(source)?,
            amount: amount_field("预算金额", amount, true)?,
        })
    }
}

/// An allocation (资金下达) as entered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewAllocation {
    pub year: i32,
    pub program: FundProgram,
    pub source: FundSource,
    pub amount: Fen,
    pub allocated_on: NaiveDate,
    pub document_no: String,
}

impl NewAllocation {
    pub fn parse(
        year: &str,
        program: &str,
        source: &str,
        amount: &str,
        allocated_on: &str,
        document_no: &str,
        today: NaiveDate,
    ) -> Result<NewAllocation, String> {
        let year = year_field(year, today)?;
        let allocated_on = crate::calendar::parse_date(allocated_on).ok_or_else(|| {
            format!(
                "「下达日期」「{}」不是日期，请按 2026-07-15 的格式填写。",
                allocated_on.trim()
            )
        })?;
        if allocated_on > today {
            return Err(format!(
                "「下达日期」{allocated_on} 晚于今天，资金到位后再登记。"
            ));
        }
        // Funds for a year are often issued in advance (提前下达) in the year before.
        if allocated_on.year() < year - 1 || allocated_on.year() > year {
            return Err(format!(
                "「下达日期」{allocated_on} 与预算年度 {year} 不符：应在 {} 年或提前下达的 {} 年内。",
                year,
                year - 1
            ));
        }
        let document_no = document_no.trim();
        if document_no.is_empty() || document_no.chars().count() > 100 {
            return Err("「下达文号」必填（如 财社〔2026〕12号），不超过 100 字。".to_string());
        }
        Ok(NewAllocation {
            year,
            program: program_field(program)?,
            source: source_field(source)?,
            amount: amount_field("下达金额", amount, false)?,
            allocated_on,
            document_no: document_no.to_string(),
        })
    }
}

/// A percentage with one decimal, none when the whole is zero (no budget, nothing
/// allocated): "not applicable", never 0%.
pub fn rate(part: Fen, whole: Fen) -> Option<f64> {
    (whole.0 > 0).then(|| (part.0 as f64 / whole.0 as f64 * 1000.0).round() / 10.0)
}

/// One program's funds in one district (or summed over several) for a year.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Execution {
    pub budget: Fen,
    pub allocated: Fen,
    pub spent: Fen,
}

impl Execution {
    pub fn allocation_rate(&self) -> Option<f64> {
        rate(self.allocated, self.budget)
    }
    pub fn execution_rate(&self) -> Option<f64> {
        rate(self.spent, self.allocated)
    }
    /// Money arrived and not yet paid out (negative: paid ahead of the allocation).
    pub fn balance(&self) -> Fen {
        self.allocated - self.spent
    }
    pub fn add(&mut self, other: &Execution) {
        self.budget += other.budget;
        self.allocated += other.allocated;
        self.spent += other.spent;
    }
}

/// A rate as the page prints it.
pub fn show_rate(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.1}%"))
        .unwrap_or_else(|| "—".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn rates_are_one_decimal_and_empty_without_a_whole() {
        let e = Execution {
            budget: Fen::from_yuan(1_200_000),
            allocated: Fen::from_yuan(900_000),
            spent: Fen::from_yuan(612_345),
        };
        assert_eq!(e.allocation_rate(), Some(75.0));
        // 612,345 / 900,000 = 68.0383…%
        assert_eq!(e.execution_rate(), Some(68.0));
        assert_eq!(e.balance(), Fen::from_yuan(287_655));
        assert_eq!(show_rate(e.execution_rate()), "68.0%");
        let none = Execution {
            spent: Fen(100),
            ..Execution::default()
        };
        assert_eq!(none.execution_rate(), None);
        assert_eq!(none.allocation_rate(), None);
        assert_eq!(show_rate(None), "—");
        // Paid ahead of the money arriving: over 100%, and a negative balance.
        let ahead = Execution {
            budget: Fen::from_yuan(100),
            allocated: Fen::from_yuan(40),
            spent: Fen::from_yuan(50),
        };
        assert_eq!(ahead.execution_rate(), Some(125.0));
        assert_eq!(ahead.balance(), Fen::from_yuan(-10));
    }

    #[test]
    fn a_budget_line_reads_codes_and_labels() {
        let today = day("2026-11-29");
        let b = BudgetLine::parse("2026", "低保", "中央", "1,250,000.50", today).unwrap();
        assert_eq!(b.program, FundProgram::Dibao);
        assert_eq!(b.source, FundSource::Central);
        assert_eq!(b.amount, Fen(125_000_050));
        let b = BudgetLine::parse("2027", "temporary", "区县", "0", today).unwrap();
        assert_eq!(
            (b.year, b.source, b.amount),
            (2027, FundSource::District, Fen(0))
        );
    }

    #[test]
    fn bad_budget_input_names_the_field() {
        let today = day("2026-11-29");
        let err = |y, p, s, a| BudgetLine::parse(y, p, s, a, today).unwrap_err();
        assert!(err("26", "低保", "中央", "1").contains("「预算年度」"));
        assert!(err("2028", "低保", "中央", "1").contains("2000 至 2027"));
        assert!(err("2026", "医疗救助", "中央", "1").contains("「项目」「医疗救助」"));
        assert!(err("2026", "低保", "乡镇", "1").contains("「资金来源」「乡镇」"));
        assert!(err("2026", "低保", "中央", "-5").contains("不能为负"));
        assert!(err("2026", "低保", "中央", "abc").contains("「预算金额」「abc」"));
    }

    #[test]
    fn an_allocation_needs_a_date_in_its_year_and_a_document() {
        let today = day("2026-11-29");
        let ok =
            |y, on| NewAllocation::parse(y, "特困", "省级", "5000", on, "财社〔2026〕3号", today);
        let a = ok("2026", "2026-03-01").unwrap();
        assert_eq!(a.amount, Fen::from_yuan(5000));
        assert_eq!(a.source, FundSource::Province);
        // Issued in advance the year before: accepted.
        assert!(ok("2027", "2026-11-20").is_ok());
        assert!(ok("2026", "2024-12-31").unwrap_err().contains("提前下达"));
        assert!(ok("2026", "2026-11-30").unwrap_err().contains("晚于今天"));
        assert!(ok("2026", "2026/3/1").is_ok());
        assert!(ok("2026", "三月一日").unwrap_err().contains("「下达日期」"));
        let no_doc = NewAllocation::parse("2026", "低保", "中央", "1", "2026-01-05", " ", today);
        assert!(no_doc.unwrap_err().contains("「下达文号」"));
        let zero = NewAllocation::parse("2026", "低保", "中央", "0", "2026-01-05", "x", today);
        assert!(zero.unwrap_err().contains("须大于 0"));
    }
}
