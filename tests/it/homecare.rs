//! The home-care platform (DOMAIN.md §4) through the API: the city's catalogue,
//! providers and allowances; an order placed against the month's allowance (refused
//! beyond the remainder, with the remainder named), dispatched to a provider serving the
//! community, served, rated; cancellation giving the allowance back; a served 探访关爱
//! order counted as a visit; provider performance and meal counts by hand.

use chrono::Duration;
use minzheng::auth::Role;
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Backend, Session, TestApp};
use crate::compare::{URBAN, household, id};
use crate::elderly_people::{ok, register};
use crate::on_both_backends;

on_both_backends!(
    order_lifecycle_allowance_and_performance,
    catalogue_allowance_table_and_refusals
);

/// The city's catalogue and two providers: 安康 serving 解放街道 (both its
/// communities), 青山 serving 青山县. Returns (meal, visit, bath) service ids and the
/// providers' ids.
pub(crate) async fn set_up(t: &TestApp, city: &Session) -> ((i64, i64, i64), (i64, i64)) {
    let mut services = Vec::new();
    for (kind, name, unit, price) in [
        ("meal", "助餐（午餐）", "餐", "15"),
        ("visit", "探访关爱", "次", "30"),
        ("bath", "上门助浴", "次", "80.00"),
    ] {
        let r = ok(t
            .post_json_as(
                city,
                "/api/v1/homecare/services",
                &json!({"kind": kind, "name": name, "unit": unit, "price": price}),
            )
            .await)
        .await;
        services.push(r["id"].as_i64().unwrap());
    }
    let mut providers = Vec::new();
    for (name, areas) in [
        ("安康居家养老服务中心", json!(["369902001"])),
        ("青山助老服务社", json!("369921")),
    ] {
        let r = ok(t
            .post_json_as(
                city,
                "/api/v1/homecare/providers",
                &json!({"name": name, "uscc": "", "phone": "0799-1234567", "areas": areas}),
            )
            .await)
        .await;
        providers.push(r["provider"]["id"].as_i64().unwrap());
    }
    (
        (services[0], services[1], services[2]),
        (providers[0], providers[1]),
    )
}

/// Lets `minutes` pass on the injected clock, in steps shorter than the idle timeout,
/// each session making a request at every step (as a person at work would).
pub(crate) async fn pass(t: &TestApp, minutes: i64, sessions: &[&Session]) {
    let mut left = minutes;
    while left > 0 {
        let step = left.min(10);
        t.clock.advance(Duration::minutes(step));
        left -= step;
        for s in sessions {
            assert_eq!(t.get_as(s, "/api/v1/me").await.status, 200);
        }
    }
}

async fn order_lifecycle_allowance_and_performance(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let ((meal, visit, _), (ankang, qingshan)) = set_up(&t, &city).await;
    // 张桂兰, 70, 特困 (in force): 300 a month.
    let zhang = id("19560520", 42);
    household(&t, "T1", URBAN, "tekun", "active", &[("张桂兰", &zhang)]).await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let pid = register(&t, &street, &zhang, "张桂兰", URBAN, "alone", None).await;
    let place = |body: Value| {
        let (t, street) = (&t, &street);
        async move {
            t.post_json_as(street, "/api/v1/homecare/orders", &body)
                .await
        }
    };
    let order = |service: i64, quantity: &str, payment: &str| {
        json!({"person_id": pid, "service_id": service, "quantity": quantity, "payment": payment,
               "requested_by": "family", "requester": "李明（儿子）", "note": "每天 11:30 送到"})
    };
    let before = ok(t
        .get_as(&street, &format!("/api/v1/elderly/people/{pid}"))
        .await)
    .await;
    assert_eq!(before["allowance"]["remaining"], "300.00");
    // 10 meals at 15.00 paid by allowance: 150.00; 150.00 left.
    let first = ok(place(order(meal, "10", "allowance")).await).await;
    let o = &first["order"];
    assert_eq!(
        (o["amount"].as_str(), o["subsidy"].as_str()),
        (Some("150.00"), Some("150.00"))
    );
    assert_eq!(o["status"], "requested");
    assert!(
        first["message"]
            .as_str()
            .unwrap()
            .contains("本月剩余补贴 150.00 元")
    );
    let first_id = o["id"].as_i64().unwrap();
    // 11 more meals (165.00) exceed the 150.00 left: refused, naming the remainder.
    let refused = place(order(meal, "11", "allowance")).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("本月补贴余额为 150.00 元"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("165.00"));
    // Self-paid, the same order is taken, without subsidy.
    let own = ok(place(order(meal, "11", "self")).await).await;
    assert_eq!(own["order"]["subsidy"], "0.00");
    let own_id = own["order"]["id"].as_i64().unwrap();
    // 5 more meals by allowance (75.00) fit; cancelled, they give the 75.00 back.
    let third = ok(place(order(meal, "5", "allowance")).await).await;
    let third_id = third["order"]["id"].as_i64().unwrap();
    let after = ok(t
        .get_as(&street, &format!("/api/v1/elderly/people/{pid}"))
        .await)
    .await;
    assert_eq!(after["allowance"]["used"], "225.00");
    assert_eq!(after["allowance"]["remaining"], "75.00");
    let cancel = |oid: i64, version: i64, reason: &str| {
        let (t, street) = (&t, &street);
        let body = json!({"version": version, "reason": reason});
        async move {
            t.post_json_as(
                street,
                &format!("/api/v1/homecare/orders/{oid}/cancel"),
                &body,
            )
            .await
        }
    };
    let cancelled = ok(cancel(third_id, 1, "老人住院，暂不需要").await).await;
    assert_eq!(cancelled["order"]["status"], "cancelled");
    let after = ok(t
        .get_as(&street, &format!("/api/v1/elderly/people/{pid}"))
        .await)
    .await;
    assert_eq!(after["allowance"]["remaining"], "150.00");

    // Dispatch: 青山 does not serve 幸福社区; 安康 does. A stale version is refused.
    let step = |oid: i64, what: &str, body: Value| {
        let (t, street) = (&t, &street);
        let path = format!("/api/v1/homecare/orders/{oid}/{what}");
        async move { t.post_json_as(street, &path, &body).await }
    };
    let wrong = step(
        first_id,
        "dispatch",
        json!({"version": 1, "provider_id": qingshan}),
    )
    .await;
    assert_eq!(wrong.status, 422);
    assert!(wrong.body.contains("服务区域不包括"));
    // A community worker places orders but does not dispatch them.
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;
    let denied = t
        .post_json_as(
            &worker,
            &format!("/api/v1/homecare/orders/{first_id}/dispatch"),
            &json!({"version": 1, "provider_id": ankang}),
        )
        .await;
    assert_eq!(denied.status, 403);
    // Requested at 12:00 (the test clock), dispatched at 12:30, served at 14:00.
    pass(&t, 30, &[&street, &worker]).await;
    let dispatched = ok(step(
        first_id,
        "dispatch",
        json!({"version": 1, "provider_id": ankang}),
    )
    .await)
    .await;
    assert_eq!(dispatched["order"]["provider_name"], "安康居家养老服务中心");
    assert_eq!(
        dispatched["order"]["dispatched_at"],
        "2026-11-29T12:30:00+08:00"
    );
    let stale = step(
        first_id,
        "dispatch",
        json!({"version": 1, "provider_id": ankang}),
    )
    .await;
    assert_eq!(stale.status, 409);
    pass(&t, 90, &[&street, &worker]).await;
    let early = step(
        first_id,
        "serve",
        json!({"version": 2, "server_name": "刘阿姨", "served_at": "2026-11-29 11:00"}),
    )
    .await;
    assert_eq!(early.status, 422);
    assert!(early.body.contains("早于下单时间"));
    let served = ok(step(
        first_id,
        "serve",
        json!({"version": 2, "server_name": "刘阿姨", "served_at": ""}),
    )
    .await)
    .await;
    assert_eq!(served["order"]["served_at"], "2026-11-29T14:00:00+08:00");
    assert_eq!(served["order"]["server_name"], "刘阿姨");
    // Served orders cannot be cancelled; a complaint needs its content.
    let late = cancel(first_id, 3, "不要了").await;
    assert_eq!(late.status, 409);
    assert!(late.body.contains("服务前"));
    let bare = step(
        first_id,
        "rate",
        json!({"version": 3, "rating": 2, "complaint": "1"}),
    )
    .await;
    assert_eq!(bare.status, 422);
    let rated = ok(step(
        first_id,
        "rate",
        json!({"version": 3, "rating": "4", "comment": "准时，饭菜可口"}),
    )
    .await)
    .await;
    assert_eq!(rated["order"]["status"], "rated");
    assert_eq!(rated["order"]["rating"], 4);
    // The self-paid order: dispatched to 安康 at 14:00 (120 minutes after request),
    // then cancelled before service.
    ok(step(
        own_id,
        "dispatch",
        json!({"version": 1, "provider_id": ankang}),
    )
    .await)
    .await;
    ok(cancel(own_id, 2, "家属自行安排").await).await;

    // 探访关爱: served, it is also the person's visit of the day.
    let v = ok(place(order(visit, "1", "allowance")).await).await;
    let vid = v["order"]["id"].as_i64().unwrap();
    ok(step(
        vid,
        "dispatch",
        json!({"version": 1, "provider_id": ankang}),
    )
    .await)
    .await;
    let served = ok(step(
        vid,
        "serve",
        json!({"version": 2, "server_name": "志愿者小周"}),
    )
    .await)
    .await;
    assert!(served["message"].as_str().unwrap().contains("探访记录"));
    let p = ok(t
        .get_as(&street, &format!("/api/v1/elderly/people/{pid}"))
        .await)
    .await;
    assert_eq!(p["visits"][0]["visitor"], "志愿者小周");
    assert_eq!(p["visits"][0]["order_id"], vid);
    assert_eq!(p["person"]["last_visit"], "2026-11-29");
    // 150 + 30 used.
    assert_eq!(p["allowance"]["remaining"], "120.00");

    // Scope: another district's street reaches neither the order nor its list.
    let far = t.signed_in(Role::StreetCaseworker, "369921001").await;
    assert_eq!(
        t.get_as(&far, &format!("/api/v1/homecare/orders/{first_id}"))
            .await
            .status,
        404
    );
    let theirs = ok(t.get_as(&far, "/api/v1/homecare/orders").await).await;
    assert!(theirs["orders"].as_array().unwrap().is_empty());
    let ours = ok(t
        .get_as(&street, "/api/v1/homecare/orders?month=2026-11")
        .await)
    .await;
    assert_eq!(ours["orders"].as_array().unwrap().len(), 4);

    // Performance of 2026-11 for 安康: 3 orders dispatched (one cancelled), 2 served.
    // To dispatch: 30 (meals), 120 (self-paid), 0 (visit, same minute) → 50.0.
    // To service: 120 (meals), 0 (visit) → 60.0. One rating of 4. No complaint.
    // Served amount 150 + 30, all of it subsidy.
    let perf = ok(t
        .get_as(&street, "/api/v1/homecare/performance?month=2026-11")
        .await)
    .await;
    let line = &perf["providers"][0];
    assert_eq!(line["name"], "安康居家养老服务中心");
    assert_eq!(
        (
            line["orders"].as_i64(),
            line["served"].as_i64(),
            line["cancelled"].as_i64(),
            line["complaints"].as_i64()
        ),
        (Some(3), Some(2), Some(1), Some(0))
    );
    assert_eq!(line["dispatch_minutes"], 50.0);
    assert_eq!(line["serve_minutes"], 60.0);
    assert_eq!(line["rating"], 4.0);
    assert_eq!(
        (line["amount"].as_str(), line["subsidy"].as_str()),
        (Some("180.00"), Some("180.00"))
    );
    // Meals: 10 served on 2026-11-29 by 安康 (the self-paid 11 were cancelled).
    assert_eq!(perf["meals"]["days"], json!(["2026-11-29"]));
    assert_eq!(perf["meals"]["providers"][0]["per_day"], json!([10]));
    assert_eq!(
        perf["meals"]["providers"][0]["name"],
        "安康居家养老服务中心"
    );
    // The pages.
    for path in [
        format!("/homecare/orders/{first_id}"),
        "/homecare/orders".to_string(),
        "/homecare/performance".to_string(),
        "/homecare/providers".to_string(),
        "/homecare/services".to_string(),
    ] {
        let page = t.get_as(&street, &path).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body.contains("安康居家养老服务中心") || path.ends_with("services"),
            "{path}"
        );
    }
    let audited: Vec<(String, i64)> = sqlx::query(
        "SELECT action, COUNT(*) FROM audit_log WHERE action LIKE 'homecare.order.%' GROUP BY action ORDER BY action",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap()
    .iter()
    .map(|r| (r.try_get(0).unwrap(), r.try_get(1).unwrap()))
    .collect();
    let count = |a: &str| audited.iter().find(|(x, _)| x == a).map_or(0, |(_, n)| *n);
    assert_eq!(
        (
            count("homecare.order.place"),
            count("homecare.order.dispatch"),
            count("homecare.order.serve"),
            count("homecare.order.rate"),
            count("homecare.order.cancel")
        ),
        (4, 3, 2, 1, 2)
    );
    t.finish().await;
}

async fn catalogue_allowance_table_and_refusals(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let ((meal, _, bath), (ankang, _)) = set_up(&t, &city).await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    // 85 and not assessed, no 特困/低保: 高龄 100. 66 and 轻度失能: nothing yet.
    let old = register(
        &t,
        &street,
        &id("19410101", 51),
        "高龄甲",
        URBAN,
        "family",
        None,
    )
    .await;
    let mild = register(
        &t,
        &street,
        &id("19600606", 53),
        "轻度乙",
        URBAN,
        "family",
        Some("1"),
    )
    .await;
    let allowance = |street: &Session, pid: i64| {
        let (t, street) = (&t, street.clone());
        async move {
            ok(t.get_as(&street, &format!("/api/v1/elderly/people/{pid}"))
                .await)
            .await["allowance"]
                .clone()
        }
    };
    assert_eq!(allowance(&street, old).await["monthly"], "100.00");
    assert_eq!(allowance(&street, mild).await["monthly"], "0.00");
    let by_allowance = |pid: i64| {
        json!({"person_id": pid, "service_id": bath, "quantity": 1, "payment": "allowance",
               "requested_by": "self", "requester": "本人"})
    };
    let r = t
        .post_json_as(&street, "/api/v1/homecare/orders", &by_allowance(mild))
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("不属于政府购买服务对象"), "{}", r.body);
    // From 2026-12 高龄 gets 150; this month stays 100. The city counts 轻度失能 (level 1)
    // from this month.
    let set = |body: Value| {
        let (t, city) = (&t, &city);
        async move {
            t.post_json_as(city, "/api/v1/homecare/allowances", &body)
                .await
        }
    };
    let done = ok(set(
        json!({"category": "高龄", "effective_from": "2026-12", "monthly": "150", "threshold": 80}),
    )
    .await)
    .await;
    assert!(done["message"].as_str().unwrap().contains("80 周岁及以上"));
    ok(set(json!({"category": "disabled", "effective_from": "2026-11", "monthly": "200", "threshold": "1"})).await).await;
    assert_eq!(allowance(&street, old).await["monthly"], "100.00");
    assert_eq!(allowance(&street, mild).await["monthly"], "200.00");
    let placed = ok(t
        .post_json_as(&street, "/api/v1/homecare/orders", &by_allowance(mild))
        .await)
    .await;
    assert_eq!(placed["order"]["subsidy"], "80.00");
    // A new price applies to new orders only.
    let services = ok(t.get_as(&street, "/api/v1/homecare/services").await).await;
    let bath_row = services["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == bath)
        .unwrap()
        .clone();
    assert_eq!(services["allowances"][2]["threshold"], 80);
    assert_eq!(services["allowance_history"].as_array().unwrap().len(), 6);
    ok(t.post_json_as(
        &city,
        &format!("/api/v1/homecare/services/{bath}"),
        &json!({"version": bath_row["version"], "price": "90", "active": "1"}),
    )
    .await)
    .await;
    let oid = placed["order"]["id"].as_i64().unwrap();
    let still = ok(t
        .get_as(&street, &format!("/api/v1/homecare/orders/{oid}"))
        .await)
    .await;
    assert_eq!(still["order"]["amount"], "80.00");
    // In December (the injected clock), 高龄 is 150 and the month starts afresh.
    t.clock.advance(Duration::days(2));
    let street = t.login(&street.user).await;
    let city = t.login(&city.user).await;
    assert_eq!(allowance(&street, old).await["monthly"], "150.00");
    assert_eq!(allowance(&street, mild).await["remaining"], "200.00");

    // The city's inputs are checked; other roles cannot change them.
    let refused = |path: &'static str, body: Value, needle: &'static str| {
        let (t, city) = (&t, &city);
        async move {
            let r = t.post_json_as(city, path, &body).await;
            assert!(r.status == 422 || r.status == 409, "{path}: {}", r.body);
            assert!(r.body.contains(needle), "{path}: {}", r.body);
        }
    };
    refused(
        "/api/v1/homecare/services",
        json!({"kind": "助眠", "name": "x", "unit": "次", "price": "1"}),
        "「服务类别」",
    )
    .await;
    refused(
        "/api/v1/homecare/services",
        json!({"kind": "meal", "name": "助餐（午餐）", "unit": "餐", "price": "12"}),
        "已在目录中",
    )
    .await;
    refused(
        "/api/v1/homecare/providers",
        json!({"name": "某服务社", "areas": "369902009"}),
        "「服务区域」",
    )
    .await;
    refused(
        "/api/v1/homecare/providers",
        json!({"name": "安康居家养老服务中心", "areas": "369902"}),
        "已登记",
    )
    .await;
    refused(
        "/api/v1/homecare/allowances",
        json!({"category": "aged", "effective_from": "2027-01-15", "monthly": "1", "threshold": 80}),
        "「起始月份」",
    )
    .await;
    let reviewer = t.signed_in(Role::DistrictReviewer, "369902").await;
    let denied = t
        .post_json_as(
            &reviewer,
            "/api/v1/homecare/allowances",
            &json!({"category": "aged", "effective_from": "2027-01", "monthly": "1", "threshold": 80}),
        )
        .await;
    assert_eq!(denied.status, 403);
    // A stopped provider is no longer offered for dispatch.
    let providers = ok(t.get_as(&street, "/api/v1/homecare/providers").await).await;
    let version = providers["providers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == ankang)
        .unwrap()["version"]
        .clone();
    ok(t.post_json_as(
        &city,
        &format!("/api/v1/homecare/providers/{ankang}"),
        &json!({"version": version, "phone": "", "active": "0", "areas": "369902001"}),
    )
    .await)
    .await;
    let meal_order = ok(t
        .post_json_as(
            &street,
            "/api/v1/homecare/orders",
            &json!({"person_id": old, "service_id": meal, "quantity": "2", "payment": "self",
                    "requested_by": "worker", "requester": "社区张"}),
        )
        .await)
    .await;
    let mid = meal_order["order"]["id"].as_i64().unwrap();
    let r = t
        .post_json_as(
            &street,
            &format!("/api/v1/homecare/orders/{mid}/dispatch"),
            &json!({"version": 1, "provider_id": ankang}),
        )
        .await;
    assert_eq!(r.status, 422);
    let page = t.get_as(&street, &format!("/homecare/orders/{mid}")).await;
    assert!(page.body.contains("没有服务该社区的服务商"));
    // Ending a registration cancels the orders not yet served.
    let p = ok(t
        .get_as(&street, &format!("/api/v1/elderly/people/{old}"))
        .await)
    .await;
    ok(t.post_json_as(
        &street,
        &format!("/api/v1/elderly/people/{old}/leave"),
        &json!({"version": p["person"]["version"], "reason": "moved", "left_on": "2026-12-01"}),
    )
    .await)
    .await;
    let gone = ok(t
        .get_as(&street, &format!("/api/v1/homecare/orders/{mid}"))
        .await)
    .await;
    assert_eq!(gone["order"]["status"], "cancelled");
    assert!(
        gone["order"]["cancel_reason"]
            .as_str()
            .unwrap()
            .contains("迁出")
    );
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('homecare.allowance.set', 'homecare.service.update', 'homecare.provider.update')",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(audited, 4);
    t.finish().await;
}
