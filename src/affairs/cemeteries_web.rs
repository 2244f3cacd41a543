//! The cemetery register of the user's region on a page and the API: each cemetery's
//! kind, status, completion date, plots (at completion and added since) and occupancy
//! (plots taken by burials, plots free). Cemeteries are entered one at a time through the
//! form here or in bulk through the funeral ledgers (殡葬台账), with the same checks; plot
//! additions through the ledgers.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::funeral::{CemeteryKind, CemeteryStatus, NewCemetery, check_cemetery};
use super::funeral_input::{coded, day, text};
use super::funeral_store::{self, Cemetery};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("funeral:registry:read");
pub const MANAGE: Access = Access::Perm("funeral:registry:manage");

pub fn routes() -> Routes {
    Routes::new()
        .get("/affairs/cemeteries", READ, list_page)
        .post("/affairs/cemeteries", MANAGE, save)
        .get("/api/v1/affairs/cemeteries", READ, api_list)
        .post("/api/v1/affairs/cemeteries", MANAGE, save)
        .post("/affairs/cemeteries/additions", MANAGE, add_plots)
        .post("/api/v1/affairs/cemeteries/additions", MANAGE, add_plots)
}

#[derive(Serialize)]
struct Register {
    cemeteries: Vec<Cemetery>,
    /// 公益性公墓 built (completed, in use or not).
    public_built: usize,
    /// Plots of every built cemetery: at completion and added since.
    plots: i64,
    /// Of them, taken by burials and free today (free counts built cemeteries in use).
    used: i64,
    available: i64,
}

async fn register(state: &AppState, user: &CurrentUser) -> AppResult<Register> {
    let cemeteries = funeral_store::list(&state.db, &user.scope_bounds()).await?;
    let built = || cemeteries.iter().filter(|c| c.status.is_built());
    Ok(Register {
        public_built: built().filter(|c| c.kind == CemeteryKind::Public).count(),
        plots: built().map(|c| c.plots + c.added).sum(),
        used: built().map(|c| c.used).sum(),
        available: built()
            .filter(|c| c.status != CemeteryStatus::Closed)
            .map(|c| c.available)
            .sum(),
        cemeteries,
    })
}

#[derive(Template)]
#[template(path = "affairs/cemeteries.html")]
struct ListPage {
    page: PageCtx,
    r: Register,
    can_manage: bool,
    /// The form's values: the cemetery being edited, or empty for a new one.
    edit: CemeteryInput,
    kinds: &'static [CemeteryKind],
    statuses: &'static [CemeteryStatus],
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct EditQuery {
    #[serde(default)]
    edit: String,
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(q): Query<EditQuery>,
) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        &state,
        Some(&user),
        "cemeteries",
        "公墓",
        vec![Crumb::here("公墓")],
    )
    .await?;
    let r = register(&state, &user).await?;
    let edit = r
        .cemeteries
        .iter()
        .find(|c| c.number == q.edit.trim())
        .map(|c| CemeteryInput {
            number: c.number.clone(),
            name: c.name.clone(),
            kind: c.kind.code().to_string(),
            region_code: c.region_code.clone(),
            status: c.status.code().to_string(),
            completed_on: c.completed_on.clone().unwrap_or_default(),
            plots: c.plots.to_string(),
        })
        .unwrap_or_default();
    render(ListPage {
        page,
        r,
        can_manage: user.can("funeral:registry:manage"),
        edit,
        kinds: CemeteryKind::ALL,
        statuses: CemeteryStatus::ALL,
    })
}

async fn api_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!(register(&state, &user).await?)))
}

/// One cemetery as the form and the API send it; a number already registered is edited.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct CemeteryInput {
    #[serde(default)]
    number: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    completed_on: String,
    #[serde(default)]
    plots: String,
}

/// Enters or edits one cemetery with the ledger's checks: the fields, a district or street
/// of the user's region, and a completion date that keeps the stored additions after it
/// and the burials on or after it. Audited; nothing stored on a refusal.
async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: f, json }: FormOrJson<CemeteryInput>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let number = text("公墓编号", &f.number, 32)?;
    let name = text("名称", &f.name, 100)?;
    let kind = coded("性质", &f.kind, CemeteryKind::parse, CemeteryKind::labels())?;
    let status = coded(
        "状态",
        &f.status,
        CemeteryStatus::parse,
        CemeteryStatus::labels(),
    )?;
    let completed_on = if f.completed_on.trim().is_empty() {
        None
    } else {
        Some(day("建成日期", &f.completed_on)?)
    };
    let plots: i64 = f.plots.trim().parse().map_err(|_| {
        AppError::Invalid(format!(
            "「墓穴数」「{}」不是整数，请填写建成时的墓穴（格位）数。",
            f.plots.trim()
        ))
    })?;
    let c = NewCemetery {
        number,
        name,
        kind,
        region: f.region_code.trim().to_string(),
        status,
        completed_on,
        plots,
    };
    if let Some((field, why)) = check_cemetery(&c, today).into_iter().next() {
        return Err(AppError::Invalid(format!("「{field}」{why}。")));
    }
    let level: Option<String> = sqlx::query_scalar("SELECT level FROM regions WHERE code = $1")
        .bind(&c.region)
        .fetch_optional(state.db.pool())
        .await?;
    if !matches!(level.as_deref(), Some("district" | "street")) {
        return Err(AppError::Invalid(format!(
            "「所属区划」{} 不是已有的区县或街道/乡镇代码，请核对。",
            c.region
        )));
    }
    if !user.scope().contains(&c.region) {
        return Err(AppError::Forbidden(format!(
            "区划 {} 不在您的管辖范围内，不能由您登记公墓。",
            c.region
        )));
    }
    let now = state.clock.now_local();
    let at = now.to_rfc3339();
    let mut tx = state.db.begin().await?;
    let stored = funeral_store::refs(&mut tx).await?.remove(&c.number);
    if let Some((id, _, region)) = &stored {
        // The same lock a burial takes: a status or date change and a burial do not cross.
        state
            .db
            .lock_keys(&mut tx, &[format!("cemetery-plots:{id}")])
            .await?;
        if !user.scope().contains(region) {
            return Err(AppError::Forbidden(format!(
                "公墓编号 {} 已登记为您管辖范围以外的公墓，请核对编号。",
                c.number
            )));
        }
        if let Some(why) = funeral_store::completion_conflict(&mut tx, *id, c.completed_on).await? {
            return Err(AppError::Invalid(format!("「建成日期」{why}。")));
        }
    }
    let (id, created) = funeral_store::save(&mut tx, &c, (&user.username, &at)).await?;
    // Counted from the rows just written, under the lock: a cut below the burials is
    // refused and rolled back with the rest.
    if !created && let Some(short) = funeral_store::overfill(&mut tx, id, today).await? {
        return Err(AppError::Invalid(format!(
            "{}。",
            funeral_store::overfill_message("墓穴数", short)
        )));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            if created {
                "funeral.cemetery.create"
            } else {
                "funeral.cemetery.update"
            },
            "cemetery",
            id.to_string(),
        )
        .with(json!(c)),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    if json {
        return Ok(Json(json!({"id": id, "created": created})).into_response());
    }
    Ok(Redirect::to("/affairs/cemeteries").into_response())
}

/// Plots added to a cemetery on a day, as the form and the API send them.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct AdditionInput {
    #[serde(default)]
    cemetery: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    added_on: String,
    #[serde(default)]
    plots: String,
}

/// Records the plots added to a cemetery of the user's region on a day, with the
/// `plot-additions` ledger's checks: after completion, not after today, positive. A day
/// already recorded is replaced (as the ledger does), which may cut the plots: refused
/// when the burials would then outnumber them. Locked like a burial; audited.
async fn add_plots(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: f, json }: FormOrJson<AdditionInput>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let number = text("公墓编号", &f.cemetery, 32)?;
    let on = day("日期", &f.added_on)?;
    let plots: i64 = f.plots.trim().parse().map_err(|_| {
        AppError::Invalid(format!(
            "「新增墓穴数」「{}」不是整数，请填写这一天新增的墓穴（格位）数。",
            f.plots.trim()
        ))
    })?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    // Another district's cemetery answers as one that does not exist.
    let Some((id, _, _)) = funeral_store::refs(&mut tx)
        .await?
        .remove(&number)
        .filter(|(_, _, region)| user.scope().contains(region))
    else {
        return Err(AppError::NotFound(format!(
            "公墓编号为 {number} 的公墓（请核对编号或先登记公墓）"
        )));
    };
    state
        .db
        .lock_keys(&mut tx, &[format!("cemetery-plots:{id}")])
        .await?;
    // The completion date read under the lock: an edit that held it may have moved it.
    let completed = funeral_store::refs(&mut tx)
        .await?
        .remove(&number)
        .and_then(|(_, completed, _)| completed);
    if let Some((field, why)) = super::funeral::check_addition(completed, on, plots, today)
        .into_iter()
        .next()
    {
        return Err(AppError::Invalid(format!("「{field}」{why}。")));
    }
    let replaced = funeral_store::addition_days(&mut tx, id)
        .await?
        .contains(&on);
    funeral_store::put_addition(&mut tx, id, on, plots, (&user.username, &now.to_rfc3339()))
        .await?;
    if let Some(short) = funeral_store::overfill(&mut tx, id, today).await? {
        return Err(AppError::Invalid(format!(
            "{}。",
            funeral_store::overfill_message("新增墓穴数", short)
        )));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "funeral.cemetery.plots_added",
            "cemetery",
            id.to_string(),
        )
        .with(json!({
            "cemetery": number, "added_on": on.to_string(), "plots": plots, "replaced": replaced,
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    if json {
        return Ok(Json(json!({"cemetery": id, "replaced": replaced})).into_response());
    }
    Ok(Redirect::to("/affairs/cemeteries").into_response())
}
