//! Community consultations (社区协商) on the pages and API: the list by community and
//! category for a period, each community's count, participants and resolution rate, and
//! the form that records one. Every record is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::consultation_store::{self, Consultation, NewConsultation};
use super::model::{ConsultationCategory, ConsultationOutcome, resolution_rate};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

const READ: Access = Access::Perm("community:consultation:read");
const RECORD: Access = Access::Perm("community:consultation:record");

pub fn routes() -> Routes {
    Routes::new()
        .get("/community/consultations", READ, page)
        .post("/community/consultations", RECORD, add)
        .post("/community/consultations/{id}/delete", RECORD, delete)
        .get("/api/v1/community/consultations", READ, api)
        .post("/api/v1/community/consultations", RECORD, add)
        .post(
            "/api/v1/community/consultations/{id}/delete",
            RECORD,
            delete,
        )
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct Filter {
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    category: String,
}

/// One community's line.
#[derive(Serialize)]
struct CommunityLine {
    code: String,
    name: String,
    consultations: i64,
    participants: i64,
    resolved: i64,
    resolution_rate: Option<f64>,
}

#[derive(Serialize)]
struct Overview {
    from: String,
    to: String,
    consultations: Vec<Consultation>,
    communities: Vec<CommunityLine>,
    total: i64,
    participants: i64,
    resolution_rate: Option<f64>,
}

fn day(field: &str, text: &str) -> AppResult<NaiveDate> {
    crate::calendar::parse_date(text.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            text.trim()
        ))
    })
}

async fn overview(state: &AppState, user: &CurrentUser, f: &Filter) -> AppResult<Overview> {
    let today = state.clock.today();
    // This year to date unless asked.
    let from = match f.from.trim() {
        "" => NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
        t => day("起始日期", t)?,
    };
    let to = match f.to.trim() {
        "" => today,
        t => day("截止日期", t)?,
    };
    let category = match f.category.trim() {
        "" => None,
        c => Some(ConsultationCategory::parse(c).ok_or_else(|| {
            AppError::Invalid(format!(
                "「类别」应为：{}。",
                ConsultationCategory::labels()
            ))
        })?),
    };
    let list =
        consultation_store::list(&state.db, &user.scope_bounds(), (from, to), category).await?;
    let names: std::collections::HashMap<String, String> =
        crate::region::store::subtree(&state.db, &user.region)
            .await?
            .into_iter()
            .map(|r| (r.code.to_string(), r.name))
            .collect();
    let mut by: std::collections::BTreeMap<String, CommunityLine> = Default::default();
    for c in &list {
        let line = by
            .entry(c.region_code.clone())
            .or_insert_with(|| CommunityLine {
                name: names.get(&c.region_code).cloned().unwrap_or_default(),
                code: c.region_code.clone(),
                consultations: 0,
                participants: 0,
                resolved: 0,
                resolution_rate: None,
            });
        line.consultations += 1;
        line.participants += c.participants;
        line.resolved += i64::from(c.outcome == ConsultationOutcome::Resolved);
    }
    let mut communities: Vec<CommunityLine> = by.into_values().collect();
    for l in &mut communities {
        l.resolution_rate = resolution_rate(l.resolved, l.consultations);
    }
    let resolved = communities.iter().map(|l| l.resolved).sum();
    let total = list.len() as i64;
    Ok(Overview {
        from: from.to_string(),
        to: to.to_string(),
        participants: list.iter().map(|c| c.participants).sum(),
        resolution_rate: resolution_rate(resolved, total),
        total,
        consultations: list,
        communities,
    })
}

#[derive(Template)]
#[template(path = "community/consultations.html")]
struct Page {
    page: PageCtx,
    o: Overview,
    filter: Filter,
    categories: Vec<(&'static str, &'static str)>,
    outcomes: Vec<(&'static str, &'static str)>,
    can_record: bool,
    notice: String,
    today: String,
}

async fn view(
    state: &AppState,
    user: &CurrentUser,
    filter: Filter,
    notice: String,
) -> AppResult<Html<String>> {
    let o = overview(state, user, &filter).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "community_consultations",
        "社区协商",
        vec![Crumb::here("社区协商")],
    )
    .await?;
    render(Page {
        page,
        o,
        filter,
        categories: ConsultationCategory::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        outcomes: ConsultationOutcome::ALL
            .iter()
            .map(|c| (c.code(), c.label()))
            .collect(),
        can_record: user.can("community:consultation:record"),
        notice,
        today: state.clock.today().to_string(),
    })
}

async fn page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(f): Query<Filter>,
) -> AppResult<Html<String>> {
    view(&state, &user, f, String::new()).await
}

async fn api(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(f): Query<Filter>,
) -> AppResult<Json<Value>> {
    Ok(Json(json!(overview(&state, &user, &f).await?)))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct ConsultationForm {
    #[schema(format = Date, example = "2026-11-02")]
    held_on: String,
    #[schema(example = "369902001001")]
    community: String,
    topic: String,
    category: String,
    participants: Value,
    outcome: String,
}

async fn add(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<ConsultationForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let held_on = day("活动日期", &form.held_on)?;
    if held_on > today {
        return Err(AppError::Invalid(format!(
            "「活动日期」{held_on} 晚于今天。"
        )));
    }
    let community = form.community.trim().to_string();
    let region = crate::region::store::get(&state.db, &community)
        .await?
        .filter(|r| r.level == crate::region::Level::Community && user.scope().contains(&community))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "「所属社区」「{community}」不是您管辖范围内的 12 位社区/村代码。"
            ))
        })?;
    let topic = form.topic.trim().to_string();
    if topic.is_empty() || topic.chars().count() > 200 {
        return Err(AppError::Invalid(
            "请填写「议题」，不超过 200 字。".to_string(),
        ));
    }
    let category = ConsultationCategory::parse(&form.category).ok_or_else(|| {
        AppError::Invalid(format!(
            "「类别」应为：{}。",
            ConsultationCategory::labels()
        ))
    })?;
    let participants = typed(&form.participants)
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=100_000).contains(n))
        .ok_or_else(|| {
            AppError::Invalid("「参与居民人数」应为 0 到 100000 的整数。".to_string())
        })?;
    let outcome = ConsultationOutcome::parse(&form.outcome).ok_or_else(|| {
        AppError::Invalid(format!("「结果」应为：{}。", ConsultationOutcome::labels()))
    })?;
    let c = NewConsultation {
        held_on,
        community,
        topic,
        category,
        participants,
        outcome,
    };
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let created = consultation_store::put(&mut tx, &c, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "community.consultation.record",
            "consultation",
            &c.community,
        )
        .with(json!({"consultation": c, "created": created})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已{}：{} {}「{}」（{}），参与居民 {} 人次，{}。",
        if created { "记录" } else { "更新" },
        c.held_on,
        region.name,
        c.topic,
        c.category.label(),
        c.participants,
        c.outcome.label()
    );
    if json {
        return Ok(Json(json!({"created": created, "message": message})).into_response());
    }
    Ok(view(&state, &user, Filter::default(), message)
        .await?
        .into_response())
}

/// Takes back a consultation entered by mistake (a wrong date or topic is taken back and
/// entered again), within the user's region, audited with what it said.
async fn delete(
    State(state): State<AppState>,
    ctx: Ctx,
    axum::extract::Path(id): axum::extract::Path<i64>,
    FormOrJson { json, .. }: FormOrJson<serde_json::Map<String, Value>>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let gone = consultation_store::delete(&mut tx, id)
        .await?
        .filter(|(_, region, _, _)| user.scope().contains(region))
        .ok_or_else(|| AppError::NotFound(format!("协商记录 {id}")))?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "community.consultation.delete", "consultation", id.to_string())
            .with(json!({"held_on": gone.0, "community": gone.1, "topic": gone.2, "participants": gone.3})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!("已撤回 {} 「{}」的协商记录。", gone.0, gone.2);
    if json {
        return Ok(Json(json!({"message": message})).into_response());
    }
    Ok(view(&state, &user, Filter::default(), message)
        .await?
        .into_response())
}
