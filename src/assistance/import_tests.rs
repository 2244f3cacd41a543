//! The streaming import over files larger than a batch: households spread over the file,
//! errors found after batches were written, people found active elsewhere in any batch.
//! (The black-box tests in `tests/it/assistance_roster.rs` cover both backends.)

use chrono::NaiveDate;
use sqlx::Row;

use super::{BATCH_ROWS, RosterImport, import_roster};
use crate::audit::{Actor, AuditEvent};
use crate::db::Db;
use crate::ids::IdNumber;
use crate::ledger::ImportError;
use crate::protect::Keyring;

const TREE: &str = "code,name,urban_rural\n369900,示范市,\n369902,东湖区,\n369902001,解放街道,\n\
    369902001001,幸福社区,城镇\n369902001002,和谐社区,城镇\n";
const HEADER: &str = "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap_or_default()
}

fn event() -> AuditEvent {
    let at = chrono::DateTime::parse_from_rfc3339("2026-11-29T10:00:00+08:00").unwrap();
    AuditEvent::new(at, &Actor::cli(), "ledger.import", "ledger", "test")
}

/// A valid ID number for person `n`.
fn id(n: usize) -> String {
    let birth = NaiveDate::from_ymd_opt(1940, 1, 1).unwrap() + chrono::Days::new((n / 1000) as u64);
    IdNumber::compose("369902", birth, (n % 1000) as u16)
        .unwrap()
        .as_str()
        .to_string()
}

/// A roster row: household `h`, person `n`.
fn row(h: usize, n: usize, relation: &str, amount: &str) -> String {
    format!(
        "G{h:06},低保,成员{n},{},{relation},是,369902001001,{amount},2026-07-01,在保,,\n",
        id(n)
    )
}

/// Rows of households `from..from + n`, three people each, persons numbered from `first`.
fn households(from: usize, n: usize, first: usize) -> String {
    let mut out = String::new();
    for h in from..from + n {
        let p = first + (h - from) * 3;
        out.push_str(&row(h, p, "本人", "1200"));
        out.push_str(&row(h, p + 1, "配偶", ""));
        out.push_str(&row(h, p + 2, "子女", ""));
    }
    out
}

/// A roster of `n` households of three, persons numbered from `first`.
fn roster(n: usize, first: usize) -> String {
    format!("{HEADER}\n{}", households(0, n, first))
}

struct Setup {
    _dir: tempfile::TempDir,
    db: Db,
    keyring: Keyring,
}

async fn setup() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("t.db").display());
    let db = Db::open(&url).await.unwrap();
    crate::region::import::import_regions(&db, TREE.as_bytes(), &event())
        .await
        .unwrap();
    Setup {
        _dir: dir,
        db,
        keyring: Keyring::ephemeral(),
    }
}

impl Setup {
    async fn import(&self, text: &str, dry_run: bool) -> Result<RosterImport, ImportError> {
        import_roster(
            &self.db,
            &self.keyring,
            "r.csv",
            text.as_bytes(),
            today(),
            dry_run,
            &event(),
        )
        .await
    }

    async fn count(&self, sql: &str) -> i64 {
        sqlx::query(sql)
            .fetch_one(self.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    }

    async fn counts(&self) -> (i64, i64, i64, i64) {
        (
            self.count("SELECT COUNT(*) FROM households").await,
            self.count("SELECT COUNT(*) FROM members").await,
            self.count("SELECT COUNT(*) FROM cases").await,
            self.count("SELECT COUNT(*) FROM case_transitions").await,
        )
    }
}

fn rejected(result: Result<RosterImport, ImportError>) -> Vec<(usize, String)> {
    match result {
        Err(ImportError::Rejected(errors)) => {
            errors.into_iter().map(|e| (e.row, e.column)).collect()
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_household_spread_over_the_file_is_one_household() {
    let s = setup().await;
    // Two runs of BATCH_ROWS households (three batches of rows each), and household S
    // spread over the file: a child at the top, the applicant between the two runs, the
    // spouse at the very end.
    let n = BATCH_ROWS;
    let first = n * 10;
    let text = format!(
        "{HEADER}\n{}{}{}{}{}",
        row(999_999, first, "子女", ""),
        households(0, n, 0),
        row(999_999, first + 1, "本人", "800"),
        households(n, n, n * 3),
        row(999_999, first + 2, "配偶", ""),
    );
    let done = s.import(&text, false).await.unwrap();
    assert_eq!((done.households, done.members), (2 * n + 1, 6 * n + 3));
    let (h, m, c, _) = s.counts().await;
    assert_eq!(
        (h, m, c),
        (2 * n as i64 + 1, 6 * n as i64 + 3, 2 * n as i64 + 1)
    );
    let one = sqlx::query(
        "SELECT c.covered_persons, c.monthly_amount, COUNT(m.id) FROM households h \
         JOIN cases c ON c.household_id = h.id JOIN members m ON m.household_id = h.id \
         WHERE h.number = 'G999999' GROUP BY c.covered_persons, c.monthly_amount",
    )
    .fetch_one(s.db.pool())
    .await
    .unwrap();
    assert_eq!(one.try_get::<i64, _>(0).unwrap(), 3);
    assert_eq!(one.try_get::<i64, _>(1).unwrap(), 80_000);
    assert_eq!(one.try_get::<i64, _>(2).unwrap(), 3);
    // Again: nothing changes.
    let before = s.counts().await;
    let again = s.import(&text, false).await.unwrap();
    assert_eq!(again.new_cases, 0);
    assert_eq!(s.counts().await, before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_after_written_batches_store_nothing_and_are_all_listed() {
    let s = setup().await;
    let households = BATCH_ROWS;
    let mut text = roster(households, 0);
    // Line numbers: the header is line 1, household h starts at line 2 + 3h.
    let last = 1 + households * 3;
    // Near the end: a person already in the first household, and an unknown community.
    text.push_str(&row(900_001, 1, "本人", "500"));
    text.push_str(&row(900_002, 5_000_000, "本人", "500").replace("369902001001", "369902001999"));
    let errors = rejected(s.import(&text, false).await);
    assert_eq!(
        errors,
        vec![
            (last + 1, "身份证号".to_string()),
            (last + 2, "所属社区".to_string()),
        ]
    );
    assert_eq!(s.counts().await, (0, 0, 0, 0), "nothing stored");
    // The same file without its bad rows imports.
    let good = roster(households, 0);
    assert_eq!(
        s.import(&good, false).await.unwrap().members,
        households * 3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_active_elsewhere_is_found_in_any_batch() {
    let s = setup().await;
    s.import(&roster(10, 0), false).await.unwrap();
    let before = s.counts().await;
    // A large file of other households whose very last row names person 4, who is
    // active in G000001 (persons 3, 4, 5).
    let households = BATCH_ROWS;
    let mut text = roster(households, 100_000).replace("G0", "N0");
    text.push_str(&row(800_000, 4, "本人", "300"));
    let line = 2 + households * 3;
    let Err(ImportError::Rejected(errors)) = s.import(&text, false).await else {
        panic!("expected a refusal");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(
        (errors[0].row, errors[0].column.as_str()),
        (line, "身份证号")
    );
    assert!(errors[0].reason.contains("G000001"), "{}", errors[0].reason);
    assert_eq!(
        s.counts().await,
        before,
        "nothing of the second file stored"
    );
    // A dry run finds the same and stores nothing either.
    assert_eq!(rejected(s.import(&text, true).await).len(), 1);
    assert_eq!(s.counts().await, before);
}
