//! The two lists DOMAIN.md §2 asks to keep: applications of close relatives of staff or
//! committee members (近亲属备案), and marginal households (低保边缘家庭) — found by the
//! rules just above the line — for special assistance.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::Html;
use serde::{Deserialize, Serialize};

use super::cases::{self, CaseRecord};
use crate::AppState;
use crate::auth::{Access, CurrentUser, Routes};
use crate::error::AppResult;
use crate::money::Fen;
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("assistance:household:read");
const LIMIT: i64 = 1000;

pub fn routes() -> Routes {
    Routes::new()
        .get("/assistance/lists", READ, page)
        .get("/api/v1/assistance-lists", READ, api)
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    list: String,
}

#[derive(Serialize)]
pub struct ListLine {
    id: i64,
    reference: String,
    household_number: String,
    program: &'static str,
    status: &'static str,
    applied_on: String,
    note: String,
    district_reviewed: bool,
    summary: String,
}

#[derive(Serialize)]
pub struct Lists {
    /// `close_relative` or `marginal`.
    list: &'static str,
    lines: Vec<ListLine>,
}

fn line(c: &CaseRecord) -> ListLine {
    ListLine {
        id: c.id,
        reference: c.reference.clone().unwrap_or_default(),
        household_number: c.household_number.clone(),
        program: c.program.label(),
        status: c.status.label(),
        applied_on: c.applied_on.clone(),
        note: c.close_relative_note.clone().unwrap_or_default(),
        district_reviewed: c.district_reviewed,
        summary: c
            .explanation
            .as_ref()
            .map(|e| e.summary.clone())
            .unwrap_or_else(|| Fen(c.monthly_amount).to_display()),
    }
}

async fn lists(state: &AppState, user: &CurrentUser, which: &str) -> AppResult<Lists> {
    let (low, high) = user.scope_bounds();
    let (list, filter) = if which == "marginal" {
        // The household's latest decision was "marginal" and it is not in assistance.
        (
            "marginal",
            "c.marginal = 1 AND c.status NOT IN ('active') AND NOT EXISTS \
             (SELECT 1 FROM cases n WHERE n.household_id = c.household_id AND n.id > c.id)",
        )
    } else {
        ("close_relative", "c.close_relative = 1")
    };
    let lines = cases::query(
        &state.db,
        &format!("c.region_code >= $1 AND c.region_code < $2 AND {filter}"),
        &[low, high],
        LIMIT,
    )
    .await?
    .iter()
    .map(line)
    .collect();
    Ok(Lists { list, lines })
}

#[derive(Template)]
#[template(path = "assistance/lists.html")]
struct ListsPage {
    page: PageCtx,
    l: Lists,
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Html<String>> {
    let l = lists(&state, &user, &q.list).await?;
    let page = PageCtx::load(
        &state,
        Some(&user),
        "lists",
        "专项名单",
        vec![Crumb::here("专项名单")],
    )
    .await?;
    render(ListsPage { page, l })
}

async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Json<Lists>> {
    Ok(Json(lists(&state, &user, &q.list).await?))
}
