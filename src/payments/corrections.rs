//! Corrections (更正) of a payroll before its bank file goes out: a line's amount changed
//! or the line taken off, each with its reason, the line as it was, who and when. A
//! correction of an approved payroll sends it back to 待审批, and whoever corrected it
//! cannot approve it (`rules::next`). The rules are in `rules::{Correction, correctable}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use sqlx::{Any, Row, Transaction};

use super::rules::{self, Correction, Status};
use crate::AppState;
use crate::audit::{AuditEvent, store::record};
use crate::auth::Ctx;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::money::Fen;
use crate::web::extract::{FormOrJson, typed};

/// A correction as the payroll page and the API list it.
#[derive(Clone, Debug, Serialize)]
pub struct CorrectionRecord {
    pub id: i64,
    pub line_id: i64,
    pub reference: String,
    pub case_id: i64,
    pub action: String,
    pub amount_before: String,
    pub amount_after: Option<String>,
    pub reason: String,
    pub status_before: String,
    pub corrected_by: String,
    pub corrected_at: String,
}

/// The corrections of a payroll, oldest first.
pub async fn list(db: &Db, payroll_id: i64) -> Result<Vec<CorrectionRecord>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, line_id, case_id, action, amount_before, amount_after, reason, status_before, \
         corrected_by, corrected_at FROM payroll_corrections WHERE payroll_id = $1 ORDER BY id",
    )
    .bind(payroll_id)
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let line_id: i64 = r.try_get(1)?;
            Ok(CorrectionRecord {
                id: r.try_get(0)?,
                line_id,
                reference: rules::reference(line_id),
                case_id: r.try_get(2)?,
                action: r.try_get(3)?,
                amount_before: Fen(r.try_get(4)?).to_yuan_string(),
                amount_after: r
                    .try_get::<Option<i64>, _>(5)?
                    .map(|f| Fen(f).to_yuan_string()),
                reason: r.try_get(6)?,
                status_before: r.try_get(7)?,
                corrected_by: r.try_get(8)?,
                corrected_at: r.try_get(9)?,
            })
        })
        .collect()
}

/// Who corrected lines of a payroll: makers for the maker–checker rule.
pub async fn correctors(db: &Db, payroll_id: i64) -> Result<Vec<String>, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT DISTINCT corrected_by FROM payroll_corrections WHERE payroll_id = $1",
    )
    .bind(payroll_id)
    .fetch_all(db.pool())
    .await
}

/// What a stored correction changed, for the audit record and the answer.
struct Applied {
    case_id: i64,
    before: Fen,
    line: Value,
}

#[derive(Debug, thiserror::Error)]
enum CorrectError {
    #[error("{0}")]
    Refused(String),
    #[error("名册已被他人修改，请刷新后再更正。")]
    Stale,
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

/// The payroll as the corrector saw it.
struct Seen {
    payroll_id: i64,
    version: i64,
    status: Status,
}

/// Changes or removes a pending line of the payroll and records it; moves an approved
/// payroll back to submitted with the corrector as its submitter. Guarded by `version`.
async fn apply(
    tx: &mut Transaction<'_, Any>,
    Seen {
        payroll_id,
        version,
        status,
    }: Seen,
    line_id: i64,
    (correction, reason): (Correction, &str),
    (by, at): (&str, &str),
) -> Result<Applied, CorrectError> {
    let row = sqlx::query(
        "SELECT case_id, kind, month_paid, amount, payee_name, status, reissue_of FROM payroll_lines \
         WHERE id = $1 AND payroll_id = $2",
    )
    .bind(line_id)
    .bind(payroll_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or_else(|| {
        CorrectError::Refused(format!(
            "「参考号」{} 不是这份名册的明细，请核对后再填。",
            rules::reference(line_id)
        ))
    })?;
    let case_id: i64 = row.try_get(0)?;
    let month_paid: String = row.try_get(2)?;
    let before = Fen(row.try_get(3)?);
    let line = json!({
        "id": line_id,
        "case_id": case_id,
        "kind": row.try_get::<String, _>(1)?,
        "month_paid": row.try_get::<String, _>(2)?,
        "amount": before.to_yuan_string(),
        "payee": row.try_get::<String, _>(4)?,
        "reissue_of": row.try_get::<Option<i64>, _>(6)?,
    });
    if let Correction::Amount(after) = correction
        && after == before
    {
        return Err(CorrectError::Refused(format!(
            "「更正后金额」与原金额 {} 元相同，无需更正。",
            before.to_display()
        )));
    }
    // Submitted or approved: the corrector becomes the submitter, so the approval that
    // follows is by someone else.
    let moved = match status {
        Status::Generated => sqlx::query(
            "UPDATE payrolls SET version = version + 1 WHERE id = $1 AND version = $2",
        )
        .bind(payroll_id)
        .bind(version),
        _ => sqlx::query(
            "UPDATE payrolls SET status = 'submitted', submitted_by = $3, submitted_at = $4, \
             approved_by = NULL, approved_at = NULL, version = version + 1 WHERE id = $1 AND version = $2",
        )
        .bind(payroll_id)
        .bind(version)
        .bind(by)
        .bind(at),
    }
    .execute(&mut **tx)
    .await?
    .rows_affected();
    if moved != 1 {
        return Err(CorrectError::Stale);
    }
    match correction {
        Correction::Amount(after) => {
            sqlx::query("UPDATE payroll_lines SET amount = $1 WHERE id = $2")
                .bind(after.0)
                .bind(line_id)
                .execute(&mut **tx)
                .await?;
        }
        Correction::Remove => {
            sqlx::query("DELETE FROM payroll_lines WHERE id = $1")
                .bind(line_id)
                .execute(&mut **tx)
                .await?;
        }
    }
    sqlx::query(
        "INSERT INTO payroll_corrections (payroll_id, line_id, case_id, action, amount_before, amount_after, \
         reason, status_before, line, corrected_by, corrected_at, month_paid) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(payroll_id)
    .bind(line_id)
    .bind(case_id)
    .bind(correction.code())
    .bind(before.0)
    .bind(match correction {
        Correction::Amount(f) => Some(f.0),
        Correction::Remove => None,
    })
    .bind(reason)
    .bind(status.code())
    .bind(line.to_string())
    .bind(by)
    .bind(at)
    .bind(&month_paid)
    .execute(&mut **tx)
    .await?;
    Ok(Applied {
        case_id,
        before,
        line,
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct CorrectionForm {
    version: i64,
    /// The bank reference (MZ…) as the page shows it, or the line id.
    line: Value,
    action: String,
    #[serde(default)]
    amount: Value,
    #[serde(default)]
    reason: String,
}

fn line_id(v: &Value) -> Option<i64> {
    let text = typed(v);
    rules::parse_reference(&text).or_else(|| text.trim().parse().ok())
}

pub async fn correct(
    State(state): State<AppState>,
    ctx: Ctx,
    Path(id): Path<i64>,
    FormOrJson { value: form, json }: FormOrJson<CorrectionForm>,
) -> AppResult<Response> {
    let user = ctx.user()?.clone();
    let p = super::web::payroll_in_scope(&state, &user, id).await?;
    rules::correctable(p.status).map_err(AppError::Conflict)?;
    let line = line_id(&form.line).ok_or_else(|| {
        AppError::Invalid(format!(
            "「参考号」「{}」无法识别，请填写名册明细中的参考号，如 MZ0000000042。",
            typed(&form.line).trim()
        ))
    })?;
    let (correction, reason) = Correction::parse(&form.action, &typed(&form.amount), &form.reason)
        .map_err(AppError::Invalid)?;
    let now = state.clock.now_local();
    let mut tx = state.db.begin().await?;
    let seen = Seen {
        payroll_id: id,
        version: form.version,
        status: p.status,
    };
    let applied = apply(
        &mut tx,
        seen,
        line,
        (correction, &reason),
        (&user.username, &now.to_rfc3339()),
    )
    .await
    .map_err(|e| match e {
        CorrectError::Refused(m) => AppError::Invalid(m),
        CorrectError::Stale => AppError::Conflict(e.to_string()),
        CorrectError::Database(e) => AppError::Database(e),
    })?;
    let after = match correction {
        Correction::Amount(f) => Some(f.to_yuan_string()),
        Correction::Remove => None,
    };
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            &ctx.actor(),
            "payroll.correct",
            "payroll",
            id.to_string(),
        )
        .with(json!({
            "action": correction.code(),
            "line": applied.line,
            "before": applied.before.to_yuan_string(),
            "after": after,
            "reason": reason,
            "status_before": p.status.code(),
        })),
    )
    .await
    .map_err(AppError::audit)?;
    tx.commit().await?;
    let p = super::web::payroll_in_scope(&state, &user, id).await?;
    if json {
        return Ok(Json(json!({ "payroll": p, "case_id": applied.case_id })).into_response());
    }
    let notice = format!(
        "已{}：{}（案件 {}），原金额 {} 元{}。{}",
        correction.label(),
        rules::reference(line),
        applied.case_id,
        applied.before.to_display(),
        match correction {
            Correction::Amount(f) => format!("，更正为 {} 元", f.to_display()),
            Correction::Remove => String::new(),
        },
        if p.status == Status::Submitted {
            "名册须重新审批。"
        } else {
            ""
        }
    );
    Ok(
        super::web::detail_view(&state, &user, p, 0, Vec::new(), notice)
            .await?
            .into_response(),
    )
}
