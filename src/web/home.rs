use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use chrono::Datelike;
use serde_json::json;

use super::layout::PageCtx;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppResult;
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
    render(HomePage {
        page,
        counts,
        scope_code: user.region.to_string(),
        scope_name: scope_node.map(|n| n.name).unwrap_or_default(),
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
