//! Older people (DOMAIN.md §4): registration checked against the ID (60 and over on the
//! injected clock), the 特困/低保 link found through the blind index and never retyped,
//! the month's home-care allowance, scope, masking, versions, and the visit schedule
//! with its overdue list per street and community.

use chrono::NaiveDate;
use minzheng::auth::Role;
use minzheng::calendar::{Clock, ManualClock};
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Backend, Session, TestApp, TestResponse};
use crate::compare::{URBAN, household, id};
use crate::on_both_backends;

on_both_backends!(
    registration_link_allowance_and_scope,
    visit_schedule_and_overdue_list
);

pub(crate) const OTHER: &str = "369902001002";

pub(crate) async fn ok(r: TestResponse) -> Value {
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

/// Registers an older person through the API; returns the person's id.
pub(crate) async fn register(
    t: &TestApp,
    s: &Session,
    id_number: &str,
    name: &str,
    community: &str,
    living: &str,
    level: Option<&str>,
) -> i64 {
    let body = json!({
        "id_number": id_number, "name": name, "community": community, "living": living,
        "ability_level": level.unwrap_or(""), "assessed_on": if level.is_some() { "2026-10-01" } else { "" },
        "phone": "13912345678",
    });
    let r = ok(t.post_json_as(s, "/api/v1/elderly/people", &body).await).await;
    r["person"]["id"].as_i64().unwrap()
}

fn set_day(clock: &ManualClock, day: &str) {
    let d = NaiveDate::parse_from_str(day, "%Y-%m-%d").unwrap();
    clock.set(ManualClock::at_date(d).now());
}

async fn registration_link_allowance_and_scope(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;
    // 王秀英, born 1946-03-08: 80 on 2026-11-29, in a 低保 household in force.
    let wang = id("19460308", 22);
    let (_, wang_case) = household(&t, "H1", URBAN, "dibao", "active", &[("王秀英", &wang)]).await;
    let refused = |body: Value| {
        let (t, worker) = (&t, &worker);
        async move {
            let r = t
                .post_json_as(worker, "/api/v1/elderly/people", &body)
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            r.body
        }
    };
    let good = json!({"id_number": wang, "name": "王秀英", "community": URBAN, "living": "独居",
                      "ability_level": "", "assessed_on": "", "phone": ""});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    // 59 until tomorrow: refused by the ID's birth date on the injected clock.
    let young = id("19661130", 31);
    assert!(
        refused(with("id_number", json!(young)))
            .await
            .contains("未满 60")
    );
    assert!(
        refused(with("id_number", json!("369902194603082")))
            .await
            .contains("15 位")
    );
    // The neighbouring community is outside a community worker's scope.
    assert!(
        refused(with("community", json!(OTHER)))
            .await
            .contains("「社区/村」")
    );
    assert!(
        refused(with("living", json!("同住")))
            .await
            .contains("「居住情况」")
    );
    assert!(
        refused(with("ability_level", json!("2")))
            .await
            .contains("「评估日期」")
    );

    let registered = ok(t
        .post_json_as(&worker, "/api/v1/elderly/people", &good)
        .await)
    .await;
    let person = &registered["person"];
    let pid = person["id"].as_i64().unwrap();
    assert_eq!(person["age"], 80);
    assert_eq!(person["sex"], "女");
    assert_eq!(person["dibao"], true, "linked through the blind index");
    assert_eq!(person["tekun"], false);
    assert_eq!(
        person["id_number"],
        format!("369902********{}", &wang[14..])
    );
    assert!(
        !registered.to_string().contains(&wang),
        "no full ID in the answer"
    );
    // 低保 200 and 高龄 (80+) 100: the higher, 200, with nothing used yet.
    let allowance = &registered["allowance"];
    assert_eq!(allowance["month"], "2026-11");
    assert_eq!(allowance["monthly"], "200.00");
    assert_eq!(allowance["remaining"], "200.00");
    assert_eq!(
        allowance["categories"],
        json!([["dibao", "低保对象", "200.00"], ["aged", "高龄", "100.00"]])
    );
    // The same ID again: refused, pointing to the record.
    let again = t
        .post_json_as(&worker, "/api/v1/elderly/people", &good)
        .await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains(&format!("编号 {pid}")));
    // The raw table holds no plaintext ID, and the blind index is the members' one.
    let raw = sqlx::query("SELECT id_number_sealed, id_number_index FROM older_people")
        .fetch_one(t.database().pool())
        .await
        .unwrap();
    let sealed: String = raw.try_get(0).unwrap();
    assert!(!sealed.contains(&wang));
    let member_index: String = sqlx::query("SELECT id_number_index FROM members")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(raw.try_get::<String, _>(1).unwrap(), member_index);

    // The link follows the case: once it ends, 低保 no longer applies (高龄 100 does).
    sqlx::query("UPDATE cases SET status = 'exited' WHERE id = $1")
        .bind(wang_case)
        .execute(t.database().pool())
        .await
        .unwrap();
    let path = format!("/api/v1/elderly/people/{pid}");
    let now = ok(t.get_as(&worker, &path).await).await;
    assert_eq!(now["person"]["dibao"], false);
    assert_eq!(now["allowance"]["monthly"], "100.00");

    // A new assessment: 重度失能 (3) makes 失能 200 apply. A stale version is refused.
    let version = now["person"]["version"].as_i64().unwrap();
    let update = json!({"version": version, "ability_level": "3", "assessed_on": "2026-11-20",
                        "living": "alone", "visit_every_days": ""});
    let updated = ok(t.post_json_as(&worker, &path, &update).await).await;
    assert_eq!(updated["person"]["ability_label"], "重度失能");
    assert_eq!(updated["allowance"]["monthly"], "200.00");
    assert_eq!(updated["person"]["phone"], Value::Null);
    let stale = t.post_json_as(&worker, &path, &update).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    // Fields left out keep their values: only the living situation changes here.
    let version = updated["person"]["version"].as_i64().unwrap();
    let moved = ok(t
        .post_json_as(
            &worker,
            &path,
            &json!({"version": version, "living": "空巢"}),
        )
        .await)
    .await;
    assert_eq!(moved["person"]["living"], "empty_nest");
    assert_eq!(moved["person"]["ability_level"], 3);
    assert_eq!(moved["person"]["assessed_on"], "2026-11-20");
    assert_eq!(moved["person"]["visit_interval"], 30);

    // Scope: the street sees the person; another district's street neither lists nor
    // reaches the record.
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let listed = ok(t.get_as(&street, "/api/v1/elderly/people").await).await;
    assert_eq!(listed["total"], 1);
    let far = t.signed_in(Role::StreetCaseworker, "369921001").await;
    let none = ok(t.get_as(&far, "/api/v1/elderly/people").await).await;
    assert_eq!(none["total"], 0);
    assert_eq!(t.get_as(&far, &path).await.status, 404);
    assert_eq!(
        t.get_as(&far, &format!("/elderly/people/{pid}"))
            .await
            .status,
        404
    );
    // Found by ID number (a POST) or name, only in scope.
    let found = ok(t
        .post_json_as(&street, "/api/v1/elderly/people/find", &json!({"q": wang}))
        .await)
    .await;
    assert_eq!(found["people"][0]["id"], pid);
    let by_name = ok(t
        .post_json_as(
            &street,
            "/api/v1/elderly/people/find",
            &json!({"q": "王秀英"}),
        )
        .await)
    .await;
    assert_eq!(by_name["people"].as_array().unwrap().len(), 1);
    let elsewhere = ok(t
        .post_json_as(&far, "/api/v1/elderly/people/find", &json!({"q": wang}))
        .await)
    .await;
    assert!(elsewhere["people"].as_array().unwrap().is_empty());
    // Pages show the masked number, never the full one.
    let page = t.get_as(&street, &format!("/elderly/people/{pid}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("王秀英") && !page.body.contains(&wang));
    assert!(page.body.contains("id=\"allowance-remaining\""));
    let list = t.get_as(&street, "/elderly/people").await;
    assert!(list.body.contains("王秀英") && !list.body.contains(&wang));
    // An auditor reads but cannot register.
    let auditor = t.signed_in(Role::Auditor, "369900").await;
    assert_eq!(t.get_as(&auditor, &path).await.status, 200);
    assert_eq!(
        t.post_json_as(&auditor, "/api/v1/elderly/people", &good)
            .await
            .status,
        403
    );
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('elderly.person.register', 'elderly.person.update')",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(audited, 3);
    t.finish().await;
}

async fn visit_schedule_and_overdue_list(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    // Registered on 2026-11-01 (the injected clock), looked at on 2026-11-29.
    set_day(&t.clock, "2026-11-01");
    let a = register(
        &t,
        &street,
        &id("19400101", 11),
        "独居甲",
        URBAN,
        "alone",
        None,
    )
    .await;
    let b = register(
        &t,
        &street,
        &id("19400102", 13),
        "独居乙",
        URBAN,
        "alone",
        None,
    )
    .await;
    let c = register(
        &t,
        &street,
        &id("19400103", 15),
        "空巢丙",
        URBAN,
        "empty_nest",
        None,
    )
    .await;
    register(
        &t,
        &street,
        &id("19400104", 17),
        "同住丁",
        URBAN,
        "family",
        None,
    )
    .await;
    let e = register(
        &t,
        &street,
        &id("19400105", 19),
        "失独戊",
        OTHER,
        "bereaved",
        None,
    )
    .await;
    set_day(&t.clock, "2026-11-22");
    let visit = |pid: i64, body: Value| {
        let (t, street) = (&t, &street);
        async move {
            t.post_json_as(
                street,
                &format!("/api/v1/elderly/people/{pid}/visits"),
                &body,
            )
            .await
        }
    };
    let visited = ok(visit(
        b,
        json!({"visited_on": "2026-11-22", "way": "上门", "visitor": "李社工", "notes": "身体尚好"}),
    )
    .await)
    .await;
    assert_eq!(visited["person"]["next_visit"], "2026-11-29");
    set_day(&t.clock, "2026-11-29");
    // A visit in the future or of an unknown kind is refused.
    let r = visit(
        a,
        json!({"visited_on": "2026-11-30", "way": "home", "visitor": "李社工"}),
    )
    .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("「探访日期」"));
    let r = visit(
        a,
        json!({"visited_on": "2026-11-29", "way": "视频", "visitor": "李社工"}),
    )
    .await;
    assert!(r.status == 422 && r.body.contains("「探访方式」"));
    // 空巢丙 gets an own interval of 14 days: due 11-15, 14 days overdue.
    let path = format!("/api/v1/elderly/people/{c}");
    let version = ok(t.get_as(&street, &path).await).await["person"]["version"]
        .as_i64()
        .unwrap();
    ok(t.post_json_as(
        &street,
        &path,
        &json!({"version": version, "living": "empty_nest", "visit_every_days": "14"}),
    )
    .await)
    .await;

    // 甲: 11-01 + 7 = 11-08, 21 days overdue; 乙: visited 11-22, due today, not overdue;
    // 丙: 14 days; 丁 lives with family (no schedule); 戊 in the other community: 21.
    let list = ok(t.get_as(&street, "/api/v1/elderly/visits/overdue").await).await;
    assert_eq!(list["overdue"], 3, "{list}");
    let streets = list["streets"].as_array().unwrap();
    assert_eq!(streets.len(), 1);
    assert_eq!(streets[0]["name"], "解放街道");
    assert_eq!(
        (
            streets[0]["scheduled"].as_i64(),
            streets[0]["overdue"].as_i64()
        ),
        (Some(4), Some(3))
    );
    let communities = streets[0]["communities"].as_array().unwrap();
    assert_eq!(communities[0]["name"], "幸福社区");
    let lines: Vec<(&str, i64)> = communities[0]["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["name"].as_str().unwrap(),
                p["days_overdue"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(lines, [("独居甲", 21), ("空巢丙", 14)]);
    assert_eq!(communities[1]["overdue"][0]["name"], "失独戊");
    assert_eq!(communities[1]["overdue"][0]["next_visit"], "2026-11-08");
    // The community worker of 幸福社区 sees only its own; a community as a filter too.
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;
    let own = ok(t.get_as(&worker, "/api/v1/elderly/visits/overdue").await).await;
    assert_eq!(own["overdue"], 2);
    let filtered = ok(t
        .get_as(
            &street,
            &format!("/api/v1/elderly/visits/overdue?region={OTHER}"),
        )
        .await)
    .await;
    assert_eq!(filtered["overdue"], 1);
    assert_eq!(
        t.get_as(
            &worker,
            &format!("/api/v1/elderly/visits/overdue?region={OTHER}")
        )
        .await
        .status,
        422
    );
    // Visiting 甲 today takes them off the list; 戊's registration ends (death).
    ok(visit(
        a,
        json!({"visited_on": "2026-11-29", "way": "phone", "visitor": "李社工"}),
    )
    .await)
    .await;
    let e_path = format!("/api/v1/elderly/people/{e}");
    let version = ok(t.get_as(&street, &e_path).await).await["person"]["version"]
        .as_i64()
        .unwrap();
    let left = ok(t
        .post_json_as(
            &street,
            &format!("{e_path}/leave"),
            &json!({"version": version, "reason": "death", "left_on": "2026-11-20"}),
        )
        .await)
    .await;
    assert_eq!(left["person"]["left_reason"], "死亡");
    assert!(left["allowance"].is_null());
    let list = ok(t.get_as(&street, "/api/v1/elderly/visits/overdue").await).await;
    assert_eq!(list["overdue"], 1);
    assert_eq!(
        list["streets"][0]["communities"][0]["overdue"][0]["name"],
        "空巢丙"
    );
    // Ended registrations are listed apart.
    let ended = ok(t
        .get_as(&street, "/api/v1/elderly/people?status=left")
        .await)
    .await;
    assert_eq!(ended["total"], 1);
    let current = ok(t.get_as(&street, "/api/v1/elderly/people").await).await;
    assert_eq!(current["total"], 4);
    // The page.
    let page = t.get_as(&street, "/elderly/visits/overdue").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("空巢丙") && page.body.contains("逾期 1 人"));
    let audited: i64 =
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'elderly.visit.add'")
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(audited, 2);
    t.finish().await;
}
