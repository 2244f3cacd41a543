//! The payroll steps the web and the command line share: each one transaction with its
//! checks and its audit record.

use chrono::{DateTime, FixedOffset};
use serde_json::json;

use super::rules::{Month, Status};
use super::store::{self, GenerateError, Generated, Payroll};
use crate::assistance::model::Program;
use crate::audit::{Actor, AuditEvent, store::record};
use crate::db::Db;
use crate::protect::Keyring;
use crate::region::RegionCode;

/// What `generate` did: the payroll's lines and the supervision tasks it raised.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Made {
    pub generated: Generated,
    pub anomalies: u64,
}

/// Generates a payroll (see `store::generate`), runs the supervision checks over every
/// month it may pay, and records it.
pub async fn generate(
    db: &Db,
    month: Month,
    program: Program,
    district: &RegionCode,
    actor: &Actor,
    now: DateTime<FixedOffset>,
) -> Result<Made, GenerateError> {
    let at = now.to_rfc3339();
    // A district's month is a bulk write: the larger page cache of a bulk load.
    let mut tx = db.begin_bulk().await?;
    let generated =
        store::generate(&mut tx, month, program, district, &actor.username, &at).await?;
    let anomalies = super::anomalies::detect(
        &mut tx,
        &super::anomalies::Scope::Payroll(generated.payroll_id),
        &at,
    )
    .await?;
    record(
        &mut tx,
        &AuditEvent::new(
            now,
            actor,
            "payroll.generate",
            "payroll",
            generated.payroll_id.to_string(),
        )
        .with(json!({
            "month": month.to_string(),
            "program": program.code(),
            "district": district.to_string(),
            "regular": generated.regular,
            "arrears": generated.arrears,
            "reissued": generated.reissued,
            "anomalies": anomalies,
        })),
    )
    .await
    .map_err(|e| GenerateError::Refused(format!("审计日志写入失败，未生成：{e}")))?;
    tx.commit().await?;
    // The next district's payroll is planned on these statistics: without them
    // PostgreSQL takes the new lines for an empty table and checks "not yet paid" by
    // scanning them once per case.
    // The payroll is stored: a failed ANALYZE costs speed later, not this answer.
    if let Err(e) = db.analyze(&["payroll_lines", "payrolls"]).await {
        tracing::warn!(error = %e, "ANALYZE after payroll generation failed");
    }
    Ok(Made {
        generated,
        anomalies,
    })
}

/// The bank file's format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileFormat {
    Csv,
    Xlsx,
}

/// Writes the bank file of an approved (or already exported) payroll into `out`, moves it
/// to 已导出 the first time, and records every export. Answers lines and total fen.
pub async fn export(
    db: &Db,
    keyring: &Keyring,
    p: &Payroll,
    format: FileFormat,
    out: impl std::io::Write + std::io::Seek + Send,
    actor: &Actor,
    now: DateTime<FixedOffset>,
) -> Result<(usize, i64), String> {
    if !matches!(p.status, Status::Approved | Status::Exported) {
        return Err(format!(
            "名册{}，审批通过后才能导出银行文件。",
            p.status.label()
        ));
    }
    // The payroll is marked exported, and the export audited, before a byte is written:
    // a correction or a second export racing this one then finds it exported (or this
    // one finds it changed and writes nothing), so two different files never go out.
    let err = |e: sqlx::Error| e.to_string();
    let mut tx = db.begin().await.map_err(err)?;
    if p.status == Status::Approved {
        let moved = store::set_status(
            &mut tx,
            p.id,
            p.version,
            Status::Exported,
            (&actor.username, &now.to_rfc3339()),
            "",
        )
        .await
        .map_err(err)?;
        if !moved {
            return Err("名册已被他人修改（如更正或已导出），请刷新后再导出。".to_string());
        }
    }
    record(
        &mut tx,
        &AuditEvent::new(now, actor, "payroll.export", "payroll", p.id.to_string()).with(json!({
            "format": if format == FileFormat::Xlsx { "xlsx" } else { "csv" },
            "lines": p.lines,
            "total_fen": p.total.0,
        })),
    )
    .await
    .map_err(|e| format!("审计日志写入失败：{e}"))?;
    tx.commit().await.map_err(err)?;
    // Exported lines no longer change, so the file holds what the audit says. If writing
    // fails, the payroll can be exported again.
    let counted = match format {
        FileFormat::Xlsx => super::bank::write_xlsx(db, keyring, p.id, out).await?,
        FileFormat::Csv => super::bank::write_csv(db, keyring, p.id, out).await?,
    };
    Ok(counted)
}
