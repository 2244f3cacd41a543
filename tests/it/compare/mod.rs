//! Data comparison against hand-built people and files: each rule, the fuzzy pass (a
//! swapped digit, a name of the same reading, a typo), the internal checks, and runs that
//! raise nothing new on the same data, on both backends.

use std::collections::BTreeSet;
use std::io::Cursor;

use minzheng::audit::{Actor, AuditEvent};
use minzheng::calendar::Clock;
use minzheng::compare::dataset::{self, LoadRequest, Loaded};
use minzheng::compare::service;
use minzheng::compare::sources::Source;
use minzheng::ids::idcard::check_character;
use minzheng::protect::SensitiveKind;
use sqlx::Row;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

mod lifecycle;
mod rules;

on_both_backends!(rules_fuzzy_pass_and_idempotent_runs);

pub(crate) const URBAN: &str = "369902001001";
pub(crate) const RURAL: &str = "369921001001";

/// A valid ID number issued in 东湖区 (369902) for a birth date and sequence.
pub(crate) fn id(birth: &str, seq: u32) -> String {
    let body = format!("369902{birth}{seq:03}");
    format!("{body}{}", check_character(body.as_bytes()))
}

/// A household with members (name, ID) and one case of `program` in `status`.
pub(crate) async fn household(
    t: &TestApp,
    number: &str,
    community: &str,
    program: &str,
    status: &str,
    members: &[(&str, &str)],
) -> (i64, i64) {
    let pool = t.database().pool();
    let household: i64 = sqlx::query(
        "INSERT INTO households (number, region_code, created_at) VALUES ($1, $2, '2026-01-01') RETURNING id",
    )
    .bind(number)
    .bind(community)
    .fetch_one(pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    let keyring = &t.app.state.keyring;
    for (i, (name, id_number)) in members.iter().enumerate() {
        let sealed = keyring.seal(SensitiveKind::IdNumber, id_number);
        sqlx::query(
            "INSERT INTO members (household_id, name, relation, id_number_sealed, id_number_index, birth_date, sex) \
             VALUES ($1, $2, $3, $4, $5, '1960-01-01', 'male')",
        )
        .bind(household)
        .bind(*name)
        .bind(if i == 0 { "本人" } else { "配偶" })
        .bind(sealed.sealed)
        .bind(sealed.index)
        .execute(pool)
        .await
        .unwrap();
    }
    let case: i64 = sqlx::query(
        "INSERT INTO cases (household_id, program, status, region_code, applied_on, approved_on, \
         monthly_amount, covered_persons, source, approved_persons) \
         VALUES ($1, $2, $3, $4, '2025-01-05', $5, 90000, $6, 'counter', $6) RETURNING id",
    )
    .bind(household)
    .bind(program)
    .bind(status)
    .bind(community)
    .bind((status == "active").then_some("2025-02-01"))
    .bind(members.len() as i64)
    .fetch_one(pool)
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    (household, case)
}

/// Loads `bytes` as the file `<source>.csv`, as the CLI would.
pub(crate) async fn load_bytes(
    t: &TestApp,
    source: Source,
    bytes: Vec<u8>,
) -> Result<Loaded, dataset::LoadError> {
    load_file(t, source, &format!("{}.csv", source.code()), bytes).await
}

/// Loads `bytes` as a file of that name (its extension says CSV or XLSX).
pub(crate) async fn load_file(
    t: &TestApp,
    source: Source,
    file_name: &str,
    bytes: Vec<u8>,
) -> Result<Loaded, dataset::LoadError> {
    let request = LoadRequest {
        source,
        file_name: file_name.to_string(),
        received_on: t.clock.today(),
        by: "tester".into(),
        at: t.clock.now_local().to_rfc3339(),
    };
    let event = AuditEvent::new(
        t.clock.now_local(),
        &Actor::cli(),
        "compare.load",
        "compare_dataset",
        "",
    );
    dataset::load(
        t.database(),
        t.app.state.keyring.clone(),
        request,
        Cursor::new(bytes),
        event,
    )
    .await
}

pub(crate) async fn load(t: &TestApp, source: Source, csv: String) -> Loaded {
    load_bytes(t, source, csv.into_bytes()).await.unwrap()
}

/// A load expected to be refused: the reason.
pub(crate) async fn try_load(t: &TestApp, source: Source, csv: String) -> String {
    match load_bytes(t, source, csv.into_bytes()).await {
        Err(dataset::LoadError::File(why)) => why,
        other => panic!("not refused: {:?}", other.map(|l| l.rows)),
    }
}

pub(crate) async fn findings(t: &TestApp) -> BTreeSet<(String, String, String, String)> {
    sqlx::query("SELECT rule, person_name, match_kind, status FROM compare_findings")
        .fetch_all(t.database().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| {
            (
                r.try_get(0).unwrap(),
                r.try_get(1).unwrap(),
                r.try_get(2).unwrap(),
                r.try_get(3).unwrap(),
            )
        })
        .collect()
}

fn set(items: &[(&str, &str, &str, &str)]) -> BTreeSet<(String, String, String, String)> {
    items
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect()
}

async fn rules_fuzzy_pass_and_idempotent_runs(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (zhang, li, wang, zhao, qian) = (
        id("19600101", 11),
        id("19620202", 22),
        id("19500303", 33),
        id("19480404", 41),
        id("19700505", 55),
    );
    // 张伟 and 李娜, one 低保 household of two; 王建国 in 特困 and also in another
    // household's 低保 application; 赵敏 in 低保; 钱多 applying in 青山县.
    household(
        &t,
        "H1",
        URBAN,
        "dibao",
        "active",
        &[("张伟", &zhang), ("李娜", &li)],
    )
    .await;
    household(&t, "H2", URBAN, "tekun", "active", &[("王建国", &wang)]).await;
    household(&t, "H3", RURAL, "dibao", "submitted", &[("王建国", &wang)]).await;
    household(&t, "H4", URBAN, "dibao", "active", &[("赵敏", &zhao)]).await;
    household(
        &t,
        "H5",
        RURAL,
        "dibao",
        "investigating",
        &[("钱多", &qian)],
    )
    .await;
    // Not in assistance any more: never matched.
    let gone = id("19550606", 66);
    household(&t, "H6", URBAN, "dibao", "exited", &[("孙亮", &gone)]).await;

    // Death: 王建国 exactly; 赵敏 with two digits of the sequence swapped (the check
    // character fails) and her name written 赵敏; 孙亮 is no longer in assistance; a
    // stranger; a row whose ID is garbage.
    let swapped = {
        let mut b = zhao.clone().into_bytes();
        b.swap(14, 15);
        String::from_utf8(b).unwrap()
    };
    assert_ne!(swapped, zhao);
    let death = format!(
        "身份证号,姓名,死亡日期\n{wang},王建国,2026-10-05\n{swapped},赵敏,2026-09-30\n{gone},孙亮,2026-08-01\n{},路人甲,2026-07-01\nABC,某某,2026-07-01\n",
        id("19900101", 99)
    );
    let loaded = load(&t, Source::Death, death.clone()).await;
    assert_eq!((loaded.rows, loaded.valid, loaded.invalid), (5, 3, 2));
    assert!(!loaded.already);
    // Examples show the ID masked, with the reason.
    assert!(
        loaded.examples[0].reason.contains("校验位"),
        "{:?}",
        loaded.examples
    );
    assert!(!loaded.examples[0].id_number.contains(&swapped[6..14]));
    // The same file again is not a new version.
    let again = load(&t, Source::Death, death).await;
    assert!(again.already);
    assert_eq!(again.dataset_id, loaded.dataset_id);

    // Vehicles: 张伟's car (any car fails with the national limit 0); 李娜's motorcycle.
    // The name 张玮 reads the same as 张伟: exact on the ID anyway.
    load(
        &t,
        Source::Vehicle,
        format!(
            "身份证号,姓名,号牌号码,车辆类型,车辆价值\n{zhang},张玮,赣A12345,小型汽车,50000\n{li},李娜,赣A9999,摩托车,6000\n"
        ),
    )
    .await;
    // Deposits: 30,000 + 20,000 over two persons = 25,000 > 24 × 1,000.
    load(
        &t,
        Source::Deposit,
        format!("身份证号,姓名,余额\n{zhang},张伟,30000\n{li},李娜,20000.00\n{zhao},赵敏,100\n"),
    )
    .await;
    // Hukou: 张伟 moved to 青山县; 赵敏 still in 东湖区.
    load(
        &t,
        Source::Hukou,
        format!(
            "身份证号,姓名,户籍地区划代码\n{zhang},张伟,369921001001\n{zhao},赵敏,369902001002\n"
        ),
    )
    .await;
    // A GB18030 file with the columns in another order: read the same.
    let text = format!("单位名称,身份证号,姓名\n示范市财政局,{qian},钱多\n");
    let (gbk, _, _) = encoding_rs::GB18030.encode(&text);
    let payroll = load_bytes(&t, Source::Payroll, gbk.into_owned())
        .await
        .unwrap();
    assert_eq!(payroll.valid, 1);

    let run = service::run(
        t.database(),
        &t.app.state.keyring,
        &[],
        &Actor::cli(),
        t.clock.now_local(),
    )
    .await
    .unwrap();
    // Everyone in assistance: 张伟, 李娜, 王建国, 赵敏, 钱多 (孙亮 has left).
    assert_eq!(run.people, 5);
    let death_count = &run.sources["death"];
    assert_eq!((death_count.exact_rows, death_count.fuzzy_rows), (1, 1));
    let expected = set(&[
        ("deceased", "王建国", "exact", "pending"),
        ("deceased", "赵敏", "fuzzy", "pending"),
        ("vehicle", "张伟", "exact", "pending"),
        ("deposits", "张伟", "exact", "pending"),
        ("moved_out", "张伟", "exact", "pending"),
        ("public_payroll", "钱多", "exact", "pending"),
        ("two_households", "王建国", "internal", "pending"),
        ("two_districts", "王建国", "internal", "pending"),
        ("dibao_and_tekun", "王建国", "internal", "pending"),
    ]);
    assert_eq!(findings(&t).await, expected);
    // 王建国's death is one finding per case (his 特困 to stop, the 低保 application to
    // refuse), and so is his being in two districts, each in its district's queue: eleven
    // in all.
    assert_eq!(run.new_findings, 11);
    // The fuzzy finding carries its score and why.
    let (score, why, detail): (i64, String, String) = {
        let r = sqlx::query(
            "SELECT score, match_reasons, detail FROM compare_findings WHERE match_kind = 'fuzzy'",
        )
        .fetch_one(t.database().pool())
        .await
        .unwrap();
        (
            r.try_get(0).unwrap(),
            r.try_get(1).unwrap(),
            r.try_get(2).unwrap(),
        )
    };
    assert_eq!(score, 95);
    assert!(
        why.contains("姓名相同") && why.contains("两位颠倒"),
        "{why}"
    );
    assert!(detail.contains("2026-09-30"));
    let deposit: String =
        sqlx::query_scalar("SELECT detail FROM compare_findings WHERE rule = 'deposits'")
            .fetch_one(t.database().pool())
            .await
            .unwrap();
    assert!(
        deposit.contains("人均 25,000.00 元 > 24 个月低保标准 24,000.00 元"),
        "{deposit}"
    );

    // Read the raw tables: no ID number in the clear (SECURITY.md), neither in the
    // stored data sets nor in the findings' evidence.
    let blobs: Vec<Vec<u8>> = sqlx::query("SELECT rows FROM compare_chunks")
        .fetch_all(t.database().pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get(0).unwrap())
        .collect();
    let evidence: Vec<String> = sqlx::query_scalar("SELECT evidence FROM compare_findings")
        .fetch_all(t.database().pool())
        .await
        .unwrap();
    for id_number in [&wang, &zhang, &zhao] {
        let needle = id_number.as_bytes();
        assert!(
            !blobs
                .iter()
                .any(|b| b.windows(needle.len()).any(|w| w == needle))
        );
        assert!(!evidence.iter().any(|e| e.contains(id_number.as_str())));
    }
    // Run again on the same data: nothing new. Dismiss one, run again: still dismissed.
    let second = service::run(
        t.database(),
        &t.app.state.keyring,
        &[],
        &Actor::cli(),
        t.clock.now_local(),
    )
    .await
    .unwrap();
    assert_eq!(second.new_findings, 0);
    // Seen again by the second run: its last run moved on, its first did not.
    let (first, last): (i64, i64) = {
        let r = sqlx::query(
            "SELECT first_run_id, last_run_id FROM compare_findings WHERE rule = 'vehicle'",
        )
        .fetch_one(t.database().pool())
        .await
        .unwrap();
        (r.try_get(0).unwrap(), r.try_get(1).unwrap())
    };
    assert_eq!((first, last), (run.run_id, second.run_id));
    sqlx::query("UPDATE compare_findings SET status = 'dismissed', result = '车辆已过户' WHERE rule = 'vehicle'")
        .execute(t.database().pool())
        .await
        .unwrap();
    // A new version of the vehicle file with the same row and one more: the known row
    // stays dismissed, the new one is a new finding.
    load(
        &t,
        Source::Vehicle,
        format!(
            "身份证号,姓名,号牌号码,车辆类型,车辆价值\n{zhang},张玮,赣A12345,小型汽车,50000\n{zhao},赵敏,赣B777,小型汽车,20000\n"
        ),
    )
    .await;
    let third = service::run(
        t.database(),
        &t.app.state.keyring,
        &[Source::Vehicle],
        &Actor::cli(),
        t.clock.now_local(),
    )
    .await
    .unwrap();
    assert_eq!(third.new_findings, 1);
    let now = findings(&t).await;
    assert!(now.contains(&(
        "vehicle".into(),
        "张伟".into(),
        "exact".into(),
        "dismissed".into()
    )));
    assert!(now.contains(&(
        "vehicle".into(),
        "赵敏".into(),
        "exact".into(),
        "pending".into()
    )));
    let runs: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = 'compare.run'")
            .fetch_one(t.database().pool())
            .await
            .unwrap();
    assert_eq!(runs, 3);
    t.finish().await;
}
