//! Members of a household on the register: their facts (work capacity, disability,
//! illness, self-care, schooling, employment, covered or not), and members joining or
//! leaving (birth, marriage, death, moving), each change audited.

use axum::extract::{Path, State};
use axum::response::Response;
use serde::Deserialize;
use serde_json::json;
use sqlx::Row;

use super::model::{DisabilityKind, SelfCare, WorkCapacity};
use super::registry_web::{Change, finish, household_in_scope};
use crate::AppState;
use crate::auth::{Access, Ctx, Routes};
use crate::db::{flag, is_set};
use crate::error::{AppError, AppResult};
use crate::web::extract::FormOrJson;

const UPDATE: Access = Access::Perm("assistance:household:update");

pub fn routes() -> Routes {
    Routes::new()
        .post("/assistance/households/{id}/members", UPDATE, member_add)
        .post(
            "/assistance/households/{id}/members/{mid}/remove",
            UPDATE,
            member_remove,
        )
        .post(
            "/assistance/households/{id}/members/{mid}",
            UPDATE,
            member_update,
        )
        .post("/api/v1/households/{id}/members", UPDATE, member_add)
        .post(
            "/api/v1/households/{id}/members/{mid}/remove",
            UPDATE,
            member_remove,
        )
        .post(
            "/api/v1/households/{id}/members/{mid}",
            UPDATE,
            member_update,
        )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MemberForm {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    work_capacity: String,
    #[serde(default)]
    disability_grade: String,
    #[serde(default)]
    disability_kind: String,
    #[serde(default)]
    serious_illness: String,
    #[serde(default)]
    self_care: String,
    #[serde(default)]
    student: String,
    #[serde(default)]
    employment: String,
    #[serde(default)]
    covered: String,
}

async fn member_update(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, mid)): Path<(i64, i64)>,
    FormOrJson { value: f, json }: FormOrJson<MemberForm>,
) -> AppResult<Response> {
    household_in_scope(&state, ctx.user()?, id).await?;
    let work = WorkCapacity::from_code(&f.work_capacity)
        .ok_or_else(|| AppError::Invalid("劳动能力：请从列表中选择。".to_string()))?;
    let self_care = SelfCare::from_code(&f.self_care)
        .ok_or_else(|| AppError::Invalid("生活自理能力：请从列表中选择。".to_string()))?;
    let (grade, kind) = match f.disability_grade.as_str() {
        "" => (None, None),
        g => {
            let grade = g
                .parse::<i64>()
                .ok()
                .filter(|g| (1..=4).contains(g))
                .ok_or_else(|| AppError::Invalid("残疾等级：应为 1 到 4 级。".to_string()))?;
            let kind = DisabilityKind::from_code(&f.disability_kind).ok_or_else(|| {
                AppError::Invalid("残疾类别：填写了残疾等级时请选择残疾类别。".to_string())
            })?;
            (Some(grade), Some(kind.code()))
        }
    };
    let employment = f.employment.trim().to_string();
    if employment.chars().count() > 50 {
        return Err(AppError::Invalid("就业情况：最多 50 个字。".to_string()));
    }
    let mut tx = state.db.begin().await?;
    // The audit keeps what the facts were, not only what they became.
    let before = sqlx::query(
        "SELECT work_capacity, disability_grade, disability_kind, serious_illness, self_care, student, covered \
         FROM members WHERE id = $1 AND household_id = $2",
    )
    .bind(mid)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| -> Result<serde_json::Value, sqlx::Error> {
        Ok(json!({
            "work_capacity": r.try_get::<Option<String>, _>("work_capacity")?,
            "disability_grade": r.try_get::<Option<i64>, _>("disability_grade")?,
            "disability_kind": r.try_get::<Option<String>, _>("disability_kind")?,
            "serious_illness": is_set(r.try_get("serious_illness")?),
            "self_care": r.try_get::<Option<String>, _>("self_care")?,
            "student": is_set(r.try_get("student")?),
            "covered": is_set(r.try_get("covered")?),
        }))
    })
    .transpose()?;
    let details = json!({
        "member": mid,
        "before": before,
        "after": {
            "work_capacity": work.code(),
            "disability_grade": grade,
            "disability_kind": kind,
            "serious_illness": f.serious_illness == "1",
            "self_care": self_care.code(),
            "student": f.student == "1",
            "covered": f.covered == "1",
        },
    });
    let affected = sqlx::query(
        "UPDATE members SET work_capacity = $1, disability_grade = $2, disability_kind = $3, \
             serious_illness = $4, self_care = $5, student = $6, employment = $7, covered = $8 \
             WHERE id = $9 AND household_id = $10",
    )
    .bind(work.code())
    .bind(grade)
    .bind(kind)
    .bind(flag(f.serious_illness == "1"))
    .bind(self_care.code())
    .bind(flag(f.student == "1"))
    .bind((!employment.is_empty()).then_some(employment.clone()))
    .bind(flag(f.covered == "1"))
    .bind(mid)
    .bind(id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    finish(
        &state,
        &ctx,
        tx,
        Change {
            household: id,
            version: f.version,
            affected,
            action: "household.member_update",
            details,
            done: "更新成员情况",
            json,
        },
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewMemberForm {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    name: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    relation: String,
    #[serde(default)]
    hukou: String,
    #[serde(default)]
    work_capacity: String,
}

/// Adds a member (birth, marriage, moving in): the person may not be in another
/// household's active or accepted case.
async fn member_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: f, json }: FormOrJson<NewMemberForm>,
) -> AppResult<Response> {
    household_in_scope(&state, ctx.user()?, id).await?;
    let name = f.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 30 {
        return Err(AppError::Invalid(
            "姓名：请填写 1 到 30 个字的姓名。".to_string(),
        ));
    }
    let person = crate::ids::IdNumber::parse(&f.id_number, state.clock.today())
        .map_err(|e| AppError::Invalid(format!("{e}。")))?;
    let relation = super::model::Relation::from_label(&f.relation)
        .filter(|r| *r != super::model::Relation::Applicant)
        .ok_or_else(|| {
            AppError::Invalid("与申请人关系：请从列表中选择（本人已在家庭中）。".to_string())
        })?;
    let hukou = crate::region::UrbanRural::from_code(&f.hukou)
        .ok_or_else(|| AppError::Invalid("户口性质：请选择城镇或农村。".to_string()))?;
    let work = WorkCapacity::from_code(&f.work_capacity)
        .ok_or_else(|| AppError::Invalid("劳动能力：请从列表中选择。".to_string()))?;
    let sealed = state
        .keyring
        .seal(crate::protect::SensitiveKind::IdNumber, person.as_str());
    let mut tx = state.db.begin().await?;
    state
        .db
        .lock_keys(&mut tx, std::slice::from_ref(&sealed.index))
        .await?;
    let holders: Vec<_> =
        super::cases::holders(&mut tx, &[(sealed.index.clone(), name.clone())], id)
            .await?
            .into_iter()
            .filter(|h| h.status != super::workflow::Status::Submitted)
            .collect();
    if let Some(h) = holders.first() {
        return Err(AppError::Conflict(format!(
            "{name} 已在救助家庭 {} 中（{}），一人只能在一个救助家庭中；请先办理该家庭的成员减少或停保。",
            h.household_number,
            h.status.label()
        )));
    }
    let here: i64 = sqlx::query(
        "SELECT COUNT(*) FROM members WHERE household_id = $1 AND id_number_index = $2",
    )
    .bind(id)
    .bind(sealed.index.clone())
    .fetch_one(&mut *tx)
    .await?
    .try_get(0)?;
    if here > 0 {
        return Err(AppError::Conflict(format!("{name} 已是本家庭成员。")));
    }
    let affected = sqlx::query(
        "INSERT INTO members (household_id, name, relation, id_number_sealed, id_number_index, birth_date, sex, \
         covered, work_capacity, self_care, hukou) VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, 'full', $9)",
    )
    .bind(id)
    .bind(name.clone())
    .bind(relation.label())
    .bind(sealed.sealed)
    .bind(sealed.index)
    .bind(person.birth_date().to_string())
    .bind(match person.sex() {
        crate::ids::Sex::Male => "male",
        crate::ids::Sex::Female => "female",
    })
    .bind(work.code())
    .bind(hukou.code())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    finish(
        &state,
        &ctx,
        tx,
        Change {
            household: id,
            version: f.version,
            affected,
            action: "household.member_add",
            details: json!({ "name": name, "relation": relation.label(), "id_number": person.masked() }),
            done: "增加成员",
            json,
        },
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct RemoveForm {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    reason: String,
}

/// Removes a member (death, moving out, marriage out) with the reason; the applicant
/// stays (a household without its applicant is ended by 停保 instead).
async fn member_remove(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, mid)): Path<(i64, i64)>,
    FormOrJson { value: f, json }: FormOrJson<RemoveForm>,
) -> AppResult<Response> {
    household_in_scope(&state, ctx.user()?, id).await?;
    let reason = f.reason.trim().to_string();
    if reason.is_empty() || reason.chars().count() > 200 {
        return Err(AppError::Invalid(
            "减少原因：请写明原因（如 死亡、迁出、婚嫁），最多 200 个字。".to_string(),
        ));
    }
    let mut tx = state.db.begin().await?;
    let row = sqlx::query("SELECT name, relation FROM members WHERE id = $1 AND household_id = $2")
        .bind(mid)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("救助家庭 {id} 的成员 {mid}")))?;
    let name: String = row.try_get("name")?;
    if row.try_get::<String, _>("relation")? == "本人" {
        return Err(AppError::Conflict(format!(
            "{name} 是申请人本人，不能从家庭中减少；申请人死亡或迁出的，请对案件办理停保。"
        )));
    }
    let affected = sqlx::query("DELETE FROM members WHERE id = $1 AND household_id = $2")
        .bind(mid)
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    finish(
        &state,
        &ctx,
        tx,
        Change {
            household: id,
            version: f.version,
            affected,
            action: "household.member_remove",
            details: json!({ "member": mid, "name": name, "reason": reason }),
            done: "减少成员",
            json,
        },
    )
    .await
}
