//! A year's funds per district and program, by source: budget, allocated, spent and the
//! rates. `assemble` is pure (it takes the rows and does the sums, so a test can check
//! every number by hand); `year` reads the rows for it.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use super::model::{Execution, FundProgram, FundSource, PROGRAMS, SOURCES};
use super::store::{self, Allocation, BudgetRow};
use crate::db::Db;
use crate::money::Fen;
use crate::region::Region;

#[derive(Clone, Debug, Serialize)]
pub struct SourceLine {
    pub source: FundSource,
    pub label: &'static str,
    pub budget: Fen,
    pub allocated: Fen,
}

#[derive(Clone, Debug, Serialize)]
pub struct ProgramFunds {
    pub program: FundProgram,
    pub label: &'static str,
    pub execution: Execution,
    pub by_source: Vec<SourceLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DistrictFunds {
    pub code: String,
    pub name: String,
    pub programs: Vec<ProgramFunds>,
    pub total: Execution,
}

#[derive(Clone, Debug, Serialize)]
pub struct FundsYear {
    pub year: i32,
    /// Allocations and spending are counted up to this day.
    pub until: String,
    pub districts: Vec<DistrictFunds>,
    /// Each program over all the districts.
    pub programs: Vec<ProgramFunds>,
    pub total: Execution,
}

fn program_funds(
    program: FundProgram,
    budgets: &[&BudgetRow],
    allocations: &[&Allocation],
    spent: Fen,
) -> ProgramFunds {
    let by_source: Vec<SourceLine> = SOURCES
        .iter()
        .map(|s| SourceLine {
            source: *s,
            label: s.label(),
            budget: budgets
                .iter()
                .filter(|b| b.program == program && b.source == *s)
                .map(|b| b.amount)
                .sum(),
            allocated: allocations
                .iter()
                .filter(|a| a.program == program && a.source == *s)
                .map(|a| a.amount)
                .sum(),
        })
        .collect();
    ProgramFunds {
        program,
        label: program.label(),
        execution: Execution {
            budget: by_source.iter().map(|s| s.budget).sum(),
            allocated: by_source.iter().map(|s| s.allocated).sum(),
            spent,
        },
        by_source,
    }
}

/// Sums the rows per district and program. Allocations dated after `until` are left
/// out (a report for an earlier quarter does not see money that arrived later).
pub fn assemble(
    year: i32,
    until: NaiveDate,
    districts: &[(String, String)],
    budgets: &[BudgetRow],
    allocations: &[Allocation],
    spent: &HashMap<(String, FundProgram), Fen>,
) -> FundsYear {
    let until_text = until.to_string();
    let arrived: Vec<&Allocation> = allocations
        .iter()
        .filter(|a| a.allocated_on <= until_text)
        .collect();
    let districts: Vec<DistrictFunds> = districts
        .iter()
        .map(|(code, name)| {
            let b: Vec<&BudgetRow> = budgets
                .iter()
                .filter(|b| &b.district_code == code)
                .collect();
            let a: Vec<&Allocation> = arrived
                .iter()
                .copied()
                .filter(|a| &a.district_code == code)
                .collect();
            let programs: Vec<ProgramFunds> = PROGRAMS
                .iter()
                .map(|p| {
                    let s = spent.get(&(code.clone(), *p)).copied().unwrap_or_default();
                    program_funds(*p, &b, &a, s)
                })
                .collect();
            let mut total = Execution::default();
            programs.iter().for_each(|p| total.add(&p.execution));
            DistrictFunds {
                code: code.clone(),
                name: name.clone(),
                programs,
                total,
            }
        })
        .collect();
    let programs: Vec<ProgramFunds> = PROGRAMS
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut sum = ProgramFunds {
                program: *p,
                label: p.label(),
                execution: Execution::default(),
                by_source: SOURCES
                    .iter()
                    .map(|s| SourceLine {
                        source: *s,
                        label: s.label(),
                        budget: Fen::ZERO,
                        allocated: Fen::ZERO,
                    })
                    .collect(),
            };
            for d in &districts {
                let one = &d.programs[i];
                sum.execution.add(&one.execution);
                for (acc, s) in sum.by_source.iter_mut().zip(&one.by_source) {
                    acc.budget += s.budget;
                    acc.allocated += s.allocated;
                }
            }
            sum
        })
        .collect();
    let mut total = Execution::default();
    programs.iter().for_each(|p| total.add(&p.execution));
    FundsYear {
        year,
        until: until_text,
        districts,
        programs,
        total,
    }
}

/// The funds of `year` for `districts`, counted up to `until` (at most the year's end).
pub async fn year(
    db: &Db,
    year: i32,
    until: NaiveDate,
    districts: &[Region],
    bounds: &(String, String),
) -> Result<FundsYear, sqlx::Error> {
    let first = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(until);
    let last = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(until);
    let until = until.min(last);
    let budgets = store::budgets(db, year, bounds).await?;
    let allocations = store::allocations(db, year, bounds).await?;
    let spent = store::spent(db, first, until, bounds).await?;
    let names: Vec<(String, String)> = districts
        .iter()
        .map(|d| (d.code.to_string(), d.name.clone()))
        .collect();
    Ok(assemble(
        year,
        until,
        &names,
        &budgets,
        &allocations,
        &spent,
    ))
}

/// One program's funds for a quarter's report: spent in the quarter, and the year to the
/// quarter's end.
#[derive(Clone, Debug)]
pub struct QuarterFunds {
    pub program: FundProgram,
    pub spent_in_quarter: Fen,
    pub year_to_date: Execution,
}

/// The funds of a city's or a district's report for the quarter `[first, last]` (none
/// below a district: budgets are a district's).
pub async fn for_quarter(
    db: &Db,
    first: NaiveDate,
    last: NaiveDate,
    region: &Region,
) -> Result<Option<Vec<QuarterFunds>>, sqlx::Error> {
    use crate::region::Level;
    let districts: Vec<Region> = match region.level {
        Level::City => crate::region::store::subtree(db, &region.code)
            .await?
            .into_iter()
            .filter(|r| r.level == Level::District)
            .collect(),
        Level::District => vec![region.clone()],
        _ => return Ok(None),
    };
    let bounds = region.code.scope().sql_bounds();
    let ytd = year(db, chrono::Datelike::year(&last), last, &districts, &bounds).await?;
    let quarter = store::spent(db, first, last, &bounds).await?;
    Ok(Some(
        ytd.programs
            .iter()
            .map(|p| QuarterFunds {
                program: p.program,
                spent_in_quarter: quarter
                    .iter()
                    .filter(|((_, program), _)| *program == p.program)
                    .map(|(_, f)| *f)
                    .sum(),
                year_to_date: p.execution,
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget(district: &str, program: FundProgram, source: FundSource, yuan: i64) -> BudgetRow {
        BudgetRow {
            year: 2026,
            district_code: district.into(),
            program,
            source,
            amount: Fen::from_yuan(yuan),
            updated_by: "t".into(),
            updated_at: "t".into(),
        }
    }

    fn allocation(
        district: &str,
        program: FundProgram,
        source: FundSource,
        yuan: i64,
        on: &str,
    ) -> Allocation {
        Allocation {
            id: 0,
            year: 2026,
            district_code: district.into(),
            program,
            source,
            amount: Fen::from_yuan(yuan),
            allocated_on: on.into(),
            document_no: "x".into(),
            created_by: "t".into(),
            created_at: "t".into(),
        }
    }

    #[test]
    fn sums_by_source_program_and_district_up_to_the_day() {
        use FundProgram::*;
        use FundSource::*;
        let districts = vec![
            ("369902".to_string(), "东湖区".to_string()),
            ("369921".to_string(), "青山县".to_string()),
        ];
        let budgets = vec![
            budget("369902", Dibao, Central, 600_000),
            budget("369902", Dibao, District, 400_000),
            budget("369921", Dibao, Central, 300_000),
            budget("369921", Temporary, City, 50_000),
        ];
        let allocations = vec![
            allocation("369902", Dibao, Central, 300_000, "2026-02-01"),
            allocation("369902", Dibao, District, 100_000, "2026-06-30"),
            // After the day: not counted yet.
            allocation("369902", Dibao, District, 100_000, "2026-07-01"),
            allocation("369921", Temporary, City, 20_000, "2025-12-20"),
        ];
        let spent = HashMap::from([
            (("369902".to_string(), Dibao), Fen::from_yuan(250_000)),
            (("369921".to_string(), Temporary), Fen::from_yuan(25_000)),
            (("369921".to_string(), Tekun), Fen::from_yuan(8_000)),
        ]);
        let y = assemble(
            2026,
            "2026-06-30".parse().unwrap(),
            &districts,
            &budgets,
            &allocations,
            &spent,
        );
        let east = &y.districts[0].programs[0];
        assert_eq!(east.execution.budget, Fen::from_yuan(1_000_000));
        assert_eq!(east.execution.allocated, Fen::from_yuan(400_000));
        assert_eq!(east.execution.allocation_rate(), Some(40.0));
        // 250,000 / 400,000
        assert_eq!(east.execution.execution_rate(), Some(62.5));
        assert_eq!(east.by_source[0].allocated, Fen::from_yuan(300_000));
        assert_eq!(east.by_source[3].budget, Fen::from_yuan(400_000));
        // 青山县: temporary assistance paid beyond what arrived; 特困 spent without budget.
        let qs = &y.districts[1];
        assert_eq!(qs.programs[2].execution.execution_rate(), Some(125.0));
        assert_eq!(qs.programs[1].execution.spent, Fen::from_yuan(8_000));
        assert_eq!(qs.programs[1].execution.execution_rate(), None);
        assert_eq!(qs.total.spent, Fen::from_yuan(33_000));
        // City: 低保 budget 1,300,000, allocated 400,000, spent 250,000.
        assert_eq!(y.programs[0].execution.budget, Fen::from_yuan(1_300_000));
        assert_eq!(y.programs[0].by_source[0].budget, Fen::from_yuan(900_000));
        assert_eq!(y.total.allocated, Fen::from_yuan(420_000));
        assert_eq!(y.total.spent, Fen::from_yuan(283_000));
        // 283,000 / 420,000 = 67.38…%
        assert_eq!(y.total.execution_rate(), Some(67.4));
    }
}
