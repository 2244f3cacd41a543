//! Volunteers with their stars and the printable certificate; social workers.

use minzheng::auth::Role;
use serde_json::{Value, json};
use sqlx::Row;

use super::{OTHER, audit_count, ok, refused};
use crate::common::{Backend, TestApp};
use crate::compare::{URBAN, id};
use crate::on_both_backends;

on_both_backends!(
    volunteers_stars_and_the_printable_certificate,
    social_workers_by_district_and_level,
);

async fn volunteers_stars_and_the_printable_certificate(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;
    let person = id("19900505", 21);
    let body = json!({"id_number": person, "name": "李四", "community": URBAN, "phone": "13812345678",
                      "registered_on": "2025-01-01"});
    let registered = ok(t
        .post_json_as(&worker, "/api/v1/community/volunteers", &body)
        .await)
    .await;
    let v = &registered["volunteer"];
    let vid = v["id"].as_i64().unwrap();
    assert_eq!(v["id_number"], format!("369902********{}", &person[14..]));
    assert_eq!(v["phone"], "138****5678");
    assert_eq!(
        (v["hours"].as_str(), v["stars"].is_null()),
        (Some("0.0"), true)
    );
    assert!(
        !registered.to_string().contains(&person)
            && !registered.to_string().contains("13812345678")
    );
    let body = refused(
        t.post_json_as(&worker, "/api/v1/community/volunteers", &body)
            .await,
        409,
    )
    .await;
    assert!(body.contains(&format!("编号 {vid}")), "{body}");
    let raw: String = sqlx::query("SELECT phone_sealed FROM volunteers")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert!(!raw.contains("13812345678"));

    let path = format!("/api/v1/community/volunteers/{vid}/services");
    let on = |day: u32, hours: Value| json!({"served_on": format!("2026-11-{day:02}"), "hours": hours, "activity": "助老助餐", "organiser": "社区志愿服务站"});
    let serve = |hours: Value| on(20, hours);
    let add = |day: u32, hours: Value| {
        let (t, worker, path) = (&t, &worker, &path);
        let body = on(day, hours);
        async move { ok(t.post_json_as(worker, path, &body).await).await }
    };
    for bad in [
        json!("2.55"),
        json!("24.1"),
        json!("0"),
        json!(-1),
        json!("两小时"),
    ] {
        assert!(
            refused(t.post_json_as(&worker, &path, &serve(bad)).await, 422)
                .await
                .contains("「服务时长」")
        );
    }
    let mut future = serve(json!(2));
    future["served_on"] = json!("2026-11-30");
    assert!(
        refused(t.post_json_as(&worker, &path, &future).await, 422)
            .await
            .contains("晚于今天")
    );
    // 4 × 24 + 3.9 = 99.9 hours (a day of 24 hours at most): no star, 0.1 short.
    for day in 1..=4 {
        add(day, json!(24)).await;
    }
    let full = refused(
        t.post_json_as(&worker, &path, &on(4, json!("0.1"))).await,
        422,
    )
    .await;
    assert!(full.contains("超过一天 24 小时"), "{full}");
    let at = add(5, json!(3.9)).await;
    assert_eq!(at["volunteer"]["hours"], "99.9");
    assert!(at["volunteer"]["stars"].is_null());
    assert_eq!(at["volunteer"]["next_level"], "还差 0.1 小时达到一星");
    // 100.0: one star exactly at the threshold.
    let at = add(5, json!("0.1")).await;
    assert_eq!(
        (
            at["volunteer"]["hours"].as_str(),
            at["volunteer"]["stars"].as_i64()
        ),
        (Some("100.0"), Some(1))
    );
    assert!(at["message"].as_str().unwrap().contains("一星"));
    // 299.9 still one star; 300.0 two.
    for day in 6..=13 {
        add(day, json!("24.0")).await;
    }
    let at = add(14, json!("7.9")).await;
    assert_eq!(
        (
            at["volunteer"]["hours"].as_str(),
            at["volunteer"]["stars"].as_i64()
        ),
        (Some("299.9"), Some(1))
    );
    let at = add(14, json!("0.1")).await;
    assert_eq!(
        (
            at["volunteer"]["hours"].as_str(),
            at["volunteer"]["stars"].as_i64()
        ),
        (Some("300.0"), Some(2))
    );
    assert_eq!(at["services"].as_array().unwrap().len(), 16);

    // Lists and finding.
    let list = ok(t.get_as(&worker, "/api/v1/community/volunteers").await).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["by_stars"][2], json!(["二星", 1]));
    let found = ok(t
        .post_json_as(
            &worker,
            "/api/v1/community/volunteers/find",
            &json!({"q": person}),
        )
        .await)
    .await;
    assert_eq!(found["volunteers"][0]["id"], vid);

    // The printable certificate: standalone, its style allowed by hash, no script, no
    // external asset, the hours and the masked ID; printing is audited.
    let cert = t
        .get_as(&worker, &format!("/community/volunteers/{vid}/certificate"))
        .await;
    assert_eq!(cert.status, 200, "{}", cert.body);
    assert!(cert.header("content-type").starts_with("text/html"));
    let csp = cert.header("content-security-policy").to_string();
    assert!(
        csp.contains("style-src 'sha256-") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    // The hash is the inline style's, so a browser applies it.
    let style = cert
        .body
        .split_once("<style>")
        .and_then(|(_, rest)| rest.split_once("</style>"))
        .map(|(style, _)| style)
        .unwrap();
    let hash = {
        use base64::Engine;
        use sha2::Digest;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(style.as_bytes()))
    };
    assert!(csp.contains(&format!("'sha256-{hash}'")), "{csp}");
    assert_eq!(cert.header("cache-control"), "no-store");
    for absent in ["<script", "src=", "http://", "https://", "<link", &person] {
        assert!(!cert.body.contains(absent), "certificate contains {absent}");
    }
    for present in [
        "志愿服务记录证明",
        "@media print",
        "300.0",
        "二星",
        "助老助餐",
        &format!("369902********{}", &person[14..]),
    ] {
        assert!(cert.body.contains(present), "certificate lacks {present}");
    }
    assert_eq!(
        audit_count(&t, "volunteer.certificate.print", "success").await,
        1
    );
    let page = t
        .get_as(&worker, &format!("/community/volunteers/{vid}"))
        .await;
    assert!(page.status == 200 && page.body.contains("二星"));

    // Outside the scope: 404 for the page, the certificate and a record.
    let neighbour = t
        .create_user("neighbour", Role::CommunityWorker, OTHER)
        .await;
    let neighbour = t.login(&neighbour).await;
    for p in [
        format!("/community/volunteers/{vid}"),
        format!("/community/volunteers/{vid}/certificate"),
        format!("/api/v1/community/volunteers/{vid}"),
    ] {
        assert_eq!(t.get_as(&neighbour, &p).await.status, 404, "{p}");
    }
    assert_eq!(
        t.post_json_as(&neighbour, &path, &serve(json!(2)))
            .await
            .status,
        404
    );
    let auditor = t.signed_in(Role::Auditor, "369900").await;
    assert_eq!(
        t.post_json_as(&auditor, &path, &serve(json!(2)))
            .await
            .status,
        403
    );
    t.finish().await;
}

async fn social_workers_by_district_and_level(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let reviewer = t.signed_in(Role::DistrictReviewer, "369902").await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let add = |name: &str, district: &str, level: &str, on: &str| json!({"name": name, "district": district, "level": level, "certified_on": on});
    let mut ids = Vec::new();
    for (s, body) in [
        (&reviewer, add("周一", "369902", "assistant", "2020-06-20")),
        (
            &reviewer,
            add("周二", "369902", "助理社会工作师", "2021-06-20"),
        ),
        (&reviewer, add("周三", "369902", "社会工作师", "2022-06-20")),
        (&city, add("周四", "369921", "senior", "2023-06-20")),
    ] {
        ids.push(
            ok(t.post_json_as(s, "/api/v1/community/social-workers", &body)
                .await)
            .await["social_worker"]["id"]
                .as_i64()
                .unwrap(),
        );
    }
    assert!(
        refused(
            t.post_json_as(
                &reviewer,
                "/api/v1/community/social-workers",
                &add("周五", "369921", "senior", "2023-06-20")
            )
            .await,
            422
        )
        .await
        .contains("「区县」")
    );
    assert!(
        refused(
            t.post_json_as(
                &reviewer,
                "/api/v1/community/social-workers",
                &add("周五", "369902", "中级", "2023-06-20")
            )
            .await,
            422
        )
        .await
        .contains("「证书等级」")
    );
    assert!(
        refused(
            t.post_json_as(
                &reviewer,
                "/api/v1/community/social-workers",
                &add("周五", "369902", "senior", "")
            )
            .await,
            422
        )
        .await
        .contains("「取证日期」")
    );

    let all = ok(t.get_as(&city, "/api/v1/community/social-workers").await).await;
    let counts = |j: &Value, code: &str| {
        j["districts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["district_code"] == code)
            .unwrap()["by_level"]
            .clone()
    };
    assert_eq!(counts(&all, "369902"), json!([2, 1, 0]));
    assert_eq!(counts(&all, "369921"), json!([0, 0, 1]));
    assert_eq!(
        (all["totals"].clone(), all["total"].as_i64()),
        (json!([2, 1, 1]), Some(4))
    );
    // The district sees its own.
    let own = ok(t
        .get_as(&reviewer, "/api/v1/community/social-workers")
        .await)
    .await;
    assert_eq!(own["total"], 3);

    // A new certificate: with the version, not dated before the one on record.
    let path = format!("/api/v1/community/social-workers/{}", ids[0]);
    assert!(
        refused(
            t.post_json_as(
                &reviewer,
                &path,
                &json!({"level": "intermediate", "certified_on": "2019-01-01", "version": 1})
            )
            .await,
            422
        )
        .await
        .contains("早于")
    );
    assert_eq!(
        t.post_json_as(
            &reviewer,
            &path,
            &json!({"level": "intermediate", "certified_on": "2026-06-20", "version": 5})
        )
        .await
        .status,
        409
    );
    let up = ok(t
        .post_json_as(
            &reviewer,
            &path,
            &json!({"level": "intermediate", "certified_on": "2026-06-20", "version": 1}),
        )
        .await)
    .await;
    assert_eq!(up["social_worker"]["level"], "intermediate");
    let county = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(
        t.post_json_as(
            &county,
            &path,
            &json!({"level": "senior", "certified_on": "2026-06-20", "version": 2})
        )
        .await
        .status,
        404
    );
    let all = ok(t.get_as(&city, "/api/v1/community/social-workers").await).await;
    assert_eq!(counts(&all, "369902"), json!([1, 2, 0]));
    assert_eq!(
        audit_count(&t, "socialwork.worker.recertify", "success").await,
        1
    );

    // Pages: the district desk reads them; a community worker does not.
    let page = t.get_as(&reviewer, "/community/social-workers").await;
    assert!(page.status == 200 && page.body.contains("社会工作师"));
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;
    assert_eq!(
        t.get_as(&worker, "/community/social-workers").await.status,
        403
    );
    t.finish().await;
}
