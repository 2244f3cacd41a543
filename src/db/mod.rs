//! Storage: one pool for SQLite or PostgreSQL, migrations, and the few places where the
//! two backends differ. Business modules write portable SQL with `$1`-style placeholders
//! (both drivers accept them) and ask this module for anything backend-specific.
//!
//! Conventions that keep one SQL text valid on both engines (sqlx's `Any` driver maps
//! only a common subset of types):
//! - integers are `BIGINT` on PostgreSQL and `INTEGER` on SQLite (both decode as `i64`);
//!   money is such an integer in fen; sums are wrapped in `CAST(… AS BIGINT)`, since
//!   PostgreSQL's `SUM(bigint)` is `numeric`;
//! - yes/no flags are 0/1 integers (the `Any` driver cannot decode SQLite booleans): bind
//!   them with [`flag`] and read them with [`is_set`];
//! - dates are ISO-8601 `TEXT` (`2026-07-01`), so comparisons and `BETWEEN` work alike.

pub mod bulk;
mod check;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};

pub use check::{Integrity, StartupCheck};

/// Which database engine a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

/// Errors from opening the database, phrased for the operator who started the program.
#[derive(Debug, thiserror::Error)]
pub enum DbOpenError {
    #[error(
        "数据库地址无法识别：{0}（应为 sqlite://文件路径 或 postgres://用户@主机/库名）/ unrecognised database URL"
    )]
    BadUrl(String),
    #[error("无法连接数据库 {url}：{reason} / cannot connect to the database")]
    Connect { url: String, reason: String },
    #[error("数据库迁移失败：{0} / migration failed")]
    Migrate(String),
    #[error("数据库启动检查未通过：{0} / database startup check failed")]
    Check(String),
}

/// The shared connection pool plus the backend it talks to.
#[derive(Clone, Debug)]
pub struct Db {
    pool: AnyPool,
    backend: Backend,
}

/// Set on every SQLite connection (all but journal_mode are per connection). The busy
/// timeout lets a second writer (a CLI import while the server runs) wait its turn.
/// mmap_size: reads come from the operating system's page cache, shared by the pool's
/// connections, instead of through a read() call per page into each connection's own 2 MB
/// cache (at 1,000,000 households a workbench query spent most of its time in those calls).
/// SQLite caps it at 2 GiB; writes still go through the WAL as before.
const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; \
                              PRAGMA foreign_keys=ON; PRAGMA busy_timeout=10000; \
                              PRAGMA mmap_size=2147418112;";

/// Every pooled PostgreSQL connection: no parallel workers for a query. The server answers
/// many small queries at once; a household search planned in parallel started two worker
/// processes for each request and held half the throughput (bench/load.sh, 1,000,000
/// households, 200 connections: 79 searches/s with, 152 without), while the quarterly
/// report took the same time either way (0.46 s against 0.45–0.54 s).
const POSTGRES_SESSION: &str = "SET max_parallel_workers_per_gather = 0";

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("migrations/postgres");

/// Parses the backend out of a database URL without connecting.
pub fn backend_of(url: &str) -> Result<Backend, DbOpenError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else {
        Err(DbOpenError::BadUrl(redact_url(url)))
    }
}

/// Hides a password in a URL (in the user part or as a `password=` parameter) so that
/// the URL can be printed or logged.
pub fn redact_url(url: &str) -> String {
    let (main, query) = match url.split_once('?') {
        Some((m, q)) => (m, Some(q)),
        None => (url, None),
    };
    let mut out = main.to_string();
    if let Some((scheme, rest)) = main.split_once("://")
        && let Some((userinfo, host)) = rest.rsplit_once('@')
    {
        let user = userinfo.split_once(':').map(|(u, _)| u).unwrap_or(userinfo);
        let hidden = if userinfo.contains(':') { ":***" } else { "" };
        out = format!("{scheme}://{user}{hidden}@{host}");
    }
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                _ => p.to_string(),
            })
            .collect();
        out = format!("{out}?{}", params.join("&"));
    }
    out
}

impl Db {
    /// Connects, checks the engine's durability settings and the file's integrity, and
    /// applies the migrations.
    pub async fn open(url: &str) -> Result<Db, DbOpenError> {
        Db::open_with(url, Integrity::Check).await
    }

    /// As `open`, choosing whether an SQLite file is read through first.
    pub async fn open_with(url: &str, integrity: Integrity) -> Result<Db, DbOpenError> {
        let db = Db::connect_with(url, integrity).await?;
        db.migrate().await?;
        Ok(db)
    }

    /// Connects and checks durability settings and integrity, without migrating.
    pub async fn connect(url: &str) -> Result<Db, DbOpenError> {
        Db::connect_with(url, Integrity::Check).await
    }

    async fn connect_with(url: &str, integrity: Integrity) -> Result<Db, DbOpenError> {
        sqlx::any::install_default_drivers();
        let backend = backend_of(url)?;
        let url = match backend {
            // `mode=rwc` creates the file on first run, as the README promises.
            Backend::Sqlite if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let options = AnyConnectOptions::from_str(&url)
            .map_err(|_| DbOpenError::BadUrl(redact_url(&url)))?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(2));
        let connect_error = |e: sqlx::Error| DbOpenError::Connect {
            url: redact_url(&url),
            reason: connect_reason(&e),
        };
        // One direct connection first: the pool would retry a refused connection or a
        // failing pragma until its timeout and then report only "timed out", while the
        // operator needs the real reason at once.
        let mut first = AnyConnection::connect_with(&options)
            .await
            .map_err(connect_error)?;
        if backend == Backend::Sqlite {
            first.execute(SQLITE_PRAGMAS).await.map_err(|e| {
                DbOpenError::Check(format!("SQLite 文件无法使用（{e}），请从备份恢复"))
            })?;
        }
        check::run(&mut first, backend, integrity)
            .await
            .map_err(|e| DbOpenError::Check(e.to_string()))?;
        first.close().await.ok();

        // What every pooled connection runs first.
        let (connections, session) = match backend {
            Backend::Sqlite => (8, SQLITE_PRAGMAS),
            Backend::Postgres => (16, POSTGRES_SESSION),
        };
        let pool_options = AnyPoolOptions::new()
            .max_connections(connections)
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    conn.execute(session).await?;
                    Ok(())
                })
            })
            .acquire_timeout(Duration::from_secs(10))
            // A connection whose COMMIT failed (disk full, connection cut) comes back still
            // counted as inside its transaction: sqlx only queues a ROLLBACK on drop, and when
            // the database already rolled back by itself the count is never reset. Handed out
            // again, every `begin` on it would fail ("non-zero transaction depth") until a
            // restart, so such a connection is closed instead of returned to the pool.
            .after_release(|conn, _meta| {
                Box::pin(async move { Ok(!sqlx::Connection::is_in_transaction(conn)) })
            });
        let pool = pool_options
            .connect_with(options)
            .await
            .map_err(connect_error)?;
        Ok(Db { pool, backend })
    }

    /// Applies the embedded migrations of this backend.
    pub async fn migrate(&self) -> Result<(), DbOpenError> {
        let migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        migrator
            .run(&self.pool)
            .await
            .map_err(|e| DbOpenError::Migrate(e.to_string()))
    }

    /// A fingerprint of the embedded migrations of a backend (versions and checksums), so
    /// that test templates and caches can tell schema versions apart.
    pub fn schema_fingerprint(backend: Backend) -> String {
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        };
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for m in migrator.iter() {
            for b in m.version.to_be_bytes().iter().chain(m.checksum.iter()) {
                hash = (hash ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
        format!("{:012x}", hash & 0xffff_ffff_ffff)
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Starts a write transaction. On SQLite it takes the write lock at once
    /// (`BEGIN IMMEDIATE`): a deferred transaction that reads and then writes can fail
    /// with "database is locked" when another writer committed in between, whereas an
    /// immediate one simply waits its turn within the busy timeout.
    pub async fn begin(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => self.pool.begin().await,
        }
    }

    /// Serialises transactions that check-then-write on the same keys (e.g. "is this
    /// person in another active household?"). SQLite needs nothing: `BEGIN IMMEDIATE`
    /// already lets one writer at a time. PostgreSQL takes a transaction-scoped advisory
    /// lock per key, in sorted order so two transactions cannot deadlock.
    pub async fn lock_keys(
        &self,
        tx: &mut sqlx::Transaction<'static, sqlx::Any>,
        keys: &[String],
    ) -> Result<(), sqlx::Error> {
        if self.backend == Backend::Postgres {
            let mut keys: Vec<&String> = keys.iter().collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                sqlx::query("SELECT CAST(pg_advisory_xact_lock(hashtext($1)) AS TEXT)")
                    .bind(key.as_str())
                    .execute(&mut **tx)
                    .await?;
            }
        }
        Ok(())
    }

    /// A write transaction for a bulk load. On SQLite it also gives the connection a
    /// larger page cache: a load of a million rows into tables with random-keyed indexes
    /// (blind indexes) otherwise spills and re-reads pages constantly.
    pub async fn begin_bulk(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
        let mut tx = self.begin().await?;
        if self.backend == Backend::Sqlite {
            // 256 MiB, negative = KiB; stays with this pooled connection.
            sqlx::query("PRAGMA cache_size = -262144")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// A cheap round trip for the health check.
    pub async fn ping(&self) -> Result<(), sqlx::Error> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Refreshes the query planner's statistics after a bulk load.
    pub async fn analyze(&self, tables: &[&str]) -> Result<(), sqlx::Error> {
        let sql = match self.backend {
            // Analyses only what needs it (cheap when little changed).
            Backend::Sqlite => "PRAGMA optimize".to_string(),
            // Table names are constants of the caller, never input.
            Backend::Postgres => format!("ANALYZE {}", tables.join(", ")),
        };
        sqlx::query(&sql).execute(&self.pool).await.map(|_| ())
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Turns a driver error into a short reason without leaking credentials.
fn connect_reason(e: &sqlx::Error) -> String {
    match e {
        sqlx::Error::Io(io) => format!("网络或文件错误（{io}）"),
        sqlx::Error::Database(db) => db.message().to_string(),
        sqlx::Error::PoolTimedOut => "连接超时".to_string(),
        other => other.to_string(),
    }
}

/// `(…), (…)` placeholders for a multi-row statement of `rows` rows of `width` values,
/// numbered from 1. SQLite gets anonymous `?` placeholders: for numbered ones its driver
/// looks each name up in a list, which costs O(n²) over a 3,000-parameter batch insert
/// (measured: 63% of a roster import's time).
pub fn value_rows(backend: Backend, rows: usize, width: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", param_list(backend, r * width + 1, width)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `n` placeholders numbered from `from`, comma-separated (see `value_rows`). On SQLite
/// the statement must use anonymous placeholders throughout, in binding order.
pub fn param_list(backend: Backend, from: usize, n: usize) -> String {
    match backend {
        Backend::Sqlite => vec!["?"; n].join(", "),
        Backend::Postgres => (from..from + n)
            .map(|i| format!("${i}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// A yes/no flag as stored.
pub fn flag(value: bool) -> i64 {
    i64::from(value)
}

/// Reads a stored yes/no flag.
pub fn is_set(value: i64) -> bool {
    value != 0
}

/// Bounds `[low, high)` of every code that starts with `prefix`, for
/// `code >= $1 AND code < $2` filters. A range, unlike `LIKE 'prefix%'`, uses the
/// ordinary index on both engines (SQLite's LIKE is case-insensitive and PostgreSQL's
/// generic plans cannot use a bound LIKE pattern). Codes are ASCII digits, and `:` sorts
/// right after `9`.
pub fn prefix_bounds(prefix: &str) -> (String, String) {
    (prefix.to_string(), format!("{prefix}:"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_is_chosen_by_scheme() {
        assert_eq!(backend_of("sqlite://x.db").unwrap(), Backend::Sqlite);
        assert_eq!(backend_of("sqlite::memory:").unwrap(), Backend::Sqlite);
        assert_eq!(
            backend_of("postgres://u@localhost/db").unwrap(),
            Backend::Postgres
        );
        assert!(backend_of("mysql://u@h/db").is_err());
        assert!(backend_of("minzheng.db").is_err());
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact_url("postgres://user:secret@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(redact_url("sqlite://a.db"), "sqlite://a.db");
        assert_eq!(
            redact_url("postgres://user:p@ss@host/db"),
            "postgres://user:***@host/db"
        );
        assert_eq!(
            redact_url("postgres://host/db?user=u&password=secret&sslmode=off"),
            "postgres://host/db?user=u&password=***&sslmode=off"
        );
    }
}
