//! `/calendar`: the year's holiday table and a deadline calculator for caseworkers.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Html;
use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use super::parse_date;
use super::store::load_calendar;
use crate::AppState;
use crate::auth::{Access, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new().get(
        "/calendar",
        Access::Perm("calendar:holiday:read"),
        calendar_page,
    )
}

#[derive(Deserialize, Default)]
struct CalendarQuery {
    year: Option<i32>,
    from: Option<String>,
    days: Option<String>,
}

struct DayRow {
    date: String,
    weekday: &'static str,
    kind: &'static str,
}

struct Calculation {
    from: String,
    days: u32,
    due: String,
    due_weekday: &'static str,
    /// Years the range touches for which no holiday has been imported.
    missing_years: String,
}

#[derive(Template)]
#[template(path = "calendar/index.html")]
struct CalendarPage {
    page: PageCtx,
    year: i32,
    rows: Vec<DayRow>,
    from: String,
    days: String,
    calculation: Option<Calculation>,
}

const WEEKDAYS: [&str; 7] = ["周一", "周二", "周三", "周四", "周五", "周六", "周日"];

fn weekday(d: NaiveDate) -> &'static str {
    WEEKDAYS[d.weekday().num_days_from_monday() as usize]
}

async fn calendar_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<CalendarQuery>,
) -> AppResult<Html<String>> {
    let today = state.clock.today();
    let year = q.year.unwrap_or(today.year());
    if !(1900..=2200).contains(&year) {
        return Err(AppError::BadRequest(format!(
            "年份 {year} 超出范围，请填写 1900–2200 之间的年份。"
        )));
    }
    let calendar = load_calendar(&state.db).await?;
    let rows = calendar
        .exceptions()
        .filter(|(d, _)| d.year() == year)
        .map(|(d, k)| DayRow {
            date: d.to_string(),
            weekday: weekday(d),
            kind: k.label(),
        })
        .collect();
    let from_text = q.from.unwrap_or_default();
    let days_text = q.days.unwrap_or_default();
    let calculation = if from_text.is_empty() && days_text.is_empty() {
        None
    } else {
        let from = parse_date(&from_text).ok_or_else(|| {
            AppError::BadRequest(format!(
                "起算日期「{from_text}」不是有效日期，请写成 2026-10-08 的形式。"
            ))
        })?;
        let days: u32 = days_text
            .trim()
            .parse()
            .ok()
            .filter(|d| *d <= 1000)
            .ok_or_else(|| {
                AppError::BadRequest(format!("工作日数「{days_text}」应为 0–1000 的整数。"))
            })?;
        let due = calendar.add_working_days(from, days);
        let missing: Vec<String> = (from.year()..=due.year())
            .filter(|y| !calendar.exceptions().any(|(d, _)| d.year() == *y))
            .map(|y| y.to_string())
            .collect();
        Some(Calculation {
            from: from.to_string(),
            days,
            due: due.to_string(),
            due_weekday: weekday(due),
            missing_years: missing.join("、"),
        })
    };
    let page = PageCtx::load(
        &state,
        Some(&user),
        "calendar",
        "工作日历",
        vec![Crumb::here("工作日历")],
    )
    .await?;
    render(CalendarPage {
        page,
        year,
        rows,
        from: from_text,
        days: days_text,
        calculation,
    })
}
