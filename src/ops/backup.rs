//! `minzheng backup FILE`: a consistent copy of the database taken while the server may
//! be running. SQLite: `VACUUM INTO` reads one snapshot inside a read transaction, so
//! writers carry on and the copy holds every transaction committed before it started and
//! none after. PostgreSQL: `pg_dump` in its custom format (also one snapshot).
//!
//! The copy is then checked (SQLite: opened and `PRAGMA integrity_check`; PostgreSQL:
//! its table of contents read back), and the backup is recorded in the audit log.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{ConnectOptions, Connection, Row};

use super::pg_tools::{self, LibpqTarget};
use super::{AuditHead, sync_file_and_dir};
use crate::audit::{Actor, AuditEvent, store::record_alone};
use crate::db::{Backend, Db, backend_of};

/// What a finished backup holds, for the operator.
#[derive(Debug, Clone)]
pub struct BackupSummary {
    pub backend: Backend,
    pub bytes: u64,
    pub tables: i64,
    pub audit_head: Option<AuditHead>,
}

impl BackupSummary {
    pub fn lines(&self, file: &Path) -> Vec<String> {
        let mut lines = vec![
            format!(
                "备份完成 / backup written: {}（{}，{} 字节）",
                file.display(),
                self.backend.name(),
                self.bytes
            ),
            format!("数据表 {} 张 / tables", self.tables),
        ];
        lines.push(match &self.audit_head {
            Some(head) => format!("审计日志链头：{head} / audit chain head"),
            None => "审计日志：无 / no audit log".to_string(),
        });
        if self.backend == Backend::Sqlite {
            lines.push("完整性检查：ok / integrity_check ok".to_string());
        }
        lines.push(
            "注意：备份不含密钥文件，请另行妥善保管密钥文件（与备份分开存放）/ the key file is not in the backup"
                .to_string(),
        );
        lines
    }
}

/// Backs the database at `url` up to `file`, which must not exist yet.
pub async fn backup(
    url: &str,
    file: &Path,
    actor: &Actor,
    at: DateTime<FixedOffset>,
) -> Result<BackupSummary, String> {
    let backend = backend_of(url).map_err(|e| e.to_string())?;
    if file.exists() {
        return Err(format!(
            "备份文件 {} 已存在：不会覆盖已有文件，请换一个文件名 / backup file exists",
            file.display()
        ));
    }
    if let Some(dir) = file.parent()
        && !dir.as_os_str().is_empty()
        && !dir.is_dir()
    {
        return Err(format!(
            "备份目录 {} 不存在 / backup directory missing",
            dir.display()
        ));
    }
    if backend == Backend::Sqlite {
        match super::sqlite_path(url) {
            Some(path) if path.exists() => {}
            Some(path) => {
                return Err(format!(
                    "数据库文件 {} 不存在，没有可备份的内容 / database file missing",
                    path.display()
                ));
            }
            None => return Err("内存数据库无法备份 / in-memory database".to_string()),
        }
    }
    // No migration here: a backup taken before an upgrade must show the data as the old
    // program left it.
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let result = match backend {
        Backend::Sqlite => sqlite_backup(&db, file).await,
        Backend::Postgres => postgres_backup(url, file).await,
    };
    let summary = match result {
        Ok(summary) => summary,
        Err(e) => {
            // Leave no half-written file that could later pass for a backup.
            let _ = std::fs::remove_file(file);
            db.close().await;
            return Err(e);
        }
    };
    let event = AuditEvent::new(at, actor, "ops.backup", "file", file.display().to_string()).with(
        serde_json::json!({
            "file": file.display().to_string(),
            "bytes": summary.bytes,
            "tables": summary.tables,
            "audit_seq": summary.audit_head.as_ref().map(|h| h.seq),
        }),
    );
    let recorded = record_alone(&db, &event).await;
    db.close().await;
    recorded.map_err(|e| {
        format!("备份已写出，但无法记入审计日志：{e} / backup written, audit entry failed")
    })?;
    Ok(summary)
}

async fn sqlite_backup(db: &Db, file: &Path) -> Result<BackupSummary, String> {
    let target = file
        .to_str()
        .ok_or_else(|| format!("备份文件名 {} 含有无法处理的字符", file.display()))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(db.pool())
        .await
        .map_err(|e| format!("无法写出备份 {}：{e} / VACUUM INTO failed", file.display()))?;
    owner_only(file)?;
    let (tables, audit_head) = check_sqlite_copy(file).await?;
    sync_file_and_dir(file).map_err(|e| format!("无法把备份 {} 写入磁盘：{e}", file.display()))?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary {
        backend: Backend::Sqlite,
        bytes,
        tables,
        audit_head,
    })
}

/// Opens the copy on its own, makes it one self-contained file (rollback journal, no
/// `-wal` beside it) and reads it through.
async fn check_sqlite_copy(file: &Path) -> Result<(i64, Option<AuditHead>), String> {
    let broken = |e: sqlx::Error| format!("备份文件 {} 无法打开检查：{e}", file.display());
    let mut conn: SqliteConnection = SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .disable_statement_logging()
        .connect()
        .await
        .map_err(broken)?;
    sqlx::query("PRAGMA journal_mode=DELETE")
        .execute(&mut conn)
        .await
        .map_err(broken)?;
    let problems: Vec<String> = sqlx::query("PRAGMA integrity_check")
        .fetch_all(&mut conn)
        .await
        .map_err(broken)?
        .iter()
        .map(|r| r.try_get::<String, _>(0).unwrap_or_default())
        .collect();
    if problems != ["ok"] {
        return Err(format!(
            "备份文件完整性检查失败：{}（备份已删除，请检查磁盘后重试）/ integrity_check failed",
            problems.join("；")
        ));
    }
    let tables: i64 = sqlx::query(
        "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )
    .fetch_one(&mut conn)
    .await
    .map_err(broken)?
    .try_get(0)
    .map_err(broken)?;
    let audit_head = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_optional(&mut conn)
        .await
        .ok()
        .flatten()
        .map(|r| AuditHead {
            seq: r.try_get(0).unwrap_or(0),
            hash: r.try_get(1).unwrap_or_default(),
        });
    conn.close().await.map_err(broken)?;
    Ok((tables, audit_head))
}

async fn postgres_backup(url: &str, file: &Path) -> Result<BackupSummary, String> {
    let target: LibpqTarget = pg_tools::libpq_target(url);
    pg_tools::run(
        "pg_dump",
        vec![
            "--format=custom".to_string(),
            "--no-password".to_string(),
            "--file".to_string(),
            file.display().to_string(),
            "--dbname".to_string(),
            target.url.clone(),
        ],
        &target,
    )
    .await?;
    owner_only(file)?;
    // The archive's table of contents, read back: a truncated or foreign file fails here.
    let list = pg_tools::run(
        "pg_restore",
        vec!["--list".to_string(), file.display().to_string()],
        &target,
    )
    .await?;
    let tables = String::from_utf8_lossy(&list)
        .lines()
        .filter(|line| is_table_entry(line))
        .count() as i64;
    let audit_head = pg_tools::table_rows(file, "audit_head", &target)
        .await?
        .first()
        .map(|row| AuditHead {
            seq: column(row, "seq").and_then(|s| s.parse().ok()).unwrap_or(0),
            hash: column(row, "last_hash").unwrap_or_default(),
        });
    sync_file_and_dir(file).map_err(|e| format!("无法把备份 {} 写入磁盘：{e}", file.display()))?;
    let bytes = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
    Ok(BackupSummary {
        backend: Backend::Postgres,
        bytes,
        tables,
        audit_head,
    })
}

/// A backup holds password hashes and sealed personal data: readable by its owner only,
/// like the key file.
fn owner_only(file: &Path) -> Result<(), String> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o600))
            .map_err(|e| format!("无法设置备份文件 {} 的权限：{e}", file.display()))?;
    }
    Ok(())
}

/// `215; 1259 16390 TABLE public users postgres` (not `TABLE DATA`).
pub(super) fn is_table_entry(line: &str) -> bool {
    let tokens: Vec<&str> = line.split_whitespace().collect();
    !line.starts_with(';') && tokens.get(3) == Some(&"TABLE") && tokens.get(4) != Some(&"DATA")
}

pub(super) fn column(row: &[(String, Option<String>)], name: &str) -> Option<String> {
    row.iter()
        .find(|(n, _)| n == name)
        .and_then(|(_, v)| v.clone())
}

#[cfg(test)]
mod tests {
    #[test]
    fn table_entries_of_a_dump_listing() {
        assert!(super::is_table_entry(
            "215; 1259 16390 TABLE public users postgres"
        ));
        assert!(!super::is_table_entry(
            "3401; 0 16390 TABLE DATA public users postgres"
        ));
        assert!(!super::is_table_entry(
            ";     Dumped from database version: 15.2"
        ));
    }
}
