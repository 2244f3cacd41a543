//! Operations (运维): backing the database up while the server runs, restoring a backup
//! into an empty database (or, asked for, over an existing one), and the key check that
//! makes sure the key file given belongs to the data.
//!
//! The key file is never part of a backup: a stolen backup alone then reveals no ID
//! number, phone or bank account. It must be kept, separately, by the operator; a restore
//! with another key file (or none) is refused before the restored data is put in place
//! (SQLite) or reported at once (PostgreSQL).

pub mod backup;
pub mod key_check;
pub mod pg_tools;
pub mod restore;
mod restore_postgres;
mod restore_sqlite;

use std::path::{Path, PathBuf};

pub use backup::backup;
pub use restore::{RestoreOptions, restore};

/// The file of an `sqlite://` URL (`None` for an in-memory database).
pub fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let file = rest.split('?').next().unwrap_or(rest);
    (!file.is_empty() && !file.contains(":memory:")).then(|| PathBuf::from(file))
}

/// How a backup's migrations compare with this program's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaFit {
    /// The same migrations: the backup is of this program's version.
    Same,
    /// An older version: the missing migrations are applied after the restore.
    Older { to_apply: usize },
}

/// One row of a backup's `_sqlx_migrations`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedMigration {
    pub version: i64,
    pub checksum: Vec<u8>,
    pub success: bool,
}

/// Compares a backup's applied migrations with the ones this program carries. A backup
/// from a newer program, or one whose migrations differ from ours, is refused: this
/// program would not know its tables.
pub fn schema_fit(
    applied: &[AppliedMigration],
    known: &[(i64, Vec<u8>)],
) -> Result<SchemaFit, String> {
    if applied.is_empty() {
        return Err(
            "备份中没有迁移记录：它不是本系统的数据库备份 / not a minzheng backup".to_string(),
        );
    }
    for m in applied {
        match known.iter().find(|(v, _)| *v == m.version) {
            None => {
                return Err(format!(
                    "备份来自较新版本的程序（含本程序没有的迁移 {}）：请用备份时的程序版本恢复 / backup from a newer version",
                    m.version
                ));
            }
            Some((_, checksum)) if *checksum != m.checksum => {
                return Err(format!(
                    "备份中的迁移 {} 与本程序的不一致：请用备份时的程序版本恢复 / migration {} differs",
                    m.version, m.version
                ));
            }
            Some(_) if !m.success => {
                return Err(format!(
                    "备份中的迁移 {} 没有完成：这份备份不可用 / migration {} incomplete in the backup",
                    m.version, m.version
                ));
            }
            Some(_) => {}
        }
    }
    let to_apply = known
        .iter()
        .filter(|(v, _)| !applied.iter().any(|m| m.version == *v))
        .count();
    Ok(if to_apply == 0 {
        SchemaFit::Same
    } else {
        SchemaFit::Older { to_apply }
    })
}

/// The audit chain's head as a backup records it: the last entry's number and hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

impl std::fmt::Display for AuditHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "第 {} 条，哈希 {}", self.seq, self.hash)
    }
}

/// Forces a file's contents (and, for a rename, its directory entry) to disk.
fn sync_file_and_dir(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_all()?;
    sync_dir_of(path)
}

fn sync_dir_of(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// The first bytes of a file: an SQLite database or a pg_dump archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Sqlite,
    PgDump,
    Other,
}

fn file_kind(path: &Path) -> std::io::Result<FileKind> {
    use std::io::Read;
    let mut head = [0u8; 16];
    let mut file = std::fs::File::open(path)?;
    let n = file.read(&mut head)?;
    Ok(if n == 16 && &head == b"SQLite format 3\0" {
        FileKind::Sqlite
    } else if n >= 5 && &head[..5] == b"PGDMP" {
        FileKind::PgDump
    } else {
        FileKind::Other
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applied(v: i64, c: u8) -> AppliedMigration {
        AppliedMigration {
            version: v,
            checksum: vec![c],
            success: true,
        }
    }

    #[test]
    fn backups_of_older_versions_fit_newer_ones_do_not() {
        let known = vec![(1, vec![1]), (2, vec![2]), (3, vec![3])];
        assert_eq!(
            schema_fit(&[applied(1, 1), applied(2, 2), applied(3, 3)], &known),
            Ok(SchemaFit::Same)
        );
        assert_eq!(
            schema_fit(&[applied(1, 1)], &known),
            Ok(SchemaFit::Older { to_apply: 2 })
        );
        let newer = schema_fit(&[applied(1, 1), applied(4, 4)], &known).unwrap_err();
        assert!(newer.contains("较新版本"), "{newer}");
        let edited = schema_fit(&[applied(1, 9)], &known).unwrap_err();
        assert!(edited.contains("不一致"), "{edited}");
        assert!(schema_fit(&[], &known).unwrap_err().contains("不是本系统"));
    }

    #[test]
    fn the_sqlite_file_comes_out_of_the_url() {
        assert_eq!(
            sqlite_path("sqlite:///var/lib/mz.db?mode=rwc"),
            Some(PathBuf::from("/var/lib/mz.db"))
        );
        assert_eq!(sqlite_path("sqlite://mz.db"), Some(PathBuf::from("mz.db")));
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://u@h/db"), None);
    }
}
