//! `minzheng import` and `minzheng export`: every ledger (台账) of FORMATS.md, all rows or
//! none, the error list printed and optionally written as CSV; exports audited.

use std::path::PathBuf;

use minzheng::App;
use minzheng::calendar::{Clock, SystemClock};

use crate::{cli_event, import_failure, read_file, text, unknown_ledger};

/// Imports `file` as `ledger` (all or nothing; `dry_run` checks only).
pub async fn import(
    app: &App,
    ledger: String,
    file: PathBuf,
    errors: Option<PathBuf>,
    dry_run: bool,
) -> Result<(), String> {
    let bytes = read_file(&file)?;
    let name = file.display().to_string();
    match ledger.as_str() {
        minzheng::assistance::roster::NAME => {
            let event = cli_event("ledger.import", "ledger", &ledger);
            let done = minzheng::assistance::import::import_roster(
                &app.state.db,
                &app.state.keyring,
                &name,
                &bytes,
                SystemClock.today(),
                dry_run,
                &event,
            )
            .await
            .map_err(|e| import_failure(e, errors.as_deref()))?;
            if done.dry_run {
                println!(
                    "检查通过：{} 户、{} 人，未写入数据（--dry-run）/ check passed, nothing stored",
                    done.households, done.members
                );
            } else {
                println!(
                    "已导入 {} 户、{} 人（新增审批记录 {} 条）/ imported {} households, {} members",
                    done.households, done.members, done.new_cases, done.households, done.members
                );
            }
            Ok(())
        }
        other => {
            let event = cli_event("ledger.import", "ledger", other);
            let today = SystemClock.today();
            let db = &app.state.db;
            let (label, done) = if let Some(l) = minzheng::elderly::ledgers::Ledger::parse(other) {
                let done = minzheng::elderly::ledgers::import(
                    db,
                    l,
                    &name,
                    &bytes,
                    today,
                    &|_| true,
                    dry_run,
                    &event,
                )
                .await;
                (l.label(), done)
            } else if let Some(l) = minzheng::affairs::funeral_ledgers::Ledger::parse(other) {
                let done = minzheng::affairs::funeral_ledgers::import(
                    db,
                    l,
                    &name,
                    &bytes,
                    today,
                    &|_| true,
                    dry_run,
                    &event,
                )
                .await;
                (l.label(), done)
            } else if other == minzheng::affairs::marriage_ledger::NAME {
                let done = minzheng::affairs::marriage_ledger::import(
                    db,
                    &app.state.keyring,
                    &name,
                    &bytes,
                    today,
                    &|_| true,
                    dry_run,
                    &event,
                )
                .await;
                (minzheng::affairs::marriage_ledger::LABEL, done)
            } else {
                let l = minzheng::community::ledgers::Ledger::parse(other)
                    .ok_or_else(|| unknown_ledger(other))?;
                let done = minzheng::community::ledgers::import(
                    db,
                    l,
                    &name,
                    &bytes,
                    today,
                    &|_| true,
                    dry_run,
                    &event,
                )
                .await;
                (l.label(), done)
            };
            let done = done.map_err(|e| import_failure(e, errors.as_deref()))?;
            println!(
                "{}{}：{} 行（新增 {}，更新 {}）{} / {} rows",
                label,
                if dry_run { "检查通过" } else { "已导入" },
                done.rows,
                done.created,
                done.updated,
                if dry_run {
                    "，未写入数据（--dry-run）"
                } else {
                    ""
                },
                done.rows
            );
            Ok(())
        }
    }
}

/// Writes `ledger` for the region (the whole city when none) to `file`, audited.
pub async fn export(
    app: &App,
    ledger: String,
    file: PathBuf,
    region: Option<String>,
) -> Result<(), String> {
    let root = match region {
        Some(code) => minzheng::region::RegionCode::parse(&code)
            .map_err(|e| format!("区划代码 {code}：{e}"))?,
        None => {
            minzheng::region::store::city(&app.state.db)
                .await
                .map_err(text)?
                .ok_or_else(|| "还没有导入行政区划".to_string())?
                .code
        }
    };
    let (rows, headers): (Vec<Vec<String>>, Vec<&str>) = match ledger.as_str() {
        minzheng::assistance::roster::NAME => (
            minzheng::assistance::import::roster_rows(
                &app.state.db,
                &app.state.keyring,
                root.scope().sql_bounds(),
            )
            .await
            .map_err(text)?,
            minzheng::assistance::roster::COLUMNS
                .iter()
                .map(|c| c.name)
                .collect(),
        ),
        minzheng::assistance::temporary::NAME => (
            minzheng::assistance::temporary::grant_rows(
                &app.state.db,
                &app.state.keyring,
                root.scope().sql_bounds(),
            )
            .await
            .map_err(text)?,
            minzheng::assistance::temporary::COLUMNS
                .iter()
                .map(|c| c.name)
                .collect(),
        ),
        other => {
            let bounds = root.scope().sql_bounds();
            if let Some(l) = minzheng::elderly::ledgers::Ledger::parse(other) {
                let rows = minzheng::elderly::ledgers::export(
                    &app.state.db,
                    l,
                    &bounds,
                    SystemClock.today(),
                )
                .await
                .map_err(text)?;
                (rows, l.headers())
            } else if let Some(l) = minzheng::affairs::funeral_ledgers::Ledger::parse(other) {
                let rows = minzheng::affairs::funeral_ledgers::export(&app.state.db, l, &bounds)
                    .await
                    .map_err(text)?;
                (rows, l.headers())
            } else if other == minzheng::affairs::marriage_ledger::NAME {
                let rows = minzheng::affairs::marriage_ledger::export(
                    &app.state.db,
                    &app.state.keyring,
                    &bounds,
                )
                .await
                .map_err(text)?;
                (rows, minzheng::affairs::marriage_ledger::headers())
            } else {
                let l = minzheng::community::ledgers::Ledger::parse(other)
                    .ok_or_else(|| unknown_ledger(other))?;
                let rows = minzheng::community::ledgers::export(&app.state.db, l, &bounds)
                    .await
                    .map_err(text)?;
                (rows, l.headers())
            }
        }
    };
    let bytes = minzheng::ledger::write_ledger(&file.display().to_string(), &headers, &rows)?;
    // The export is recorded in the same transaction that is committed only once
    // the file is written.
    let mut tx = app.state.db.begin().await.map_err(text)?;
    minzheng::audit::record(
        &mut tx,
        &cli_event("ledger.export", "ledger", &ledger)
            .with(serde_json::json!({"region": root.as_str(), "rows": rows.len()})),
    )
    .await
    .map_err(text)?;
    std::fs::write(&file, bytes)
        .map_err(|e| format!("无法写入 {}：{e} / cannot write file", file.display()))?;
    tx.commit().await.map_err(text)?;
    println!(
        "已导出 {} 行到 {} / exported {} rows",
        rows.len(),
        file.display(),
        rows.len()
    );
    Ok(())
}
