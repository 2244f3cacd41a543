use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;
use serde_json::json;

use super::layout::PageCtx;
use crate::AppState;
use crate::assistance::workbench::CaseLine;
use crate::auth::CurrentUser;
use crate::auth::roles::Role;
use crate::error::AppResult;
use crate::region::Region;
use crate::region::tree::TreeCounts;
use crate::web::layout::render;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageCtx,
    counts: Option<TreeCounts>,
    scope_code: String,
    scope_name: String,
    role_label: &'static str,
    holidays_this_year: usize,
    year: i32,
    backend: &'static str,
    tree_loaded: bool,
    queue: Option<Queue>,
    leader: Option<Leader>,
}

/// A caseworker's part of the home page: the first of their queue and what is late.
struct Queue {
    lines: Vec<CaseLine>,
    total: usize,
    overdue: usize,
    reviews_due: i64,
    gradual_ended: usize,
    advances_overdue: usize,
    temporary_requests: i64,
}

/// Cases shown on the home page; the workbench lists them all.
const QUEUE_LINES: usize = 8;

/// A leader's part: this quarter against the previous one and a year before, the trend
/// and (with the balance permission) the districts side by side.
struct Leader {
    title: String,
    /// This quarter so far, the same days of the previous quarter, of a year before.
    periods: [String; 3],
    rows: Vec<crate::report::dashboard::Comparison>,
    trends: Vec<String>,
    bars: Vec<String>,
}

async fn queue(state: &AppState, user: &CurrentUser) -> AppResult<Queue> {
    let w = crate::assistance::workbench::workbench(state, user, "", None).await?;
    Ok(Queue {
        total: w.queue.len(),
        overdue: w.overdue.len(),
        reviews_due: w.reviews_due_total,
        gradual_ended: w.gradual_ended.len(),
        advances_overdue: w.advances.iter().filter(|a| a.overdue).count(),
        temporary_requests: w.temporary_requests,
        // Late cases first, then by due date.
        lines: {
            let mut lines = w.queue;
            // Cases without a deadline go last.
            lines.sort_by(|a, b| {
                b.overdue
                    .cmp(&a.overdue)
                    .then(a.due_on.is_empty().cmp(&b.due_on.is_empty()))
                    .then(a.due_on.cmp(&b.due_on))
            });
            lines.truncate(QUEUE_LINES);
            lines
        },
    })
}

async fn leader(state: &AppState, user: &CurrentUser, region: &Region) -> AppResult<Leader> {
    use crate::report::{Quarter, balance_data, balance_web, dashboard, trend};
    let today = state.clock.today();
    let figures = dashboard::compare(&state.db, region, today).await?;
    // Charts end with the last whole quarter: a quarter under way would look like a fall.
    let last_whole = Quarter::of(today).previous();
    let city = crate::region::store::city(&state.db).await?;
    let (t, bars) = match city {
        Some(city) if user.can("report:balance:read") => {
            if city.code == region.code {
                let (b, t) = balance_data::analyse_with_trend(
                    &state.db,
                    last_whole,
                    &city,
                    balance_web::TREND_QUARTERS,
                )
                .await?;
                (t, balance_web::district_charts(&b))
            } else {
                let t = trend::trend(&state.db, region, last_whole, balance_web::TREND_QUARTERS)
                    .await?;
                let b = balance_data::analyse(&state.db, last_whole, &city).await?;
                (t, balance_web::district_charts(&b))
            }
        }
        _ => (
            trend::trend(&state.db, region, last_whole, balance_web::TREND_QUARTERS).await?,
            Vec::new(),
        ),
    };
    Ok(Leader {
        title: format!(
            "{} · {}（截至 {today}）",
            region.name,
            figures.quarter.label()
        ),
        periods: figures.periods,
        rows: figures.rows,
        trends: balance_web::trend_charts(&t),
        bars,
    })
}

pub async fn home(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let page = PageCtx::load(&state, Some(&user), "home", "首页", vec![]).await?;
    let tree_loaded = crate::region::store::city(&state.db).await?.is_some();
    let scope_node = crate::region::store::get(&state.db, user.region.as_str()).await?;
    let counts = if user.can("region:tree:read") {
        let nodes = crate::region::store::subtree(&state.db, &user.region).await?;
        crate::region::tree::counts(&nodes).remove(user.region.as_str())
    } else {
        None
    };
    let year = state.clock.today().year();
    let calendar = crate::calendar::store::load_calendar(&state.db).await?;
    let holidays_this_year = calendar
        .exceptions()
        .filter(|(d, _)| d.year() == year)
        .count();
    let queue = match user.role {
        Role::CommunityWorker
        | Role::StreetCaseworker
        | Role::DistrictReviewer
        | Role::DistrictApprover
            if tree_loaded =>
        {
            Some(queue(&state, &user).await?)
        }
        // The city takes no case steps but decides 临时救助 above the district's level:
        // its queue shows when something waits.
        Role::CityAdmin if tree_loaded => {
            Some(queue(&state, &user).await?).filter(|q| q.total > 0 || q.temporary_requests > 0)
        }
        _ => None,
    };
    let leader = match (&scope_node, user.role) {
        (Some(region), Role::DistrictApprover | Role::CityAdmin)
            if user.can("report:quarterly:read") =>
        {
            Some(leader(&state, &user, region).await?)
        }
        _ => None,
    };
    render(HomePage {
        page,
        counts,
        scope_code: user.region.to_string(),
        scope_name: scope_node.map(|n| n.name).unwrap_or_default(),
        queue,
        leader,
        role_label: user.role.label(),
        holidays_this_year,
        year,
        backend: state.db.backend().name(),
        tree_loaded,
    })
}

/// For load balancers and monitoring: 200 when the database answers, 503 otherwise.
pub async fn healthz(State(state): State<AppState>) -> Response {
    match state.db.ping().await {
        Ok(()) => Json(json!({"status": "ok", "database": "ok"})).into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unavailable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "unavailable", "database": "error"})),
            )
                .into_response()
        }
    }
}
