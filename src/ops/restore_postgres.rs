//! Restoring a PostgreSQL backup (a `pg_dump` custom-format archive) with `pg_restore`.
//! What can be checked in the archive is checked before the database is touched: that
//! it is this system's, of this version or older, and that the key file opens its key
//! check value. `pg_restore` then runs as one transaction (all of it or nothing), and the
//! audit chain is verified on the restored data.

use std::collections::BTreeSet;
use std::path::Path;

use sqlx::Row;

use super::backup::{column, is_table_entry};
use super::pg_tools::{self, LibpqTarget};
use super::restore::{
    RestoreOptions, TargetContents, check_and_record, key_mismatch, load_key, refuse_non_empty,
    replacing_line,
};
use super::{AppliedMigration, FileKind, SchemaFit, file_kind, key_check, schema_fit};
use crate::audit::AuditEvent;
use crate::db::{Backend, Db, redact_url};
use crate::protect::SensitiveKind;

pub(super) async fn restore(
    url: &str,
    file: &Path,
    options: &RestoreOptions,
    event: AuditEvent,
) -> Result<Vec<String>, String> {
    match file_kind(file).map_err(|e| format!("无法读取备份文件 {}：{e}", file.display()))?
    {
        FileKind::PgDump => {}
        FileKind::Sqlite => {
            return Err(format!(
                "{} 是 SQLite 数据库的备份，不能恢复到 PostgreSQL / SQLite backup",
                file.display()
            ));
        }
        FileKind::Other => {
            return Err(format!(
                "{} 不是 pg_dump 自定义格式（--format=custom）的备份 / not a pg_dump archive",
                file.display()
            ));
        }
    }
    let target = pg_tools::libpq_target(url);
    let shown = redact_url(url);
    let mut lines = Vec::new();

    // 1. The archive, before anything is touched.
    let applied: Vec<AppliedMigration> = pg_tools::table_rows(file, "_sqlx_migrations", &target)
        .await?
        .iter()
        .map(|row| AppliedMigration {
            version: column(row, "version")
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1),
            checksum: column(row, "checksum")
                .and_then(|c| pg_tools::bytea_hex(&c))
                .unwrap_or_default(),
            success: column(row, "success").is_some_and(|s| s == "t" || s == "true"),
        })
        .collect();
    let fit = schema_fit(&applied, &Db::known_migrations(Backend::Postgres))?;
    let key_value = pg_tools::table_rows(file, "key_check", &target)
        .await?
        .first()
        .and_then(|row| column(row, "sealed"));
    if let Some(sealed) = key_value {
        let keyring = load_key(&options.key_path, false)?;
        if !key_check::opens(&keyring, &sealed) {
            return Err(key_mismatch(&options.key_path));
        }
    } else if let Some((kind, sealed)) = sealed_sample(file, &target).await? {
        // An archive from before the check value (migration 0026): the key is tried on a
        // sealed value of its own, as the server's start check does, so that the wrong key
        // file is refused before the target is touched rather than after.
        let keyring = load_key(&options.key_path, false)?;
        if keyring.open(kind, &sealed).is_err() {
            return Err(key_mismatch(&options.key_path));
        }
    }
    let dump_tables = archive_tables(file, &target).await?;

    // 2. The target: empty, or replaced when asked.
    let db = Db::connect(url).await.map_err(|e| e.to_string())?;
    let holding = target_contents(&db).await;
    let replaced = !holding.is_empty();
    if replaced && !options.force {
        db.close().await;
        return Err(refuse_non_empty(&shown, &holding));
    }
    if replaced {
        lines.push(replacing_line(&shown, &holding));
    }
    if holding.tables != 0 {
        // Tables the archive does not have (a newer version's, or a freshly migrated
        // target's) would survive the restore, hold foreign keys that stop pg_restore
        // from dropping the archive's tables, and block the migrations later.
        let dropped = drop_tables_not_in(&db, &dump_tables).await;
        if let Err(e) = dropped {
            db.close().await;
            return Err(format!("无法清除目标数据库中备份没有的表：{e}"));
        }
    }
    db.close().await;

    // 3. The data, in one transaction.
    pg_tools::run(
        "pg_restore",
        vec![
            "--clean".to_string(),
            "--if-exists".to_string(),
            "--no-owner".to_string(),
            "--no-password".to_string(),
            "--single-transaction".to_string(),
            "--exit-on-error".to_string(),
            "--dbname".to_string(),
            target.url.clone(),
            file.display().to_string(),
        ],
        &target,
    )
    .await
    .map_err(|e| {
        if holding.tables != 0 {
            format!("{e}（恢复在一个事务中进行，数据未改动；但目标数据库中备份没有的表（如有）已在此前删除）")
        } else {
            format!("{e}（目标数据库未改动：恢复在一个事务中进行）")
        }
    })?;
    lines.push(match fit {
        SchemaFit::Same => "备份与本程序版本相同 / same schema version".to_string(),
        SchemaFit::Older { to_apply } => {
            format!("备份来自较早版本：补做 {to_apply} 个迁移 / {to_apply} migrations applied")
        }
    });

    // 4. Migrations, audit chain, key, on the restored data.
    let db = Db::open(url)
        .await
        .map_err(|e| format!("恢复后的数据库无法打开：{e}"))?;
    let checked = check_and_record(&db, &options.key_path, event, replaced).await;
    db.close().await;
    let checked = checked.map_err(|e| {
        format!("{e}（数据已恢复到 {shown}，但未通过检查：请换用正确的密钥文件或另一份备份后加 --force 重新恢复）")
    })?;
    lines.extend(checked);
    lines.push(format!("已恢复到 {shown} / restored"));
    Ok(lines)
}

/// One sealed value in the archive to test a key on, in the order the start check tries
/// them (`key_check::verify`): an administrator's TOTP secret, else a member's ID number.
async fn sealed_sample(
    file: &Path,
    target: &LibpqTarget,
) -> Result<Option<(SensitiveKind, String)>, String> {
    let totp = pg_tools::table_rows(file, "users", target)
        .await?
        .iter()
        .find_map(|row| column(row, "totp_secret"));
    if let Some(sealed) = totp {
        return Ok(Some((SensitiveKind::Totp, sealed)));
    }
    Ok(pg_tools::first_row(file, "members", target)
        .await?
        .and_then(|row| column(&row, "id_number_sealed"))
        .map(|sealed| (SensitiveKind::IdNumber, sealed)))
}

/// The tables of the archive's table of contents.
async fn archive_tables(file: &Path, target: &LibpqTarget) -> Result<BTreeSet<String>, String> {
    let list = pg_tools::run(
        "pg_restore",
        vec!["--list".to_string(), file.display().to_string()],
        target,
    )
    .await?;
    Ok(String::from_utf8_lossy(&list)
        .lines()
        .filter(|l| is_table_entry(l))
        .filter_map(|l| l.split_whitespace().nth(5).map(str::to_string))
        .collect())
}

async fn target_contents(db: &Db) -> TargetContents {
    let tables: i64 = sqlx::query(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM information_schema.tables \
         WHERE table_schema = current_schema()",
    )
    .fetch_one(db.pool())
    .await
    .and_then(|r| r.try_get(0))
    // Unknown: treated as holding data.
    .unwrap_or(-1);
    let users = sqlx::query("SELECT CAST(COUNT(*) AS BIGINT) FROM users")
        .fetch_one(db.pool())
        .await
        .and_then(|r| r.try_get(0))
        .ok();
    let audit_seq = sqlx::query("SELECT seq FROM audit_head WHERE id = 1")
        .fetch_one(db.pool())
        .await
        .and_then(|r| r.try_get(0))
        .ok();
    TargetContents {
        tables,
        users,
        audit_seq,
    }
}

async fn drop_tables_not_in(db: &Db, keep: &BTreeSet<String>) -> Result<(), sqlx::Error> {
    let present: Vec<String> = sqlx::query(
        "SELECT CAST(tablename AS TEXT) FROM pg_tables WHERE schemaname = current_schema()",
    )
    .fetch_all(db.pool())
    .await?
    .iter()
    .map(|r| r.try_get::<String, _>(0))
    .collect::<Result<_, _>>()?;
    let extra: Vec<String> = present
        .into_iter()
        .filter(|t| !keep.contains(t))
        .map(|t| format!("\"{}\"", t.replace('"', "\"\"")))
        .collect();
    if extra.is_empty() {
        return Ok(());
    }
    let sql = format!("DROP TABLE IF EXISTS {} CASCADE", extra.join(", "));
    sqlx::query(&sql).execute(db.pool()).await.map(|_| ())
}
