//! The facilities register and API: the facilities by kind with beds and the nursing
//! share, the year's construction targets with progress, and the form that registers or
//! updates a facility. One facility's page is `facility_web`. Every change is audited.

use askama::Template;
use axum::Json;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::model::{
    FacilityKind, FacilityStatus, NURSING_TARGET_PCT, NewFacility, Ownership, Progress,
    check_facility,
};
use super::store::{self, Facility};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::{Access, Ctx, CurrentUser, Routes};
use crate::error::{AppError, AppResult};
use crate::region::web::district_in_scope;
use crate::web::extract::{FormOrJson, typed};
use crate::web::layout::{Crumb, PageCtx, render};

pub const READ: Access = Access::Perm("elderly:facility:read");
pub const UPDATE: Access = Access::Perm("elderly:facility:update");

pub fn routes() -> Routes {
    Routes::new()
        .get("/elderly/facilities", READ, list_page)
        .post("/elderly/facilities", UPDATE, save)
        .post("/elderly/targets", UPDATE, set_target)
        .get("/api/v1/elderly/facilities", READ, api_list)
        .post("/api/v1/elderly/facilities", UPDATE, save)
        .post("/api/v1/elderly/targets", UPDATE, set_target)
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub struct ListFilter {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    year: Option<i32>,
}

/// One kind's line of the summary.
#[derive(Serialize)]
struct KindLine {
    kind: &'static str,
    label: &'static str,
    operating: usize,
    beds: i64,
    nursing_beds: i64,
    nursing_share: Option<f64>,
}

/// One district's target of one kind.
#[derive(Serialize)]
struct TargetLine {
    district: String,
    kind_label: &'static str,
    progress: Progress,
}

#[derive(Serialize)]
struct Register {
    today: String,
    year: i32,
    facilities: Vec<Facility>,
    kinds: Vec<KindLine>,
    /// Nursing beds as a share of institutions' beds, against the 55% target.
    institutions_nursing_share: Option<f64>,
    nursing_target_pct: f64,
    targets: Vec<TargetLine>,
}

async fn gather(state: &AppState, user: &CurrentUser, filter: &ListFilter) -> AppResult<Register> {
    let today = state.clock.today();
    let bounds = user.scope_bounds();
    let kind = match filter.kind.as_str() {
        "" => None,
        k => Some(FacilityKind::parse(k).ok_or_else(|| {
            AppError::Invalid(format!(
                "「类型」「{k}」无法识别，应为：{}。",
                FacilityKind::labels()
            ))
        })?),
    };
    let all = store::list(&state.db, &bounds, None, today).await?;
    let kinds = FacilityKind::ALL
        .iter()
        .map(|k| {
            let open: Vec<&Facility> = all
                .iter()
                .filter(|f| f.kind == *k && f.status == FacilityStatus::Operating)
                .collect();
            let beds = open.iter().map(|f| f.beds).sum();
            let nursing_beds = open.iter().map(|f| f.nursing_beds).sum();
            KindLine {
                kind: k.code(),
                label: k.label(),
                operating: open.len(),
                beds,
                nursing_beds,
                nursing_share: super::model::nursing_share(beds, nursing_beds),
            }
        })
        .collect::<Vec<_>>();
    let year = filter.year.unwrap_or(today.year());
    // Targets are a district's: a street or community sees its district's.
    let target_root = match user.region.level() {
        crate::region::Level::City | crate::region::Level::District => user.region.clone(),
        _ => crate::region::RegionCode::parse(user.region.as_str().get(..6).unwrap_or(""))
            .unwrap_or_else(|_| user.region.clone()),
    };
    let names: std::collections::HashMap<String, String> =
        crate::region::store::subtree(&state.db, &target_root)
            .await?
            .into_iter()
            .map(|r| (r.code.to_string(), r.name))
            .collect();
    let targets = store::progress(&state.db, &target_root.scope().sql_bounds(), year)
        .await?
        .into_iter()
        .filter(|(_, (target, _))| *target > 0)
        .map(|((district, kind), (target, opened))| TargetLine {
            district: names.get(&district).cloned().unwrap_or(district),
            kind_label: FacilityKind::parse(&kind).map_or("", FacilityKind::label),
            progress: Progress::new(target, opened),
        })
        .collect();
    let institutions = &kinds[0];
    Ok(Register {
        today: today.to_string(),
        year,
        institutions_nursing_share: institutions.nursing_share,
        nursing_target_pct: NURSING_TARGET_PCT,
        facilities: all
            .into_iter()
            .filter(|f| kind.is_none_or(|k| f.kind == k))
            .collect(),
        kinds,
        targets,
    })
}

#[derive(Template)]
#[template(path = "elderly/facilities.html")]
struct ListPage {
    page: PageCtx,
    r: Register,
    filter: ListFilter,
    kinds: Vec<(&'static str, &'static str)>,
    ownerships: Vec<(&'static str, &'static str)>,
    statuses: Vec<(&'static str, &'static str)>,
    districts: Vec<(String, String)>,
    can_edit: bool,
    notice: String,
}

pub(super) fn options<T: Copy>(
    all: &[T],
    code: fn(T) -> &'static str,
    label: fn(T) -> &'static str,
) -> Vec<(&'static str, &'static str)> {
    all.iter().map(|x| (code(*x), label(*x))).collect()
}

async fn list_view(
    state: &AppState,
    user: &CurrentUser,
    filter: ListFilter,
    notice: String,
) -> AppResult<Html<String>> {
    let r = gather(state, user, &filter).await?;
    let page = PageCtx::load(
        state,
        Some(user),
        "elderly_facilities",
        "养老服务设施",
        vec![Crumb::here("养老服务设施")],
    )
    .await?;
    let districts = crate::region::store::subtree(&state.db, &user.region)
        .await?
        .into_iter()
        .filter(|r| r.level == crate::region::Level::District)
        .map(|r| (r.code.to_string(), r.name))
        .collect();
    render(ListPage {
        page,
        r,
        filter,
        kinds: options(FacilityKind::ALL, FacilityKind::code, FacilityKind::label),
        ownerships: options(Ownership::ALL, Ownership::code, Ownership::label),
        statuses: options(
            FacilityStatus::ALL,
            FacilityStatus::code,
            FacilityStatus::label,
        ),
        districts,
        can_edit: user.can("elderly:facility:update"),
        notice,
    })
}

async fn list_page(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<ListFilter>,
) -> AppResult<Html<String>> {
    list_view(&state, &user, filter, String::new()).await
}

async fn api_list(
    State(state): State<AppState>,
    user: CurrentUser,
    Query(filter): Query<ListFilter>,
) -> AppResult<Json<Register>> {
    Ok(Json(gather(&state, &user, &filter).await?))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct FacilityForm {
    number: String,
    name: String,
    kind: String,
    #[schema(example = "369902001001")]
    community: String,
    ownership: String,
    status: String,
    #[serde(default)]
    #[schema(format = Date, example = "2026-11-02")]
    opened_on: String,
    #[serde(default)]
    operator: String,
    #[serde(default)]
    star_grade: Value,
    #[serde(default)]
    beds: Value,
    #[serde(default)]
    nursing_beds: Value,
}

pub(super) fn whole(field: &str, v: &Value) -> AppResult<i64> {
    let text = typed(v);
    let text = text.trim();
    if text.is_empty() {
        return Ok(0);
    }
    text.parse::<i64>()
        .map_err(|_| AppError::Invalid(format!("「{field}」应为整数，收到「{text}」。")))
}

pub(super) fn day(field: &str, text: &str) -> AppResult<NaiveDate> {
    crate::calendar::parse_date(text.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            text.trim()
        ))
    })
}

fn parse_facility(form: &FacilityForm, today: NaiveDate) -> AppResult<NewFacility> {
    let pick = |field: &str, value: &str, labels: String| {
        AppError::Invalid(format!("「{field}」「{value}」无法识别，应为：{labels}。"))
    };
    let star = typed(&form.star_grade);
    let f = NewFacility {
        number: form.number.trim().to_string(),
        name: form.name.trim().to_string(),
        kind: FacilityKind::parse(&form.kind)
            .ok_or_else(|| pick("类型", &form.kind, FacilityKind::labels()))?,
        community: form.community.trim().to_string(),
        ownership: Ownership::parse(&form.ownership)
            .ok_or_else(|| pick("性质", &form.ownership, Ownership::labels()))?,
        status: FacilityStatus::parse(&form.status)
            .ok_or_else(|| pick("状态", &form.status, FacilityStatus::labels()))?,
        opened_on: match form.opened_on.trim() {
            "" => None,
            t => Some(day("开业日期", t)?),
        },
        operator: form.operator.trim().to_string(),
        star_grade: match star.trim() {
            "" => None,
            _ => Some(whole("星级", &form.star_grade)?),
        },
        beds: whole("床位数", &form.beds)?,
        nursing_beds: whole("护理型床位数", &form.nursing_beds)?,
    };
    if f.name.is_empty() {
        return Err(AppError::Invalid("请填写「名称」。".to_string()));
    }
    if let Some((field, reason)) = check_facility(&f, today).into_iter().next() {
        return Err(AppError::Invalid(format!("「{field}」{reason}。")));
    }
    Ok(f)
}

/// Creates a facility, or updates the one with the same number (within the user's scope).
async fn save(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<FacilityForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let today = state.clock.today();
    let f = parse_facility(&form, today)?;
    let community = crate::region::store::get(&state.db, &f.community)
        .await?
        .filter(|r| {
            r.level == crate::region::Level::Community && user.scope().contains(&f.community)
        })
        .ok_or_else(|| {
            AppError::Invalid(format!(
                "「所属社区」「{}」不是您管辖范围内的 12 位社区/村代码。",
                f.community
            ))
        })?;
    let now = state.clock.now_local();
    let at = now.to_rfc3339();
    let mut tx = state.db.begin().await?;
    let known: Option<(i64, String)> =
        sqlx::query_as("SELECT id, region_code FROM care_facilities WHERE number = $1")
            .bind(&f.number)
            .fetch_optional(&mut *tx)
            .await?;
    if let Some((_, region)) = &known {
        user.ensure_in_scope(region, || format!("设施 {}", f.number))?;
    }
    if let Some(why) = store::check_saved_history(&mut tx, &f).await? {
        return Err(AppError::Invalid(format!(
            "「床位数」或「开业日期」：{why}。"
        )));
    }
    let (id, created) = store::save(&mut tx, &f, (&user.username, &at)).await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            if created {
                "elderly.facility.create"
            } else {
                "elderly.facility.update"
            },
            "care_facility",
            id.to_string(),
        )
        .with(json!({"facility": f})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已{}：{}（{}，{}），开业床位 {} 张、护理型 {} 张。",
        if created { "登记" } else { "更新" },
        f.name,
        f.kind.label(),
        community.name,
        f.beds,
        f.nursing_beds
    );
    if json {
        return Ok(Json(json!({"id": id, "created": created, "message": message})).into_response());
    }
    Ok(list_view(&state, &user, ListFilter::default(), message)
        .await?
        .into_response())
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct TargetForm {
    #[schema(example = "369902")]
    district_code: String,
    #[schema(example = 2026)]
    year: Value,
    kind: String,
    target: Value,
}

async fn set_target(
    State(state): State<AppState>,
    ctx: Ctx,
    FormOrJson { value: form, json }: FormOrJson<TargetForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let district = district_in_scope(&state, &user, &form.district_code).await?;
    let year = whole("年度", &form.year)?;
    if !(2000..=2100).contains(&year) {
        return Err(AppError::Invalid(format!(
            "「年度」应为 2000 至 2100，收到 {year}。"
        )));
    }
    let kind = FacilityKind::parse(&form.kind)
        .ok_or_else(|| AppError::Invalid(format!("「类型」应为：{}。", FacilityKind::labels())))?;
    let target = whole("目标数", &form.target)?;
    if !(0..=10_000).contains(&target) {
        return Err(AppError::Invalid(
            "「目标数」应为 0 到 10000 的整数。".to_string(),
        ));
    }
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    store::set_target(
        &mut tx,
        district.code.as_str(),
        year as i32,
        kind,
        target,
        (&user.username, &now.to_rfc3339()),
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "elderly.target.set",
            "care_target",
            format!("{}/{year}/{}", district.code, kind.code()),
        )
        .with(json!({"target": target})),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let message = format!(
        "已设定：{} {year} 年新建{} {target} 个。",
        district.name,
        kind.label()
    );
    if json {
        return Ok(Json(json!({"message": message})).into_response());
    }
    let filter = ListFilter {
        year: Some(year as i32),
        ..ListFilter::default()
    };
    Ok(list_view(&state, &user, filter, message)
        .await?
        .into_response())
}
