//! The balance analysis, the capacity register it reads, and the home-page dashboards,
//! against numbers worked out by hand from hand-built records.

use minzheng::auth::Role;
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;
use crate::report::{RURAL, URBAN, URBAN_2, case};

on_both_backends!(
    balance_indicators_by_hand,
    capacity_register_checks_scope_and_input,
    home_dashboards_by_role,
);

fn indicator<'a>(json: &'a Value, key: &str) -> &'a Value {
    json["balance"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == key)
        .unwrap_or_else(|| panic!("{key} missing"))
}

fn close(v: &Value, expected: f64) -> bool {
    v.as_f64().is_some_and(|v| (v - expected).abs() < 1e-9)
}

fn assert_values(json: &Value, key: &str, expected: [Option<f64>; 2]) {
    let values = indicator(json, key)["values"].as_array().unwrap().clone();
    assert_eq!(values.len(), 2, "{key}");
    for (v, e) in values.iter().zip(expected) {
        match e {
            Some(e) => assert!(close(v, e), "{key}: {v} != {e}"),
            None => assert!(v.is_null(), "{key}: {v} should be null"),
        }
    }
}

async fn ok(r: crate::common::TestResponse) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Two districts: 东湖区 (urban communities) and 青山县 (a rural village). Everything the
/// analysis of 2026Q3 (stocks on 2026-09-30) reads, each with a record just outside it.
async fn balance_indicators_by_hand(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let post = |path: &'static str, body: Value| {
        let (t, city) = (&t, &city);
        async move { ok(t.post_json_as(city, path, &body).await).await }
    };
    // Residents: the latest year not after 2026 is used, so 2024's figure is not.
    for (d, year, urban, rural) in [
        ("369902", 2024, 150_000, 0),
        ("369902", 2025, 200_000, 0),
        ("369921", 2025, 10_000, 90_000),
    ] {
        post(
            "/api/v1/capacity/residents",
            json!({"district_code": d, "year": year, "urban": urban, "rural": rural}),
        )
        .await;
    }
    // Standards: the one in force on 2026-09-30 counts, not the raise of 2026-10-01.
    for (d, area, from, yuan) in [
        ("369902", "urban", "2026-01-01", "1000"),
        ("369902", "urban", "2026-10-01", "1100"),
        ("369921", "urban", "2026-01-01", "900"),
        ("369921", "rural", "2026-01-01", "800"),
    ] {
        post(
            "/api/v1/assistance-standards",
            json!({"district_code": d, "area": area, "effective_from": from, "standard": yuan}),
        )
        .await;
    }
    // Cases in force on 2026-09-30.
    let in_force = [
        // Approved on the day: in force.
        ("H1", URBAN, "dibao", "active", Some("2026-09-30"), None, 3),
        // Exited on the day: no longer in force.
        (
            "H2",
            URBAN,
            "dibao",
            "exited",
            Some("2025-05-01"),
            Some(("2026-09-30", "income_above")),
            2,
        ),
        // Exited the day after: still in force on the day.
        (
            "H3",
            URBAN_2,
            "dibao",
            "exited",
            Some("2025-05-01"),
            Some(("2026-10-01", "death")),
            4,
        ),
        // Approved the day after: not yet.
        ("H4", URBAN, "dibao", "active", Some("2026-10-01"), None, 5),
        ("H5", RURAL, "dibao", "active", Some("2024-01-01"), None, 9),
        ("H6", RURAL, "tekun", "active", Some("2024-01-01"), None, 1),
        // Still under notice: never approved.
        ("H7", URBAN, "dibao", "notice", None, None, 6),
    ];
    for (n, c, program, status, approved, exited, persons) in in_force {
        case(
            &t, n, c, program, status, approved, exited, persons, persons,
        )
        .await;
    }
    // Staff: 东湖区 14 posts, 12 filled; 青山县 5 and 5.
    for (d, p, a, f) in [
        ("369902", "assistance", 10, 8),
        ("369902", "elderly", 4, 4),
        ("369921", "general", 5, 5),
    ] {
        post(
            "/api/v1/capacity/posts",
            json!({"district_code": d, "post": p, "authorised": a, "filled": f}),
        )
        .await;
    }
    // Trainings: only the one inside the quarter counts.
    for (date, n) in [("2026-06-30", 7), ("2026-07-01", 6), ("2026-10-01", 50)] {
        post(
            "/api/v1/capacity/trainings",
            json!({"district_code": "369902", "post": "assistance", "held_on": date, "topic": "低保政策", "attendees": n}),
        )
        .await;
    }

    let json = ok(t
        .get_as(&city, "/api/v1/reports/balance?quarter=2026Q3")
        .await)
    .await;
    assert_eq!(json["balance"]["on"], "2026-09-30");
    assert_eq!(json["balance"]["districts"][0]["name"], "东湖区");
    assert_values(&json, "dibao_standard_urban", [Some(1000.0), Some(900.0)]);
    assert_values(&json, "dibao_standard_rural", [None, Some(800.0)]);
    // 东湖区: H1 3 + H3 4 = 7 persons over 200,000 residents = 0.035 per 1,000.
    // 青山县: H5 9 over 100,000 = 0.09; rural 9 over 90,000 = 0.1; 特困 1 = 0.01.
    assert_values(&json, "dibao_per_1000", [Some(0.035), Some(0.09)]);
    assert_values(&json, "dibao_per_1000_urban", [Some(0.035), Some(0.0)]);
    assert_values(&json, "dibao_per_1000_rural", [None, Some(0.1)]);
    assert_values(&json, "tekun_per_1000", [Some(0.0), Some(0.01)]);
    // 12 filled over 200,000 × 10,000 = 0.6; 5 over 100,000 = 0.5.
    assert_values(&json, "staff_per_10000", [Some(0.6), Some(0.5)]);
    assert_values(
        &json,
        "staff_filled_pct",
        [Some(1200.0 / 14.0), Some(100.0)],
    );
    // 6 attendances in the quarter over 12 staff; none in 青山县.
    assert_values(&json, "trainings_per_staff", [Some(0.5), Some(0.0)]);
    let spread = &indicator(&json, "dibao_per_1000")["spread"];
    assert_eq!(spread["max_district"], "青山县");
    assert!(close(&spread["ratio"], 0.09 / 0.035));
    // Population CV of two values: |a − b| / (a + b).
    assert!(close(&spread["cv"], 0.055 / 0.125));
    // No payroll reconciled in the quarter: unknown, not zero (tests/it/funds.rs has one).
    assert_values(&json, "spending_per_recipient", [None, None]);
    assert!(indicator(&json, "spending_per_recipient")["missing"].is_null());
    // Urban coverage: 7 over 210,000 urban residents; rural: 9 over 90,000.
    let gaps = &json["balance"]["gaps"][1];
    assert!(close(&gaps["urban"], 7.0 / 210.0));
    assert!(close(&gaps["rural"], 0.1));
    // The trend ends with the quarter asked for and counts the in-force stock per quarter.
    let quarters = json["trend"]["quarters"].as_array().unwrap();
    assert_eq!(quarters.len(), 8);
    assert_eq!(quarters[7], "2026Q3");
    // In force at each quarter's end, 2024Q4 to 2026Q3: H5 (9) throughout; H2 (2) and
    // H3 (4) from 2025-05-01; at 2026-09-30 H2 has left and H1 (3) come in.
    let series = |key: &str| -> Vec<f64> {
        json["trend"]["figures"][key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    assert_eq!(
        series("dibao_persons_in_force"),
        [9.0, 9.0, 15.0, 15.0, 15.0, 15.0, 15.0, 16.0]
    );
    assert_eq!(
        series("dibao_households_in_force"),
        [1.0, 1.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0]
    );
    assert_eq!(series("tekun_persons_in_force"), [1.0; 8]);
    // Flows by quarter: H2 and H3 approved in 2025Q2, H1 in 2026Q3; H2's 收入超标 exit
    // in 2026Q3 is a 清退, H3's death is not (and falls in 2026Q4 anyway).
    assert_eq!(
        series("dibao_new_households"),
        [0.0, 0.0, 2.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    );
    assert_eq!(
        series("dibao_removed_households"),
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0]
    );

    // The page: the table, the charts, no warning about missing residents.
    let page = t.get_as(&city, "/reports/balance?quarter=2026Q3").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("区县均衡分析"));
    assert!(page.body.contains("低保对象每千常住人口（人）"));
    assert_eq!(
        page.body.matches("<svg").count(),
        6,
        "three bar and three trend charts"
    );
    assert!(!page.body.contains("还没有录入常住人口"));
    // The workbook download is audited.
    let r = t
        .get_as(&city, "/reports/balance/xlsx?quarter=2026Q3")
        .await;
    assert_eq!(r.status, 200);
    assert!(r.bytes.starts_with(b"PK"), "an xlsx is a zip");
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'report.export' AND object_type = 'balance_analysis'",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(audited, 1);
    // Read by district leaders and reviewers, not by street or community staff.
    let reviewer = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(t.get_as(&reviewer, "/reports/balance").await.status, 200);
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    assert_eq!(t.get_as(&street, "/reports/balance").await.status, 403);
    t.finish().await;
}

/// A district approver keeps their own district's register; bad input names the field
/// and stores nothing; every change is audited.
async fn capacity_register_checks_scope_and_input(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let approver = t.signed_in(Role::DistrictApprover, "369902").await;
    let refused = |r: crate::common::TestResponse, words: &str| {
        assert_eq!(r.status, 422, "{}", r.body);
        assert!(r.body.contains(words), "expected 「{words}」 in {}", r.body);
    };
    let other = t
        .post_json_as(
            &approver,
            "/api/v1/capacity/residents",
            &json!({"district_code": "369921", "year": 2025, "urban": 1, "rural": 1}),
        )
        .await;
    refused(other, "不在您的管辖范围内");
    let typo = t
        .post_json_as(
            &approver,
            "/api/v1/capacity/residents",
            &json!({"district_code": "369902", "year": 2025, "urban": "二十万", "rural": 0}),
        )
        .await;
    refused(typo, "城镇常住人口");
    let bad_post = t
        .post_json_as(
            &approver,
            "/api/v1/capacity/posts",
            &json!({"district_code": "369902", "post": "厨师", "authorised": 1, "filled": 1}),
        )
        .await;
    refused(bad_post, "岗位");
    let future = t
        .post_json_as(
            &approver,
            "/api/v1/capacity/trainings",
            &json!({"district_code": "369902", "post": "assistance", "held_on": "2026-12-01", "topic": "x", "attendees": 3}),
        )
        .await;
    refused(future, "晚于今天");
    let nothing = ok(t.get_as(&approver, "/api/v1/capacity").await).await;
    let mine = &nothing["districts"][0];
    assert_eq!(
        nothing["districts"].as_array().unwrap().len(),
        1,
        "own district only"
    );
    assert_eq!(mine["code"], "369902");
    assert!(mine["residents"].as_array().unwrap().is_empty());
    assert_eq!(mine["filled"], 0);
    assert!(mine["trainings"].as_array().unwrap().is_empty());

    // Through the page's forms, with thousands separators as people type them.
    let page = t
        .post_as(
            &approver,
            "/capacity/residents",
            &[
                ("district_code", "369902"),
                ("year", "2025"),
                ("urban", "200,000"),
                ("rural", "0"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains("已保存：东湖区 2025 年末常住人口 200000 人"),
        "{}",
        page.body
    );
    let page = t
        .post_as(
            &approver,
            "/capacity/posts",
            &[
                ("district_code", "369902"),
                ("post", "assistance"),
                ("authorised", "10"),
                ("filled", "11"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("11 / 10"),
        "over-filled shown: {}",
        page.body
    );
    let page = t
        .post_as(
            &approver,
            "/capacity/trainings",
            &[
                ("district_code", "369902"),
                ("post", "assistance"),
                ("held_on", "2026-11-02"),
                ("topic", "入户调查规范"),
                ("attendees", "12"),
            ],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("入户调查规范"));
    let api = ok(t.get_as(&approver, "/api/v1/capacity").await).await;
    let mine = &api["districts"][0];
    assert_eq!(mine["residents"][0]["urban"], 200_000);
    assert_eq!(mine["filled"], 11);
    assert_eq!(mine["authorised"], 10);
    assert_eq!(mine["attendances"], 12);
    // A training entered by mistake is deleted; another district's is not found.
    let id = mine["trainings"][0]["id"].as_i64().unwrap();
    let other_district = t.signed_in(Role::DistrictApprover, "369921").await;
    let r = t
        .post_json_as(
            &other_district,
            &format!("/api/v1/capacity/trainings/{id}/delete"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    let r = t
        .post_as(&approver, &format!("/capacity/trainings/{id}/delete"), &[])
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(
        r.body.contains("已删除：2026-11-02 入户调查规范"),
        "{}",
        r.body
    );
    let api = ok(t.get_as(&approver, "/api/v1/capacity").await).await;
    assert!(
        api["districts"][0]["trainings"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    // Re-entering a year's population records what it replaced.
    ok(t.post_json_as(
        &approver,
        "/api/v1/capacity/residents",
        &json!({"district_code": "369902", "year": 2025, "urban": 210000, "rural": 0}),
    )
    .await)
    .await;
    let audited: Vec<(String, String)> = sqlx::query(
        "SELECT action, details FROM audit_log WHERE action LIKE 'capacity.%' ORDER BY seq",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
    .collect();
    let actions: Vec<&str> = audited.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        actions,
        [
            "capacity.residents.set",
            "capacity.post.set",
            "capacity.training.add",
            "capacity.training.delete",
            "capacity.residents.set"
        ]
    );
    let details: serde_json::Value = serde_json::from_str(&audited[4].1).unwrap();
    assert_eq!(
        details["before"],
        json!({"urban": 200000, "rural": 0}),
        "{details}"
    );
    // A reviewer reads the page without forms and cannot post.
    let reviewer = t.signed_in(Role::DistrictReviewer, "369902").await;
    let page = t.get_as(&reviewer, "/capacity").await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("action=\"/capacity/posts\""));
    let r = t
        .post_json_as(
            &reviewer,
            "/api/v1/capacity/posts",
            &json!({"district_code": "369902", "post": "assistance", "authorised": 1, "filled": 1}),
        )
        .await;
    assert_eq!(r.status, 403);
    t.finish().await;
}

/// The home page: a caseworker's queue; a leader's quarter against the previous one and
/// a year before, with the charts.
async fn home_dashboards_by_role(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    // New 低保 households. Today is 2026-11-29, day 60 of 2026Q4: the same 60 days are
    // 07-01 to 08-29 of 2026Q3 and 2025-10-01 to 2025-11-29. One now, two in the previous
    // quarter's same days (N5 comes after them), one a year before (N6 after them).
    for (n, approved) in [
        ("N1", "2026-10-15"),
        ("N2", "2026-07-03"),
        ("N3", "2026-08-29"),
        ("N4", "2025-11-02"),
        ("N5", "2026-08-30"),
        ("N6", "2025-12-01"),
    ] {
        case(&t, n, URBAN, "dibao", "active", Some(approved), None, 2, 2).await;
    }
    // Applications waiting for the street to accept them: one due later, one past its
    // deadline, one without a deadline recorded.
    for (n, due) in [
        ("W1", Some("2026-12-10")),
        ("W2", Some("2026-11-20")),
        ("W3", None),
    ] {
        case(&t, n, URBAN, "dibao", "submitted", None, None, 1, 1).await;
        sqlx::query(
            "UPDATE cases SET due_on = $1 WHERE household_id = (SELECT id FROM households WHERE number = $2)",
        )
        .bind(due)
        .bind(n)
        .execute(t.database().pool())
        .await
        .unwrap();
    }

    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let home = t.get_as(&street, "/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(home.body.contains("我的待办"), "{}", home.body);
    assert!(home.body.contains("受理或不予受理"), "{}", home.body);
    // Late first, then by deadline; the one without a deadline last.
    let queue = &home.body[home.body.find("id=\"home-queue\"").unwrap()..];
    let overdue = queue
        .find("2026-11-20 <strong>已超期</strong>")
        .expect("marked overdue");
    let later = queue.find("2026-12-10").unwrap();
    assert!(overdue < later, "{queue}");
    assert_eq!(queue.matches("受理或不予受理").count(), 3);
    assert!(!home.body.contains("上年同期"));

    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let home = t.get_as(&city, "/").await;
    assert_eq!(home.status, 200, "{}", home.body);
    assert!(
        !home.body.contains("我的待办"),
        "nothing waits for the city"
    );
    assert!(
        home.body.contains("第四季度（截至 2026-11-29）"),
        "{}",
        home.body
    );
    // 新增低保户数: 1 now, 2 before (−50%), 1 a year before (+0%).
    let row = home
        .body
        .split("<tr>")
        .find(|r| r.contains("新增低保户数"))
        .unwrap();
    let cells: Vec<&str> = row
        .split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split('<').next().unwrap())
        .collect();
    assert_eq!(cells, ["1", "2", "-50.0%", "1", "+0.0%"], "{row}");
    assert!(
        home.body.matches("<svg").count() >= 3,
        "trend and district charts"
    );

    // A district approver decides cases and leads the district: both parts.
    let approver = t.signed_in(Role::DistrictApprover, "369902").await;
    let home = t.get_as(&approver, "/").await;
    assert!(home.body.contains("我的待办") && home.body.contains("上年同期"));
    t.finish().await;
}
