use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;
use serde_json::json;

use super::layout::PageCtx;
use crate::AppState;
use crate::error::AppResult;
use crate::region::tree::TreeCounts;
use crate::web::layout::render;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    page: PageCtx,
    counts: Option<TreeCounts>,
    city_code: String,
    holidays_this_year: usize,
    year: i32,
    backend: &'static str,
}

pub async fn home(State(state): State<AppState>) -> AppResult<Html<String>> {
    let page = PageCtx::load(&state, "home", "首页", vec![]).await?;
    let city = crate::region::store::city(&state.db).await?;
    let (counts, city_code) = match &city {
        Some(city) => {
            let nodes = crate::region::store::subtree(&state.db, &city.code).await?;
            (
                crate::region::tree::counts(&nodes).remove(city.code.as_str()),
                city.code.to_string(),
            )
        }
        None => (None, String::new()),
    };
    let year = state.clock.today().year();
    let calendar = crate::calendar::store::load_calendar(&state.db).await?;
    let holidays_this_year = calendar
        .exceptions()
        .filter(|(d, _)| d.year() == year)
        .count();
    render(HomePage {
        page,
        counts,
        city_code,
        holidays_this_year,
        year,
        backend: state.db.backend().name(),
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
