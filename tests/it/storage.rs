use minzheng::db::{Backend as DbBackend, Db};

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
        DbBackend::Postgres => assert_eq!(check.fsync.as_deref(), Some("on")),
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
    // A file with SQLite's magic header followed by garbage.
    let mut bytes = b"SQLite format 3\0".to_vec();
    bytes.extend(std::iter::repeat_n(0xA5u8, 8192));
    std::fs::write(&path, bytes).unwrap();
    let err = Db::open(&format!("sqlite://{}", path.display()))
        .await
        .unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("数据库"), "{msg}");
}
