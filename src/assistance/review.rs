//! Dynamic management (动态管理): the periodic review (复核) of an active case re-runs the
//! rules on today's facts and policy and keeps, raises, lowers or stops the benefit, or
//! starts the gradual exit (渐退); the explanation is kept with the review.

use axum::Form;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::cases::{self, Explanation};
use super::model::ExitReason;
use super::transitions::{self, all_members_stable};
use super::workflow::{self, ReviewOutcome, Status};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, Routes};
use crate::error::{AppError, AppResult};
use crate::money::Fen;

pub fn routes() -> Routes {
    Routes::new()
        .post(
            "/assistance/cases/{id}/review",
            Access::Perm("assistance:case:recheck"),
            review_form,
        )
        .post(
            "/api/v1/cases/{id}/review",
            Access::Perm("assistance:case:recheck"),
            api_review,
        )
}

#[derive(Serialize)]
pub struct ReviewRow {
    pub reviewed_on: String,
    pub outcome: &'static str,
    pub old_amount: String,
    pub new_amount: String,
    pub by: String,
    pub note: String,
    pub explanation: Option<Explanation>,
}

pub async fn reviews_of(state: &AppState, case_id: i64) -> AppResult<Vec<ReviewRow>> {
    let mut out = Vec::new();
    for r in sqlx::query(
        "SELECT reviewed_on, outcome, old_amount, new_amount, username, note, explanation FROM case_reviews \
         WHERE case_id = $1 ORDER BY id DESC",
    )
    .bind(case_id)
    .fetch_all(state.db.pool())
    .await?
    {
        out.push(ReviewRow {
            reviewed_on: r.try_get("reviewed_on")?,
            outcome: ReviewOutcome::from_code(&r.try_get::<String, _>("outcome")?)
                .map(|o| o.label())
                .unwrap_or(""),
            old_amount: Fen(r.try_get("old_amount")?).to_display(),
            new_amount: Fen(r.try_get("new_amount")?).to_display(),
            by: r.try_get("username")?,
            note: r.try_get("note")?,
            explanation: serde_json::from_str(&r.try_get::<String, _>("explanation")?).ok(),
        });
    }
    Ok(out)
}

#[derive(Deserialize, Default, utoipa::ToSchema)]
pub struct ReviewInput {
    pub version: i64,
    /// "1": the household is above the line because a member found work.
    #[serde(default)]
    pub found_work: String,
    /// When the benefit stops: the coded reason (default from the failed test).
    #[serde(default)]
    pub exit_reason: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Reviewed {
    pub outcome: &'static str,
    pub monthly_amount: String,
    pub status: &'static str,
}

const ASSET_TESTS: [&str; 4] = ["financial_assets", "vehicles", "real_estate", "business"];

/// The reason a stopped benefit is recorded with when the reviewer gives none: the end
/// of a gradual exit is 渐退期满 (not 清退); otherwise a failed asset test → 财产超标,
/// else 收入超标.
fn default_exit_reason(e: &Explanation, gradual_ended: bool) -> ExitReason {
    if gradual_ended {
        ExitReason::GradualEnd
    } else if e
        .lines
        .iter()
        .any(|l| !l.passed && ASSET_TESTS.contains(&l.rule.as_str()))
    {
        ExitReason::AssetsAbove
    } else {
        ExitReason::IncomeAbove
    }
}

pub async fn review(
    state: &AppState,
    ctx: &Ctx,
    id: i64,
    input: &ReviewInput,
) -> AppResult<Reviewed> {
    let user = ctx.user()?.clone();
    let case = transitions::case_in_scope(state, ctx, id).await?;
    if case.status != Status::Active {
        return Err(AppError::Conflict(format!(
            "救助案件 {id} 当前状态为「{}」，只有在保案件可以复核。",
            case.status.label()
        )));
    }
    if input.version != case.version {
        return Err(AppError::Conflict(format!(
            "救助案件 {id} 已被其他人处理，您看到的是旧版本。请刷新页面后再复核。"
        )));
    }
    // A review is a visit and a check, not a click: what was verified is written down
    // (and the register updated before, which the rules re-run on).
    let note = input.note.trim();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(AppError::Invalid(
            "复核情况：请写明本次复核核实的情况（如入户日期、家庭人口、收入和财产的核对结果），最多 500 个字。"
                .to_string(),
        ));
    }
    let today = state.clock.today();
    let deadlines = cases::deadlines_on(&state.db, today).await?;
    let register = super::registry_web::household_version(&state.db, case.household_id).await?;
    let decision = cases::decide(&state.db, &case, today).await?;
    let in_gradual = case.gradual_until.is_some();
    // 渐退 only for a household above the line because of work: its assets still pass.
    let assets_pass = decision
        .explanation
        .lines
        .iter()
        .all(|l| l.passed || !ASSET_TESTS.contains(&l.rule.as_str()));
    let outcome = workflow::review_outcome(
        case.monthly_amount,
        decision.eligible.then_some(decision.monthly.0),
        input.found_work == "1" && !in_gradual && assets_pass,
        deadlines.gradual_months,
    );
    let stable = all_members_stable(state, &case, today).await?;
    let interval = workflow::review_interval_months(case.program, stable);
    let (status, amount, exit_reason, gradual_until, next_review) = match outcome {
        ReviewOutcome::Stop => {
            let reason = match input.exit_reason.as_str() {
                "" => default_exit_reason(&decision.explanation, in_gradual),
                code => ExitReason::from_code(code)
                    .ok_or_else(|| AppError::Invalid("停保原因：请从列表中选择。".to_string()))?,
            };
            (
                Status::Exited,
                case.monthly_amount,
                Some(reason),
                case.gradual_until
                    .as_deref()
                    .and_then(|d| d.parse::<NaiveDate>().ok()),
                None,
            )
        }
        ReviewOutcome::Gradual => {
            let until = today
                .checked_add_months(Months::new(deadlines.gradual_months))
                .unwrap_or(today);
            (
                Status::Active,
                case.monthly_amount,
                None,
                Some(until),
                Some(until),
            )
        }
        _ => (
            Status::Active,
            decision.monthly.0,
            None,
            None,
            Some(workflow::next_review(today, interval)),
        ),
    };
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    let explanation = serde_json::to_string(&decision.explanation).unwrap_or_default();
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    super::registry_web::hold_register(state, &mut tx, case.household_id, register).await?;
    let updated = sqlx::query(
        "UPDATE cases SET status = $1, monthly_amount = $2, covered_persons = $3, exit_reason = $4, exited_on = $5, \
         gradual_until = $6, next_review_on = $7, explanation = $8, marginal = $9, version = version + 1 \
         WHERE id = $10 AND version = $11",
    )
    .bind(status.code())
    .bind(amount)
    .bind(if outcome == ReviewOutcome::Stop || outcome == ReviewOutcome::Gradual {
        case.covered_persons
    } else {
        decision.covered
    })
    .bind(exit_reason.map(|r| r.code()))
    .bind(exit_reason.map(|_| today.to_string()))
    .bind(date(gradual_until))
    .bind(date(next_review))
    .bind(explanation.clone())
    .bind(crate::db::flag(decision.marginal))
    .bind(id)
    .bind(case.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Err(AppError::Conflict(format!(
            "救助案件 {id} 已被其他人处理，您看到的是旧版本。请刷新页面后再复核。"
        )));
    }
    sqlx::query(
        "INSERT INTO case_reviews (case_id, reviewed_on, outcome, old_amount, new_amount, explanation, username, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id)
    .bind(today.to_string())
    .bind(outcome.code())
    .bind(case.monthly_amount)
    .bind(amount)
    .bind(explanation)
    .bind(user.username.clone())
    .bind(note)
    .execute(&mut *tx)
    .await?;
    let why = match (outcome, exit_reason, gradual_until) {
        (ReviewOutcome::Stop, Some(r), _) => format!(
            "复核：停保（{}）；{}",
            r.label(),
            decision.explanation.summary
        ),
        (ReviewOutcome::Gradual, _, Some(u)) => format!("复核：渐退，保障金发放至 {u}"),
        _ => format!(
            "复核：{}，月保障金 {} → {} 元",
            outcome.label(),
            Fen(case.monthly_amount),
            Fen(amount)
        ),
    };
    sqlx::query(
        "INSERT INTO case_transitions (case_id, from_status, to_status, at, username, reason, action) \
         VALUES ($1, 'active', $2, $3, $4, $5, 'recheck')",
    )
    .bind(id)
    .bind(status.code())
    .bind(now.to_rfc3339())
    .bind(user.username.clone())
    .bind(if note.is_empty() { why.clone() } else { format!("{why}；{note}") })
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "case.recheck",
            "assistance_case",
            id.to_string(),
        )
        .with(json!({
            "outcome": outcome.code(),
            "old_amount": Fen(case.monthly_amount).to_yuan_string(),
            "new_amount": Fen(amount).to_yuan_string(),
            "exit_reason": exit_reason.map(|r| r.code()),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(Reviewed {
        outcome: outcome.label(),
        monthly_amount: Fen(amount).to_display(),
        status: status.label(),
    })
}

async fn review_form(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    Form(input): Form<ReviewInput>,
) -> AppResult<Response> {
    let r = match review(&state, &ctx, id, &input).await {
        Ok(r) => r,
        Err(e) => return super::case_web::refused_on_case(&state, &ctx, id, e).await,
    };
    Ok(Redirect::to(&format!(
        "/assistance/cases/{id}?done={}",
        crate::web::encode_query(&format!("复核（{}）", r.outcome))
    ))
    .into_response())
}

async fn api_review(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    axum::Json(input): axum::Json<ReviewInput>,
) -> AppResult<axum::Json<Reviewed>> {
    Ok(axum::Json(review(&state, &ctx, id, &input).await?))
}
