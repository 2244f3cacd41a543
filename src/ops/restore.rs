//! `minzheng restore FILE`: puts a backup made by `minzheng backup` into the database of
//! `--database-url`. The target must be empty unless `--force` is given (then what it
//! held is named before it is replaced). The backup must be of this system, of this
//! program's version or an older one (then migrated), with an intact audit chain, and the
//! key file given must open it: the key file is not in the backup.

use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};

use super::key_check::{self, KeyVerdict};
use crate::audit::{Actor, AuditEvent, store::record_alone};
use crate::db::{Backend, Db, backend_of};
use crate::protect::{KeyError, Keyring};

#[derive(Debug, Clone)]
pub struct RestoreOptions {
    /// Replace a database that holds data.
    pub force: bool,
    /// The key file the restored data must open with (`--key-file`, or beside the
    /// database).
    pub key_path: PathBuf,
}

/// Restores `file` into the database at `url`; returns the lines to print.
pub async fn restore(
    url: &str,
    file: &Path,
    options: &RestoreOptions,
    actor: &Actor,
    at: DateTime<FixedOffset>,
) -> Result<Vec<String>, String> {
    let backend = backend_of(url).map_err(|e| e.to_string())?;
    if !file.is_file() {
        return Err(format!(
            "备份文件 {} 不存在 / backup file not found",
            file.display()
        ));
    }
    let event = AuditEvent::new(at, actor, "ops.restore", "file", file.display().to_string());
    match backend {
        Backend::Sqlite => super::restore_sqlite::restore(url, file, options, event).await,
        Backend::Postgres => super::restore_postgres::restore(url, file, options, event).await,
    }
}

/// What a target database holds, to decide whether a restore may replace it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetContents {
    pub tables: i64,
    pub users: Option<i64>,
    pub audit_seq: Option<i64>,
}

impl TargetContents {
    /// Empty: no tables, or only this system's tables with nothing ever recorded (no
    /// account, no audit entry — every import and change writes one).
    pub fn is_empty(&self) -> bool {
        self.tables == 0 || (self.users == Some(0) && self.audit_seq == Some(0))
    }

    pub fn describe(&self) -> String {
        let mut parts = vec![format!("数据表 {} 张", self.tables)];
        if let Some(u) = self.users {
            parts.push(format!("账号 {u} 个"));
        }
        if let Some(s) = self.audit_seq {
            parts.push(format!("审计记录至第 {s} 条"));
        }
        parts.join("，")
    }
}

pub(super) fn refuse_non_empty(shown: &str, contents: &TargetContents) -> String {
    format!(
        "目标数据库 {shown} 已有数据（{}）：恢复会替换它。确认要替换，请加 --force / target database not empty",
        contents.describe()
    )
}

pub(super) fn replacing_line(shown: &str, contents: &TargetContents) -> String {
    format!(
        "将替换现有数据库 {shown}（{}）/ replacing the existing database",
        contents.describe()
    )
}

pub(super) fn key_mismatch(key_path: &Path) -> String {
    format!(
        "密钥文件与备份不匹配：请使用备份时的密钥文件（{} 解不开备份中的数据；可用 --key-file 指定）/ key file does not match the backup",
        key_path.display()
    )
}

pub(super) fn key_missing(key_path: &Path, reason: &str) -> String {
    format!(
        "无法读取密钥文件 {}（{reason}）：备份不含密钥文件，请把备份时的密钥文件放到该处，或用 --key-file 指定 / key file missing",
        key_path.display()
    )
}

/// Loads the key file for restored data: it must exist, unless the data has nothing
/// sealed at all (then a new key is made, as at a first start).
pub(super) fn load_key(key_path: &Path, may_create: bool) -> Result<Keyring, String> {
    match Keyring::load_or_create(key_path, may_create) {
        Ok(k) => Ok(k),
        Err(KeyError::Unreadable { reason, .. }) => Err(key_missing(key_path, &reason)),
        Err(e) => Err(e.to_string()),
    }
}

/// The key file must open the restored data; a check value is stored if there was none.
pub(super) async fn check_key(db: &Db, key_path: &Path) -> Result<(), String> {
    let text = |e: sqlx::Error| e.to_string();
    let stored = key_check::is_stored(db).await.map_err(text)?;
    // A random key tells whether anything sealed is there to test a key on.
    let sealed_data = key_check::verify(db, &Keyring::ephemeral())
        .await
        .map_err(text)?
        != KeyVerdict::NothingToTest;
    let keyring = load_key(key_path, !stored && !sealed_data)?;
    if key_check::verify(db, &keyring).await.map_err(text)? == KeyVerdict::WrongKey {
        return Err(key_mismatch(key_path));
    }
    if !stored {
        let now = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
        key_check::store(db, &keyring, &now).await.map_err(text)?;
    }
    Ok(())
}

/// The restored audit chain must verify; returns the number of entries checked.
pub(super) async fn check_audit(db: &Db) -> Result<i64, String> {
    let report = crate::audit::verify(db).await.map_err(|e| e.to_string())?;
    match report.broken {
        None => Ok(report.checked),
        Some((seq, why)) => Err(format!(
            "备份中的审计日志第 {seq} 条校验失败：{why}。这份备份可能被改动过 / audit chain broken in the backup"
        )),
    }
}

/// Checks run on restored data (SQLite: on the copy before it is put in place), then the
/// restore is recorded in the restored audit log.
pub(super) async fn check_and_record(
    db: &Db,
    key_path: &Path,
    event: AuditEvent,
    replaced: bool,
) -> Result<Vec<String>, String> {
    let checked = check_audit(db).await?;
    check_key(db, key_path).await?;
    let file = event.object_id.clone();
    let event = event.with(serde_json::json!({
        "file": file,
        "replaced": replaced,
        "audit_entries_checked": checked,
    }));
    let seq = record_alone(db, &event)
        .await
        .map_err(|e| format!("无法记入审计日志：{e}"))?;
    Ok(vec![
        format!("审计日志完整：校验了 {checked} 条记录 / audit chain intact"),
        format!(
            "密钥文件 {} 与数据匹配 / key file matches",
            key_path.display()
        ),
        format!("恢复已记入审计日志第 {seq} 条 / restore audited"),
    ])
}

#[cfg(test)]
mod tests {
    use super::TargetContents;

    #[test]
    fn a_migrated_database_where_nothing_happened_counts_as_empty() {
        assert!(TargetContents::default().is_empty());
        let fresh = TargetContents {
            tables: 60,
            users: Some(0),
            audit_seq: Some(0),
        };
        assert!(fresh.is_empty());
        let used = TargetContents {
            audit_seq: Some(3),
            ..fresh.clone()
        };
        assert!(!used.is_empty());
        let foreign = TargetContents {
            tables: 2,
            users: None,
            audit_seq: None,
        };
        assert!(!foreign.is_empty());
        assert_eq!(
            used.describe(),
            "数据表 60 张，账号 0 个，审计记录至第 3 条"
        );
    }
}
