//! Restoring an SQLite backup. The backup is copied to a temporary file beside the
//! target and every check runs on that copy (integrity, schema, migrations, audit chain,
//! key); only then does one `rename` put it in place, so the target is either the old
//! database or the restored one, never half of each.

use std::path::{Path, PathBuf};

use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};

use super::restore::{
    RestoreOptions, TargetContents, check_and_record, refuse_non_empty, replacing_line,
};
use super::{AppliedMigration, FileKind, SchemaFit, file_kind, schema_fit, sqlite_path};
use crate::audit::AuditEvent;
use crate::db::{Backend, Db};

pub(super) async fn restore(
    url: &str,
    file: &Path,
    options: &RestoreOptions,
    event: AuditEvent,
) -> Result<Vec<String>, String> {
    let target =
        sqlite_path(url).ok_or_else(|| "不能恢复到内存数据库 / in-memory target".to_string())?;
    match file_kind(file).map_err(|e| format!("无法读取备份文件 {}：{e}", file.display()))?
    {
        FileKind::Sqlite => {}
        FileKind::PgDump => {
            return Err(format!(
                "{} 是 PostgreSQL 的备份（pg_dump），不能恢复到 SQLite 数据库 / PostgreSQL backup",
                file.display()
            ));
        }
        FileKind::Other => {
            return Err(format!(
                "{} 不是 SQLite 数据库文件，也不是 minzheng backup 做的备份 / not an SQLite database",
                file.display()
            ));
        }
    }
    if same_file(file, &target) {
        return Err("备份文件就是目标数据库本身 / backup is the target".to_string());
    }
    let shown = target.display().to_string();
    let mut lines = Vec::new();
    let replaced = match target_contents(&target).await {
        Ok(holding) if holding.is_empty() => false,
        Ok(holding) if !options.force => return Err(refuse_non_empty(&shown, &holding)),
        Ok(holding) => {
            lines.push(replacing_line(&shown, &holding));
            true
        }
        // A damaged database is what a restore is for, but only when asked.
        Err(e) if !options.force => {
            return Err(format!("{e}；如要用备份替换它，请加 --force"));
        }
        Err(e) => {
            lines.push(format!("将替换无法读取的数据库 {shown}（{e}）"));
            true
        }
    };

    let temp = sibling(&target, &format!(".restore-{}.tmp", std::process::id()));
    let mut guard = TempFiles(Some(temp.clone()));
    guard.remove_all();
    std::fs::copy(file, &temp).map_err(|e| {
        format!(
            "无法把备份复制到 {}：{e}（磁盘空间够吗？）/ copy failed",
            temp.display()
        )
    })?;
    let fit = check_file(&temp).await?;
    lines.push(match fit {
        SchemaFit::Same => "备份与本程序版本相同 / same schema version".to_string(),
        SchemaFit::Older { to_apply } => {
            format!("备份来自较早版本：补做 {to_apply} 个迁移 / {to_apply} migrations applied")
        }
    });
    let db = Db::open(&format!("sqlite://{}", temp.display()))
        .await
        .map_err(|e| format!("备份无法打开：{e}"))?;
    let checked = check_and_record(&db, &options.key_path, event, replaced).await;
    // Everything into the main file, so the copy can be moved without its `-wal`.
    let checkpoint = sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db.pool())
        .await;
    db.close().await;
    lines.extend(checked?);
    checkpoint.map_err(|e| format!("无法整理恢复的数据：{e}"))?;
    for suffix in ["-wal", "-shm"] {
        let side = sibling(&temp, suffix);
        if std::fs::metadata(&side).is_ok_and(|m| m.len() > 0) && suffix == "-wal" {
            return Err("恢复的数据未能完整写入主文件（-wal 非空）/ checkpoint incomplete".into());
        }
        let _ = std::fs::remove_file(side);
    }
    super::sync_file_and_dir(&temp).map_err(|e| format!("无法把恢复的数据写入磁盘：{e}"))?;

    if target.exists() {
        take_over(&target).await?;
    }
    // A `-wal` left beside the target belongs to the old database: SQLite would replay
    // it onto the restored one.
    for suffix in ["-wal", "-shm", "-journal"] {
        let side = sibling(&target, suffix);
        if side.exists() {
            std::fs::remove_file(&side)
                .map_err(|e| format!("无法删除旧的 {}：{e}", side.display()))?;
        }
    }
    std::fs::rename(&temp, &target)
        .map_err(|e| format!("无法把恢复的数据放到 {shown}：{e} / rename failed"))?;
    guard.0 = None;
    super::sync_dir_of(&target).map_err(|e| format!("无法把目录写入磁盘：{e}"))?;

    // As the server will open it: pragmas, quick_check, migrations up to date.
    let db = Db::open(url)
        .await
        .map_err(|e| format!("恢复后的数据库无法打开：{e}"))?;
    db.close().await;
    lines.push(format!("已恢复到 {shown} / restored"));
    Ok(lines)
}

/// What the target file holds (`TargetContents::default()` when there is no file).
async fn target_contents(target: &Path) -> Result<TargetContents, String> {
    if std::fs::metadata(target).map(|m| m.len()).unwrap_or(0) == 0 {
        return Ok(TargetContents::default());
    }
    let failed = |e: sqlx::Error| format!("无法读取目标数据库 {}：{e}", target.display());
    let mut conn = open_file(target).await.map_err(failed)?;
    let tables: i64 = sqlx::query(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(failed)?
    .try_get(0)
    .map_err(failed)?;
    // Absent tables (a foreign file) leave these unknown: not empty then.
    let users: Option<i64> = sqlx::query("SELECT COUNT(*) FROM users")
        .fetch_one(&mut conn)
        .await
        .ok()
        .and_then(|r| r.try_get(0).ok());
    let audit_seq: Option<i64> = sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(&mut conn)
        .await
        .ok()
        .and_then(|r| r.try_get(0).ok());
    conn.close().await.ok();
    Ok(TargetContents {
        tables,
        users,
        audit_seq,
    })
}

/// The copy read through (`integrity_check`) and its migrations compared with ours.
async fn check_file(path: &Path) -> Result<SchemaFit, String> {
    let failed = |e: sqlx::Error| format!("备份文件无法读取：{e}（文件损坏？）");
    let mut conn = open_file(path).await.map_err(failed)?;
    let problems: Vec<String> = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(failed)?
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
        .collect();
    if problems != ["ok"] {
        return Err(format!(
            "备份文件完整性检查失败：{}。这份备份已损坏，请换一份 / integrity_check failed",
            problems.join("；")
        ));
    }
    let applied =
        sqlx::query("SELECT version, checksum, success FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&mut conn)
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| AppliedMigration {
                version: r.try_get("version").unwrap_or(-1),
                checksum: r.try_get("checksum").unwrap_or_default(),
                success: r.try_get("success").unwrap_or(false),
            })
            .collect::<Vec<_>>();
    conn.close().await.ok();
    schema_fit(&applied, &Db::known_migrations(Backend::Sqlite))
}

async fn open_file(path: &Path) -> Result<SqliteConnection, sqlx::Error> {
    SqliteConnectOptions::new()
        .filename(path)
        .create_if_missing(false)
        .busy_timeout(std::time::Duration::from_secs(2))
        .disable_statement_logging()
        .connect()
        .await
}

/// Takes the old database out of WAL mode, which folds its `-wal` in and needs it to be
/// the only connection: a server still running on it is found here, before the rename.
async fn take_over(target: &Path) -> Result<(), String> {
    let in_use = || {
        format!(
            "数据库 {} 正在被使用（服务还在运行？）：请先停止服务再恢复 / database in use",
            target.display()
        )
    };
    let Ok(mut conn) = open_file(target).await else {
        // Not even openable (damaged): nothing can be using it as a database.
        return Ok(());
    };
    let mode = sqlx::query("PRAGMA journal_mode=DELETE")
        .fetch_one(&mut conn)
        .await
        .and_then(|r| r.try_get::<String, _>(0));
    conn.close().await.ok();
    match mode {
        Ok(mode) if mode.eq_ignore_ascii_case("delete") => Ok(()),
        Ok(_) => Err(in_use()),
        Err(e) if is_busy(&e) => Err(in_use()),
        // A damaged file that cannot change mode: it is being replaced anyway.
        Err(_) => Ok(()),
    }
}

/// SQLITE_BUSY or SQLITE_LOCKED, with any extended code.
fn is_busy(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .and_then(|c| c.parse::<i64>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Removes the temporary copy (and its side files) unless it was moved into place.
struct TempFiles(Option<PathBuf>);

impl TempFiles {
    fn remove_all(&self) {
        if let Some(path) = &self.0 {
            for suffix in ["", "-wal", "-shm", "-journal"] {
                let _ = std::fs::remove_file(sibling(path, suffix));
            }
        }
    }
}

impl Drop for TempFiles {
    fn drop(&mut self) {
        self.remove_all();
    }
}
