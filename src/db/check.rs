//! Startup checks of the engine's durability settings: the bureau cannot lose an
//! acknowledged approval, so we refuse to run on a configuration that could.

use sqlx::{AnyConnection, Row};

use super::{Backend, Db};

/// What the startup check found, for the log and for tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StartupCheck {
    pub journal_mode: Option<String>,
    pub synchronous: Option<i64>,
    pub foreign_keys: Option<i64>,
    pub busy_timeout_ms: Option<i64>,
    pub fsync: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error("SQLite 未处于 WAL 模式（journal_mode={0}）")]
    NotWal(String),
    #[error("SQLite synchronous 不是 FULL（{0}）")]
    NotFull(i64),
    #[error("SQLite 外键约束未开启")]
    NoForeignKeys,
    #[error("SQLite 文件完整性检查失败：{0}。请从备份恢复")]
    Corrupt(String),
    #[error("PostgreSQL 的 fsync 已关闭，断电会丢失已确认的数据；请开启 fsync 后再启动")]
    FsyncOff,
    #[error("{0}")]
    Query(#[from] sqlx::Error),
}

pub(super) async fn run(
    conn: &mut AnyConnection,
    backend: Backend,
    integrity: Integrity,
) -> Result<StartupCheck, CheckError> {
    match backend {
        Backend::Sqlite => check_sqlite(conn, integrity).await,
        Backend::Postgres => check_postgres(conn).await,
    }
}

impl Db {
    /// Reads back the durability settings in force on a pooled connection.
    pub async fn startup_check(&self) -> Result<StartupCheck, CheckError> {
        let mut conn = self.pool().acquire().await?;
        run(&mut conn, self.backend(), Integrity::Skip).await
    }
}

impl Db {
    /// The migrations compiled into this program for a backend, as (version, checksum) in
    /// order: a restore compares a backup's `_sqlx_migrations` with them before putting it
    /// in place (a backup from a newer program, or with edited migrations, is refused).
    pub fn known_migrations(backend: Backend) -> Vec<(i64, Vec<u8>)> {
        let migrator = match backend {
            Backend::Sqlite => &super::SQLITE_MIGRATOR,
            Backend::Postgres => &super::POSTGRES_MIGRATOR,
        };
        migrator
            .iter()
            .map(|m| (m.version, m.checksum.to_vec()))
            .collect()
    }
}

/// PostgreSQL's `fsync` must be on: with it off, a power cut loses committed data.
pub fn fsync_acceptable(setting: &str) -> bool {
    setting == "on"
}

/// Whether opening an SQLite file reads it all through (`PRAGMA quick_check`): the server
/// and every command that writes do; a command that only reads (a report, an export)
/// does not, since on a large register the check takes longer than the work (5 s of a
/// 6 s report over a million households, measured).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Integrity {
    Check,
    Skip,
}

async fn check_sqlite(
    conn: &mut AnyConnection,
    integrity: Integrity,
) -> Result<StartupCheck, CheckError> {
    let journal: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let synchronous: i64 = sqlx::query("PRAGMA synchronous")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let foreign_keys: i64 = sqlx::query("PRAGMA foreign_keys")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    // An in-memory database cannot use WAL; it is only used by throwaway tools.
    let in_memory = journal.eq_ignore_ascii_case("memory");
    if !in_memory && !journal.eq_ignore_ascii_case("wal") {
        return Err(CheckError::NotWal(journal));
    }
    // 2 = FULL, 3 = EXTRA: both flush on commit.
    if synchronous < 2 {
        return Err(CheckError::NotFull(synchronous));
    }
    if foreign_keys != 1 {
        return Err(CheckError::NoForeignKeys);
    }
    let busy_timeout: i64 = sqlx::query("PRAGMA busy_timeout")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    if integrity == Integrity::Check {
        let quick: String = sqlx::query("PRAGMA quick_check")
            .fetch_one(&mut *conn)
            .await?
            .try_get(0)?;
        if quick != "ok" {
            return Err(CheckError::Corrupt(quick));
        }
    }
    Ok(StartupCheck {
        journal_mode: Some(journal),
        synchronous: Some(synchronous),
        foreign_keys: Some(foreign_keys),
        busy_timeout_ms: Some(busy_timeout),
        fsync: None,
    })
}

async fn check_postgres(conn: &mut AnyConnection) -> Result<StartupCheck, CheckError> {
    let fsync: String = sqlx::query("SELECT current_setting('fsync')")
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    if !fsync_acceptable(&fsync) {
        return Err(CheckError::FsyncOff);
    }
    Ok(StartupCheck {
        journal_mode: None,
        synchronous: None,
        foreign_keys: None,
        busy_timeout_ms: None,
        fsync: Some(fsync),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn postgres_with_fsync_off_is_refused() {
        assert!(super::fsync_acceptable("on"));
        assert!(!super::fsync_acceptable("off"));
        assert!(super::CheckError::FsyncOff.to_string().contains("fsync"));
    }
}
