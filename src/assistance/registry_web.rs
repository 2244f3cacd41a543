//! Keeping a household's register current: the view of members, incomes and assets, and
//! the income and asset changes (member changes are in `registry_members`).
//! Reviews and opinions run the rules on what is recorded here, so every change is
//! audited with its before and after.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sqlx::Row;

use super::model::{DISABILITY_KINDS, INCOME_KINDS, IncomeKind, VEHICLE_KINDS, VehicleKind};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::db::{flag, is_set};
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::web::extract::FormOrJson;

const UPDATE: Access = Access::Perm("assistance:household:update");

pub fn routes() -> Routes {
    Routes::new()
        .post("/assistance/households/{id}/incomes", UPDATE, income_add)
        .post(
            "/assistance/households/{id}/incomes/{iid}/delete",
            UPDATE,
            income_delete,
        )
        .post("/assistance/households/{id}/assets", UPDATE, asset_add)
        .post(
            "/assistance/households/{id}/assets/{aid}/delete",
            UPDATE,
            asset_delete,
        )
        .get(
            "/api/v1/households/{id}/registry",
            Access::Perm("assistance:household:read"),
            registry_api,
        )
        .post("/api/v1/households/{id}/incomes", UPDATE, income_add)
        .post(
            "/api/v1/households/{id}/incomes/{iid}/delete",
            UPDATE,
            income_delete,
        )
        .post("/api/v1/households/{id}/assets", UPDATE, asset_add)
        .post(
            "/api/v1/households/{id}/assets/{aid}/delete",
            UPDATE,
            asset_delete,
        )
}

/// The register's facts of a household with its version (send it back with each change).
async fn registry_api(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
) -> AppResult<axum::Json<serde_json::Value>> {
    household_in_scope(&state, ctx.user()?, id).await?;
    super::web::audit_view(&state, &ctx, id).await?;
    let view = registry(&state, id).await?;
    let version: i64 = sqlx::query("SELECT version FROM households WHERE id = $1")
        .bind(id)
        .fetch_one(state.db.pool())
        .await?
        .try_get(0)?;
    Ok(axum::Json(json!({
        "household_id": id,
        "version": version,
        "members": view.members,
        "assets": view.assets,
    })))
}

/// The answer to a register change: back to the household page, or for the API the
/// household's new version.
fn reply(json: bool, id: i64, version: i64, done: &str) -> Response {
    if json {
        return axum::Json(json!({ "household_id": id, "version": version, "message": done }))
            .into_response();
    }
    back(id, done)
}

#[derive(Serialize)]
pub struct IncomeRow {
    pub id: i64,
    pub kind: &'static str,
    pub item: String,
    pub monthly: String,
    pub months: i64,
    pub excluded: bool,
}

#[derive(Serialize)]
pub struct MemberFacts {
    pub id: i64,
    pub name: String,
    pub work_capacity: String,
    pub disability_grade: String,
    pub disability_kind: String,
    pub serious_illness: bool,
    pub self_care: String,
    pub student: bool,
    pub employment: String,
    pub covered: bool,
    pub incomes: Vec<IncomeRow>,
}

#[derive(Serialize)]
pub struct AssetRow {
    pub id: i64,
    pub label: String,
}

/// The register's editable facts of one household, with the choices its forms offer.
#[derive(Serialize)]
pub struct RegistryView {
    pub members: Vec<MemberFacts>,
    pub assets: Vec<AssetRow>,
    pub income_kinds: Vec<(&'static str, &'static str)>,
    pub disability_kinds: Vec<(&'static str, &'static str)>,
    pub vehicle_kinds: Vec<(&'static str, &'static str)>,
}

pub async fn registry(state: &AppState, household_id: i64) -> AppResult<RegistryView> {
    let excluded = super::cases::income_exclusions(&state.db).await?;
    let mut incomes: Vec<(i64, IncomeRow)> = Vec::new();
    for r in sqlx::query(
        "SELECT i.id, i.member_id, i.kind, i.item, i.monthly, i.months FROM member_incomes i \
         JOIN members m ON m.id = i.member_id WHERE m.household_id = $1 ORDER BY i.id",
    )
    .bind(household_id)
    .fetch_all(state.db.pool())
    .await?
    {
        let item: String = r.try_get("item")?;
        incomes.push((
            r.try_get("member_id")?,
            IncomeRow {
                id: r.try_get("id")?,
                kind: IncomeKind::from_code(&r.try_get::<String, _>("kind")?)
                    .map(|k| k.label())
                    .unwrap_or(""),
                excluded: excluded.contains(&item),
                item,
                monthly: Fen(r.try_get("monthly")?).to_display(),
                months: r.try_get("months")?,
            },
        ));
    }
    let mut members = Vec::new();
    for r in sqlx::query(
        "SELECT id, name, work_capacity, disability_grade, disability_kind, serious_illness, self_care, student, \
         employment, covered FROM members WHERE household_id = $1 \
         ORDER BY CASE WHEN relation = '本人' THEN 0 ELSE 1 END, id",
    )
    .bind(household_id)
    .fetch_all(state.db.pool())
    .await?
    {
        let id: i64 = r.try_get("id")?;
        members.push(MemberFacts {
            id,
            name: r.try_get("name")?,
            work_capacity: r
                .try_get::<Option<String>, _>("work_capacity")?
                .unwrap_or_default(),
            disability_grade: r
                .try_get::<Option<i64>, _>("disability_grade")?
                .map(|g| g.to_string())
                .unwrap_or_default(),
            disability_kind: r
                .try_get::<Option<String>, _>("disability_kind")?
                .unwrap_or_default(),
            serious_illness: is_set(r.try_get("serious_illness")?),
            self_care: r.try_get::<Option<String>, _>("self_care")?.unwrap_or_default(),
            student: is_set(r.try_get("student")?),
            employment: r.try_get::<Option<String>, _>("employment")?.unwrap_or_default(),
            covered: is_set(r.try_get("covered")?),
            incomes: Vec::new(),
        });
    }
    for (member_id, row) in incomes {
        if let Some(m) = members.iter_mut().find(|m| m.id == member_id) {
            m.incomes.push(row);
        }
    }
    let mut assets = Vec::new();
    for r in sqlx::query(
        "SELECT id, kind, detail, value, operating FROM household_assets WHERE household_id = $1 ORDER BY id",
    )
    .bind(household_id)
    .fetch_all(state.db.pool())
    .await?
    {
        let value = Fen(r.try_get("value")?);
        let detail: String = r.try_get("detail")?;
        let label = match r.try_get::<String, _>("kind")?.as_str() {
            "financial" => format!("存款及有价证券 {value} 元"),
            "vehicle" => format!(
                "机动车（{}）价值 {value} 元",
                VehicleKind::from_code(&detail).map(|k| k.label()).unwrap_or("其他")
            ),
            "home" => "住房 1 套".to_string(),
            "commercial" => "商业用房 1 套".to_string(),
            _ => format!(
                "企业法定代表人或股东：注册资本 {value} 元（{}）",
                if is_set(r.try_get("operating")?) {
                    "经营中"
                } else {
                    "已停业"
                }
            ),
        };
        assets.push(AssetRow {
            id: r.try_get("id")?,
            label,
        });
    }
    Ok(RegistryView {
        members,
        assets,
        income_kinds: INCOME_KINDS.iter().map(|k| (k.code(), k.label())).collect(),
        disability_kinds: DISABILITY_KINDS
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        vehicle_kinds: VEHICLE_KINDS
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
    })
}

/// The household's region, checked against the user's scope (outside: 404).
pub(super) async fn household_in_scope(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> AppResult<()> {
    let what = || format!("救助家庭 {id}");
    let region: String = sqlx::query("SELECT region_code FROM households WHERE id = $1")
        .bind(id)
        .fetch_optional(state.db.pool())
        .await?
        .ok_or_else(|| AppError::NotFound(what()))?
        .try_get(0)?;
    user.ensure_in_scope(&region, what)
}

pub(super) fn back(id: i64, done: &str) -> Response {
    Redirect::to(&format!(
        "/assistance/households/{id}?done={}#registry",
        crate::web::encode_query(done)
    ))
    .into_response()
}

/// The case (its 受理编号) that holds a household's register as it was put to the public:
/// one under the street's opinion or in notice.
pub const LOCKING_CASE: &str = "SELECT COALESCE(reference, CAST(id AS TEXT)) FROM cases WHERE household_id = $1 \
     AND status IN ('reviewed', 'notice') ORDER BY id LIMIT 1";

/// The household's version now (register edits bump it).
pub async fn household_version(db: &crate::db::Db, id: i64) -> AppResult<i64> {
    Ok(sqlx::query("SELECT version FROM households WHERE id = $1")
        .bind(id)
        .fetch_one(db.pool())
        .await?
        .try_get(0)?)
}

/// Inside a transaction that acts on what the rules made of a household's register:
/// serialises it with register edits of that household (on PostgreSQL; SQLite has one
/// writer at a time anyway) and refuses when the register changed since `seen` — the
/// version read before the rules ran — so an amount is never decided on facts already
/// replaced.
pub async fn hold_register(
    state: &AppState,
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    id: i64,
    seen: i64,
) -> AppResult<()> {
    state.db.lock_keys(tx, &[format!("household:{id}")]).await?;
    let now: i64 = sqlx::query("SELECT version FROM households WHERE id = $1")
        .bind(id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
    if now != seen {
        return Err(AppError::Conflict(
            "该户的登记信息刚刚被修改，本次办理未保存；请刷新页面，按最新的登记情况重新办理。"
                .to_string(),
        ));
    }
    Ok(())
}

/// The version of the household a form was filled from (its hidden `version` field).
#[derive(Deserialize, utoipa::ToSchema)]
pub struct Versioned {
    pub version: Option<i64>,
}

/// Ends a change of one row: refuses it when the row was not there (another user removed
/// it), when the household changed since the form was filled (`version`, optimistic
/// locking as for cases), or when a case of the household is under the street's opinion
/// or in public notice — those facts are what was put to the public, and approval must
/// not rest on different ones; the case is first sent back to investigation. Otherwise
/// bumps the household's version, records the audit entry and commits. A refusal drops
/// the transaction: nothing of the change is stored.
/// Answers the page (back to the household with `done`) or the API (the new version).
pub(super) async fn finish(
    state: &AppState,
    ctx: &Ctx,
    mut tx: sqlx::Transaction<'static, sqlx::Any>,
    change: Change<'_>,
) -> AppResult<Response> {
    let Change {
        household: id,
        version,
        affected,
        action,
        details,
        done,
        json,
    } = change;
    let version = version.ok_or_else(|| {
        AppError::Invalid(
            "版本号（version）：缺少该户登记信息的版本号，请刷新页面后重新提交。".to_string(),
        )
    })?;
    if affected != 1 {
        return Err(AppError::NotFound(format!("救助家庭 {id} 的这条记录")));
    }
    // Serialised with opinions, approvals and reviews of this household (`hold_register`).
    state
        .db
        .lock_keys(&mut tx, &[format!("household:{id}")])
        .await?;
    let locked: Option<String> = sqlx::query(LOCKING_CASE)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()?;
    if let Some(reference) = locked {
        return Err(AppError::Conflict(format!(
            "该户的救助申请 {reference} 已提出街道审核意见或正在公示，登记信息暂不能修改；\
             如需更正，请先在案件页「退回重新调查」，更正后重新提出审核意见。"
        )));
    }
    let bumped =
        sqlx::query("UPDATE households SET version = version + 1 WHERE id = $1 AND version = $2")
            .bind(id)
            .bind(version)
            .execute(&mut *tx)
            .await?
            .rows_affected();
    if bumped != 1 {
        return Err(AppError::Conflict(
            "该户登记信息在您打开页面后已被他人修改，本次修改未保存；请刷新页面，核对后重新填写。"
                .to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(
            state.clock.now_local(),
            &ctx.actor(),
            action,
            "household",
            id.to_string(),
        )
        .with(details),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    Ok(reply(json, id, version + 1, done))
}

/// One change of a household's register, as `finish` completes it.
pub(super) struct Change<'a> {
    pub household: i64,
    /// The version the form was filled from.
    pub version: Option<i64>,
    /// Rows the change touched (0: the row was gone).
    pub affected: u64,
    pub action: &'a str,
    pub details: serde_json::Value,
    /// What the page says was done.
    pub done: &'a str,
    /// Answer in JSON (the API).
    pub json: bool,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct IncomeForm {
    #[serde(default)]
    version: Option<i64>,
    member_id: i64,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    monthly: String,
    #[serde(default)]
    months: String,
}

async fn income_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: f, json }: FormOrJson<IncomeForm>,
) -> AppResult<Response> {
    household_in_scope(&state, ctx.user()?, id).await?;
    let kind = IncomeKind::from_code(&f.kind)
        .ok_or_else(|| AppError::Invalid("收入类型：请从列表中选择。".to_string()))?;
    let item = f.item.trim().to_string();
    if item.is_empty() || item.chars().count() > 30 {
        return Err(AppError::Invalid(
            "收入项目：请填写项目名称（如 工资、养老金、高龄津贴），最多 30 个字。".to_string(),
        ));
    }
    let monthly = Fen::parse_yuan(&f.monthly)
        .ok()
        .filter(|m| *m >= Fen::ZERO)
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "月金额：「{}」不是有效的金额，请填写以元为单位的金额。",
                f.monthly
            ))
        })?;
    let months = f
        .months
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|m| (0..=12).contains(m))
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "月数：近 12 个月中取得的月数应为 0 到 12，现为「{}」。",
                f.months
            ))
        })?;
    let details = json!({
        "member": f.member_id, "kind": kind.code(), "item": item,
        "monthly": monthly.to_yuan_string(), "months": months,
    });
    let mut tx = state.db.begin().await?;
    let affected = sqlx::query(
        "INSERT INTO member_incomes (member_id, kind, item, monthly, months) \
             SELECT id, $1, $2, $3, $4 FROM members WHERE id = $5 AND household_id = $6",
    )
    .bind(kind.code())
    .bind(item.clone())
    .bind(monthly.0)
    .bind(months)
    .bind(f.member_id)
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
            action: "household.income_add",
            details,
            done: "登记收入",
            json,
        },
    )
    .await
}

async fn income_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, iid)): Path<(i64, i64)>,
    FormOrJson { value: v, json }: FormOrJson<Versioned>,
) -> AppResult<Response> {
    household_in_scope(&state, ctx.user()?, id).await?;
    let mut tx = state.db.begin().await?;
    let before = sqlx::query(
        "SELECT member_id, kind, item, monthly, months FROM member_incomes WHERE id = $1 AND member_id IN \
         (SELECT id FROM members WHERE household_id = $2)",
    )
    .bind(iid)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| -> Result<serde_json::Value, sqlx::Error> {
        Ok(json!({
            "member": r.try_get::<i64, _>("member_id")?,
            "kind": r.try_get::<String, _>("kind")?,
            "item": r.try_get::<String, _>("item")?,
            "monthly": Fen(r.try_get("monthly")?).to_yuan_string(),
            "months": r.try_get::<i64, _>("months")?,
        }))
    })
    .transpose()?;
    let affected = sqlx::query(
        "DELETE FROM member_incomes WHERE id = $1 AND member_id IN \
                 (SELECT id FROM members WHERE household_id = $2)",
    )
    .bind(iid)
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
            version: v.version,
            affected,
            action: "household.income_delete",
            details: json!({ "income": iid, "before": before }),
            done: "删除收入",
            json,
        },
    )
    .await
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct AssetForm {
    #[serde(default)]
    version: Option<i64>,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    vehicle_kind: String,
    #[serde(default)]
    value: String,
    #[serde(default)]
    operating: String,
}

async fn asset_add(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: f, json }: FormOrJson<AssetForm>,
) -> AppResult<Response> {
    household_in_scope(&state, ctx.user()?, id).await?;
    let kind = match f.kind.as_str() {
        k @ ("financial" | "vehicle" | "home" | "commercial" | "business") => k,
        _ => {
            return Err(AppError::Invalid("财产类型：请从列表中选择。".to_string()));
        }
    };
    let value = if matches!(kind, "home" | "commercial") {
        Fen::ZERO
    } else {
        Fen::parse_yuan(&f.value)
            .ok()
            .filter(|v| *v >= Fen::ZERO)
            .ok_or_else(|| {
                AppError::Invalid(format!(
                    "金额：「{}」不是有效的金额，请填写以元为单位的存款、车辆价值或注册资本。",
                    f.value
                ))
            })?
    };
    let detail = if kind == "vehicle" {
        VehicleKind::from_code(&f.vehicle_kind)
            .ok_or_else(|| AppError::Invalid("车辆类型：请从列表中选择。".to_string()))?
            .code()
    } else {
        ""
    };
    let operating = kind != "business" || f.operating == "1";
    let details = json!({ "kind": kind, "detail": detail, "value": value.to_yuan_string(), "operating": operating });
    let mut tx = state.db.begin().await?;
    let affected = sqlx::query(
            "INSERT INTO household_assets (household_id, kind, detail, value, operating) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(kind)
        .bind(detail)
        .bind(value.0)
        .bind(flag(operating))
        .execute(&mut *tx).await?.rows_affected();
    finish(
        &state,
        &ctx,
        tx,
        Change {
            household: id,
            version: f.version,
            affected,
            action: "household.asset_add",
            details,
            done: "登记财产",
            json,
        },
    )
    .await
}

async fn asset_delete(
    State(state): State<AppState>,
    ctx: Ctx,
    Path((id, aid)): Path<(i64, i64)>,
    FormOrJson { value: v, json }: FormOrJson<Versioned>,
) -> AppResult<Response> {
    household_in_scope(&state, ctx.user()?, id).await?;
    let mut tx = state.db.begin().await?;
    let before = sqlx::query(
        "SELECT kind, detail, value, operating FROM household_assets WHERE id = $1 AND household_id = $2",
    )
    .bind(aid)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .map(|r| -> Result<serde_json::Value, sqlx::Error> {
        Ok(json!({
            "kind": r.try_get::<String, _>("kind")?,
            "detail": r.try_get::<String, _>("detail")?,
            "value": Fen(r.try_get("value")?).to_yuan_string(),
            "operating": is_set(r.try_get("operating")?),
        }))
    })
    .transpose()?;
    let affected = sqlx::query("DELETE FROM household_assets WHERE id = $1 AND household_id = $2")
        .bind(aid)
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
            version: v.version,
            affected,
            action: "household.asset_delete",
            details: json!({ "asset": aid, "before": before }),
            done: "删除财产",
            json,
        },
    )
    .await
}
