//! The `assistance-roster` ledger: all or nothing, every error by row and column,
//! idempotent, one active household per person, export that imports back unchanged.

use chrono::NaiveDate;
use minzheng::assistance::import::{import_roster, roster_rows};
use minzheng::assistance::roster::COLUMNS;
use minzheng::ids::IdNumber;
use minzheng::ledger::{ImportError, write_ledger};
use sqlx::Row;

use crate::common::{Backend, TestApp, cli_event, test_today};
use crate::on_both_backends;

on_both_backends!(
    a_bad_roster_reports_every_error_and_stores_nothing,
    a_good_roster_twice_leaves_one_copy,
    one_active_household_per_person_city_wide,
    export_imports_back_unchanged,
    fifty_thousand_members_twice,
    a_re_import_keeps_what_the_register_adds,
);

const HEADER: &str = "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因";

fn id(seq: u16, year: i32) -> String {
    IdNumber::compose("369902", NaiveDate::from_ymd_opt(year, 3, 15).unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

fn good_roster() -> String {
    format!(
        "示范市低保花名册（测试）\n{HEADER}\n\
         H001,低保,张伟,{},本人,是,369902001001,1900,2026-07-15,在保,,\n\
         H001,低保,李娜,{},配偶,是,369902001001,,2026-07-15,在保,,\n\
         H001,低保,张小明,{},子女,是,369902001001,,2026-07-15,在保,,\n\
         H002,特困,孙奶奶,{},本人,是,369921001001,1640,2025-03-01,停保,2026-08-31,死亡\n",
        id(11, 1981),
        id(22, 1983),
        id(33, 2016),
        id(44, 1956)
    )
}

async fn counts(t: &TestApp) -> (i64, i64, i64) {
    let one = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    };
    (
        one("SELECT COUNT(*) FROM households").await,
        one("SELECT COUNT(*) FROM members").await,
        one("SELECT COUNT(*) FROM cases").await,
    )
}

async fn import(
    t: &TestApp,
    name: &str,
    text: &str,
) -> Result<minzheng::assistance::import::RosterImport, ImportError> {
    import_roster(
        t.database(),
        &t.app.state.keyring,
        name,
        text.as_bytes(),
        test_today(),
        false,
        &cli_event("ledger.import"),
    )
    .await
}

async fn a_bad_roster_reports_every_error_and_stores_nothing(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let mut bad_id = id(11, 1981);
    bad_id.replace_range(17..18, if bad_id.ends_with('1') { "2" } else { "1" });
    let file = format!(
        "{HEADER}\n\
         H001,低保,张伟,{bad_id},本人,是,369902001001,1900,2026-07-15,在保,,\n\
         H001,低保,李娜,{},配偶,是,369902001001,,2026-07-15,在保,,\n\
         H002,低保,王五,{},配偶,是,369902001001,,2026-07-15,在保,,\n\
         H003,低保,赵六,{},本人,是,369902001999,800,2026-07-15,在保,,\n",
        id(22, 1983),
        id(55, 1970),
        id(66, 1960)
    );
    let Err(ImportError::Rejected(errors)) = import(&t, "bad.csv", &file).await else {
        panic!("expected a rejection");
    };
    let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
    assert!(got.contains(&(2, "身份证号")), "bad ID number: {errors:#?}");
    assert!(
        errors
            .iter()
            .any(|e| e.row == 2 && e.reason.contains("校验位"))
    );
    assert!(
        got.contains(&(4, "与户主关系")),
        "H002 has no 本人 row: {errors:#?}"
    );
    assert!(
        got.contains(&(5, "所属社区")),
        "369902001999 does not exist: {errors:#?}"
    );
    assert_eq!(counts(&t).await, (0, 0, 0), "nothing stored");
    t.finish().await;
}

/// The secondary indexes of the tables a roster import writes.
async fn roster_indexes(t: &TestApp) -> Vec<String> {
    let sql = match t.database().backend() {
        minzheng::db::Backend::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN \
             ('households', 'members', 'cases', 'case_transitions') ORDER BY name"
        }
        minzheng::db::Backend::Postgres => {
            "SELECT CAST(indexname AS TEXT) FROM pg_indexes WHERE schemaname = current_schema() \
             AND tablename IN ('households', 'members', 'cases', 'case_transitions') ORDER BY 1"
        }
    };
    sqlx::query(sql)
        .fetch_all(t.database().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect()
}

async fn a_good_roster_twice_leaves_one_copy(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let indexes = roster_indexes(&t).await;
    assert!(indexes.len() >= 12, "{indexes:?}");
    let first = import(&t, "roster.csv", &good_roster()).await.unwrap();
    // A first load builds the indexes at the end: every one is back.
    assert_eq!(roster_indexes(&t).await, indexes);
    // The active case comes in with its next review: 6-monthly (members under 60) from
    // approval on 2026-07-15, the first date from today (2026-11-29) on; none for H002,
    // which has exited.
    let reviews: Vec<(String, Option<String>)> = sqlx::query(
        "SELECT h.number, c.next_review_on FROM cases c JOIN households h ON h.id = c.household_id ORDER BY 1",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
    .collect();
    assert_eq!(
        reviews,
        vec![
            ("H001".to_string(), Some("2027-01-15".to_string())),
            ("H002".to_string(), None)
        ]
    );
    assert_eq!(
        (first.households, first.members, first.new_cases),
        (2, 4, 2)
    );
    let again = import(&t, "roster.csv", &good_roster()).await.unwrap();
    assert_eq!(again.new_cases, 0);
    assert_eq!(counts(&t).await, (2, 4, 2));
    // Stored as the file says: the case of H002 exited for death on 2026-08-31.
    let row = sqlx::query("SELECT status, exited_on, exit_reason, monthly_amount FROM cases c JOIN households h ON h.id = c.household_id WHERE h.number = 'H002'")
        .fetch_one(t.database().pool())
        .await
        .unwrap();
    assert_eq!(row.try_get::<String, _>("status").unwrap(), "exited");
    assert_eq!(row.try_get::<String, _>("exited_on").unwrap(), "2026-08-31");
    assert_eq!(row.try_get::<String, _>("exit_reason").unwrap(), "death");
    assert_eq!(row.try_get::<i64, _>("monthly_amount").unwrap(), 164_000);
    // No ID number in plain text anywhere in the members table.
    let raw: Vec<String> =
        sqlx::query("SELECT id_number_sealed || id_number_index || name FROM members")
            .fetch_all(t.database().pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
    assert!(!raw.iter().any(|r| r.contains(&id(11, 1981))));
    // A dry run checks without storing.
    let t2 = TestApp::with_tree(backend).await;
    let dry = import_roster(
        t2.database(),
        &t2.app.state.keyring,
        "r.csv",
        good_roster().as_bytes(),
        test_today(),
        true,
        &cli_event("x"),
    )
    .await
    .unwrap();
    assert!(dry.dry_run);
    assert_eq!(counts(&t2).await, (0, 0, 0));
    t2.finish().await;
    t.finish().await;
}

async fn one_active_household_per_person_city_wide(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(&t, "roster.csv", &good_roster()).await.unwrap();
    // 李娜 (active in H001) appears as the applicant of a new active household H009.
    let file = format!(
        "{HEADER}\nH009,低保,李娜,{},本人,是,369902001002,500,2026-09-01,在保,,\n",
        id(22, 1983)
    );
    let Err(ImportError::Rejected(errors)) = import(&t, "more.csv", &file).await else {
        panic!("expected a refusal");
    };
    assert_eq!(errors.len(), 1);
    assert_eq!((errors[0].row, errors[0].column.as_str()), (2, "身份证号"));
    assert!(
        errors[0].reason.contains("H001"),
        "names the household that holds her: {}",
        errors[0].reason
    );
    assert!(
        !errors[0].value.contains(&id(22, 1983)),
        "the message shows the number masked"
    );
    // 孙奶奶's case exited: she may be in a new household.
    let file = format!(
        "{HEADER}\nH010,低保,孙奶奶,{},本人,是,369921001001,700,2026-09-15,在保,,\n",
        id(44, 1956)
    );
    import(&t, "more.csv", &file).await.unwrap();
    t.finish().await;
}

async fn export_imports_back_unchanged(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(&t, "roster.csv", &good_roster()).await.unwrap();
    let bounds = minzheng::region::RegionCode::parse("369900")
        .unwrap()
        .scope()
        .sql_bounds();
    let rows = roster_rows(t.database(), &t.app.state.keyring, bounds.clone())
        .await
        .unwrap();
    assert_eq!(rows.len(), 4);
    let headers: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    for name in ["export.xlsx", "export.csv"] {
        let bytes = write_ledger(name, &headers, &rows).unwrap();
        let before = counts(&t).await;
        let done = import_roster(
            t.database(),
            &t.app.state.keyring,
            name,
            &bytes,
            test_today(),
            false,
            &cli_event("x"),
        )
        .await
        .unwrap();
        assert_eq!(done.new_cases, 0, "{name}");
        assert_eq!(counts(&t).await, before, "{name}");
        let again = roster_rows(t.database(), &t.app.state.keyring, bounds.clone())
            .await
            .unwrap();
        assert_eq!(again, rows, "{name} round trip");
    }
    t.finish().await;
}

/// A roster of `households` households of three members each.
pub fn generated_roster(households: usize) -> String {
    let mut out = format!("{HEADER}\n");
    let communities = ["369902001001", "369902001002", "369921001001"];
    for h in 0..households {
        for (k, relation) in ["本人", "配偶", "子女"].iter().enumerate() {
            let n = h * 3 + k;
            let birth =
                NaiveDate::from_ymd_opt(1940, 1, 1).unwrap() + chrono::Days::new((n / 1000) as u64);
            let person = IdNumber::compose("369902", birth, (n % 1000) as u16).unwrap();
            let amount = if k == 0 { "1200" } else { "" };
            out.push_str(&format!(
                "G{h:07},低保,成员{n},{},{relation},是,{},{amount},2026-07-01,在保,,\n",
                person.as_str(),
                communities[h % 3]
            ));
        }
    }
    out
}

async fn fifty_thousand_members_twice(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let file = generated_roster(16_667);
    let first = import(&t, "big.csv", &file).await.unwrap();
    assert_eq!(first.members, 50_001);
    import(&t, "big.csv", &file).await.unwrap();
    assert_eq!(counts(&t).await, (16_667, 50_001, 16_667), "one copy");
    t.finish().await;
}

/// A re-import updates the members it names in place: incomes and the fields the roster
/// does not carry, recorded in the register since, stay; a member the file no longer
/// names leaves the household, with their incomes.
async fn a_re_import_keeps_what_the_register_adds(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(&t, "roster.csv", &good_roster()).await.unwrap();
    let pool = t.database().pool();
    let member = |name: &'static str| async move {
        sqlx::query("SELECT id FROM members WHERE name = $1")
            .bind(name)
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get::<i64, _>(0)
            .unwrap()
    };
    let zhang = member("张伟").await;
    let child = member("张小明").await;
    for (id, amount) in [(zhang, 150_000), (child, 10_000)] {
        sqlx::query(
            "INSERT INTO member_incomes (member_id, kind, item, monthly, months) VALUES ($1, 'wage', '工资', $2, 12)",
        )
        .bind(id)
        .bind(amount)
        .execute(pool)
        .await
        .unwrap();
    }
    sqlx::query("UPDATE members SET hukou = 'urban', serious_illness = 1 WHERE id = $1")
        .bind(zhang)
        .execute(pool)
        .await
        .unwrap();
    // The same file with 张小明 gone and 张伟's name corrected.
    let file: String = good_roster()
        .lines()
        .filter(|l| !l.contains("张小明"))
        .map(|l| l.replace("张伟", "张玮") + "\n")
        .collect();
    let again = import(&t, "roster.csv", &file).await.unwrap();
    assert_eq!((again.members, again.new_cases), (3, 0));
    assert_eq!(counts(&t).await, (2, 3, 2));
    let row = sqlx::query("SELECT id, name, hukou, serious_illness FROM members WHERE id = $1")
        .bind(zhang)
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        row.try_get::<String, _>("name").unwrap(),
        "张玮",
        "updated from the file"
    );
    assert_eq!(
        row.try_get::<Option<String>, _>("hukou")
            .unwrap()
            .as_deref(),
        Some("urban")
    );
    assert_eq!(row.try_get::<i64, _>("serious_illness").unwrap(), 1);
    let incomes: Vec<(i64, i64)> =
        sqlx::query("SELECT member_id, monthly FROM member_incomes ORDER BY 1")
            .fetch_all(pool)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
            .collect();
    assert_eq!(
        incomes,
        vec![(zhang, 150_000)],
        "张小明's income went with him"
    );
    // The file stops H001's benefit: a step of the case's history, and a new version.
    let stopped = file.replace("在保,,", "停保,2026-11-20,收入超标");
    import(&t, "roster.csv", &stopped).await.unwrap();
    let step = sqlx::query(
        "SELECT t.from_status, t.to_status, t.at, c.version FROM case_transitions t JOIN cases c ON c.id = t.case_id \
         JOIN households h ON h.id = c.household_id WHERE h.number = 'H001' ORDER BY t.id DESC",
    )
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(
        step.try_get::<Option<String>, _>(0).unwrap().as_deref(),
        Some("active")
    );
    assert_eq!(step.try_get::<String, _>(1).unwrap(), "exited");
    assert_eq!(step.try_get::<String, _>(2).unwrap(), "2026-11-20");
    assert!(step.try_get::<i64, _>(3).unwrap() > 1);
    // A household whose case is in public notice keeps its register: the import is
    // refused for it, naming the household, and nothing is stored.
    sqlx::query(
        "UPDATE cases SET status = 'notice' WHERE household_id = (SELECT id FROM households WHERE number = 'H002')",
    )
    .execute(pool)
    .await
    .unwrap();
    let Err(ImportError::Rejected(errors)) = import(&t, "roster.csv", &good_roster()).await else {
        panic!("expected a refusal");
    };
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert_eq!(
        (errors[0].column.as_str(), errors[0].value.as_str()),
        ("户编号", "H002")
    );
    assert!(errors[0].reason.contains("公示"), "{errors:#?}");
    assert_eq!(counts(&t).await, (2, 3, 2), "nothing stored");
    t.finish().await;
}
