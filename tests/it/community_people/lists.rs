//! The two lists, certificates against them and the counts per quarter.

use minzheng::auth::Role;
use minzheng::protect::SensitiveKind;
use serde_json::{Value, json};
use sqlx::Row;

use super::{OTHER, add_entry, audit_count, ok, refused};
use crate::common::{Backend, TestApp};
use crate::compare::{URBAN, id};
use crate::on_both_backends;

on_both_backends!(lists_certificates_and_quarter_counts);

async fn lists_certificates_and_quarter_counts(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let east = t.signed_in(Role::DistrictApprover, "369902").await;
    let county = t.signed_in(Role::DistrictApprover, "369921").await;
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;

    let residence = add_entry(
        &t,
        &city,
        "certificate",
        "369900",
        "居民居住情况证明",
        "2026-01-01",
    )
    .await;
    let record = add_entry(
        &t,
        &city,
        "certificate",
        "369900",
        "无犯罪记录证明",
        "2025-06-01",
    )
    .await;
    let sorting = add_entry(
        &t,
        &city,
        "workitem",
        "369900",
        "垃圾分类宣传",
        "2025-06-01",
    )
    .await;
    let rating = add_entry(&t, &east, "workitem", "", "创建达标评比", "2025-06-01").await;
    let county_item = add_entry(
        &t,
        &county,
        "certificate",
        "369921",
        "山林权属证明",
        "2026-01-01",
    )
    .await;
    // The same current item again: refused, pointing to the entry.
    let again = json!({"list": "certificate", "region": "369900", "name": "居民居住情况证明"});
    let body = refused(
        t.post_json_as(&city, "/api/v1/community/lists", &again)
            .await,
        409,
    )
    .await;
    assert!(body.contains(&format!("编号 {residence}")), "{body}");
    // A district manages its own lists only; a community worker none.
    let bad = json!({"list": "workitem", "region": "369900", "name": "某事项"});
    let body = refused(
        t.post_json_as(&east, "/api/v1/community/lists", &bad).await,
        422,
    )
    .await;
    assert!(body.contains("「发布单位」"), "{body}");
    assert_eq!(
        t.post_json_as(&worker, "/api/v1/community/lists", &bad)
            .await
            .status,
        403
    );
    let unknown = json!({"list": "清单", "name": "某事项"});
    assert!(
        refused(
            t.post_json_as(&city, "/api/v1/community/lists", &unknown)
                .await,
            422
        )
        .await
        .contains("「清单」")
    );

    // Removals: with a reason, not before the day added, never twice, within scope.
    let remove = |on: &str, reason: &str, version: i64| json!({"removed_on": on, "reason": reason, "version": version});
    let path = |id: i64| format!("/api/v1/community/lists/{id}/remove");
    assert_eq!(
        t.post_json_as(&east, &path(record), &remove("2026-09-30", "由公安出具", 1))
            .await
            .status,
        404
    );
    assert!(
        refused(
            t.post_json_as(&city, &path(record), &remove("2026-09-30", " ", 1))
                .await,
            422
        )
        .await
        .contains("「移出原因」")
    );
    assert!(
        refused(
            t.post_json_as(&city, &path(record), &remove("2025-05-31", "由公安出具", 1))
                .await,
            422
        )
        .await
        .contains("早于")
    );
    assert!(
        refused(
            t.post_json_as(&city, &path(record), &remove("2026-11-30", "由公安出具", 1))
                .await,
            422
        )
        .await
        .contains("晚于今天")
    );
    assert_eq!(
        t.post_json_as(&city, &path(record), &remove("2026-09-30", "由公安出具", 9))
            .await
            .status,
        409
    );
    let removed = ok(t
        .post_json_as(
            &city,
            &path(record),
            &remove("2026-09-30", "由公安机关出具", 1),
        )
        .await)
    .await;
    assert_eq!(removed["entry"]["removed_on"], "2026-09-30");
    assert_eq!(removed["entry"]["listed"], false);
    assert!(
        refused(
            t.post_json_as(&city, &path(record), &remove("2026-10-01", "再移", 2))
                .await,
            422
        )
        .await
        .contains("不能再次移出")
    );
    ok(t.post_json_as(
        &east,
        &path(rating),
        &remove("2026-07-01", "清理评比达标", 1),
    )
    .await)
    .await;

    // The worker sees the city's and the own district's lists, removed entries included,
    // not the county's.
    let lists = ok(t.get_as(&worker, "/api/v1/community/lists").await).await;
    let ids: Vec<i64> = lists["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    for id in [residence, record, sorting, rating] {
        assert!(ids.contains(&id), "{id} in {ids:?}");
    }
    assert!(!ids.contains(&county_item));
    let page = t.get_as(&worker, "/community/lists").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("由公安机关出具") && page.body.contains("创建达标评比"));
    assert!(!page.body.contains("/remove") && !page.body.contains("list-form"));
    // The city removes its own entries and the districts'; the district only its own.
    let admin = t.get_as(&city, "/community/lists").await;
    assert!(
        admin
            .body
            .contains(&format!("/community/lists/{sorting}/remove"))
    );
    let district = t.get_as(&east, "/community/lists").await;
    assert!(
        !district
            .body
            .contains(&format!("/community/lists/{sorting}/remove"))
    );
    assert!(district.body.contains("list-form"));

    // Issuing: a listed item by number or by name.
    let person = id("19800101", 11);
    let issue = |item: Value, on: &str, community: &str| {
        json!({"community": community, "item": item, "person_name": "张三", "id_number": person,
               "purpose": "办理遗属抚恤", "issued_on": on})
    };
    let post = |body: Value| {
        let (t, worker) = (&t, &worker);
        async move {
            t.post_json_as(worker, "/api/v1/community/certificates", &body)
                .await
        }
    };
    let issued = ok(post(issue(json!(residence), "2026-11-29", URBAN)).await).await;
    assert_eq!(issued["certificate"]["item"], "居民居住情况证明");
    assert_eq!(
        issued["certificate"]["id_number"],
        format!("369902********{}", &person[14..])
    );
    assert!(
        !issued.to_string().contains(&person),
        "no full ID in the answer"
    );
    // On the day before removal the removed item was listed; on the day of removal not.
    ok(post(issue(json!("无犯罪记录证明"), "2026-09-29", URBAN)).await).await;
    let body = refused(
        post(issue(json!("无犯罪记录证明"), "2026-09-30", URBAN)).await,
        422,
    )
    .await;
    assert!(
        body.contains("已于 2026-09-30 移出") && body.contains("由公安机关出具"),
        "{body}"
    );
    let body = refused(post(issue(json!(record), "2026-11-29", URBAN)).await, 422).await;
    assert!(body.contains("移出"), "{body}");
    // Before it was listed; unlisted; another district's item; a work item.
    assert!(
        refused(
            post(issue(json!(residence), "2025-12-31", URBAN)).await,
            422
        )
        .await
        .contains("尚未列入")
    );
    for item in [json!("出生证明"), json!(county_item)] {
        let body = refused(post(issue(item, "2026-11-29", URBAN)).await, 422).await;
        assert!(
            body.contains("不在本社区适用的社区证明事项清单中"),
            "{body}"
        );
    }
    assert!(
        refused(post(issue(json!(sorting), "2026-11-29", URBAN)).await, 422)
            .await
            .contains("不是社区证明事项")
    );
    assert!(
        refused(
            post(issue(json!(residence), "2026-11-29", OTHER)).await,
            422
        )
        .await
        .contains("「社区/村」")
    );
    assert!(
        refused(
            post(issue(json!(residence), "2026-11-30", URBAN)).await,
            422
        )
        .await
        .contains("晚于今天")
    );
    let mut bad_id = issue(json!(residence), "2026-11-29", URBAN);
    bad_id["id_number"] = json!("369902198001011234");
    assert!(
        refused(post(bad_id).await, 422)
            .await
            .contains("「身份证号」")
    );
    // The six refused by the lists are audited (not the bad inputs).
    assert_eq!(
        audit_count(&t, "community.certificate.issue", "failure").await,
        6
    );
    // The quarter's first day counts in it.
    ok(post(issue(json!(residence), "2026-10-01", URBAN)).await).await;
    assert_eq!(
        audit_count(&t, "community.certificate.issue", "success").await,
        3
    );

    // Sealed at rest with the members' blind index.
    let raw = sqlx::query("SELECT id_number_sealed, id_number_index FROM community_certificates")
        .fetch_all(t.database().pool())
        .await
        .unwrap();
    assert_eq!(raw.len(), 3);
    let sealed: String = raw[0].try_get(0).unwrap();
    let index: String = raw[0].try_get(1).unwrap();
    assert!(!sealed.contains(&person));
    assert_eq!(
        index,
        t.app.state.keyring.index(SensitiveKind::IdNumber, &person)
    );

    // Per quarter: 2026Q4 two certificates; 2026Q3 one certificate, the certificate item
    // removed on its last day and the work item removed on 07-01.
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let counts = ok(t
        .get_as(
            &street,
            "/api/v1/community/certificates/quarters?quarter=2026Q4",
        )
        .await)
    .await;
    let quarters = counts["quarters"].as_array().unwrap();
    assert_eq!(quarters.len(), 8);
    let q = |name: &str| {
        quarters
            .iter()
            .find(|q| q["quarter"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(
        (
            q("2026Q4")["certificates"].as_i64(),
            q("2026Q4")["certificate_items_removed"].as_i64()
        ),
        (Some(2), Some(0))
    );
    assert_eq!(q("2026Q3")["certificates"], 1);
    assert_eq!(q("2026Q3")["certificate_items_removed"], 1);
    assert_eq!(q("2026Q3")["workitems_removed"], 1);
    assert_eq!(q("2026Q2")["certificates"], 0);
    // The county sees none of 东湖区's certificates or removals, only the city's.
    let county_counts = ok(t
        .get_as(
            &county,
            "/api/v1/community/certificates/quarters?quarter=2026Q4",
        )
        .await)
    .await;
    let cq = county_counts["quarters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["quarter"] == "2026Q3")
        .unwrap()
        .clone();
    assert_eq!(
        (
            cq["certificates"].as_i64(),
            cq["workitems_removed"].as_i64(),
            cq["certificate_items_removed"].as_i64()
        ),
        (Some(0), Some(0), Some(1))
    );
    assert!(
        t.get_as(
            &street,
            "/api/v1/community/certificates/quarters?quarter=2026Q5"
        )
        .await
        .body
        .contains("季度")
    );
    let list = ok(t
        .get_as(&street, "/api/v1/community/certificates?quarter=2026Q3")
        .await)
    .await;
    assert_eq!(list["certificates"].as_array().unwrap().len(), 1);
    // Finding a person's certificates is a POST.
    let found = ok(t
        .post_json_as(
            &street,
            "/api/v1/community/certificates/find",
            &json!({"id_number": person}),
        )
        .await)
    .await;
    assert_eq!(found["certificates"].as_array().unwrap().len(), 3);
    let page = t
        .get_as(&street, "/community/certificates?quarter=2026Q4")
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("居民居住情况证明") && !page.body.contains(&person));
    t.finish().await;
}
