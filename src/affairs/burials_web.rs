//! Burials (安葬) on a page and the API: the region's burials with the eco-burials
//! counted, and recording one. A burial into a cemetery takes one of its plots; the
//! cemetery is locked for the transaction (PostgreSQL advisory lock) so two clerks cannot
//! both take its last plot, and the free plots are counted from the stored rows inside
//! that transaction. Every record is audited; IDs are shown masked.

use askama::Template;
use axum::Json;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::burial::{self, BurialForm, CemeteryOnDay, Remains};
use super::burial_store::{self as store, Burial, NewBurial};
use super::cemeteries_web::{MANAGE, READ};
use super::funeral_input::{coded, day, optional_id, region_in_scope, text};
use super::funeral_store::{self, Cemetery};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

pub fn routes() -> Routes {
    Routes::new()
        .get("/affairs/burials", READ, page)
        .post("/affairs/burials", MANAGE, add)
        .get("/api/v1/affairs/burials", READ, api_list)
        .post("/api/v1/affairs/burials", MANAGE, add)
}

#[derive(Serialize)]
struct BurialView {
    #[serde(flatten)]
    burial: Burial,
    form_label: &'static str,
    remains_label: &'static str,
    id_number: Option<String>,
}

#[derive(Serialize)]
struct Listing {
    burials: Vec<BurialView>,
    eco: usize,
}

async fn listing(state: &AppState, user: &CurrentUser) -> AppResult<Listing> {
    let rows = store::list(&state.db, &user.scope_bounds()).await?;
    let burials: Vec<BurialView> = rows
        .into_iter()
        .map(|b| BurialView {
            form_label: b.form.label(),
            remains_label: b.remains.label(),
            id_number: b.id_number_sealed.as_deref().map(|s| {
                state
                    .keyring
                    .open(SensitiveKind::IdNumber, s)
                    .map(|n| SensitiveKind::IdNumber.mask(&n))
                    .unwrap_or_default()
            }),
            burial: b,
        })
        .collect();
    Ok(Listing {
        eco: burials.iter().filter(|b| b.burial.eco).count(),
        burials,
    })
}

#[derive(Template)]
#[template(path = "affairs/burials.html")]
struct Page {
    page: PageCtx,
    l: Listing,
    /// Cemeteries open for burials (built, in use) in the user's region.
    open: Vec<Cemetery>,
    forms: &'static [BurialForm],
    can_manage: bool,
}

async fn page(State(state): State<AppState>, user: CurrentUser) -> AppResult<Html<String>> {
    let page = PageCtx::load(
        &state,
        Some(&user),
        "burials",
        "安葬",
        vec![
            Crumb::link("公墓", "/affairs/cemeteries"),
            Crumb::here("安葬"),
        ],
    )
    .await?;
    let open = funeral_store::list(&state.db, &user.scope_bounds())
        .await?
        .into_iter()
        .filter(|c| c.status == super::funeral::CemeteryStatus::Completed)
        .collect();
    render(Page {
        page,
        l: listing(&state, &user).await?,
        open,
        forms: BurialForm::ALL,
        can_manage: user.can("funeral:registry:manage"),
    })
}

async fn api_list(State(state): State<AppState>, user: CurrentUser) -> AppResult<Json<Value>> {
    Ok(Json(json!(listing(&state, &user).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct BurialInput {
    #[serde(default)]
    cemetery: String,
    #[serde(default)]
    region_code: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    buried_on: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    form: String,
    #[serde(default)]
    remains: String,
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: f, json }: FormOrJson<BurialInput>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let name = text("逝者姓名", &f.name, 50)?;
    let id = optional_id("身份证号", &f.id_number, today)?;
    let on = day("安葬日期", &f.buried_on)?;
    let form = coded("安葬方式", &f.form, BurialForm::parse, BurialForm::labels())?;
    let remains = if f.remains.trim().is_empty() {
        Remains::Ashes
    } else {
        coded("遗体/骨灰", &f.remains, Remains::parse, Remains::labels())?
    };
    let number = f.cemetery.trim().to_string();
    // A sea burial names its region; a burial into a cemetery takes the cemetery's.
    let sea_region = if number.is_empty() && !f.region_code.trim().is_empty() {
        Some(region_in_scope(&state, &user, "区划", &f.region_code).await?)
    } else {
        None
    };
    let sealed = id
        .as_ref()
        .map(|n| state.keyring.seal(SensitiveKind::IdNumber, n.as_str()));
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let target = if number.is_empty() {
        None
    } else {
        // Another district's cemetery answers as one not in the register: the refusal
        // must not tell that the number exists elsewhere.
        let t = store::cemetery(&mut tx, &number)
            .await?
            .filter(|t| user.scope().contains(&t.region_code))
            .ok_or_else(|| {
                AppError::NotFound(format!(
                    "公墓编号为 {number} 的公墓（请核对编号或先登记公墓）"
                ))
            })?;
        Some(t)
    };
    // Locked before counting and before the duplicate check (one sorted call): a second
    // clerk taking the last plot, or recording the same person, waits here and then sees
    // this burial, so the loser gets the refusal, not a unique-constraint failure.
    let mut keys: Vec<String> = target
        .iter()
        .map(|t| format!("cemetery-plots:{}", t.id))
        .collect();
    if let Some(s) = &sealed {
        keys.push(format!("deceased:{}", s.index));
        // The death re-audits marriages after the audit entry: the registry is locked
        // now, in this first call, as every marriage path does.
        keys.push(super::marriage_store::REGISTRY_LOCK.to_string());
    }
    state.db.lock_keys(&mut tx, &keys).await?;
    // Read again under the lock: the cemetery may have been closed or its completion
    // moved by a clerk who held the lock while this request waited.
    let target = match target {
        None => None,
        Some(_) => store::cemetery(&mut tx, &number).await?,
    };
    let on_day = match &target {
        None => None,
        Some(t) => {
            let additions = funeral_store::addition_days(&mut tx, t.id).await?;
            let mut tightest = None;
            for d in burial::checkpoints(on, today.max(on), &additions) {
                let (capacity, taken) = store::plots_on(&mut tx, t.id, d).await?;
                // One burial more on `on` counts on every later day too.
                if tightest.is_none_or(|(_, c, k)| capacity - taken < c - k) {
                    tightest = Some((d, capacity, taken));
                }
            }
            let (tightest, capacity, taken) = tightest.unwrap_or((on, 0, 0));
            Some(CemeteryOnDay {
                status: t.status,
                completed_on: t.completed_on,
                tightest,
                capacity,
                taken,
            })
        }
    };
    if target.is_none() && sea_region.is_none() && !form.takes_plot() {
        return Err(AppError::Invalid(
            "「区划」海葬不入公墓，请填写逝者户籍所在的区县、街道或社区代码。".to_string(),
        ));
    }
    burial::check(form, remains, on_day.as_ref(), on, today)
        .map_err(|r| AppError::Invalid(r.message()))?;
    if let Some(s) = &sealed
        && let Some((other, at)) = store::known(&mut tx, &s.index).await?
    {
        // The record's number only where the user may open it.
        return Err(AppError::Conflict(if user.scope().contains(&at) {
            format!("这个身份证号已有安葬记录（编号 {other}），同一人只登记一次。")
        } else {
            "这个身份证号已有安葬记录（不在您的辖区），同一人只登记一次；如有疑问请与市局核对。"
                .to_string()
        }));
    }
    let region = match (&target, &sea_region) {
        (Some(t), _) => t.region_code.clone(),
        (None, Some(r)) => r.clone(),
        (None, None) => unreachable!("checked above: a burial without a cemetery names a region"),
    };
    let new = NewBurial {
        cemetery_id: target.as_ref().map(|t| t.id),
        region_code: &region,
        buried_on: on,
        name: &name,
        id_number: sealed
            .as_ref()
            .map(|s| (s.sealed.as_str(), s.index.as_str())),
        form,
        remains,
    };
    let burial_id = store::insert(&mut tx, &new, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "funeral.burial.record",
            "burial",
            burial_id.to_string(),
        )
        .with(json!({
            "cemetery": (!number.is_empty()).then_some(&number), "region": region,
            "buried_on": on.to_string(), "form": form.code(), "remains": remains.code(),
            "id_number": id.as_ref().map(|n| n.masked()),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    crate::affairs::marriage_store::on_death(
        &mut tx,
        sealed.as_ref().map_or("", |s| s.index.as_str()),
        (&state.db, &state.keyring),
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "funeral.burial.record",
            "burial",
            burial_id.to_string(),
        ),
    )
    .await?;
    tx.commit().await?;
    if json {
        return Ok(Json(json!({"id": burial_id, "eco": form.is_eco()})).into_response());
    }
    Ok(Redirect::to("/affairs/burials").into_response())
}
