//! What the relief forms and API send, checked: every field named in Chinese when it is
//! missing or wrong (the forms default every field, so the deserializer never answers
//! first), the record version, and the region picked from the user's scope.

use chrono::NaiveDate;
use serde_json::Value;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::web::extract::typed;

pub(super) fn day(field: &str, text: &str, today: NaiveDate) -> AppResult<NaiveDate> {
    if text.trim().is_empty() {
        return Err(AppError::Invalid(format!(
            "「{field}」必填，请写成 2026-07-15。"
        )));
    }
    let d = crate::calendar::parse_date(text.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            text.trim()
        ))
    })?;
    if d > today {
        return Err(AppError::Invalid(format!("「{field}」{d} 晚于今天。")));
    }
    Ok(d)
}

pub(super) fn whole(field: &str, v: &Value) -> AppResult<i64> {
    if typed(v).trim().is_empty() {
        return Err(AppError::Invalid(format!(
            "「{field}」必填，应为 0 到 10000 的整数。"
        )));
    }
    typed(v)
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|n| (0..=10_000).contains(n))
        .ok_or_else(|| AppError::Invalid(format!("「{field}」应为 0 到 10000 的整数。")))
}

/// A text field the form must have: a missing or blank one is named with what to write.
pub(super) fn required<'a>(field: &str, text: &'a str, hint: &str) -> AppResult<&'a str> {
    match text.trim() {
        "" => Err(AppError::Invalid(format!("「{field}」必填：{hint}。"))),
        t => Ok(t),
    }
}

/// The record version a change is made against (read with the case): required, so two
/// people changing one case cannot overwrite each other unseen.
pub(super) fn version(v: &Value) -> AppResult<i64> {
    match typed(v).trim() {
        "" => Err(AppError::Invalid(
            "「version」（记录版本）必填：请刷新页面后重试，接口调用请附上读取救助对象时得到的 version。"
                .to_string(),
        )),
        t => t
            .parse()
            .map_err(|_| AppError::Invalid(format!("「version」（记录版本）「{t}」应为整数。"))),
    }
}

/// The regions in the user's scope (in use), each named by its path from the user's own
/// region (「东湖区 / 东湖街道 / 一社区」) so that two communities of one name are told apart.
pub(super) async fn region_options(
    state: &AppState,
    user: &CurrentUser,
) -> AppResult<Vec<(String, String)>> {
    let tree = crate::region::store::subtree(&state.db, &user.region).await?;
    let names: std::collections::HashMap<String, String> = tree
        .iter()
        .map(|r| (r.code.to_string(), r.name.clone()))
        .collect();
    Ok(tree
        .iter()
        .filter(|r| r.enabled)
        .map(|r| {
            let path = r
                .code
                .ancestry()
                .iter()
                .filter_map(|a| names.get(a.as_str()).cloned())
                .collect::<Vec<_>>()
                .join(" / ");
            (r.code.to_string(), path)
        })
        .collect())
}

/// The region a record is made for: within the user's, and one the tree has. The pages
/// offer a select; the API still takes the code.
pub(super) async fn region_in_scope(
    state: &AppState,
    user: &CurrentUser,
    field: &str,
    code: &str,
) -> AppResult<String> {
    let code = code.trim();
    if code.is_empty() {
        return Err(AppError::Invalid(format!(
            "「{field}」必填：请选择区划（接口填区划代码，如 369902001）。"
        )));
    }
    match crate::region::store::get(&state.db, code).await? {
        Some(_) if user.scope().contains(code) => Ok(code.to_string()),
        _ => Err(AppError::Invalid(format!(
            "「{field}」「{code}」不是您管辖范围内的区划代码。"
        ))),
    }
}
