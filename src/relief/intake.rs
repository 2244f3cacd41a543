//! Who is at the station: intake (with the ID when known) and 补录身份 when a family
//! search finds who an unknown person is. A known ID must agree with the sex and the
//! group, and one person has at most one open case at any station. Audited.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use serde::Deserialize;
use serde_json::json;

use super::input::{day, region_in_scope, required, version};
use super::model::{FamilySearch, Group, Service, Sex, check_identity, services_text};
use super::store::{self, NewCase};
use super::web::{case_in_scope, case_view, finish};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Ctx, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::protect::SensitiveKind;
use crate::web::extract::FormOrJson;

/// Every field defaults so that a missing one is named in Chinese by the checks, not by
/// the deserializer.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct IntakeForm {
    region_code: String,
    #[schema(format = Date, example = "2026-11-02")]
    intake_on: String,
    name: String,
    id_number: String,
    sex: String,
    group: String,
    notes: String,
}

/// A person already at a station: named when the user may see that case, otherwise only
/// said to be elsewhere (the other district's records are not theirs to read).
fn already_open(user: &CurrentUser, open: (i64, String, String, String), what: &str) -> AppError {
    let (id, region, name, intake) = open;
    AppError::Conflict(if user.scope().contains(&region) {
        format!(
            "{what}：此人已在站（救助对象 {id}「{name}」，{intake} 入站，尚未离站）。\
             同一人不能同时有两条在站记录，请在该记录上继续登记，或先为其登记离站。"
        )
    } else {
        format!(
            "{what}：此人在其他救助站尚有未离站的救助记录，同一人不能同时有两条在站记录；请与该站联系。"
        )
    })
}

/// A typed ID number, checked, sealed with its blind index.
fn sealed_id(
    state: &AppState,
    text: &str,
    today: NaiveDate,
) -> AppResult<(crate::ids::IdNumber, (String, String))> {
    let number = crate::ids::IdNumber::parse(text, today).map_err(|e| {
        // The checker's messages already begin with 身份证号; name the field once.
        let e = e.to_string();
        let e = e.strip_prefix("身份证号").unwrap_or(&e);
        AppError::Invalid(format!("「身份证号」{e}。"))
    })?;
    let sealed = state.keyring.seal(SensitiveKind::IdNumber, number.as_str());
    Ok((number, (sealed.sealed, sealed.index)))
}

pub(super) async fn intake(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<IntakeForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let name = form.name.trim().to_string();
    if name.is_empty() {
        return Err(AppError::Invalid(
            "请填写「姓名」；身份不明的写体貌特征，如「无名氏（男，约 60 岁）」。".to_string(),
        ));
    }
    let region_code = region_in_scope(&state, &user, "救助站所在区划", &form.region_code).await?;
    let intake_on = day("入站日期", &form.intake_on, today)?;
    let sexes = format!("请选择{}", Sex::labels());
    let mut sex = Sex::parse(required("性别", &form.sex, &sexes)?)
        .ok_or_else(|| AppError::Invalid(format!("「性别」应为：{}。", Sex::labels())))?;
    let groups = format!("请选择{}", Group::labels());
    let group = Group::parse(required("类别", &form.group, &groups)?)
        .ok_or_else(|| AppError::Invalid(format!("「类别」应为：{}。", Group::labels())))?;
    let id = match form.id_number.trim() {
        "" => None,
        text => {
            let (number, sealed) = sealed_id(&state, text, today)?;
            sex = check_identity(&number, sex, group, intake_on)
                .map_err(|e| AppError::Invalid(format!("{e}。")))?;
            Some(sealed)
        }
    };
    let c = NewCase {
        region_code,
        intake_on,
        name,
        id,
        sex,
        group,
        services: services_text(&[Service::Food, Service::Lodging]),
        family_search: FamilySearch::None,
        notes: form.notes.trim().to_string(),
    };
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    if let Some((_, index)) = &c.id {
        // Two intakes of one person at once must not both pass the check.
        state
            .db
            .lock_keys(&mut tx, &[format!("relief-person:{index}")])
            .await?;
        if let Some(open) = store::open_case_of(&mut tx, index, None).await? {
            return Err(already_open(&user, open, "不能登记入站"));
        }
    }
    let case = store::add_case(&mut tx, &c, (&user.username, &now.to_rfc3339())).await?;
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "relief.case.intake", "relief_case", case.to_string()).with(json!({
            "intake_on": c.intake_on.to_string(), "region": c.region_code, "identity_known": c.id.is_some(),
            "group": c.group.code(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已登记入站：{}（{}），提供饮食、住宿。",
        c.name,
        c.group.label()
    );
    if json {
        return Ok(Json(json!({"id": case, "message": message})).into_response());
    }
    Ok(case_view(&state, &user, case, message)
        .await?
        .into_response())
}

/// 补录身份: the family search (or the police) found who an unknown person is.
#[derive(Deserialize, Default, utoipa::ToSchema)]
#[serde(default)]
pub struct IdentityForm {
    version: serde_json::Value,
    id_number: String,
    name: String,
    /// The group, if the card shows the one at intake was wrong; empty keeps it.
    group: String,
}

pub(super) async fn identity(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<IdentityForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let c = case_in_scope(&state, &user, id).await?.case;
    let version = version(&form.version)?;
    if let Some(left) = &c.left_on {
        return Err(AppError::Conflict(format!(
            "此人已于 {left} 离站（{}），离站后的记录不能再补录身份。",
            c.outcome_label
        )));
    }
    let name = form.name.trim();
    if name.is_empty() {
        return Err(AppError::Invalid(
            "请填写「姓名」：查明身份后的真实姓名，与身份证一致。".to_string(),
        ));
    }
    if form.id_number.trim().is_empty() {
        return Err(AppError::Invalid(
            "请填写「身份证号」：查明身份后的 18 位居民身份证号码。".to_string(),
        ));
    }
    let group = match form.group.trim() {
        "" => c.group,
        g => Group::parse(g)
            .ok_or_else(|| AppError::Invalid(format!("「类别」应为：{}。", Group::labels())))?,
    };
    let (number, (sealed, index)) = sealed_id(&state, &form.id_number, today)?;
    let intake_on = c.intake_on.parse().unwrap_or(today);
    // The card settles the sex; a group the card contradicts is named for correction.
    let sex = check_identity(&number, Sex::Unknown, group, intake_on)
        .map_err(|e| AppError::Invalid(format!("{e}。")))?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    state
        .db
        .lock_keys(&mut tx, &[format!("relief-person:{index}")])
        .await?;
    if let Some(open) = store::open_case_of(&mut tx, &index, Some(id)).await? {
        return Err(already_open(&user, open, "不能补录身份"));
    }
    let who = store::Identity {
        name,
        sealed: &sealed,
        index: &index,
        sex,
        group,
    };
    if !store::record_identity(&mut tx, id, version, &who).await? {
        return Err(AppError::Conflict(
            "记录已被他人修改或此人已离站，请刷新后查看。".to_string(),
        ));
    }
    record(
        &mut tx,
        &AuditEvent::new(now, &ctx.actor(), "relief.case.identity", "relief_case", id.to_string()).with(json!({
            "before": {"name": c.name, "identity_known": c.identity_known, "sex": c.sex.code(), "group": c.group.code()},
            "after": {"name": name, "identity_known": true, "sex": sex.code(), "group": group.code()},
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    finish(
        &state,
        &user,
        id,
        json,
        format!("已补录身份：{name}，身份证号 {}。", number.masked()),
    )
    .await
}
