//! What the funeral forms and their API twins share in reading input: dates, names,
//! optional ID numbers and a region within the user's scope. Every message names the
//! field and says what to do.

use chrono::NaiveDate;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::ids::IdNumber;

pub fn day(field: &str, text: &str) -> AppResult<NaiveDate> {
    crate::calendar::parse_date(text.trim()).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不是日期，请写成 2026-07-15。",
            text.trim()
        ))
    })
}

/// A person's or place's name: required, at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> AppResult<String> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::Invalid(format!(
            "请填写「{field}」，不超过 {max} 字。"
        )));
    }
    Ok(v.to_string())
}

/// An ID number that may be left empty.
pub fn optional_id(field: &str, value: &str, today: NaiveDate) -> AppResult<Option<IdNumber>> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    IdNumber::parse(v, today)
        .map(Some)
        .map_err(|e| AppError::Invalid(format!("「{field}」{e}。")))
}

/// A region code that exists and lies within the user's scope.
pub async fn region_in_scope(
    state: &AppState,
    user: &CurrentUser,
    field: &str,
    code: &str,
) -> AppResult<String> {
    let code = code.trim().to_string();
    if crate::region::store::get(&state.db, &code).await?.is_none() {
        return Err(AppError::Invalid(format!(
            "「{field}」{code} 不是行政区划中已有的代码，请核对。"
        )));
    }
    if !user.scope().contains(&code) {
        return Err(AppError::Forbidden(format!(
            "区划 {code} 不在您的管辖范围内，不能由您登记。"
        )));
    }
    Ok(code)
}

/// A code list value from a form: the code or the label.
pub fn coded<T>(
    field: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
    labels: String,
) -> AppResult<T> {
    parse(value).ok_or_else(|| {
        AppError::Invalid(format!(
            "「{field}」「{}」不在可选范围内，请选择：{labels}。",
            value.trim()
        ))
    })
}
