//! Applications online and at the counter through to approval, refusal or rejection; one
//! household per person; bad input; the status check; the JSON API.

use super::*;
use crate::on_both_backends;

on_both_backends!(
    online_application_to_active_case,
    counter_application_rejected_and_refused,
    one_household_per_person_for_applications,
    bad_application_is_listed_and_nothing_stored,
    status_check_is_rate_limited_and_reveals_nothing,
    json_api_acts_with_the_same_rules,
);

async fn online_application_to_active_case(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // The public page needs no login and lists the communities.
    let page = t.get("/apply").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("幸福社区"), "{}", page.body);
    let r = t.post_form("/apply", &pairs(&family_form()), None).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let reference = reference_in(&r.body);
    assert!(reference.starts_with("20261129"), "{reference}");
    let case = case_by_reference(&t, &reference).await;

    // Progress check: 编号 + the applicant's ID number.
    let applicant_id = id("1981-03-02", 11);
    let r = t
        .post_form(
            "/apply/status",
            &[("reference", &reference), ("id_number", &applicant_id)],
            None,
        )
        .await;
    assert!(r.body.contains("已申请"), "{}", r.body);
    assert!(
        !r.body.contains("王建国"),
        "the status page shows no personal data"
    );

    // Staff find it by the number the resident quotes (a POST: no names in addresses).
    let found = t
        .request(
            axum::http::Request::post("/api/v1/workbench/search")
                .header("content-type", "application/json")
                .header("cookie", &s.street.cookie)
                .header("x-csrf-token", &s.street.csrf)
                .body(axum::body::Body::from(
                    serde_json::json!({ "q": reference }).to_string(),
                ))
                .unwrap(),
        )
        .await
        .json();
    assert_eq!(found["found"][0]["id"], case, "{found}");
    let page = t
        .post_as(
            &s.street,
            "/assistance/workbench/search",
            &[("q", "王建国")],
        )
        .await;
    assert!(page.body.contains(&reference), "{}", page.body);
    // A signed-in visitor can use the public pages too (the form carries their token).
    let r = t
        .post_as(
            &s.street,
            "/apply/status",
            &[("reference", &reference), ("id_number", &applicant_id)],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // It lands in the street's queue.
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(
        w["queue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["id"] == case),
        "{w}"
    );

    // Accept on Sunday 2026-11-29: 30 working days (no holidays loaded) → Friday 2027-01-08.
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "due_on").await.as_deref(),
        Some("2027-01-08")
    );

    // Optimistic locking: an action on the old version is refused and changes nothing.
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/cases/{case}/act"),
            &[
                ("action", "investigate"),
                ("version", "1"),
                ("visit_record", "x"),
                ("verification_record", "y"),
            ],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    assert!(r.body.contains("旧版本"), "{}", r.body);
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("accepted")
    );

    // An illegal transition is refused, naming the state.
    let r = act(&t, &s.approver, case, "approve", &[]).await;
    assert_eq!(r, 409);

    assert_eq!(
        act(
            &t,
            &s.community,
            case,
            "investigate",
            &[
                ("visit_record", "入户调查：三口之家"),
                ("verification_record", "无车无房")
            ]
        )
        .await,
        303
    );
    // The community worker cannot give the street's opinion.
    assert_eq!(
        act(&t, &s.community, case, "opinion", &[("recommend", "yes")]).await,
        403
    );
    assert_eq!(
        act(&t, &s.street, case, "opinion", &[("recommend", "yes")]).await,
        303
    );
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("190000")
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains("家庭人均月收入 400.00 元 &#60; 城市低保标准 1,000.00 元 ✓"),
        "{}",
        page.body
    );
    assert!(page.body.contains("1,900.00"), "{}", page.body);

    // Notice: 7 days from today; the printable sheet shows only the allowed fields.
    assert_eq!(act(&t, &s.street, case, "publish", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "notice_until").await.as_deref(),
        Some("2026-12-05")
    );
    let sheet = t
        .get_as(
            &s.community,
            &format!("/assistance/notices?community={COMMUNITY}"),
        )
        .await;
    assert_eq!(sheet.status, 200);
    assert!(
        sheet.body.contains("王建国") && sheet.body.contains("1,900.00"),
        "{}",
        sheet.body
    );
    assert!(!sheet.body.contains(&applicant_id[..10]) && !sheet.body.contains("1981-03-02"));
    assert!(
        !sheet.body.contains("李秀英"),
        "only the applicant is named"
    );

    // An objection during the notice blocks approval until resolved.
    let r = t
        .post_as(
            &s.community,
            &format!("/assistance/cases/{case}/objections"),
            &[("content", "邻居反映其有营运车辆")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        act(&t, &s.approver, case, "approve", &[]).await,
        409,
        "notice not over"
    );
    t.clock.set(t.clock.now() + chrono::Duration::days(7));
    let s = s.relogin(&t).await;
    let page = t
        .get_as(&s.approver, &format!("/assistance/cases/{case}"))
        .await;
    assert!(page.body.contains("1 条公示异议未处理"), "{}", page.body);
    assert_eq!(
        act(&t, &s.approver, case, "approve", &[]).await,
        409,
        "open objection"
    );
    let oid: i64 = sqlx::query("SELECT id FROM case_objections WHERE case_id = $1")
        .bind(case)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/cases/{case}/objections/{oid}/resolve"),
            &[("resolution", "经核实车辆已于 2025 年转让，异议不成立")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(act(&t, &s.approver, case, "approve", &[]).await, 303);
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("active")
    );
    assert_eq!(
        case_field(&t, case, "monthly_amount").await.as_deref(),
        Some("190000")
    );
    assert_eq!(
        case_field(&t, case, "approved_on").await.as_deref(),
        Some("2026-12-06")
    );
    // Ordinary 低保 household: reviewed every 6 months.
    assert_eq!(
        case_field(&t, case, "next_review_on").await.as_deref(),
        Some("2027-06-06")
    );

    // Every step is a transition and an audit entry.
    let steps: Vec<String> =
        sqlx::query("SELECT action FROM case_transitions WHERE case_id = $1 ORDER BY id")
            .bind(case)
            .fetch_all(t.database().pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String, _>(0).unwrap())
            .collect();
    assert_eq!(
        steps,
        [
            "apply",
            "accept",
            "investigate",
            "opinion",
            "publish",
            "approve"
        ]
    );
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'assistance_case' AND object_id = $1 \
         AND action IN ('case.apply', 'case.accept', 'case.investigate', 'case.opinion', 'case.publish', 'case.approve')",
    )
    .bind(case.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(audited, 6);
    let r = t
        .post_form(
            "/apply/status",
            &[("reference", &reference), ("id_number", &applicant_id)],
            None,
        )
        .await;
    assert!(r.body.contains("在保"), "{}", r.body);

    // Outside the scope the case does not exist.
    let other = t.signed_in(Role::DistrictApprover, "369921").await;
    assert_eq!(
        t.get_as(&other, &format!("/assistance/cases/{case}"))
            .await
            .status,
        404
    );
    t.finish().await;
}

async fn counter_application_rejected_and_refused(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // Two persons, no income, deposits 60,000 → assets per person 30,000 > 24,000.
    let mut form = family_form();
    form.retain(|(k, _)| !k.starts_with("m2_") && !k.starts_with("m0_inc"));
    set(&mut form, "financial", "60000");
    let r = t
        .post_as(&s.street, "/assistance/applications", &pairs(&form))
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let case: i64 = r
        .header("location")
        .trim_start_matches("/assistance/cases/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        case_field(&t, case, "source").await.as_deref(),
        Some("counter")
    );
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    assert_eq!(
        act(
            &t,
            &s.street,
            case,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "银行存款 60,000 元")
            ]
        )
        .await,
        303
    );
    // The rules say no: an "agree" opinion is refused with the reason.
    let v = version(&t, case).await;
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/cases/{case}/act"),
            &[("action", "opinion"), ("version", &v), ("recommend", "yes")],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("不符合低保条件"), "{}", r.body);
    assert_eq!(
        act(
            &t,
            &s.street,
            case,
            "opinion",
            &[("recommend", "no"), ("reason", "存款超标")]
        )
        .await,
        303
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{case}"))
        .await;
    assert!(
        page.body.contains("30,000.00") && page.body.contains("24,000.00"),
        "{}",
        page.body
    );
    assert_eq!(
        act(&t, &s.street, case, "publish", &[]).await,
        409,
        "no notice for a refusal"
    );
    // Rejection needs a reason; then the record stays, rejected.
    assert_eq!(act(&t, &s.approver, case, "reject", &[]).await, 422);
    assert_eq!(
        act(
            &t,
            &s.approver,
            case,
            "reject",
            &[("reason", "人均金融资产超过规定")]
        )
        .await,
        303
    );
    assert_eq!(
        case_field(&t, case, "status").await.as_deref(),
        Some("rejected")
    );
    let last: String = sqlx::query(
        "SELECT reason FROM case_transitions WHERE case_id = $1 ORDER BY id DESC LIMIT 1",
    )
    .bind(case)
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert!(last.contains("人均金融资产超过规定"), "{last}");

    // Refused at acceptance, with reason.
    let mut other = family_form();
    for (k, v) in other.iter_mut() {
        if k == "m0_id" {
            *v = id("1960-01-01", 1);
        } else if k == "m1_id" {
            *v = id("1960-01-01", 2);
        } else if k == "m2_id" {
            *v = id("1990-01-01", 3);
        }
    }
    let case2 = apply_online(&t, &other).await;
    assert_eq!(
        act(&t, &s.street, case2, "refuse", &[]).await,
        422,
        "reason required"
    );
    assert_eq!(
        act(
            &t,
            &s.street,
            case2,
            "refuse",
            &[("reason", "户籍不在本街道")]
        )
        .await,
        303
    );
    assert_eq!(
        case_field(&t, case2, "status").await.as_deref(),
        Some("refused")
    );
    t.finish().await;
}

async fn one_household_per_person_for_applications(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let first = apply_online(&t, &family_form()).await;
    // The same family again online: accepted like any application (the public page must
    // not tell whether someone receives assistance), and flagged to the street.
    let second = apply_online(&t, &family_form()).await;
    let page = t
        .get_as(&s.street, &format!("/assistance/cases/{second}"))
        .await;
    let number = format!("SQ{}", case_field(&t, first, "reference").await.unwrap());
    assert!(page.body.contains("id=\"case-conflicts\""), "{}", page.body);
    assert!(page.body.contains(&number), "{}", page.body);
    assert_eq!(
        act(&t, &s.street, second, "refuse", &[("reason", "重复申请")]).await,
        303
    );
    // Once the street has accepted the first, the counter refuses the same persons and
    // names the household that holds them.
    assert_eq!(act(&t, &s.street, first, "accept", &[]).await, 303);
    let r = t
        .post_as(
            &s.street,
            "/assistance/applications",
            &pairs(&family_form()),
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains(&number), "{}", r.body);
    let cases: i64 = sqlx::query("SELECT COUNT(*) FROM cases")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(cases, 2);
    t.finish().await;
}

async fn bad_application_is_listed_and_nothing_stored(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let mut form = family_form();
    set(&mut form, "m1_id", "369902198305060221");
    set(&mut form, "m0_inc0_months", "14");
    form.retain(|(k, _)| k != "consent");
    let r = t.post_form("/apply", &pairs(&form), None).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("申请表有 3 处需要修改"), "{}", r.body);
    assert!(r.body.contains("第 2 位成员的身份证号"), "{}", r.body);
    assert!(
        r.body.contains("近 12 个月中取得的月数应为 0 到 12"),
        "{}",
        r.body
    );
    assert!(r.body.contains("授权核对"), "{}", r.body);
    // The form comes back filled in.
    assert!(r.body.contains("value=\"王建国\""), "{}", r.body);
    for table in ["households", "members", "cases", "member_incomes"] {
        let n: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(n, 0, "{table}");
    }
    t.finish().await;
}

async fn status_check_is_rate_limited_and_reveals_nothing(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let case = apply_online(&t, &family_form()).await;
    let reference = case_field(&t, case, "reference").await.unwrap();
    // The spouse's ID number is not the applicant's: same answer as an unknown number.
    let spouse = id("1983-05-06", 22);
    let wrong = t
        .post_form(
            "/apply/status",
            &[("reference", &reference), ("id_number", &spouse)],
            None,
        )
        .await;
    let unknown = t
        .post_form(
            "/apply/status",
            &[("reference", "20261129999999"), ("id_number", &spouse)],
            None,
        )
        .await;
    assert!(wrong.body.contains("没有查到"), "{}", wrong.body);
    assert_eq!(wrong.status, unknown.status);
    assert!(unknown.body.contains("没有查到"));
    for _ in 0..8 {
        t.post_form(
            "/apply/status",
            &[("reference", "x"), ("id_number", "y")],
            None,
        )
        .await;
    }
    let r = t
        .post_form(
            "/apply/status",
            &[("reference", &reference), ("id_number", &spouse)],
            None,
        )
        .await;
    assert_eq!(r.status, 429, "{}", r.body);
    t.finish().await;
}

async fn json_api_acts_with_the_same_rules(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let case = apply_online(&t, &family_form()).await;
    let post = |session: &Session, body: serde_json::Value| {
        axum::http::Request::post(format!("/api/v1/cases/{case}/actions"))
            .header("content-type", "application/json")
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let r = t
        .request(post(
            &s.street,
            serde_json::json!({"action": "accept", "version": 1}),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "已受理");
    let r = t
        .request(post(
            &s.street,
            serde_json::json!({"action": "accept", "version": 1}),
        ))
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let v = t
        .get_as(&s.street, &format!("/api/v1/cases/{case}"))
        .await
        .json();
    assert_eq!(v["case"]["status"], "accepted");
    assert_eq!(v["case"]["version"], 2);
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["code"] == "investigate"),
        "{v}"
    );
    // A counter application through the API: the form's fields as a JSON object.
    let post_json = |session: &Session, path: &str, body: serde_json::Value| {
        axum::http::Request::post(path.to_string())
            .header("content-type", "application/json")
            .header("cookie", &session.cookie)
            .header("x-csrf-token", &session.csrf)
            .body(axum::body::Body::from(body.to_string()))
            .unwrap()
    };
    let mut fields: serde_json::Map<String, serde_json::Value> = family_form()
        .into_iter()
        .map(|(k, v)| (k, v.into()))
        .collect();
    fields.insert("m0_id".into(), id("1955-05-05", 91).into());
    fields.insert("m1_id".into(), id("1956-05-05", 92).into());
    fields.insert("m2_id".into(), "123".into());
    let r = t
        .request(post_json(
            &s.street,
            "/api/v1/applications",
            serde_json::Value::Object(fields.clone()),
        ))
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.json()["errors"][0]["field"], "m2_id", "{}", r.body);
    fields.insert("m2_id".into(), id("1990-05-05", 93).into());
    let r = t
        .request(post_json(
            &s.street,
            "/api/v1/applications",
            serde_json::Value::Object(fields),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["reference"].as_str().unwrap().len(), 14);
    // Objections during the notice, through the API.
    to_notice_from_accepted(&t, &s, case).await;
    let r = t
        .request(post_json(
            &s.community,
            &format!("/api/v1/cases/{case}/objections"),
            serde_json::json!({"content": "反映有营运车辆"}),
        ))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    t.finish().await;
}
