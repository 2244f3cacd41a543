//! Taking a workflow action on a case: the workflow's permission, the user's scope, the
//! optimistic lock on the case's version, the rules where the action needs them, the
//! recorded transition and the audit entry — all in one transaction.

use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

use super::cases::{self, CaseRecord, Decision};
use super::model::ExitReason;
use super::workflow::{self, Action, CaseFacts, Status};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::Ctx;
use crate::db::flag;
use crate::error::{AppError, AppResult};

/// The fields of an action form (page or API); each action reads the ones it needs.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct ActInput {
    pub action: String,
    pub version: i64,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub visit_record: String,
    #[serde(default)]
    pub verification_record: String,
    /// "1" when an able legal supporter was found (特困).
    #[serde(default)]
    pub has_supporter: String,
    /// "yes"/"no": the street's opinion.
    #[serde(default)]
    pub recommend: String,
    #[serde(default)]
    pub exit_reason: String,
    /// "1": the investigation found a close relative of staff or a committee member.
    #[serde(default)]
    pub close_relative: String,
    #[serde(default)]
    pub close_relative_note: String,
    /// 特困, at the investigation: "home" (分散供养) or "institution" (集中供养).
    #[serde(default)]
    pub support_mode: String,
    /// 集中供养: the care institution's name.
    #[serde(default)]
    pub support_facility: String,
}

/// What the action did, for the page's message.
#[derive(Clone, Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Acted {
    pub case_id: i64,
    pub action: &'static str,
    pub status: &'static str,
    pub monthly_amount: String,
}

fn date(s: &Option<String>) -> Option<NaiveDate> {
    s.as_deref().and_then(|d| d.parse().ok())
}

async fn open_objections(state: &AppState, case_id: i64) -> AppResult<i64> {
    Ok(sqlx::query(
        "SELECT COUNT(*) FROM case_objections WHERE case_id = $1 AND resolved_at IS NULL",
    )
    .bind(case_id)
    .fetch_one(state.db.pool())
    .await?
    .try_get(0)?)
}

/// Loads a case the user may see (outside the scope: 404).
pub async fn case_in_scope(state: &AppState, ctx: &Ctx, id: i64) -> AppResult<CaseRecord> {
    let user = ctx.user()?;
    let what = || format!("救助案件 {id}");
    let case = cases::load(&state.db, id)
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?;
    user.ensure_in_scope(&case.region_code, what)?;
    Ok(case)
}

pub async fn act(state: &AppState, ctx: &Ctx, id: i64, input: &ActInput) -> AppResult<Acted> {
    let user = ctx.user()?.clone();
    let case = case_in_scope(state, ctx, id).await?;
    let action = Action::from_code(&input.action)
        .ok_or_else(|| AppError::BadRequest(format!("未知的操作「{}」。", input.action)))?;
    if !user.can(action.permission()) {
        return Err(AppError::Forbidden(format!(
            "您的角色（{}）不能执行「{}」。",
            user.role.label(),
            action.label()
        )));
    }
    if input.version != case.version {
        return Err(stale(&case));
    }
    let reason = input.reason.trim().to_string();
    if action.needs_reason() && reason.is_empty() {
        return Err(AppError::Invalid(format!(
            "原因：「{}」必须写明原因。",
            action.label()
        )));
    }
    if reason.chars().count() > 500 {
        return Err(AppError::Invalid("原因：最多 500 个字。".to_string()));
    }
    let today = state.clock.today();
    // The register as the rules will read it, checked again before the result is stored.
    let register = super::registry_web::household_version(&state.db, case.household_id).await?;
    let mut decision: Option<Decision> = None;
    let mut c = case.clone();
    let facts = CaseFacts {
        status: case.status,
        close_relative: case.close_relative,
        district_reviewed: case.district_reviewed,
        extended: case.extended,
        recommend: case.recommend,
        notice_until: date(&case.notice_until),
        open_objections: open_objections(state, id).await?,
        eligible: case.monthly_amount > 0,
    };
    // Approval re-runs the rules on today's policy: the amount approved is the one due.
    if action == Action::Approve {
        let d = cases::decide(&state.db, &case, today).await?;
        let mut f = facts.clone();
        f.eligible = d.eligible;
        decision = Some(d);
        c.status = next(action, &f, today)?;
    } else {
        c.status = next(action, &facts, today)?;
    }
    let deadlines = cases::deadlines_on(&state.db, today).await?;
    match action {
        Action::Accept => {
            let cal = crate::calendar::store::load_calendar(&state.db).await?;
            c.accepted_on = Some(today.to_string());
            c.due_on = Some(deadlines.decision_due(&cal, today, false).to_string());
        }
        Action::Investigate => {
            let visit = input.visit_record.trim();
            let verification = input.verification_record.trim();
            if visit.is_empty() || verification.is_empty() {
                return Err(AppError::Invalid(
                    "入户调查记录和信息核对结果都要填写（写明调查日期、调查人和发现的情况）。"
                        .to_string(),
                ));
            }
            if visit.chars().count() > 2000 || verification.chars().count() > 2000 {
                return Err(AppError::Invalid(
                    "入户调查记录、信息核对结果：各最多 2000 个字。".to_string(),
                ));
            }
            if input.close_relative == "1" && !c.close_relative {
                let note = input.close_relative_note.trim();
                if note.is_empty() || note.chars().count() > 200 {
                    return Err(AppError::Invalid(
                        "近亲属说明：请写明与哪位民政工作人员或村（居）委会成员是何种亲属关系（200 字以内）。"
                            .to_string(),
                    ));
                }
                // Found by the investigation: filed (备案) and sent to the district review.
                c.close_relative = true;
                c.close_relative_note = Some(note.to_string());
            }
            c.visit_record = Some(visit.to_string());
            c.verification_record = Some(verification.to_string());
            c.has_supporter = input.has_supporter == "1";
            if case.program == super::model::Program::Tekun {
                let (mode, facility) = support_mode(&input.support_mode, &input.support_facility)?;
                c.support_mode = Some(mode.to_string());
                c.support_facility = facility;
            }
        }
        Action::Opinion => {
            let recommend = match input.recommend.as_str() {
                "yes" => true,
                "no" => false,
                _ => {
                    return Err(AppError::Invalid(
                        "审核意见：请选择同意或不同意。".to_string(),
                    ));
                }
            };
            let d = cases::decide(&state.db, &case, today).await?;
            if recommend && !d.eligible {
                return Err(AppError::Invalid(format!(
                    "审核意见：按现行政策核算「{}」，不能提出同意意见；请核实家庭收入和财产或选择不同意。",
                    d.explanation.summary
                )));
            }
            c.recommend = Some(recommend);
            decision = Some(d);
        }
        Action::Publish => {
            c.notice_from = Some(today.to_string());
            c.notice_until = Some(deadlines.notice_until(today).to_string());
        }
        Action::DistrictReview => c.district_reviewed = true,
        Action::Extend => {
            let cal = crate::calendar::store::load_calendar(&state.db).await?;
            let accepted = date(&c.accepted_on).unwrap_or(today);
            c.extended = true;
            c.due_on = Some(deadlines.decision_due(&cal, accepted, true).to_string());
        }
        Action::Approve => {
            c.approved_on = Some(today.to_string());
            let stable = all_members_stable(state, &case, today).await?;
            let months = workflow::review_interval_months(case.program, stable);
            c.next_review_on = Some(workflow::next_review(today, months).to_string());
        }
        Action::Exit => {
            let r = ExitReason::from_code(&input.exit_reason).ok_or_else(|| {
                AppError::Invalid("停保原因：请从列表中选择停保原因。".to_string())
            })?;
            c.exit_reason = Some(r.code().to_string());
            c.exited_on = Some(today.to_string());
        }
        Action::Return => {
            // The opinion and the notice were about facts now in doubt: both are given
            // again after the new investigation (and a 近亲属 case reviewed again).
            c.recommend = None;
            c.notice_from = None;
            c.notice_until = None;
            c.district_reviewed = false;
            // The result worked out for the opinion no longer stands: the case page
            // shows a preview on the current register until the new opinion.
            c.explanation = None;
            c.monthly_amount = 0;
            c.covered_persons = 0;
        }
        Action::Refuse | Action::Reject => {}
    }
    if let Some(d) = &decision {
        c.monthly_amount = d.monthly.0;
        c.covered_persons = d.covered;
        c.marginal = d.marginal;
        c.explanation = Some(d.explanation.clone());
    }
    let mut tx = state.db.begin().await?;
    if decision.is_some() {
        super::registry_web::hold_register(state, &mut tx, case.household_id, register).await?;
    }
    if action == Action::Approve {
        // One active assistance household per person, city-wide, and never 低保 and 特困
        // at once: checked again inside the transaction that activates the case.
        let mut indexes = Vec::new();
        for r in sqlx::query("SELECT id_number_index, name FROM members WHERE household_id = $1")
            .bind(case.household_id)
            .fetch_all(&mut *tx)
            .await?
        {
            indexes.push((r.try_get::<String, _>(0)?, r.try_get::<String, _>(1)?));
        }
        let keys: Vec<String> = indexes.iter().map(|(i, _)| i.clone()).collect();
        state.db.lock_keys(&mut tx, &keys).await?;
        let active: Vec<_> = cases::holders(&mut tx, &indexes, case.household_id)
            .await?
            .into_iter()
            .filter(|h| h.status == Status::Active)
            .collect();
        if let Some(h) = active.first() {
            return Err(AppError::Conflict(format!(
                "不能批准：家庭成员 {} 已在救助家庭 {} 中享受救助（一人只能在一个在保家庭中）。请先核实并办理该家庭的成员变更或停保。",
                h.member_name, h.household_number
            )));
        }
    }
    let updated = sqlx::query(
        "UPDATE cases SET status = $1, accepted_on = $2, due_on = $3, extended = $4, visit_record = $5, \
         verification_record = $6, has_supporter = $7, recommend = $8, notice_from = $9, notice_until = $10, \
         district_reviewed = $11, approved_on = $12, exited_on = $13, exit_reason = $14, monthly_amount = $15, \
         covered_persons = $16, explanation = $17, next_review_on = $18, marginal = $19, close_relative = $20, close_relative_note = $21, \
         support_mode = $22, support_facility = $23, version = version + 1 WHERE id = $24 AND version = $25",
    )
    .bind(c.status.code())
    .bind(c.accepted_on.clone())
    .bind(c.due_on.clone())
    .bind(flag(c.extended))
    .bind(c.visit_record.clone())
    .bind(c.verification_record.clone())
    .bind(flag(c.has_supporter))
    .bind(c.recommend.map(flag))
    .bind(c.notice_from.clone())
    .bind(c.notice_until.clone())
    .bind(flag(c.district_reviewed))
    .bind(c.approved_on.clone())
    .bind(c.exited_on.clone())
    .bind(c.exit_reason.clone())
    .bind(c.monthly_amount)
    .bind(c.covered_persons)
    .bind(
        c.explanation
            .as_ref()
            .map(|e| serde_json::to_string(e).unwrap_or_default()),
    )
    .bind(c.next_review_on.clone())
    .bind(flag(c.marginal))
    .bind(flag(c.close_relative))
    .bind(c.close_relative_note.clone())
    .bind(c.support_mode.clone())
    .bind(c.support_facility.clone())
    .bind(id)
    .bind(case.version)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated != 1 {
        return Err(stale(&case));
    }
    if action == Action::Approve {
        // The quarterly report counts persons at approval; reviews change the current count.
        sqlx::query("UPDATE cases SET approved_persons = covered_persons WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    let note = transition_note(action, &c, &reason, decision.as_ref());
    let now = state.clock.now_local();
    sqlx::query(
        "INSERT INTO case_transitions (case_id, from_status, to_status, at, username, reason, action) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(id)
    .bind(case.status.code())
    .bind(c.status.code())
    .bind(now.to_rfc3339())
    .bind(user.username.clone())
    .bind(note.clone())
    .bind(action.code())
    .execute(&mut *tx)
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            &format!("case.{}", action.code()),
            "assistance_case",
            id.to_string(),
        )
        .with(json!({
            "from": case.status.code(),
            "to": c.status.code(),
            "version": case.version,
            "reason": note,
            "monthly_amount": crate::money::Fen(c.monthly_amount).to_yuan_string(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(Acted {
        case_id: id,
        action: action.label(),
        status: c.status.label(),
        monthly_amount: crate::money::Fen(c.monthly_amount).to_display(),
    })
}

/// The support mode of a 特困 person as the investigation records it: at home, or in a
/// named care institution.
fn support_mode(mode: &str, facility: &str) -> AppResult<(&'static str, Option<String>)> {
    match mode {
        "home" => Ok(("home", None)),
        "institution" => {
            let name = facility.trim();
            if name.is_empty() || name.chars().count() > 50 {
                return Err(AppError::Invalid(
                    "供养机构：集中供养请填写供养服务机构（敬老院、福利院等）的名称，50 字以内。"
                        .to_string(),
                ));
            }
            Ok(("institution", Some(name.to_string())))
        }
        _ => Err(AppError::Invalid(
            "供养方式：特困人员请选择分散供养（在家）或集中供养（在供养服务机构）。".to_string(),
        )),
    }
}

fn next(action: Action, facts: &CaseFacts, today: NaiveDate) -> AppResult<Status> {
    workflow::next_status(action, facts, today).map_err(|r| AppError::Conflict(r.0))
}

fn stale(case: &CaseRecord) -> AppError {
    AppError::Conflict(format!(
        "救助案件 {} 已被其他人处理（当前状态「{}」），您看到的是旧版本。请刷新页面，确认最新情况后再操作。",
        case.id,
        case.status.label()
    ))
}

/// The transition's "why": the reason written, or what the action recorded.
fn transition_note(
    action: Action,
    c: &CaseRecord,
    reason: &str,
    decision: Option<&Decision>,
) -> String {
    let mut parts: Vec<String> = Vec::new();
    match action {
        Action::Accept => parts.push(format!(
            "受理，办理时限至 {}",
            c.due_on.clone().unwrap_or_default()
        )),
        Action::Investigate => parts.push("已登记入户调查和信息核对结果".to_string()),
        Action::Opinion => parts.push(format!(
            "街道审核意见：{}",
            if c.recommend == Some(true) {
                "同意"
            } else {
                "不同意"
            }
        )),
        Action::Publish => parts.push(format!(
            "公示 {} 至 {}",
            c.notice_from.clone().unwrap_or_default(),
            c.notice_until.clone().unwrap_or_default()
        )),
        Action::DistrictReview => parts.push("区县审核通过（近亲属备案）".to_string()),
        Action::Extend => parts.push(format!("延期至 {}", c.due_on.clone().unwrap_or_default())),
        Action::Approve => parts.push("审批确认".to_string()),
        Action::Exit => parts.push(format!(
            "停保原因：{}",
            c.exit_reason
                .as_deref()
                .and_then(ExitReason::from_code)
                .map(|r| r.label())
                .unwrap_or("")
        )),
        Action::Refuse | Action::Reject | Action::Return => {}
    }
    if let Some(d) = decision {
        parts.push(d.explanation.summary.clone());
    }
    if !reason.is_empty() {
        parts.push(reason.to_string());
    }
    parts.join("；")
}

/// All members elderly (60+), severely disabled (grade 1–2) or seriously ill: reviewed
/// yearly instead of every 6 months.
pub async fn all_members_stable(
    state: &AppState,
    case: &CaseRecord,
    on: NaiveDate,
) -> AppResult<bool> {
    let area = cases::area_of(&state.db, &case.region_code).await?;
    let h = cases::household_for_rules(&state.db, case.household_id, area, on).await?;
    Ok(!h.members.is_empty()
        && h.members.iter().all(|m| {
            m.age >= 60 || m.serious_illness || m.disability.is_some_and(|d| d.grade <= 2)
        }))
}
