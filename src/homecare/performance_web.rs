//! Provider performance for a month (orders, served, response times, ratings,
//! complaints, spending and subsidy) and meal counts (老年助餐): meals served per
//! provider per day, both over the older people in the user's scope.

use std::collections::HashMap;

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{Datelike, Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::{MealLine, Performance, meal_table, performance};
use super::web::READ;
use super::{order_store, store};
use crate::AppState;
use crate::auth::{CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new().get("/homecare/performance", READ, page).get(
        "/api/v1/homecare/performance",
        READ,
        api,
    )
}

#[derive(Deserialize)]
pub struct MonthQuery {
    #[serde(default)]
    month: String,
}

/// A provider's line with its name.
#[derive(Serialize)]
struct Line {
    name: String,
    #[serde(flatten)]
    figures: Performance,
}

#[derive(Serialize)]
struct MealRow {
    name: String,
    #[serde(flatten)]
    line: MealLine,
}

struct Figures {
    month: String,
    lines: Vec<Line>,
    days: Vec<NaiveDate>,
    meals: Vec<MealRow>,
}

async fn gather(state: &AppState, user: &CurrentUser, q: &MonthQuery) -> AppResult<Figures> {
    let today = state.clock.today();
    let first = if q.month.trim().is_empty() {
        today.with_day(1).unwrap_or(today)
    } else {
        NaiveDate::parse_from_str(&format!("{}-01", q.month.trim()), "%Y-%m-%d").map_err(|_| {
            AppError::Invalid(format!(
                "「月份」应写成 2026-11 的形式，收到「{}」。",
                q.month.trim()
            ))
        })?
    };
    let next = first + Months::new(1);
    let month = super::allowance::month_of(first);
    let bounds = user.scope_bounds();
    let names: HashMap<i64, String> = store::providers(&state.db)
        .await?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let name = |id: i64| names.get(&id).cloned().unwrap_or_default();
    let facts = order_store::order_facts(&state.db, &bounds, &month).await?;
    let lines = performance(&facts)
        .into_iter()
        .map(|p| Line {
            name: name(p.provider_id),
            figures: p,
        })
        .collect();
    let counts =
        order_store::meal_counts(&state.db, &bounds, (&first.to_string(), &next.to_string()))
            .await?;
    // Only the days with meals, in order.
    let mut days: Vec<NaiveDate> = counts.iter().map(|c| c.day).collect();
    days.sort();
    days.dedup();
    let meals = meal_table(&counts, &days)
        .into_iter()
        .map(|line| MealRow {
            name: name(line.provider_id),
            line,
        })
        .collect();
    Ok(Figures {
        month,
        lines,
        days,
        meals,
    })
}

#[derive(Template)]
#[template(path = "homecare/performance.html")]
struct PerformancePage {
    page: PageCtx,
    month: String,
    lines: Vec<Line>,
    meals: Vec<MealRow>,
    /// Per day: the day, each provider's meals (in the order of `meals`), the total.
    rows: Vec<(NaiveDate, Vec<i64>, i64)>,
    grand_total: i64,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> AppResult<Html<String>> {
    let f = gather(&state, &user, &q).await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "homecare_performance",
        "服务商绩效与助餐",
        vec![Crumb::here("服务商绩效与助餐")],
    )
    .await?;
    let rows: Vec<(NaiveDate, Vec<i64>, i64)> = f
        .days
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let counts: Vec<i64> = f
                .meals
                .iter()
                .map(|m| m.line.per_day.get(i).copied().unwrap_or(0))
                .collect();
            let total = counts.iter().sum();
            (*d, counts, total)
        })
        .collect();
    render(PerformancePage {
        page,
        month: f.month,
        lines: f.lines,
        meals: f.meals,
        grand_total: rows.iter().map(|r| r.2).sum(),
        rows,
    })
}

async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<MonthQuery>,
) -> AppResult<Json<Value>> {
    let f = gather(&state, &user, &q).await?;
    Ok(Json(json!({
        "month": f.month,
        "providers": f.lines,
        "meals": {
            "days": f.days.iter().map(|d| d.to_string()).collect::<Vec<_>>(),
            "providers": f.meals,
        },
    })))
}
