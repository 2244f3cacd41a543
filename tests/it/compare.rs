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

pub(crate) async fn load(t: &TestApp, source: Source, csv: String) -> Loaded {
    let request = LoadRequest {
        source,
        file_name: format!("{}.csv", source.code()),
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
        Cursor::new(csv.into_bytes()),
        event,
    )
    .await
    .unwrap()
}

/// A load expected to be refused: the reason.
pub(crate) async fn try_load(t: &TestApp, source: Source, csv: String) -> String {
    let request = LoadRequest {
        source,
        file_name: format!("{}.csv", source.code()),
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
    match dataset::load(
        t.database(),
        t.app.state.keyring.clone(),
        request,
        Cursor::new(csv.into_bytes()),
        event,
    )
    .await
    {
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
    let request = LoadRequest {
        source: Source::Payroll,
        file_name: "payroll.csv".into(),
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
    let payroll = dataset::load(
        t.database(),
        t.app.state.keyring.clone(),
        request,
        Cursor::new(gbk.into_owned()),
        event,
    )
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
    // refuse), each in its district's queue: ten in all.
    assert_eq!(run.new_findings, 10);
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

on_both_backends!(findings_lifecycle_scope_and_effects);

async fn ok(r: crate::common::TestResponse) -> serde_json::Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Through the API: a city administrator loads and runs; the street's caseworker takes,
/// confirms and dismisses; a death stops the case from its date and recovers what was
/// paid after; another street sees nothing.
async fn findings_lifecycle_scope_and_effects(backend: Backend) {
    use minzheng::auth::Role;
    use serde_json::json;
    let t = TestApp::with_tree(backend).await;
    let (zhao, zhang) = (id("19480404", 41), id("19600101", 11));
    let (_, zhao_case) = household(&t, "H1", URBAN, "dibao", "active", &[("赵敏", &zhao)]).await;
    let (_, zhang_case) = household(&t, "H2", URBAN, "dibao", "active", &[("张伟", &zhang)]).await;
    // October and November were paid to 赵敏 (approved 2025-02-01, 900 a month).
    let reviewer = t.signed_in(Role::DistrictReviewer, "369902").await;
    for month in ["2026-10", "2026-11"] {
        ok(t.post_json_as(
            &reviewer,
            "/api/v1/payrolls",
            &json!({"month": month, "program": "dibao", "district_code": "369902"}),
        )
        .await)
        .await;
    }
    sqlx::query("UPDATE payroll_lines SET status = 'paid'")
        .execute(t.database().pool())
        .await
        .unwrap();
    load(
        &t,
        Source::Death,
        format!("身份证号,姓名,死亡日期\n{zhao},赵敏,2026-09-30\n"),
    )
    .await;
    load(
        &t,
        Source::Vehicle,
        format!("身份证号,姓名,号牌号码,车辆类型,车辆价值\n{zhang},张伟,赣A12345,小型汽车,50000\n"),
    )
    .await;
    load(
        &t,
        Source::Deposit,
        format!("身份证号,姓名,余额\n{zhang},张伟,88000\n"),
    )
    .await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    // Only the city runs it.
    let denied = t
        .post_json_as(&reviewer, "/api/v1/compare/runs", &json!({}))
        .await;
    assert_eq!(denied.status, 403);
    let run = ok(t
        .post_json_as(&city, "/api/v1/compare/runs", &json!({}))
        .await)
    .await;
    assert_eq!(run["run"]["new_findings"], 3);

    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let queue = ok(t.get_as(&street, "/api/v1/compare/findings").await).await;
    assert_eq!(queue["counts"]["pending"], 3);
    let find = |rule: &str| {
        queue["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .unwrap()
            .clone()
    };
    let (death, vehicle, deposit) = (find("deceased"), find("vehicle"), find("deposits"));
    // Another district's street sees none of them, and not one by its number.
    let other = t.signed_in(Role::StreetCaseworker, "369921001").await;
    let theirs = ok(t.get_as(&other, "/api/v1/compare/findings").await).await;
    assert!(theirs["findings"].as_array().unwrap().is_empty());
    let path =
        |f: &serde_json::Value, what: &str| format!("/api/v1/compare/findings/{}{what}", f["id"]);
    assert_eq!(t.get_as(&other, &path(&death, "")).await.status, 404);
    // The finding beside the declared data; the department's ID masked.
    let one = ok(t.get_as(&street, &path(&death, "")).await).await;
    assert_eq!(one["declared"]["members"][0][0], "赵敏");
    let shown = one["evidence"]["rows"][0][0].as_str().unwrap();
    assert_ne!(shown, zhao);
    assert!(shown.contains('*'));
    // Take it; a stale take is refused.
    let v = death["version"].as_i64().unwrap();
    let taken = ok(t
        .post_json_as(&street, &path(&death, "/take"), &json!({"version": v}))
        .await)
    .await;
    assert_eq!(taken["finding"]["status"], "verifying");
    let again = t
        .post_json_as(&street, &path(&death, "/take"), &json!({"version": v}))
        .await;
    assert_eq!(again.status, 409);
    // Confirmed: stopped from 2026-09-30, October and November (1,800) recovered.
    let v = taken["finding"]["version"].as_i64().unwrap();
    let done = ok(t
        .post_json_as(
            &street,
            &path(&death, "/resolve"),
            &json!({"version": v, "outcome": "confirm", "result": "民政殡葬记录核实 9 月 30 日死亡"}),
        )
        .await)
    .await;
    assert_eq!(done["effect"]["stopped_on"], "2026-09-30");
    let (status, exited, reason): (String, String, String) = {
        let r = sqlx::query("SELECT status, exited_on, exit_reason FROM cases WHERE id = $1")
            .bind(zhao_case)
            .fetch_one(t.database().pool())
            .await
            .unwrap();
        (
            r.try_get(0).unwrap(),
            r.try_get(1).unwrap(),
            r.try_get(2).unwrap(),
        )
    };
    assert_eq!(
        (status.as_str(), exited.as_str(), reason.as_str()),
        ("exited", "2026-09-30", "death")
    );
    let recoveries = ok(t.get_as(&reviewer, "/api/v1/payment-anomalies").await).await;
    let r = &recoveries["recoveries"][0];
    assert_eq!(
        (r["months"].as_str(), r["amount"].as_str()),
        (Some("2026-10,2026-11"), Some("1,800.00"))
    );
    // The vehicle, confirmed: the case is due for review today.
    let v = vehicle["version"].as_i64().unwrap();
    let reviewed = ok(t
        .post_json_as(
            &street,
            &path(&vehicle, "/resolve"),
            &json!({"version": v, "outcome": "confirm", "result": "入户核实，车辆为本人所有"}),
        )
        .await)
    .await;
    assert_eq!(reviewed["effect"]["review_due"], "2026-11-29");
    let due: Option<String> = sqlx::query_scalar("SELECT next_review_on FROM cases WHERE id = $1")
        .bind(zhang_case)
        .fetch_one(t.database().pool())
        .await
        .unwrap();
    assert_eq!(due.as_deref(), Some("2026-11-29"));
    // Dismissed: a reason is required.
    let v = deposit["version"].as_i64().unwrap();
    let bare = t
        .post_json_as(
            &street,
            &path(&deposit, "/resolve"),
            &json!({"version": v, "outcome": "dismiss"}),
        )
        .await;
    assert_eq!(bare.status, 422);
    assert!(bare.body.contains("理由"));
    ok(t.post_json_as(
        &street,
        &path(&deposit, "/resolve"),
        &json!({"version": v, "outcome": "dismiss", "result": "存款为代管的残疾人补贴，有银行证明"}),
    )
    .await)
    .await;
    // A closed finding cannot be resolved again.
    let late = t
        .post_json_as(
            &street,
            &path(&deposit, "/resolve"),
            &json!({"version": v + 1, "outcome": "confirm", "result": "x"}),
        )
        .await;
    assert_eq!(late.status, 409);
    // The run again: nothing new, the dismissal holds.
    let again = ok(t
        .post_json_as(&city, "/api/v1/compare/runs", &json!({}))
        .await)
    .await;
    assert_eq!(again["run"]["new_findings"], 0);
    // The quarter's report: 1 person compared in 东湖区 by the last run (赵敏's case had
    // stopped by then), 3 findings, 2 confirmed, 1 case stopped because of one.
    let report = ok(t
        .get_as(
            &city,
            "/api/v1/reports/quarterly?quarter=2026Q4&region=369902",
        )
        .await)
    .await;
    assert_eq!(
        report["report"]["comparison"],
        json!({"people_compared": 1, "findings": 3, "confirmed": 2, "removed": 1})
    );
    let street_report = ok(t
        .get_as(
            &city,
            "/api/v1/reports/quarterly?quarter=2026Q4&region=369902001",
        )
        .await)
    .await;
    assert!(street_report["report"]["comparison"]["people_compared"].is_null());
    assert_eq!(street_report["report"]["comparison"]["findings"], 3);
    let q3 = ok(t
        .get_as(
            &city,
            "/api/v1/reports/quarterly?quarter=2026Q3&region=369902",
        )
        .await)
    .await;
    assert_eq!(q3["report"]["comparison"]["findings"], 0);
    // Pages and the export.
    let page = t
        .get_as(&street, &format!("/compare/findings/{}", deposit["id"]))
        .await;
    assert!(page.body.contains("不属实") && page.body.contains("残疾人补贴"));
    let list = t
        .get_as(&street, "/compare/findings?status=confirmed")
        .await;
    assert!(list.body.contains("已死亡仍在保"));
    // The community by name in the queue.
    let community: String = sqlx::query_scalar("SELECT name FROM regions WHERE code = $1")
        .bind(URBAN)
        .fetch_one(t.database().pool())
        .await
        .unwrap();
    assert!(list.body.contains(&community), "{community}");
    // A file refused (a column missing) is audited as a failure and stores nothing.
    let bad = try_load(&t, Source::Deposit, "身份证号,姓名\n1,2\n".to_string()).await;
    assert!(bad.contains("缺少「余额」列"), "{bad}");
    let failures: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'compare.load' AND outcome = 'failure'",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap();
    assert_eq!(failures, 1);
    let xlsx = t.get_as(&street, "/compare/findings/xlsx").await;
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.header("content-type").contains("spreadsheetml"));
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('compare.finding.take', 'compare.finding.resolve', 'compare.findings.export')",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap();
    assert_eq!(audited, 5);
    t.finish().await;
}

on_both_backends!(remaining_rules_and_fuzzy_names);

/// The rules the first test leaves out (homes and commercial property, business,
/// contributions, this system's own death records) and the fuzzy pass on a name of the
/// same reading and on a typo.
async fn remaining_rules_and_fuzzy_names(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (a, b, c, d, e) = (
        id("19610101", 12),
        id("19630303", 34),
        id("19700707", 56),
        id("19800808", 78),
        id("19520202", 90),
    );
    household(
        &t,
        "H1",
        URBAN,
        "dibao",
        "active",
        &[("刘洋", &a), ("陈静", &b)],
    )
    .await;
    household(&t, "H2", URBAN, "dibao", "active", &[("杨帆", &c)]).await;
    household(&t, "H3", URBAN, "dibao", "active", &[("黄磊", &d)]).await;
    // 周正 died: his one-person case was stopped for death, yet he is in another household.
    let (_, dead_case) = household(&t, "H4", URBAN, "tekun", "active", &[("周正", &e)]).await;
    sqlx::query("UPDATE cases SET status = 'exited', exited_on = '2026-06-01', exit_reason = 'death' WHERE id = $1")
        .bind(dead_case)
        .execute(t.database().pool())
        .await
        .unwrap();
    household(
        &t,
        "H5",
        URBAN,
        "dibao",
        "active",
        &[("王芳", &id("19650505", 21)), ("周正", &e)],
    )
    .await;

    // One home each for 刘洋 and 陈静 (two for the household), and an office of 陈静's.
    load(
        &t,
        Source::Property,
        format!("身份证号,姓名,不动产单元号,用途,建筑面积\n{a},刘洋,U-1,住宅,80\n{b},陈静,U-2,住宅,60.5\n{b},陈静,U-3,办公,30\n"),
    )
    .await;
    // 杨帆: shareholder of a live company over the limit; 黄磊: of a closed one.
    load(
        &t,
        Source::Business,
        format!(
            "身份证号,姓名,统一社会信用代码,角色,注册资本,状态\n{c},杨帆,91360100MA35AAAA1X,股东,500000,存续\n{d},黄磊,91360100MA35BBBB2Y,法定代表人,800000,注销\n"
        ),
    )
    .await;
    // 黄磊 (one person): base 3,000 less 20% = 2,400 > 1,000.
    load(
        &t,
        Source::SocialInsurance,
        format!("身份证号,姓名,月缴费基数,月养老金\n{d},黄磊,3000,\n"),
    )
    .await;
    // Death, fuzzy: 杨帆 written 杨凡 (same reading) with a mistyped sequence digit;
    // 刘洋 written 刘阳洋 (one character added) with two digits swapped.
    let typo = |id: &str, at: usize| {
        let mut s = id.as_bytes().to_vec();
        s[at] = if s[at] == b'9' { b'0' } else { s[at] + 1 };
        String::from_utf8(s).unwrap()
    };
    let swap = |id: &str| {
        let mut s = id.as_bytes().to_vec();
        s.swap(15, 16);
        String::from_utf8(s).unwrap()
    };
    load(
        &t,
        Source::Death,
        format!(
            "身份证号,姓名,死亡日期\n{},杨凡,2026-10-01\n{},刘阳洋,2026-10-02\n",
            typo(&c, 16),
            swap(&a)
        ),
    )
    .await;
    service::run(
        t.database(),
        &t.app.state.keyring,
        &[],
        &Actor::cli(),
        t.clock.now_local(),
    )
    .await
    .unwrap();
    let got = findings(&t).await;
    let expected = set(&[
        ("homes", "刘洋", "exact", "pending"),
        ("commercial_property", "刘洋", "exact", "pending"),
        ("business", "杨帆", "exact", "pending"),
        ("wage_income", "黄磊", "exact", "pending"),
        ("deceased", "杨帆", "fuzzy", "pending"),
        ("deceased", "刘洋", "fuzzy", "pending"),
        ("deceased_here", "周正", "internal", "pending"),
    ]);
    assert_eq!(got, expected);
    let reasons: Vec<(String, i64, String)> = sqlx::query(
        "SELECT person_name, score, match_reasons FROM compare_findings WHERE match_kind = 'fuzzy' ORDER BY person_name",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap(), r.try_get(2).unwrap()))
    .collect();
    // 刘洋 / 刘阳洋: one character added (15) and two digits swapped (25): 80.
    assert_eq!(reasons[0].1, 80, "{reasons:?}");
    assert!(reasons[0].2.contains("相差一个字"), "{reasons:?}");
    // 杨帆 / 杨凡: same reading (25) and one digit off (25): 90.
    assert_eq!(reasons[1].1, 90, "{reasons:?}");
    assert!(reasons[1].2.contains("读音相同"), "{reasons:?}");
    t.finish().await;
}

on_both_backends!(a_death_in_a_larger_household_is_reviewed_not_stopped);

/// One of two members died: the other is still owed the benefit, so the case is made due
/// for review instead of stopped, and nothing is recovered.
async fn a_death_in_a_larger_household_is_reviewed_not_stopped(backend: Backend) {
    use minzheng::auth::Role;
    use serde_json::json;
    let t = TestApp::with_tree(backend).await;
    let (wife, husband) = (id("19500101", 31), id("19480202", 42));
    let (_, case) = household(
        &t,
        "H1",
        URBAN,
        "dibao",
        "active",
        &[("孙梅", &wife), ("孙强", &husband)],
    )
    .await;
    load(
        &t,
        Source::Death,
        format!("身份证号,姓名,死亡日期\n{husband},孙强,2026-10-01\n"),
    )
    .await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    ok(t.post_json_as(&city, "/api/v1/compare/runs", &json!({}))
        .await)
    .await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    // The status filter takes the label as well as the code.
    let queue = ok(t
        .get_as(
            &street,
            "/api/v1/compare/findings?status=%E5%BE%85%E6%A0%B8%E6%9F%A5",
        )
        .await)
    .await;
    let f = &queue["findings"][0];
    assert_eq!(f["rule"], "deceased");
    let done = ok(t
        .post_json_as(
            &street,
            &format!("/api/v1/compare/findings/{}/resolve", f["id"]),
            &json!({"version": f["version"], "outcome": "confirm", "result": "户籍注销证明"}),
        )
        .await)
    .await;
    assert!(done["effect"]["stopped_on"].is_null(), "{done}");
    assert_eq!(done["effect"]["review_due"], "2026-11-29");
    let status: String = sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
        .bind(case)
        .fetch_one(t.database().pool())
        .await
        .unwrap();
    assert_eq!(status, "active");
    t.finish().await;
}
