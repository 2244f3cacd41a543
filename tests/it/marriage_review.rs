//! Marriage registration, the review's findings: every registration with usable IDs makes
//! the registry's view of a person, 合格 or not (rebuilt in date order whatever order the
//! records came in; a changed mark audited), records without an ID kept but not indexed
//! as a person, a death recorded later re-auditing the person's registrations, another
//! district's divorce application not described, the ledger import waiting for a
//! person locked at the counter (PostgreSQL), a party with a death on
//! record refused, the ledger's errors saying nothing of other districts' records, the
//! certificate numbers running out cleanly, and counselling linked to a couple's divorce
//! application with the applications withdrawn after counselling counted.

use minzheng::affairs::marriage_ledger;
use minzheng::audit::{Actor, AuditEvent};
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::protect::SensitiveKind;
use serde_json::{Value, json};

use crate::common::{Backend, Session, TestApp};
use crate::marriage::{APPLY, HEAD, REGISTER, couple, id, import, ok, on, refused};
use crate::on_both_backends;

on_both_backends!(
    failing_records_still_stand_in_the_registry,
    a_death_recorded_later_reaudits_the_registrations,
    a_second_application_elsewhere_is_not_described,
    the_import_waits_for_a_person_locked_at_the_counter,
    a_death_on_record_refuses_and_frees,
    ledger_errors_keep_to_the_district,
    certificate_numbers_run_out_cleanly,
    counselling_with_a_couple_in_cooling_off,
    one_number_on_both_sides_is_a_bad_record_not_a_failed_import,
);

/// A record with the same ID for both parties (a typing slip in an old register) is kept
/// and marked 不合格; it makes no status (nobody is married to themselves) and does not
/// break the import on the registry's one-row-per-person-and-registration rule.
async fn one_number_on_both_sides_is_a_bad_record_not_a_failed_import(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let a = id("1990-01-01", 11);
    let csv = format!("{HEAD}结婚,2026-08-01,J369902-2026-000001,甲,{a},乙,{a},369902,\n");
    import(&t, &csv).await.expect("the import goes through");
    let (compliant, _) = mark(&t, "J369902-2026-000001").await;
    assert_eq!(compliant, 0);
    let statuses: i64 = sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM marital_statuses")
        .fetch_one(t.database().pool())
        .await
        .unwrap();
    assert_eq!(statuses, 0);
    t.finish().await;
}

async fn find(t: &TestApp, s: &Session, id_number: &str) -> Value {
    ok(t.post_json_as(
        s,
        "/api/v1/affairs/marriage/find",
        &json!({"id_number": id_number}),
    )
    .await)
}

async fn mark(t: &TestApp, certificate: &str) -> (i64, String) {
    let (c, f): (i64, Option<String>) = sqlx::query_as(
        "SELECT compliant, failed_rule FROM marriage_registrations WHERE certificate_no = $1",
    )
    .bind(certificate)
    .fetch_one(t.database().pool())
    .await
    .unwrap();
    (c, f.unwrap_or_default())
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
}

/// A married to B on 07-01, then "married" to C on 08-01 (bigamous): the second is kept,
/// 不合格, and still stands in the registry (a registration stands until a court voids
/// it): A is married to both, C to A — whichever of the two records was imported first.
/// The mark that changed is audited on its own.
async fn failing_records_still_stand_in_the_registry(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    let (a, b, c) = (
        id("1990-01-01", 11),
        id("1992-01-01", 22),
        id("1993-01-01", 24),
    );
    // The bigamous record first: on its own it looks fine.
    let later = format!("{HEAD}结婚,2026-08-01,J369902-2026-000002,甲,{a},丙,{c},369902,\n");
    import(&t, &later).await.unwrap();
    assert_eq!(mark(&t, "J369902-2026-000002").await.0, 1);
    // Then the earlier marriage arrives: the 08-01 one becomes bigamous.
    let earlier = format!("{HEAD}结婚,2026-07-01,J369902-2026-000001,甲,{a},乙,{b},369902,\n");
    import(&t, &earlier).await.unwrap();
    assert_eq!(mark(&t, "J369902-2026-000001").await, (1, String::new()));
    let (ok_, rule) = mark(&t, "J369902-2026-000002").await;
    assert_eq!(ok_, 0);
    assert!(rule.contains("男方无配偶"), "{rule}");
    // The re-audit that turned it 不合格 is in the audit log: the registration, its
    // number, the mark before and after.
    let details: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'marriage.reaudit' ORDER BY seq",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap();
    assert_eq!(details.len(), 1, "{details:?}");
    let entry: Value = serde_json::from_str(&details[0]).unwrap();
    assert_eq!(entry["certificate_no"], "J369902-2026-000002", "{entry}");
    assert_eq!(entry["before"]["mark"], "合格", "{entry}");
    assert_eq!(entry["after"]["mark"], "不合格", "{entry}");
    assert!(
        entry["after"]["failed_rule"]
            .as_str()
            .unwrap()
            .contains("男方无配偶"),
        "{entry}"
    );
    // The failing registration's statuses stand (two: one for each party).
    assert_eq!(
        count(
            &t,
            "SELECT COUNT(*) FROM marital_statuses s JOIN marriage_registrations r \
             ON r.id = s.registration_id WHERE r.compliant = 0"
        )
        .await,
        2
    );
    // A's history: married on 08-01 (to C) and on 07-01 (to B). C's: married to A.
    let person = find(&t, &desk, &a).await;
    let lines: Vec<(&str, &str)> = person["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["since"].as_str().unwrap(),
                h["certificate_no"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("2026-08-01", "J369902-2026-000002"),
            ("2026-07-01", "J369902-2026-000001")
        ],
        "{person}"
    );
    let person = find(&t, &desk, &c).await;
    assert_eq!(person["history"][0]["status_label"], "已婚", "{person}");
    assert_eq!(
        person["history"][0]["certificate_no"],
        "J369902-2026-000002"
    );
    // At the counter: A is married (twice), C is married to A; each refusal names the
    // registration that stands in the way.
    let r = t
        .post_json_as(&desk, REGISTER, &couple(&a, &id("1994-01-01", 26)))
        .await;
    assert!(r.body.contains("J369902-2026-000001"), "{}", r.body);
    assert!(r.body.contains("J369902-2026-000002"), "{}", r.body);
    refused(r, "男方无配偶");
    let r = t
        .post_json_as(&desk, REGISTER, &couple(&id("1991-01-01", 13), &c))
        .await;
    assert!(
        r.body.contains("结婚证号 J369902-2026-000002"),
        "{}",
        r.body
    );
    refused(r, "女方无配偶");
    // Another district's desk is told why, but not the other registry's number.
    let west = t.signed_in(Role::DistrictReviewer, "369921").await;
    let r = t
        .post_json_as(&west, REGISTER, &{
            let mut w = couple(&id("1991-01-01", 13), &c);
            w["office"] = json!("369921");
            w
        })
        .await;
    assert!(!r.body.contains("J369902"), "{}", r.body);
    assert!(r.body.contains("辖区外登记机关的结婚登记"), "{}", r.body);
    refused(r, "女方无配偶");
    // Records without the man's ID: kept, 不合格 「身份证号缺失」, and not one shared person.
    let (w1, w2) = (id("1995-01-01", 28), id("1996-01-01", 42));
    let blank = format!(
        "{HEAD}结婚,2026-07-10,J369902-2026-000010,丁,,戊,{w1},369902,\n\
         结婚,2026-07-11,J369902-2026-000011,己,,庚,{w2},369902,\n"
    );
    import(&t, &blank).await.unwrap();
    for cert in ["J369902-2026-000010", "J369902-2026-000011"] {
        let (ok_, rule) = mark(&t, cert).await;
        assert_eq!(ok_, 0);
        assert!(rule.contains("身份证号缺失"), "{rule}");
    }
    let blank_index = t.app.state.keyring.index(SensitiveKind::IdNumber, "");
    let shared: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM marriage_registrations WHERE man_id_index = $1")
            .bind(&blank_index)
            .fetch_one(t.database().pool())
            .await
            .unwrap();
    assert_eq!(shared, 0);
    // Their women are free to marry; the same file again changes nothing.
    ok(
        t.post_json_as(&desk, REGISTER, &couple(&id("1990-02-02", 15), &w1))
            .await,
    );
    let again = import(&t, &blank).await.unwrap();
    assert_eq!((again.created, again.updated), (0, 2));
    t.finish().await;
}

async fn cremated(t: &TestApp, id_number: &str, died_on: &str) {
    let sealed = t.app.state.keyring.seal(SensitiveKind::IdNumber, id_number);
    sqlx::query(
        "INSERT INTO cremations (id_number_sealed, id_number_index, name, died_on, cremated_on, region_code, \
         created_by, created_at) VALUES ($1, $2, '某某', $3, $3, '369902', 'test', '2026-11-29')",
    )
    .bind(&sealed.sealed)
    .bind(&sealed.index)
    .bind(died_on)
    .execute(t.database().pool())
    .await
    .unwrap();
}

/// A party with a cremation record dated on or before the day is refused at the counter
/// and fails the audit of an imported record; the spouse of one who died is free (read
/// when asked: nothing to re-run when the cremation record arrives).
async fn a_death_on_record_refuses_and_frees(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    let (dead, woman) = (id("1980-01-01", 11), id("1985-01-01", 22));
    let (m2, w2) = (id("1981-01-01", 13), id("1986-01-01", 24));
    let csv = format!(
        "{HEAD}结婚,2026-10-01,J369902-2026-000001,甲,{dead},乙,{woman},369902,\n\
         结婚,2026-11-10,J369902-2026-000002,甲,{dead},丁,{w2},369902,\n"
    );
    import(
        &t,
        &format!("{HEAD}结婚,2026-09-01,J369902-2026-000003,丙,{m2},戊,{w2},369902,\n"),
    )
    .await
    .unwrap();
    cremated(&t, &dead, "2026-11-01").await;
    import(&t, &csv).await.unwrap();
    // Before his death: 合格. After it: 不合格, the rule named.
    assert_eq!(mark(&t, "J369902-2026-000001").await.0, 1);
    let (ok_, rule) = mark(&t, "J369902-2026-000002").await;
    assert_eq!(ok_, 0);
    assert!(rule.contains("当事人已死亡"), "{rule}");
    // At the counter, today (2026-11-29): refused naming the rule.
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&dead, &id("1990-01-01", 26)))
            .await,
        "当事人已死亡",
    );
    // His widow may marry again; the wife of the living man may not.
    ok(
        t.post_json_as(&desk, REGISTER, &couple(&id("1982-01-01", 15), &woman))
            .await,
    );
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&id("1983-01-01", 17), &w2))
            .await,
        "女方无配偶",
    );
    t.finish().await;
}

/// A 369902 file naming a certificate number taken by a 369921 record: refused, without
/// that record's day, type or district; a person's history shows no other district's
/// certificate number.
async fn ledger_errors_keep_to_the_district(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let (m, w) = (id("1990-01-01", 11), id("1992-01-01", 22));
    let theirs = format!("{HEAD}结婚,2026-08-03,J369921-2026-000001,甲,{m},乙,{w},369921,\n");
    import(&t, &theirs).await.unwrap();
    let (m2, w2) = (id("1991-01-01", 13), id("1993-01-01", 24));
    let ours =
        format!("{HEAD}离婚,2026-09-30,J369921-2026-000001,丙,{m2},丁,{w2},369902,2026-08-01\n");
    let event = AuditEvent::new(
        t.clock.now_local(),
        &Actor::cli(),
        "ledger.import",
        "ledger",
        marriage_ledger::NAME,
    );
    let east = |code: &str| code.starts_with("369902");
    let refused = marriage_ledger::import(
        t.database(),
        &t.app.state.keyring,
        "m.csv",
        ours.as_bytes(),
        t.clock.today(),
        &east,
        false,
        &event,
    )
    .await;
    let Err(minzheng::ledger::ImportError::Rejected(errors)) = refused else {
        panic!("not refused: {refused:?}");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].column, "证书编号");
    let reason = &errors[0].reason;
    assert!(reason.contains("请核对证书编号"), "{reason}");
    for secret in ["2026-08-03", "结婚", "369921"] {
        assert!(!reason.contains(secret), "{secret} in {reason}");
    }
    // Who sees that record is told what it is.
    let all = |_: &str| true;
    let told = marriage_ledger::import(
        t.database(),
        &t.app.state.keyring,
        "m.csv",
        ours.as_bytes(),
        t.clock.today(),
        &all,
        false,
        &event,
    )
    .await;
    let Err(minzheng::ledger::ImportError::Rejected(errors)) = told else {
        panic!("not refused: {told:?}");
    };
    assert!(errors[0].reason.contains("2026-08-03"), "{errors:?}");
    // They divorce in 369902: its desk sees the status history, but not the number of the
    // other district's certificate.
    let divorce =
        format!("{HEAD}离婚,2026-10-01,L369902-2026-000001,甲,{m},乙,{w},369902,2026-08-20\n");
    import(&t, &divorce).await.unwrap();
    assert_eq!(mark(&t, "L369902-2026-000001").await.0, 1);
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    let person = find(&t, &desk, &m).await;
    let lines: Vec<(String, String)> = person["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["status_label"].as_str().unwrap().to_string(),
                h["certificate_no"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            ("离婚".to_string(), "L369902-2026-000001".to_string()),
            ("已婚".to_string(), "辖区外登记".to_string())
        ],
        "{person}"
    );
    assert!(!person.to_string().contains("J369921"), "{person}");
    t.finish().await;
}

/// The last number of the year taken (999999): the next registration is refused with
/// 「本年度证号已用完」, nothing stored.
async fn certificate_numbers_run_out_cleanly(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    let csv = format!(
        "{HEAD}结婚,2026-11-01,J369902-2026-999999,甲,{},乙,{},369902,\n",
        id("1990-01-01", 11),
        id("1992-01-01", 22)
    );
    import(&t, &csv).await.unwrap();
    refused(
        t.post_json_as(
            &desk,
            REGISTER,
            &couple(&id("1991-01-01", 13), &id("1993-01-01", 24)),
        )
        .await,
        "本年度证号已用完",
    );
    assert_eq!(
        count(&t, "SELECT COUNT(*) FROM marriage_registrations").await,
        1
    );
    // Another registry's numbering is its own.
    let mut west = couple(&id("1991-01-01", 13), &id("1993-01-01", 24));
    west["office"] = json!("369921");
    let city_desk = t.signed_in(Role::DistrictReviewer, "369921").await;
    let made = ok(t.post_json_as(&city_desk, REGISTER, &west).await);
    assert_eq!(made["certificate_no"], "J369921-2026-000001");
    t.finish().await;
}

const COUNSEL: &str = "/api/v1/affairs/marriage/counselling";

/// Two couples apply for a divorce on 11-29; one is counselled on 12-05 and withdraws on
/// 12-10, the other withdraws on 12-12 without counselling: 2 withdrawn in 2026Q4, 1 after
/// counselling. The application lists its sessions.
async fn counselling_with_a_couple_in_cooling_off(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let user = t
        .create_user("registry", Role::DistrictReviewer, "369902")
        .await;
    let desk = t.login(&user).await;
    let mut apps = Vec::new();
    for i in 0..2u16 {
        let (m, w) = (id("1990-01-01", 11 + 2 * i), id("1992-01-01", 22 + 2 * i));
        ok(t.post_json_as(&desk, REGISTER, &couple(&m, &w)).await);
        let a = ok(t
            .post_json_as(
                &desk,
                APPLY,
                &json!({"man_name": "张伟", "man_id": m, "woman_name": "李娜", "woman_id": w}),
            )
            .await);
        apps.push(a["id"].as_i64().unwrap());
    }
    let desk = on(&t, &user, "2026-12-05").await;
    let session = |application: Value, held_on: &str| {
        json!({"topic": "离婚冷静期调解", "participants": "2", "held_on": held_on,
               "application": application})
    };
    // Not an application of this registry's: refused naming the field.
    refused(
        t.post_json_as(&desk, COUNSEL, &session(json!("99999"), ""))
            .await,
        "离婚申请",
    );
    refused(
        t.post_json_as(&desk, COUNSEL, &session(json!("abc"), ""))
            .await,
        "离婚申请",
    );
    // Before the application was received: refused.
    refused(
        t.post_json_as(&desk, COUNSEL, &session(json!(apps[0]), "2026-11-20"))
            .await,
        "受理日期",
    );
    // Another district's desk cannot link to it (nor learn that it exists).
    let west = t.signed_in(Role::DistrictReviewer, "369921").await;
    let r = t
        .post_json_as(&west, COUNSEL, &session(json!(apps[0]), ""))
        .await;
    refused(r, "不是您辖区内的离婚申请编号");
    let made = ok(t
        .post_json_as(&desk, COUNSEL, &session(json!(apps[0]), ""))
        .await);
    // An unlinked session too.
    ok(t.post_json_as(&desk, COUNSEL, &session(json!(""), ""))
        .await);
    let desk = on(&t, &user, "2026-12-10").await;
    ok(t.post_json_as(
        &desk,
        &format!("{APPLY}/{}/withdraw", apps[0]),
        &json!({"party": "女方"}),
    )
    .await);
    let desk = on(&t, &user, "2026-12-12").await;
    ok(t.post_json_as(
        &desk,
        &format!("{APPLY}/{}/withdraw", apps[1]),
        &json!({"party": "男方"}),
    )
    .await);
    let list = ok(t.get_as(&desk, &format!("{APPLY}?quarter=2026Q4")).await);
    assert_eq!(list["withdrawn_in_quarter"], 2, "{list}");
    assert_eq!(list["withdrawn_after_counselling"], 1, "{list}");
    let first = list["applications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["id"] == json!(apps[0]))
        .unwrap();
    assert_eq!(first["counselling"][0]["id"], made["id"], "{list}");
    assert_eq!(first["counselling"][0]["held_on"], "2026-12-05");
    let c = ok(t.get_as(&desk, &format!("{COUNSEL}?quarter=2026Q4")).await);
    assert_eq!(c["participants"], 4, "{c}");
    assert_eq!(c["withdrawn_after_counselling"], 1, "{c}");
    // The page shows both figures and the session on the application.
    let page = t.get_as(&desk, "/affairs/marriage?quarter=2026Q4").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body
            .contains(r#"<strong id="count-withdrawn">2</strong>"#),
        "{}",
        page.body
    );
    assert!(
        page.body
            .contains(r#"<strong id="count-withdrawn-after-counselling">1</strong>"#),
        "{}",
        page.body
    );
    t.finish().await;
}

/// X married W1 on 11-10 and Y married W2 on 11-10 (both 合格 when imported). Then X's
/// cremation (died 11-01) and Y's sea burial with his ID (buried 11-05) are recorded: both
/// marriages are re-audited 「当事人已死亡」, each change audited; the widows are free, and
/// Y, known dead by his burial, is refused at the counter.
async fn a_death_recorded_later_reaudits_the_registrations(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let desk = t.signed_in(Role::DistrictReviewer, "369902").await;
    let (x, w1) = (id("1980-01-01", 11), id("1985-01-01", 22));
    let (y, w2) = (id("1981-01-01", 13), id("1986-01-01", 24));
    let csv = format!(
        "{HEAD}结婚,2026-11-10,J369902-2026-000001,甲,{x},乙,{w1},369902,\n\
         结婚,2026-11-10,J369902-2026-000002,丙,{y},丁,{w2},369902,\n"
    );
    import(&t, &csv).await.unwrap();
    assert_eq!(mark(&t, "J369902-2026-000001").await.0, 1);
    assert_eq!(mark(&t, "J369902-2026-000002").await.0, 1);
    ok(t.post_json_as(
        &desk,
        "/api/v1/affairs/cremations",
        &json!({"id_number": x, "name": "甲", "died_on": "2026-11-01",
                "cremated_on": "2026-11-03", "region_code": "369902"}),
    )
    .await);
    let (ok_, rule) = mark(&t, "J369902-2026-000001").await;
    assert_eq!(ok_, 0);
    assert!(rule.contains("当事人已死亡"), "{rule}");
    ok(t.post_json_as(
        &desk,
        "/api/v1/affairs/burials",
        &json!({"region_code": "369902001", "buried_on": "2026-11-05", "name": "丙",
                "id_number": y, "form": "海葬"}),
    )
    .await);
    let (ok_, rule) = mark(&t, "J369902-2026-000002").await;
    assert_eq!(ok_, 0);
    assert!(rule.contains("当事人已死亡"), "{rule}");
    let causes: Vec<String> = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'marriage.reaudit' ORDER BY seq",
    )
    .fetch_all(t.database().pool())
    .await
    .unwrap();
    assert_eq!(causes.len(), 2, "{causes:?}");
    assert!(causes[0].contains("funeral.cremation.record"), "{causes:?}");
    assert!(causes[1].contains("funeral.burial.record"), "{causes:?}");
    // The burial is a death the registry reads: Y is refused, his widow is free.
    refused(
        t.post_json_as(&desk, REGISTER, &couple(&y, &id("1990-01-01", 26)))
            .await,
        "当事人已死亡",
    );
    ok(
        t.post_json_as(&desk, REGISTER, &couple(&id("1982-01-01", 15), &w2))
            .await,
    );
    ok(
        t.post_json_as(&desk, REGISTER, &couple(&id("1983-01-01", 17), &w1))
            .await,
    );
    t.finish().await;
}

/// A couple applies for a divorce at 369921; 369902's desk then trying to receive a second
/// application is refused (409) without the other registry's application number or day.
async fn a_second_application_elsewhere_is_not_described(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    let west = t.signed_in(Role::DistrictReviewer, "369921").await;
    let (m, w) = (id("1990-01-01", 11), id("1992-01-01", 22));
    ok(t.post_json_as(&east, REGISTER, &couple(&m, &w)).await);
    let body = json!({"man_name": "张伟", "man_id": m, "woman_name": "李娜", "woman_id": w});
    let theirs = ok(t.post_json_as(&west, APPLY, &body).await);
    let number = theirs["id"].as_i64().unwrap().to_string();
    let r = t.post_json_as(&east, APPLY, &body).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("其他登记机关"), "{}", r.body);
    assert!(!r.body.contains("编号"), "{}", r.body);
    assert!(!r.body.contains("2026-11-29"), "{}", r.body);
    assert!(!r.body.contains(&format!("{number}）")), "{}", r.body);
    // Its own desk is told which one.
    let r = t.post_json_as(&west, APPLY, &body).await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains(&format!("编号 {number}")), "{}", r.body);
    t.finish().await;
}

/// PostgreSQL (SQLite write transactions are exclusive already): a marriage-registrations
/// import takes the registry's lock before checking, as the counter does. While another
/// transaction holds it (a counter registering someone), the import waits on it — seen
/// in `pg_locks` — and goes through once that transaction ends.
async fn the_import_waits_for_a_person_locked_at_the_counter(backend: Backend) {
    if matches!(backend, Backend::Sqlite) {
        return;
    }
    let t = TestApp::with_tree(backend).await;
    let (a, c) = (id("1990-01-01", 11), id("1993-01-01", 24));
    let db = t.database();
    let mut counter = db.begin().await.unwrap();
    let registry = minzheng::affairs::marriage_store::REGISTRY_LOCK.to_string();
    db.lock_keys(&mut counter, &[registry]).await.unwrap();
    let csv = format!("{HEAD}结婚,2026-08-01,J369902-2026-000001,甲,{a},丙,{c},369902,\n");
    let mut import = Box::pin(import(&t, &csv));
    // Either the import finishes (it did not wait: the lock is not taken) or an advisory
    // lock of this database is seen waiting; polled, nothing timed.
    let waited = loop {
        tokio::select! {
            r = &mut import => {
                r.unwrap();
                break false;
            }
            () = tokio::time::sleep(std::time::Duration::from_millis(20)) => {
                let waiting: i64 = sqlx::query_scalar(
                    "SELECT CAST(COUNT(*) AS BIGINT) FROM pg_locks WHERE locktype = 'advisory' \
                     AND NOT granted AND database = \
                     (SELECT oid FROM pg_database WHERE datname = current_database())",
                )
                .fetch_one(db.pool())
                .await
                .unwrap();
                if waiting > 0 {
                    break true;
                }
            }
        }
    };
    assert!(waited, "the import did not wait for the registry's lock");
    counter.rollback().await.unwrap();
    import.await.unwrap();
    assert_eq!(mark(&t, "J369902-2026-000001").await.0, 1);
    t.finish().await;
}
