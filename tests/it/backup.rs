//! `minzheng backup` and `minzheng restore` as an operator runs them: backup → wipe →
//! restore gives the same quarterly figures and the same audit chain; the key file is
//! not in the backup and a restore with another one (or none) fails clearly; a damaged
//! SQLite file is refused at start.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use minzheng::db::Db;
use sqlx::{Connection, Row};

use crate::common::{Backend, TestDb, postgres_url};
use crate::on_both_backends;

on_both_backends!(backup_wipe_restore_gives_the_same_figures_and_chain);

fn command(url: &str, key: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_minzheng"));
    command
        .arg("--database-url")
        .arg(url)
        .arg("--key-file")
        .arg(key)
        .args(args)
        .env_remove("MINZHENG_DATABASE_URL")
        .env_remove("MINZHENG_KEY_FILE");
    command
}

/// Runs a command to its end (a `serve` that wrongly starts is stopped and fails the test).
fn minzheng(url: &str, key: &Path, args: &[&str]) -> Output {
    run_to_end(command(url, key, args))
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "expected a failure, got: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn path_arg(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Another installation's key: valid, but not the one the data was sealed with.
fn other_key(dir: &Path) -> PathBuf {
    use base64::Engine;
    let path = dir.join("other.key");
    let key = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
    std::fs::write(&path, format!("{key}\n")).unwrap();
    path
}

/// The quarterly report as the CLI prints it (the same function the report page uses).
fn quarterly(url: &str, key: &Path, quarter: &str) -> serde_json::Value {
    let out = minzheng(
        url,
        key,
        &[
            "report",
            "quarterly",
            "--quarter",
            quarter,
            "--format",
            "json",
        ],
    );
    serde_json::from_str(&ok(&out)).unwrap()
}

async fn audit_head(url: &str) -> (i64, String) {
    let db = Db::connect(url).await.unwrap();
    let row = sqlx::query("SELECT seq, last_hash FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await
        .unwrap();
    let head = (row.get::<i64, _>(0), row.get::<String, _>(1));
    db.close().await;
    head
}

async fn audit_entry(url: &str, seq: i64) -> (String, String) {
    let db = Db::connect(url).await.unwrap();
    let row = sqlx::query("SELECT hash, action FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_one(db.pool())
        .await
        .unwrap();
    let entry = (row.get::<String, _>(0), row.get::<String, _>(1));
    db.close().await;
    entry
}

async fn table_count(url: &str) -> i64 {
    let db = Db::connect(url).await.unwrap();
    let sql = match db.backend() {
        minzheng::db::Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        minzheng::db::Backend::Postgres => {
            "SELECT CAST(COUNT(*) AS BIGINT) FROM information_schema.tables \
             WHERE table_schema = current_schema()"
        }
    };
    let n: i64 = sqlx::query(sql).fetch_one(db.pool()).await.unwrap().get(0);
    db.close().await;
    n
}

/// Where the backup is restored to: the same SQLite file once deleted, or a new, empty
/// PostgreSQL database with a random name (dropped at the end).
struct Wiped {
    url: String,
    pg_name: Option<String>,
}

impl Wiped {
    async fn new(backend: Backend, db: &TestDb) -> Wiped {
        match backend {
            Backend::Sqlite => {
                let file = minzheng::ops::sqlite_path(db.url()).unwrap();
                for suffix in ["", "-wal", "-shm"] {
                    let mut name = file.clone().into_os_string();
                    name.push(suffix);
                    let _ = std::fs::remove_file(PathBuf::from(name));
                }
                assert!(!file.exists());
                Wiped {
                    url: db.url().to_string(),
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let admin = postgres_url().unwrap();
                // The test harness's prefix: leftovers of an aborted run are cleaned up.
                let name = format!(
                    "mz_t_{}_restore_{:08x}",
                    std::process::id(),
                    rand::random::<u32>()
                );
                let mut conn = sqlx::postgres::PgConnection::connect(&admin).await.unwrap();
                sqlx::query(&format!("CREATE DATABASE {name}"))
                    .execute(&mut conn)
                    .await
                    .unwrap();
                conn.close().await.ok();
                let (main, query) = match admin.split_once('?') {
                    Some((m, q)) => (m, format!("?{q}")),
                    None => (admin.as_str(), String::new()),
                };
                let base = main.rsplit_once('/').unwrap().0;
                Wiped {
                    url: format!("{base}/{name}{query}"),
                    pg_name: Some(name),
                }
            }
        }
    }

    async fn drop_db(&self) {
        if let Some(name) = &self.pg_name {
            let admin = postgres_url().unwrap();
            if let Ok(mut conn) = sqlx::postgres::PgConnection::connect(&admin).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(&sql).execute(&mut conn).await;
                conn.close().await.ok();
            }
        }
    }
}

async fn backup_wipe_restore_gives_the_same_figures_and_chain(backend: Backend) {
    let db = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("minzheng.key");
    let url = db.url().to_string();
    ok(&minzheng(&url, &key, &["demo", "--households", "40"]));
    let q3 = quarterly(&url, &key, "2026Q3");
    let q4 = quarterly(&url, &key, "2026Q4");
    // Real figures, not an empty report compared with another.
    for figure in ["dibao_new_persons", "temp_assistance_cases", "marriages"] {
        assert!(
            q3["figures"][figure].as_i64().unwrap_or(0) > 0,
            "the demo city has {figure}: {q3}"
        );
    }
    let head = audit_head(&url).await;
    assert!(head.0 > 0, "the demo is in the audit log");

    let file = dir.path().join(match backend {
        Backend::Sqlite => "minzheng-backup.db",
        Backend::Postgres => "minzheng-backup.dump",
    });
    let printed = ok(&minzheng(&url, &key, &["backup", path_arg(&file)]));
    assert!(
        printed.contains(&format!("审计日志链头：第 {} 条，哈希 {}", head.0, head.1)),
        "{printed}"
    );
    assert!(printed.contains("备份不含密钥文件"), "{printed}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the backup is readable by its owner only"
        );
    }
    // The backup itself is audited (after the copy, so it is not in it).
    assert_eq!(audit_entry(&url, head.0 + 1).await.1, "ops.backup");
    let again = failed(&minzheng(&url, &key, &["backup", path_arg(&file)]));
    assert!(again.contains("已存在"), "{again}");

    let target = Wiped::new(backend, &db).await;
    // Another installation's key: refused before anything is put in place.
    let wrong = other_key(dir.path());
    let err = failed(&minzheng(
        &target.url,
        &wrong,
        &["restore", path_arg(&file)],
    ));
    assert!(
        err.contains("密钥文件与备份不匹配：请使用备份时的密钥文件"),
        "{err}"
    );
    match backend {
        Backend::Sqlite => assert!(!minzheng::ops::sqlite_path(&target.url).unwrap().exists()),
        Backend::Postgres => assert_eq!(table_count(&target.url).await, 0),
    }
    // No key file at all.
    let missing = dir.path().join("nowhere.key");
    let err = failed(&minzheng(
        &target.url,
        &missing,
        &["restore", path_arg(&file)],
    ));
    assert!(err.contains("备份不含密钥文件"), "{err}");
    assert!(!missing.exists(), "no new key is made for sealed data");

    let printed = ok(&minzheng(&target.url, &key, &["restore", path_arg(&file)]));
    assert!(printed.contains("审计日志完整"), "{printed}");
    assert!(printed.contains("已恢复到"), "{printed}");
    assert_eq!(quarterly(&target.url, &key, "2026Q3"), q3);
    assert_eq!(quarterly(&target.url, &key, "2026Q4"), q4);
    ok(&minzheng(&target.url, &key, &["audit", "verify"]));
    // The chain goes on from the backed-up head: that entry is the same, and the next
    // one records the restore.
    assert_eq!(audit_entry(&target.url, head.0).await.0, head.1);
    assert_eq!(audit_entry(&target.url, head.0 + 1).await.1, "ops.restore");
    assert_eq!(audit_head(&target.url).await.0, head.0 + 1);

    // The target now holds data: only --force replaces it, saying what it replaces.
    let err = failed(&minzheng(&target.url, &key, &["restore", path_arg(&file)]));
    assert!(err.contains("已有数据") && err.contains("--force"), "{err}");
    let printed = ok(&minzheng(
        &target.url,
        &key,
        &["restore", "--force", path_arg(&file)],
    ));
    assert!(
        printed.contains("将替换现有数据库") && printed.contains("审计记录至第"),
        "{printed}"
    );
    assert_eq!(quarterly(&target.url, &key, "2026Q3"), q3);
    assert_eq!(audit_head(&target.url).await.0, head.0 + 1);

    // The server refuses to start with another installation's key.
    let err = failed(&minzheng(
        &target.url,
        &wrong,
        &["serve", "--addr", "127.0.0.1:0"],
    ));
    assert!(err.contains("与数据库不匹配"), "{err}");

    target.drop_db().await;
    db.drop_db().await;
}

/// Overwrites one page in the middle of the file with its bitwise complement, as a
/// failing disk would.
fn damage(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let page = 4096;
    assert!(bytes.len() > 8 * page, "the file spans many pages");
    let middle = (bytes.len() / page / 2) * page;
    for b in &mut bytes[middle..middle + page] {
        *b ^= 0xFF;
    }
    std::fs::write(path, bytes).unwrap();
}

/// Runs a command that must end by itself (a server that starts would not).
fn run_to_end(mut command: Command) -> Output {
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(300);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the command did not stop (a server started where it must refuse to)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn a_damaged_sqlite_file_is_refused_at_start_and_as_a_backup() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    let url = format!("sqlite://{}", dir.path().join("live.db").display());
    ok(&minzheng(&url, &key, &["demo", "--households", "40"]));
    let copy = dir.path().join("copy.db");
    ok(&minzheng(&url, &key, &["backup", path_arg(&copy)]));
    let pristine = std::fs::read(&copy).unwrap();
    damage(&copy);
    let damaged_url = format!("sqlite://{}", copy.display());
    let told = |err: &str| {
        assert!(
            err.contains("完整性检查失败") || err.contains("无法使用"),
            "the operator is told the file is damaged: {err}"
        );
        assert!(err.contains("请从备份恢复"), "and what to do: {err}");
    };
    told(&failed(&minzheng(&damaged_url, &key, &["migrate"])));
    told(&failed(&minzheng(
        &damaged_url,
        &key,
        &["serve", "--addr", "127.0.0.1:0"],
    )));

    // A damaged backup is not restored, and the target is left as it was.
    let backup = dir.path().join("damaged-backup.db");
    std::fs::write(&backup, &pristine).unwrap();
    damage(&backup);
    let target = format!("sqlite://{}", dir.path().join("restored.db").display());
    let err = failed(&minzheng(&target, &key, &["restore", path_arg(&backup)]));
    assert!(
        err.contains("完整性检查失败") || err.contains("无法读取"),
        "{err}"
    );
    assert!(!dir.path().join("restored.db").exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no temporary copy left: {leftovers:?}"
    );
}

#[test]
fn an_sqlite_backup_is_taken_while_the_server_runs_and_a_restore_waits_for_it_to_stop() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    let url = format!("sqlite://{}", dir.path().join("live.db").display());
    ok(&minzheng(&url, &key, &["demo", "--households", "20"]));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = command(
        &url,
        &key,
        &["serve", "--addr", &format!("127.0.0.1:{port}")],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "the server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    let file = dir.path().join("online.db");
    let backed_up = minzheng(&url, &key, &["backup", path_arg(&file)]);
    let refused = minzheng(&url, &key, &["restore", "--force", path_arg(&file)]);
    let _ = server.kill();
    let _ = server.wait();
    let printed = ok(&backed_up);
    assert!(printed.contains("完整性检查：ok"), "{printed}");
    let err = failed(&refused);
    assert!(err.contains("正在被使用"), "{err}");
    // Once the server is stopped, the same restore goes through.
    ok(&minzheng(
        &url,
        &key,
        &["restore", "--force", path_arg(&file)],
    ));
    ok(&minzheng(&url, &key, &["audit", "verify"]));
}

#[tokio::test]
async fn a_backup_from_before_the_key_check_is_migrated_and_its_key_tested_on_sealed_data() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    let url = format!("sqlite://{}", dir.path().join("live.db").display());
    ok(&minzheng(&url, &key, &["demo", "--households", "20"]));
    let file = dir.path().join("old.db");
    ok(&minzheng(&url, &key, &["backup", path_arg(&file)]));
    // As a backup of the program before migration 0026 would be.
    let mut conn = sqlx::sqlite::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 26")
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query("DROP TABLE key_check")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();

    let target = format!("sqlite://{}", dir.path().join("restored.db").display());
    // No check value: the wrong key is found on the sealed data itself.
    let err = failed(&minzheng(
        &target,
        &other_key(dir.path()),
        &["restore", path_arg(&file)],
    ));
    assert!(err.contains("密钥文件与备份不匹配"), "{err}");
    let printed = ok(&minzheng(&target, &key, &["restore", path_arg(&file)]));
    assert!(printed.contains("补做 1 个迁移"), "{printed}");
    // The restored database has its check value now: the server's start check uses it.
    let db = Db::connect(&target).await.unwrap();
    assert!(minzheng::ops::key_check::is_stored(&db).await.unwrap());
    db.close().await;
    ok(&minzheng(&target, &key, &["audit", "verify"]));
}

/// The same on PostgreSQL: an archive without the check value is key-tested on a sealed
/// member's ID number read out of the archive, so the wrong key file is refused before the
/// target database is touched (not after pg_restore replaced it).
#[tokio::test]
async fn a_postgres_backup_from_before_the_key_check_is_key_tested_before_restoring() {
    if postgres_url().is_none() {
        eprintln!("MINZHENG_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
        return;
    }
    let db = TestDb::new(Backend::Postgres).await;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.key");
    let url = db.url().to_string();
    ok(&minzheng(&url, &key, &["demo", "--households", "20"]));
    // As the database of the program before migration 0026 was; without TOTP secrets, so
    // that the members' ID numbers are what the key is tested on.
    let mut conn = sqlx::postgres::PgConnection::connect(&url).await.unwrap();
    for sql in [
        "DELETE FROM _sqlx_migrations WHERE version = 26",
        "DROP TABLE key_check",
        "UPDATE users SET totp_secret = NULL",
    ] {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    conn.close().await.unwrap();
    let file = dir.path().join("old.dump");
    let dumped = Command::new("pg_dump")
        .args(["--format=custom", "--file", path_arg(&file), &url])
        .output()
        .unwrap();
    assert!(
        dumped.status.success(),
        "{}",
        String::from_utf8_lossy(&dumped.stderr)
    );

    let target = Wiped::new(Backend::Postgres, &db).await;
    let err = failed(&minzheng(
        &target.url,
        &other_key(dir.path()),
        &["restore", path_arg(&file)],
    ));
    assert!(err.contains("密钥文件与备份不匹配"), "{err}");
    assert_eq!(
        table_count(&target.url).await,
        0,
        "the target was not touched"
    );
    let printed = ok(&minzheng(&target.url, &key, &["restore", path_arg(&file)]));
    assert!(printed.contains("补做 1 个迁移"), "{printed}");
    let restored = Db::connect(&target.url).await.unwrap();
    assert!(
        minzheng::ops::key_check::is_stored(&restored)
            .await
            .unwrap()
    );
    restored.close().await;
    ok(&minzheng(&target.url, &key, &["audit", "verify"]));
    // The case the check is for: replacing a database that holds data. The wrong key is
    // refused before anything is dropped; the data stay as they were.
    let head = audit_head(&target.url).await;
    let err = failed(&minzheng(
        &target.url,
        &other_key(dir.path()),
        &["restore", "--force", path_arg(&file)],
    ));
    assert!(err.contains("密钥文件与备份不匹配"), "{err}");
    assert_eq!(
        audit_head(&target.url).await,
        head,
        "the data were not touched"
    );
    ok(&minzheng(&target.url, &key, &["audit", "verify"]));
    target.drop_db().await;
    db.drop_db().await;
}
