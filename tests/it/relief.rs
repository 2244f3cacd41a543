//! Help for people living rough: patrols, a station case from intake through care and
//! family search to its departure, stays over ten days flagged (injected clock), and the
//! quarter's figures at its boundaries, on both backends.

use minzheng::auth::Role;
use serde_json::json;

use crate::common::{Backend, Session, TestApp};
use crate::on_both_backends;

on_both_backends!(station_cases_patrols_and_figures);

fn ok(r: crate::common::TestResponse) -> serde_json::Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn intake(t: &TestApp, s: &Session, day: &str, name: &str, id_number: &str) -> i64 {
    ok(t.post_json_as(
        s,
        "/api/v1/relief/cases",
        &json!({"region_code": "369902", "intake_on": day, "name": name, "id_number": id_number,
                "sex": "male", "group": "老年人"}),
    )
    .await)["id"]
        .as_i64()
        .unwrap()
}

async fn depart(
    t: &TestApp,
    s: &Session,
    id: i64,
    day: &str,
    outcome: &str,
) -> crate::common::TestResponse {
    let case = ok(t.get_as(s, &format!("/api/v1/relief/cases/{id}")).await);
    t.post_json_as(
        s,
        &format!("/api/v1/relief/cases/{id}/departure"),
        &json!({"version": case["case"]["version"], "left_on": day, "outcome": outcome}),
    )
    .await
}

async fn station_cases_patrols_and_figures(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let station = t.signed_in(Role::DistrictReviewer, "369902").await;
    // A patrol: more brought in than met is refused.
    let bad = t
        .post_json_as(
            &station,
            "/api/v1/relief/patrols",
            &json!({"patrolled_on": "2026-09-30", "region_code": "369902001", "area": "火车站广场", "staff": "王五",
                    "people_met": "2", "brought_in": "3"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    ok(t.post_json_as(
        &station,
        "/api/v1/relief/patrols",
        &json!({"patrolled_on": "2026-09-30", "region_code": "369902001", "area": "火车站广场", "staff": "王五",
                "people_met": "3", "brought_in": "2"}),
    )
    .await);
    // Q3: in on 06-30 and left 07-02 (returned: Q3's return, Q2's intake); in on 07-01,
    // unknown, family found, reunited on 09-30 (91 days: a long stay); in on 09-20, 10
    // days at 09-30 (not long) and left 10-05 (15 days: a long stay, but Q4's).
    let june = intake(&t, &station, "2026-06-30", "张某", "").await;
    let july = intake(&t, &station, "2026-07-01", "无名氏（男，约 70 岁）", "").await;
    let sept = intake(&t, &station, "2026-09-20", "李某", "").await;
    ok(depart(&t, &station, june, "2026-07-02", "returned").await);
    // Reunited needs the family found first.
    let early = depart(&t, &station, july, "2026-09-30", "reunited").await;
    assert_eq!(early.status, 422, "{}", early.body);
    assert!(early.body.contains("已找到亲属"), "{}", early.body);
    let case = ok(t
        .get_as(&station, &format!("/api/v1/relief/cases/{july}"))
        .await);
    ok(t.post_json_as(
        &station,
        &format!("/api/v1/relief/cases/{july}/care"),
        &json!({"version": case["case"]["version"], "services": "food,lodging,family_search,medical", "family_search": "found"}),
    )
    .await);
    ok(depart(&t, &station, july, "2026-09-30", "reunited").await);
    ok(depart(&t, &station, sept, "2026-10-05", "returned").await);
    let q3 = ok(t.get_as(&station, "/api/v1/relief?quarter=2026Q3").await);
    let f = &q3["figures"];
    assert_eq!(
        (
            f["helped"].as_i64(),
            f["returned"].as_i64(),
            f["reunited"].as_i64(),
            f["long_stays"].as_i64()
        ),
        (Some(2), Some(1), Some(1), Some(1)),
        "{f}"
    );
    assert_eq!(
        (f["patrols"].as_i64(), f["brought_in"].as_i64()),
        (Some(1), Some(2))
    );
    let q4 = ok(t.get_as(&station, "/api/v1/relief?quarter=2026Q4").await);
    assert_eq!(q4["figures"]["returned"], 1);
    assert_eq!(q4["figures"]["long_stays"], 1, "{}", q4["figures"]);

    // Still at the station: flagged the day its stay passes ten days.
    let now = intake(&t, &station, "2026-11-20", "王某", "11010519491231002X").await;
    let case = ok(t
        .get_as(&station, &format!("/api/v1/relief/cases/{now}"))
        .await);
    assert_eq!(
        (
            case["case"]["stay_days"].as_i64(),
            case["case"]["long_stay"].as_bool()
        ),
        (Some(9), Some(false))
    );
    assert!(case["id_masked"].as_str().unwrap().contains('*'));
    assert!(case["case"]["id_sealed"].is_null());
    t.clock.set("2026-12-02T02:00:00Z".parse().unwrap());
    let station = t.signed_in(Role::DistrictApprover, "369902").await;
    let case = ok(t
        .get_as(&station, &format!("/api/v1/relief/cases/{now}"))
        .await);
    assert_eq!(
        (
            case["case"]["stay_days"].as_i64(),
            case["case"]["long_stay"].as_bool()
        ),
        (Some(12), Some(true))
    );
    // Another district sees nothing of it.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(
        t.get_as(&other, &format!("/api/v1/relief/cases/{now}"))
            .await
            .status,
        404
    );
    t.finish().await;
}
