//! A large import killed midway (SECURITY.md, Durability): the roster import run as the
//! operator runs it, killed with SIGKILL while it reads and writes and again while its
//! pages go out, leaves all rows or none; run again it stores the whole file.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Days;
use minzheng::db::Db;
use sqlx::Row;

use crate::common::{Backend, SMALL_TREE, TestDb};
use crate::crash::{day, id};
use crate::crash_driver::{RunDb, file_len, wait_bounded};
use crate::on_both_backends;

on_both_backends!(large_import_killed_midway);

/// A roster of `members` persons in households of one to four, all in force.
fn big_roster(members: usize) -> String {
    let mut file = String::from(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n",
    );
    let communities = ["369902001001", "369902001002", "369921001001"];
    let relations = ["本人", "配偶", "子女", "父母"];
    let (mut written, mut household) = (0, 0);
    while written < members {
        let size = (1 + household % 4).min(members - written);
        for (k, relation) in relations.iter().enumerate().take(size) {
            let n = written + k;
            let birth = day("1930-01-01") + Days::new((n / 1000) as u64);
            file.push_str(&format!(
                "B{household:07},低保,姓名{n},{},{},是,{},{},2026-07-15,在保,,\n",
                id(birth, (n % 1000) as u16),
                relation,
                communities[household % 3],
                if k == 0 { "800" } else { "" }
            ));
        }
        written += size;
        household += 1;
    }
    file
}

async fn counts(url: &str) -> (i64, i64, i64, i64) {
    let db = Db::open(url).await.expect("open after the kill");
    let one = |sql: &'static str| {
        let db = &db;
        async move {
            sqlx::query(sql)
                .fetch_one(db.pool())
                .await
                .unwrap()
                .try_get::<i64, _>(0)
                .unwrap()
        }
    };
    let c = (
        one("SELECT COUNT(*) FROM households").await,
        one("SELECT COUNT(*) FROM members").await,
        one("SELECT COUNT(*) FROM cases").await,
        one("SELECT COUNT(*) FROM audit_log WHERE action = 'ledger.import'").await,
    );
    db.close().await;
    c
}

const BIG: usize = 40_000;
const KILL_AFTER: Duration = Duration::from_millis(1500);

/// Starts `import`, kills it (SIGKILL) once `until` says so, polling every millisecond;
/// answers whether it was still running then, and when.
fn kill_import(
    import: &dyn Fn() -> std::process::Child,
    mut until: impl FnMut(Duration) -> bool,
) -> (bool, Duration) {
    let mut child = import();
    let started = Instant::now();
    while !until(started.elapsed()) && child.try_wait().unwrap().is_none() {
        std::thread::sleep(Duration::from_millis(1));
    }
    let running = child.try_wait().unwrap().is_none();
    let _ = child.kill();
    let _ = child.wait();
    (running, started.elapsed())
}

async fn large_import_killed_midway(backend: Backend) {
    let db_holder = TestDb::new(backend).await;
    let dir = tempfile::tempdir().unwrap();
    let db = RunDb {
        url: match backend {
            Backend::Sqlite => format!("sqlite://{}", dir.path().join("import.db").display()),
            Backend::Postgres => db_holder.url().to_string(),
        },
        key: dir.path().join("import.key"),
        dir,
        pg_name: None,
    };
    let regions = db.dir.path().join("regions.csv");
    std::fs::write(&regions, SMALL_TREE).unwrap();
    let out = db.cli(&["regions", "import", regions.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let roster = db.dir.path().join("roster.csv");
    let file = big_roster(BIG);
    let households = file
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect::<std::collections::HashSet<_>>()
        .len() as i64;
    std::fs::write(&roster, &file).unwrap();
    let wal = PathBuf::from(format!("{}-wal", db.dir.path().join("import.db").display()));
    let import = || {
        Command::new(env!("CARGO_BIN_EXE_minzheng"))
            .arg("--database-url")
            .arg(&db.url)
            .arg("--key-file")
            .arg(&db.key)
            .args(["import", "assistance-roster"])
            .arg(&roster)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    let none = (0, 0, 0, 0);
    let all = |audited| (households, BIG as i64, households, audited);
    // Killed while it reads, checks and seals the rows and writes them into its
    // transaction (the first seconds of about four here).
    let (running, after) = kill_import(&import, |elapsed| elapsed >= KILL_AFTER);
    assert!(
        running,
        "the import of {BIG} members finished within {KILL_AFTER:?}: make the file larger"
    );
    let first = counts(&db.url).await;
    eprintln!(
        "import killed after {after:?}: {first:?} (households, members, cases, audit entries)"
    );
    assert_eq!(first, none, "killed midway, the import is half there");
    // Killed while it writes its pages out: on SQLite, once the WAL has grown (the commit
    // under way); on PostgreSQL, later in the run. The commit may have come first.
    let mut wal_at_kill = 0;
    let (running, after) = kill_import(&import, |elapsed| match backend {
        Backend::Sqlite => {
            wal_at_kill = file_len(&wal);
            wal_at_kill > 1 << 20 || elapsed > Duration::from_secs(60)
        }
        Backend::Postgres => elapsed >= 2 * KILL_AFTER,
    });
    let second = counts(&db.url).await;
    eprintln!(
        "import killed after {after:?} (still running: {running}; WAL {wal_at_kill} bytes): {second:?}"
    );
    assert!(
        second == none || second == all(1),
        "killed while writing, the import is half there: {second:?}"
    );
    let verify = db.cli(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    // Run again to the end: every row.
    let status = wait_bounded(import(), Duration::from_secs(90));
    assert!(status.success());
    assert_eq!(
        counts(&db.url).await,
        all(second.3 + 1),
        "the whole file after a full run (a second run of a stored file changes nothing)"
    );
    let verify = db.cli(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    db_holder.drop_db().await;
}
