//! The cemetery register of the user's region on a page and the API: each cemetery's
//! kind, status, completion date and plots (at completion and added since). Cemeteries
//! and plot additions are entered through the funeral ledgers (殡葬台账).

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::Html;
use serde::Serialize;
use serde_json::{Value, json};

use super::funeral::CemeteryKind;
use super::funeral_store::{self, Cemetery};
use crate::AppState;
use crate::auth::{Access, CurrentUser, Routes};
use crate::error::AppResult;
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("funeral:registry:read");
pub const MANAGE: Access = Access::Perm("funeral:registry:manage");

pub fn routes() -> Routes {
    Routes::new()
        .get("/affairs/cemeteries", READ, list_page)
        .get("/api/v1/affairs/cemeteries", READ, api_list)
}

#[derive(Serialize)]
struct Register {
    cemeteries: Vec<Cemetery>,
    /// 公益性公墓 built (completed, in use or not).
    public_built: usize,
    /// Plots of every built cemetery: at completion and added since.
    plots: i64,
}

async fn register(state: &AppState, user: &CurrentUser) -> AppResult<Register> {
    let cemeteries = funeral_store::list(&state.db, &user.scope_bounds()).await?;
    let built = || cemeteries.iter().filter(|c| c.status.is_built());
    Ok(Register {
        public_built: built().filter(|c| c.kind == CemeteryKind::Public).count(),
        plots: built().map(|c| c.plots + c.added).sum(),
        cemeteries,
    })
}

#[derive(Template)]
#[template(path = "affairs/cemeteries.html")]
struct ListPage {
    page: PageCtx,
    r: Register,
    can_manage: bool,
}

async fn list_page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        &state,
        Some(&user),
        "cemeteries",
        "公墓",
        vec![Crumb::here("公墓")],
    )
    .await?;
    render(ListPage {
        page,
        r: register(&state, &user).await?,
        can_manage: user.can("funeral:registry:manage"),
    })
}

async fn api_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!(register(&state, &user).await?)))
}
