//! Demo funds: last year's and this year's budget of each program in each district, sized
//! from what the demo's payrolls and temporary grants actually paid, split over the four
//! sources, and allocations in tranches up to today (central money partly in advance the
//! year before). One district lags: its provincial money has not all arrived.

use std::collections::HashMap;

use chrono::{Datelike, NaiveDate};
use sqlx::Row;

use super::model::{BudgetLine, FundProgram, FundSource, NewAllocation, PROGRAMS};
use super::store;
use crate::demo::{DemoContext, DemoFuture};
use crate::money::Fen;

/// Each source's share of a budget, in percent: the usual split for basic assistance.
const SHARES: [(FundSource, i64); 4] = [
    (FundSource::Central, 50),
    (FundSource::Province, 20),
    (FundSource::City, 15),
    (FundSource::District, 15),
];

/// Tranches of a source's budget: (month, day, percent, in the year before).
const TRANCHES: [(u32, u32, i64, bool); 3] =
    [(11, 15, 40, true), (3, 20, 35, false), (7, 10, 25, false)];

fn round_to_ten_thousand(f: Fen) -> Fen {
    Fen((f.0 + 500_000) / 1_000_000 * 1_000_000)
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let by = "demo";
        let at = ctx.now.to_rfc3339();
        // A year's need per district and program: the last twelve months actually paid.
        let mut need: HashMap<(String, FundProgram), Fen> = HashMap::new();
        let paid = sqlx::query(
            "SELECT district_code, program, CAST(SUM(paid_amount) AS BIGINT) FROM payrolls \
             WHERE status = 'reconciled' GROUP BY district_code, program",
        )
        .fetch_all(&mut *ctx.tx)
        .await?;
        let since = ctx.today - chrono::Days::new(365);
        let temporary = sqlx::query(
            "SELECT substr(region_code, 1, 6), 'temporary', CAST(SUM(amount) AS BIGINT) FROM temporary_grants \
             WHERE status = 'valid' AND grant_date > $1 GROUP BY substr(region_code, 1, 6)",
        )
        .bind(since.to_string())
        .fetch_all(&mut *ctx.tx)
        .await?;
        for r in paid.iter().chain(&temporary) {
            let program =
                FundProgram::parse(&r.try_get::<String, _>(1)?).unwrap_or(FundProgram::Dibao);
            let amount = Fen(r.try_get::<Option<i64>, _>(2)?.unwrap_or(0));
            need.insert((r.try_get(0)?, program), amount);
        }
        let districts: Vec<(String,)> =
            sqlx::query_as("SELECT code FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let (mut budgets, mut allocations) = (0, 0);
        let this_year = ctx.today.year();
        for (i, (code,)) in districts.iter().enumerate() {
            for program in PROGRAMS {
                let yearly = need
                    .get(&(code.clone(), program))
                    .copied()
                    .unwrap_or_default();
                // Budgeted with a margin of a tenth; at least 100,000 yuan a program.
                let total =
                    round_to_ten_thousand(Fen(yearly.0 * 11 / 10)).max(Fen::from_yuan(100_000));
                for year in [this_year - 1, this_year] {
                    for (source, share) in SHARES {
                        let amount = Fen(total.0 * share / 100);
                        let line = BudgetLine {
                            year,
                            program,
                            source,
                            amount,
                        };
                        store::set_budget(&mut ctx.tx, code, &line, by, &at).await?;
                        budgets += 1;
                        for (n, (month, day, pct, before)) in TRANCHES.iter().enumerate() {
                            // The lagging district's last provincial tranche has not come.
                            if i == 1 && source == FundSource::Province && n == 2 {
                                continue;
                            }
                            let on_year = if *before { year - 1 } else { year };
                            let Some(on) = NaiveDate::from_ymd_opt(on_year, *month, *day) else {
                                continue;
                            };
                            if on > ctx.today {
                                continue;
                            }
                            let a = NewAllocation {
                                year,
                                program,
                                source,
                                amount: Fen(amount.0 * pct / 100),
                                allocated_on: on,
                                document_no: format!(
                                    "{}〔{on_year}〕{}号",
                                    match source {
                                        FundSource::Central => "财社",
                                        FundSource::Province => "省财社",
                                        FundSource::City => "市财社",
                                        FundSource::District => "区财社",
                                    },
                                    10 + n * 7 + i
                                ),
                            };
                            store::add_allocation(&mut ctx.tx, code, &a, by, &at).await?;
                            allocations += 1;
                        }
                    }
                }
            }
        }
        Ok(format!(
            "资金保障：{budgets} 条预算（{} 个区县、两个年度、三个项目、四级来源），{allocations} 笔资金下达",
            districts.len()
        ))
    })
}
