//! Findings through the API: take, confirm and dismiss with their effects on the case,
//! scope, the report's figures, and a death in a household of several.

use minzheng::compare::sources::Source;
use sqlx::Row;

use super::*;
use crate::common::{Backend, TestApp};
use crate::on_both_backends;

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

on_both_backends!(open_findings_follow_the_person_and_show_when_stale);

/// A finding on an application under way is written into the case's history; one on a
/// case that ended meanwhile changes nothing; an open finding follows its person to a new
/// community; one the next data set no longer shows is marked stale; the queue pages.
async fn open_findings_follow_the_person_and_show_when_stale(backend: Backend) {
    use minzheng::auth::Role;
    use serde_json::json;
    let t = TestApp::with_tree(backend).await;
    let people = [
        ("钱进", id("19700101", 51)),
        ("吴昊", id("19710202", 52)),
        ("郑洁", id("19720303", 53)),
        ("冯涛", id("19730404", 54)),
    ];
    let mut cases = Vec::new();
    for (i, (name, number)) in people.iter().enumerate() {
        let status = if i == 0 { "investigating" } else { "active" };
        let h = format!("H{i}");
        cases.push(household(&t, &h, URBAN, "dibao", status, &[(name, number)]).await);
    }
    let vehicles = |who: &[usize]| {
        let mut csv = "身份证号,姓名,号牌号码,车辆类型,车辆价值\n".to_string();
        for i in who {
            let (name, number) = &people[*i];
            csv.push_str(&format!("{number},{name},赣A1000{i},小型汽车,60000\n"));
        }
        csv
    };
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    load(&t, Source::Vehicle, vehicles(&[0, 1, 2, 3])).await;
    ok(t.post_json_as(&city, "/api/v1/compare/runs", &json!({}))
        .await)
    .await;
    // 郑洁's household moves to the next community; 冯涛's car is gone from the new file.
    let pool = t.database().pool();
    for table in ["households", "cases"] {
        let column = if table == "cases" {
            "household_id"
        } else {
            "id"
        };
        sqlx::query(&format!(
            "UPDATE {table} SET region_code = '369902001002' WHERE {column} = $1"
        ))
        .bind(cases[2].0)
        .execute(pool)
        .await
        .unwrap();
    }
    load(&t, Source::Vehicle, vehicles(&[0, 1, 2])).await;
    ok(t.post_json_as(&city, "/api/v1/compare/runs", &json!({}))
        .await)
    .await;

    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let queue = ok(t.get_as(&street, "/api/v1/compare/findings").await).await;
    assert_eq!(queue["total"], 4, "{queue}");
    let by_name = |name: &str| {
        queue["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["person_name"] == name)
            .cloned()
            .unwrap()
    };
    assert_eq!(by_name("冯涛")["stale"], true);
    assert_eq!(by_name("钱进")["stale"], false);
    assert_eq!(by_name("郑洁")["region_code"], "369902001002");
    let second = ok(t.get_as(&street, "/api/v1/compare/findings?page=2").await).await;
    assert_eq!(second["findings"].as_array().unwrap().len(), 0);
    assert_eq!(second["page"], 2);

    let confirm = |f: serde_json::Value| {
        let path = format!("/api/v1/compare/findings/{}/resolve", f["id"]);
        let body =
            json!({"version": f["version"], "outcome": "confirm", "result": "车管所查询属实"});
        (path, body)
    };
    // The application under way: noted in its history, still being investigated.
    let (path, body) = confirm(by_name("钱进"));
    let done = ok(t.post_json_as(&street, &path, &body).await).await;
    assert_eq!(done["effect"]["noted_on_application"], "investigating");
    let (status, noted): (String, i64) = (
        sqlx::query_scalar("SELECT status FROM cases WHERE id = $1")
            .bind(cases[0].1)
            .fetch_one(pool)
            .await
            .unwrap(),
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM case_transitions WHERE case_id = $1 AND action = 'finding' \
             AND from_status = 'investigating' AND to_status = 'investigating'",
        )
        .bind(cases[0].1)
        .fetch_one(pool)
        .await
        .unwrap(),
    );
    assert_eq!((status.as_str(), noted), ("investigating", 1));
    // 郑洁's finding, taken by one caseworker, is theirs to conclude.
    let zheng = by_name("郑洁");
    ok(t.post_json_as(
        &street,
        &format!("/api/v1/compare/findings/{}/take", zheng["id"]),
        &json!({"version": zheng["version"]}),
    )
    .await)
    .await;
    let colleague = t
        .create_user("tongshi", Role::StreetCaseworker, "369902001")
        .await;
    let colleague = t.login(&colleague).await;
    let (path, mut body) = confirm(zheng);
    body["version"] = json!(body["version"].as_i64().unwrap() + 1);
    let refused = t.post_json_as(&colleague, &path, &body).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(refused.body.contains("已由"), "{}", refused.body);
    // 吴昊's case ended before the finding was confirmed: nothing to change.
    sqlx::query("UPDATE cases SET status = 'exited', exited_on = '2026-11-20' WHERE id = $1")
        .bind(cases[1].1)
        .execute(pool)
        .await
        .unwrap();
    let (path, body) = confirm(by_name("吴昊"));
    let done = ok(t.post_json_as(&street, &path, &body).await).await;
    assert_eq!(done["effect"]["case_closed"], "exited", "{done}");
    assert!(done["effect"]["review_due"].is_null(), "{done}");
    t.finish().await;
}
