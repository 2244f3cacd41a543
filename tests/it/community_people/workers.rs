//! Community workers in post per community and the balance indicator.

use minzheng::auth::Role;
use serde_json::{Value, json};

use super::{OTHER, audit_count, ok, refused};
use crate::common::{Backend, TestApp};
use crate::compare::URBAN;
use crate::on_both_backends;

on_both_backends!(community_workers_and_the_balance_indicator);

async fn community_workers_and_the_balance_indicator(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;
    let add = |name: &str, community: &str, post: &str, start: &str, end: &str| json!({"name": name, "community": community, "post": post, "started_on": start, "ended_on": end});
    let mut ids = Vec::new();
    for body in [
        add("甲", URBAN, "secretary", "2026-01-01", ""),
        // The end day is the last day in post: in post on 09-30.
        add("乙", URBAN, "专职社区工作者", "2026-01-01", "2026-09-30"),
        add("丙", OTHER, "grid", "2026-01-01", "2026-09-29"),
        add("丁", OTHER, "member", "2026-10-01", ""),
    ] {
        ids.push(
            ok(t.post_json_as(&street, "/api/v1/community/workers", &body)
                .await)
            .await["worker"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    assert!(
        refused(
            t.post_json_as(
                &street,
                "/api/v1/community/workers",
                &add("戊", URBAN, "网格员", "2026-01-01", "")
            )
            .await,
            422
        )
        .await
        .contains("「岗位」")
    );
    assert!(
        refused(
            t.post_json_as(
                &street,
                "/api/v1/community/workers",
                &add("戊", URBAN, "grid", "2026-12-01", "")
            )
            .await,
            422
        )
        .await
        .contains("晚于今天")
    );
    assert!(
        refused(
            t.post_json_as(
                &street,
                "/api/v1/community/workers",
                &add("戊", URBAN, "grid", "2026-02-01", "2026-01-01")
            )
            .await,
            422
        )
        .await
        .contains("早于")
    );
    assert!(
        refused(
            t.post_json_as(
                &street,
                "/api/v1/community/workers",
                &add("戊", "369921001001", "grid", "2026-02-01", "")
            )
            .await,
            422
        )
        .await
        .contains("「社区/村」")
    );
    assert_eq!(
        t.post_json_as(
            &worker,
            "/api/v1/community/workers",
            &add("戊", URBAN, "grid", "2026-02-01", "")
        )
        .await
        .status,
        403
    );

    // Counts per community on a day.
    let on = ok(t
        .get_as(&street, "/api/v1/community/workers?on=2026-09-30")
        .await)
    .await;
    let count = |j: &Value, code: &str| {
        j["communities"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["region_code"] == code)
            .unwrap()["in_post"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(
        (count(&on, URBAN), count(&on, OTHER), on["total"].as_i64()),
        (2, 0, Some(2))
    );
    let now = ok(t.get_as(&street, "/api/v1/community/workers").await).await;
    assert_eq!((count(&now, URBAN), count(&now, OTHER)), (1, 1));
    // The community worker sees the own community only.
    let mine = ok(t.get_as(&worker, "/api/v1/community/workers").await).await;
    assert!(
        mine["workers"]
            .as_array()
            .unwrap()
            .iter()
            .all(|w| w["region_code"] == URBAN)
    );
    let page = t.get_as(&worker, "/community/workers").await;
    assert!(page.status == 200 && page.body.contains("甲") && !page.body.contains("worker-form"));
    let page = t.get_as(&street, "/community/workers?on=2026-09-30").await;
    assert!(page.body.contains("2026-09-30 在岗 2 人") && page.body.contains("worker-form"));

    // Ending a record: with the version, once, within scope.
    let end = format!("/api/v1/community/workers/{}/end", ids[0]);
    let other_district = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(
        t.post_json_as(
            &other_district,
            &end,
            &json!({"ended_on": "2026-11-29", "version": 1})
        )
        .await
        .status,
        404
    );
    assert_eq!(
        t.post_json_as(
            &street,
            &end,
            &json!({"ended_on": "2026-11-29", "version": 7})
        )
        .await
        .status,
        409
    );
    let ended = ok(t
        .post_json_as(
            &street,
            &end,
            &json!({"ended_on": "2026-11-29", "version": 1}),
        )
        .await)
    .await;
    assert_eq!(ended["worker"]["ended_on"], "2026-11-29");
    assert_eq!(
        t.post_json_as(
            &street,
            &end,
            &json!({"ended_on": "2026-11-29", "version": 2})
        )
        .await
        .status,
        409
    );
    assert_eq!(audit_count(&t, "community.worker.add", "success").await, 4);
    assert_eq!(audit_count(&t, "community.worker.end", "success").await, 1);

    // Balance: 2 in post on 2026-09-30 for 200,000 residents = 0.1 per 10,000; 青山县 has
    // no register at all: unknown, not 0.
    for (d, urban, rural) in [("369902", 150_000, 50_000), ("369921", 10_000, 90_000)] {
        let body = json!({"district_code": d, "year": 2025, "urban": urban, "rural": rural});
        ok(t.post_json_as(&city, "/api/v1/capacity/residents", &body)
            .await)
        .await;
    }
    let balance = ok(t
        .get_as(&city, "/api/v1/reports/balance?quarter=2026Q3")
        .await)
    .await;
    let ind = balance["balance"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "community_workers_per_10000")
        .unwrap()
        .clone();
    assert!(ind["missing"].is_null(), "{ind}");
    assert!(
        (ind["values"][0].as_f64().unwrap() - 0.1).abs() < 1e-9,
        "{ind}"
    );
    assert!(ind["values"][1].is_null(), "{ind}");
    // In 2026Q2 the register had 3 records started by 06-30, all in post.
    let q2 = ok(t
        .get_as(&city, "/api/v1/reports/balance?quarter=2026Q2")
        .await)
    .await;
    let ind = q2["balance"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "community_workers_per_10000")
        .unwrap()
        .clone();
    assert!(
        (ind["values"][0].as_f64().unwrap() - 0.15).abs() < 1e-9,
        "{ind}"
    );
    // Before any record started, the register did not exist yet: unknown.
    let q4_2025 = ok(t
        .get_as(&city, "/api/v1/reports/balance?quarter=2025Q4")
        .await)
    .await;
    let ind = q4_2025["balance"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "community_workers_per_10000")
        .unwrap()
        .clone();
    assert!(ind["values"][0].is_null(), "{ind}");
    t.finish().await;
}
