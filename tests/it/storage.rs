use minzheng::db::{Backend as DbBackend, Db};
use sqlx::Row;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    durability_settings_are_checked_at_start,
    migrate_is_idempotent
);

async fn durability_settings_are_checked_at_start(backend: Backend) {
    let t = TestApp::start(backend).await;
    let check = t.database().startup_check().await.unwrap();
    match t.database().backend() {
        DbBackend::Sqlite => {
            assert_eq!(check.journal_mode.as_deref(), Some("wal"));
            assert_eq!(check.synchronous, Some(2), "synchronous=FULL");
            assert_eq!(check.foreign_keys, Some(1));
        }
        DbBackend::Postgres => {
            assert_eq!(check.fsync.as_deref(), Some("on"));
            // Pooled connections plan without parallel workers (see POSTGRES_SESSION).
            let workers: String = sqlx::query("SHOW max_parallel_workers_per_gather")
                .fetch_one(t.database().pool())
                .await
                .unwrap()
                .get(0);
            assert_eq!(workers, "0");
        }
    }
    t.finish().await;
}

async fn migrate_is_idempotent(backend: Backend) {
    let t = TestApp::start(backend).await;
    // Opening again re-runs the migrator, which must find nothing to do.
    let again = Db::open(t.db.url()).await.unwrap();
    again.migrate().await.unwrap();
    again.close().await;
    t.finish().await;
}

#[tokio::test]
async fn a_corrupted_sqlite_file_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.db");
    let url = format!("sqlite://{}", path.display());
    // A real database with enough rows to fill many pages...
    let db = Db::open(&url).await.unwrap();
    let mut tx = db.begin().await.unwrap();
    for day in 0..2000 {
        let date = chrono::NaiveDate::from_ymd_opt(2000, 1, 1).unwrap() + chrono::Days::new(day);
        sqlx::query("INSERT INTO holidays (day, kind) VALUES ($1, 'rest')")
            .bind(date.to_string())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .execute(db.pool())
        .await
        .unwrap();
    db.close().await;
    // ...then a page in the middle overwritten, as a failing disk would.
    let mut bytes = std::fs::read(&path).unwrap();
    assert!(bytes.len() > 8 * 4096, "database spans several pages");
    let page = 4096 * 5;
    for b in &mut bytes[page..page + 4096] {
        *b = 0xA5;
    }
    std::fs::write(&path, bytes).unwrap();
    let msg = Db::open(&url).await.unwrap_err().to_string();
    assert!(
        msg.contains("完整性检查失败") || msg.contains("无法使用"),
        "the operator is told the file is damaged: {msg}"
    );
}

#[tokio::test]
async fn busy_timeout_is_set_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&format!("sqlite://{}", dir.path().join("a.db").display()))
        .await
        .unwrap();
    let check = db.startup_check().await.unwrap();
    assert_eq!(check.busy_timeout_ms, Some(10_000));
    db.close().await;
}
