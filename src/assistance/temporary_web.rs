//! 临时救助 at the counter: the grant computed by the rules (months × standard × members),
//! the approval level it needs, and 先行救助 — granted at once by the street, its file to
//! be completed within 5 working days (the workbench shows it until then).

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

use super::cases;
use super::rules::{self, ApprovalLevel};
use super::standards;
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::ids::IdNumber;
use crate::money::Fen;
use crate::protect::SensitiveKind;
use crate::region::{Level, RegionCode};
use crate::web::extract::FormOrJson;
use crate::web::layout::{Crumb, PageCtx, render};

const GRANT: Access = Access::Perm("assistance:temporary:grant");

pub fn routes() -> Routes {
    Routes::new()
        .get("/assistance/temporary/new", GRANT, form_page)
        .post("/assistance/temporary", GRANT, submit)
        .post("/api/v1/temporary-grants", GRANT, submit)
}

/// The permission a grant of this level needs (DOMAIN.md §2: street up to 3 months,
/// district up to 6, above that the city case by case).
pub fn level_permission(level: ApprovalLevel) -> &'static str {
    match level {
        ApprovalLevel::Street => "assistance:temporary:grant",
        ApprovalLevel::District => "assistance:temporary:approve_district",
        ApprovalLevel::City => "assistance:temporary:approve_city",
    }
}

/// A grant to record: at the counter, or a request sent up and now approved.
pub(super) struct NewGrant<'a> {
    pub sealed: &'a crate::protect::Sealed,
    pub name: &'a str,
    pub community: &'a str,
    pub emergency: bool,
    pub date: chrono::NaiveDate,
    pub amount: Fen,
    pub size: i64,
    pub advance: bool,
    pub due_on: Option<String>,
    /// 事由.
    pub reason: Option<&'a str>,
}

/// A grant above the requester's level, to be sent up.
pub(super) struct NewRequest<'a> {
    pub sealed: &'a crate::protect::Sealed,
    pub name: &'a str,
    pub community: &'a str,
    pub emergency: bool,
    pub size: i64,
    pub months: i64,
    pub amount: Fen,
    /// "district" or "city".
    pub level: &'static str,
    /// 事由.
    pub reason: &'a str,
}

/// Stores a grant in the caller's transaction; `None` when the same person already has a
/// grant of the same amount on that day (entered twice).
pub(super) async fn insert_grant(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    g: &NewGrant<'_>,
    now: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let duplicate = sqlx::query(
        "SELECT 1 FROM temporary_grants WHERE id_number_index = $1 AND grant_date = $2 AND amount = $3",
    )
    .bind(g.sealed.index.as_str())
    .bind(g.date.to_string())
    .bind(g.amount.0)
    .fetch_optional(&mut **tx)
    .await?
    .is_some();
    if duplicate {
        return Ok(None);
    }
    let id: i64 = sqlx::query(
        "INSERT INTO temporary_grants (id_number_sealed, id_number_index, name, region_code, kind, grant_date, \
         amount, household_size, advance, status, created_at, due_on, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'valid', $10, $11, $12) RETURNING id",
    )
    .bind(g.sealed.sealed.as_str())
    .bind(g.sealed.index.as_str())
    .bind(g.name)
    .bind(g.community)
    .bind(if g.emergency { "emergency" } else { "expenditure" })
    .bind(g.date.to_string())
    .bind(g.amount.0)
    .bind(g.size)
    .bind(crate::db::flag(g.advance))
    .bind(now)
    .bind(g.due_on.clone())
    .bind(g.reason)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    Ok(Some(id))
}

#[derive(Deserialize, Default, Clone, utoipa::ToSchema)]
pub struct GrantForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    #[schema(example = "369902001001")]
    community: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    household_size: String,
    #[serde(default)]
    months: String,
    #[serde(default)]
    advance: String,
    /// 事由: what happened.
    #[serde(default)]
    reason: String,
}

pub struct RecentGrant {
    name: String,
    date: String,
    amount: String,
    advance: bool,
    due_on: String,
    completed_on: String,
}

#[derive(Template)]
#[template(path = "assistance/temporary.html")]
struct GrantPage {
    page: PageCtx,
    f: GrantForm,
    communities: Vec<(String, String)>,
    errors: Vec<String>,
    message: String,
    recent: Vec<RecentGrant>,
}

async fn page(
    state: &AppState,
    user: &CurrentUser,
    f: GrantForm,
    errors: Vec<String>,
    message: String,
) -> AppResult<Html<String>> {
    let communities = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.level == Level::Community && r.enabled)
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    let (low, high) = user.scope_bounds();
    let mut recent = Vec::new();
    for r in sqlx::query(
        "SELECT name, grant_date, amount, advance, due_on, completed_on FROM temporary_grants \
         WHERE region_code >= $1 AND region_code < $2 ORDER BY id DESC LIMIT 20",
    )
    .bind(low)
    .bind(high)
    .fetch_all(state.db.pool())
    .await?
    {
        recent.push(RecentGrant {
            name: r.try_get("name")?,
            date: r.try_get("grant_date")?,
            amount: Fen(r.try_get("amount")?).to_display(),
            advance: r.try_get::<i64, _>("advance")? != 0,
            due_on: r
                .try_get::<Option<String>, _>("due_on")?
                .unwrap_or_default(),
            completed_on: r
                .try_get::<Option<String>, _>("completed_on")?
                .unwrap_or_default(),
        });
    }
    let page = PageCtx::load(
        state,
        Some(user),
        "temporary",
        "临时救助",
        vec![
            Crumb::link("救助工作台", "/assistance/workbench"),
            Crumb::here("临时救助"),
        ],
    )
    .await?;
    render(GrantPage {
        page,
        f,
        communities,
        errors,
        message,
        recent,
    })
}

#[derive(Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

async fn form_page(
    State(state): State<AppState>,
    user: CurrentUser,
    axum::extract::Query(q): axum::extract::Query<Done>,
) -> AppResult<Html<String>> {
    page(&state, &user, GrantForm::default(), Vec::new(), q.done).await
}

/// A checked grant ready to store.
struct Checked {
    id: IdNumber,
    community: RegionCode,
    emergency: bool,
    size: i64,
    months: i64,
    advance: bool,
    reason: String,
}

fn check(
    f: &GrantForm,
    user: &CurrentUser,
    today: chrono::NaiveDate,
) -> Result<Checked, Vec<String>> {
    let mut errors = Vec::new();
    let name = f.name.trim();
    if name.is_empty() || name.chars().count() > 30 {
        errors.push("姓名：请填写 1 到 30 个字的姓名。".to_string());
    }
    let id = IdNumber::parse(&f.id_number, today)
        .map_err(|e| errors.push(format!("{e}。")))
        .ok();
    let community = RegionCode::parse(&f.community)
        .ok()
        .filter(|c| c.level() == Level::Community && user.scope().contains(c.as_str()));
    if community.is_none() {
        errors.push("所在社区（村）：请从列表中选择本辖区的社区（村）。".to_string());
    }
    let emergency = match f.kind.as_str() {
        "emergency" => true,
        "expenditure" => false,
        _ => {
            errors.push("救助类型：请选择急难型或支出型。".to_string());
            false
        }
    };
    let size = f
        .household_size
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=20).contains(n));
    if size.is_none() {
        errors.push(format!(
            "家庭人口：应为 1 到 20 之间的整数，现为「{}」。",
            f.household_size
        ));
    }
    let months = f
        .months
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (1..=24).contains(n));
    if months.is_none() {
        errors.push(format!(
            "救助月数：应为 1 到 24 之间的整数，现为「{}」。",
            f.months
        ));
    }
    let reason = f.reason.trim();
    if reason.chars().count() < 2 || reason.chars().count() > 200 {
        errors.push(
            "救助事由：请写明事由（如 住房失火、车祸受伤、重病住院），2 到 200 个字。".to_string(),
        );
    }
    match (id, community, size, months) {
        (Some(id), Some(community), Some(size), Some(months)) if errors.is_empty() => Ok(Checked {
            id,
            community,
            emergency,
            size,
            months,
            advance: f.advance == "1",
            reason: reason.to_string(),
        }),
        _ => Err(errors),
    }
}

/// The form again, filled in, with what is wrong.
async fn refused(
    state: &AppState,
    user: &CurrentUser,
    f: &GrantForm,
    errors: Vec<String>,
    json: bool,
) -> AppResult<Response> {
    if json {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            axum::Json(json!({ "errors": errors })),
        )
            .into_response());
    }
    let html = page(state, user, f.clone(), errors, String::new()).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

async fn submit(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: f, json }: FormOrJson<GrantForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let g = match check(&f, &user, today) {
        Ok(g) => g,
        Err(errors) => return refused(&state, &user, &f, errors, json).await,
    };
    let area = cases::area_of(&state.db, g.community.as_str()).await?;
    let district = &g.community.as_str()[..6];
    let policy = standards::policy_on(&state.db, district, area, today).await?;
    let limit = rules::advance_limit(g.size, &policy);
    let grant = rules::temporary_grant(g.months, g.size, &policy);
    if g.advance && g.months > policy.temp_advance_months {
        return refused(
            &state,
            &user,
            &f,
            vec![format!(
                "先行救助：最多先行发放 {} 个月（{} 元），其余待材料补齐后按程序审批。",
                policy.temp_advance_months, limit
            )],
            json,
        )
        .await;
    }
    let sealed = state.keyring.seal(SensitiveKind::IdNumber, g.id.as_str());
    if !user.can(level_permission(grant.level)) {
        // Above the user's level: sent up (报批) to an approver of that level.
        let level = match grant.level {
            ApprovalLevel::City => "city",
            _ => "district",
        };
        let detail = grant
            .checks
            .first()
            .map(|c| c.detail.clone())
            .unwrap_or_default();
        let request = NewRequest {
            sealed: &sealed,
            name: f.name.trim(),
            community: g.community.as_str(),
            emergency: g.emergency,
            size: g.size,
            months: g.months,
            amount: grant.amount,
            level,
            reason: &g.reason,
        };
        let id = super::temporary_requests::send_up(&state, &ctx, &request).await?;
        if json {
            return Ok(axum::Json(json!({
                "request_id": id,
                "level": level,
                "amount": grant.amount.to_yuan_string(),
                "status": "pending",
            }))
            .into_response());
        }
        let done = format!(
            "已报{}审批（报批编号 {id}）：临时救助 {} 元（{detail}）。批准后计入发放，可在「临时救助报批」中查看进度。",
            super::temporary_requests::level_label(level),
            grant.amount
        );
        return Ok(Redirect::to(&format!(
            "/assistance/temporary/new?done={}",
            crate::web::encode_query(&done)
        ))
        .into_response());
    }
    let deadlines = cases::deadlines_on(&state.db, today).await?;
    let cal = crate::calendar::store::load_calendar(&state.db).await?;
    let due = g
        .advance
        .then(|| deadlines.advance_due(&cal, today).to_string());
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let new = NewGrant {
        sealed: &sealed,
        name: f.name.trim(),
        community: g.community.as_str(),
        emergency: g.emergency,
        date: today,
        amount: grant.amount,
        size: g.size,
        advance: g.advance,
        due_on: due.clone(),
        reason: Some(&g.reason),
    };
    let id = match insert_grant(&mut tx, &new, &now.to_rfc3339()).await? {
        Some(id) => id,
        None => {
            return refused(
                &state,
                &user,
                &f,
                vec![format!(
                    "重复登记：{} 今天已有一笔 {} 元的临时救助。",
                    f.name.trim(),
                    grant.amount
                )],
                json,
            )
            .await;
        }
    };
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "temporary.grant",
            "temporary_grant",
            id.to_string(),
        )
        .with(json!({
            "amount": grant.amount.to_yuan_string(),
            "months": g.months,
            "household_size": g.size,
            "level": format!("{:?}", grant.level),
            "advance": g.advance,
            "due_on": due,
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    if json {
        return Ok(axum::Json(json!({
            "grant_id": id,
            "amount": grant.amount.to_yuan_string(),
            "advance": g.advance,
            "due_on": due,
        }))
        .into_response());
    }
    let done = match &due {
        Some(d) => format!(
            "已登记先行救助 {} 元（{}），请于 {d} 前补齐材料。",
            grant.amount,
            grant
                .checks
                .first()
                .map(|c| c.detail.as_str())
                .unwrap_or("")
        ),
        None => format!(
            "已登记临时救助 {} 元（{}）。",
            grant.amount,
            grant
                .checks
                .first()
                .map(|c| c.detail.as_str())
                .unwrap_or("")
        ),
    };
    Ok(Redirect::to(&format!(
        "/assistance/temporary/new?done={}",
        crate::web::encode_query(&done)
    ))
    .into_response())
}
