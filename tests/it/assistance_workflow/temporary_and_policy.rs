//! Temporary assistance by approval level and 报批, and the city's policy parameters.

use super::*;
use crate::on_both_backends;

on_both_backends!(
    temporary_grants_levels_and_advance_completion,
    city_sets_policy_parameters_and_exclusions,
);

async fn temporary_grants_levels_and_advance_completion(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let amounts = async || -> Vec<(i64, i64, Option<String>)> {
        sqlx::query("SELECT amount, advance, due_on FROM temporary_grants ORDER BY id")
            .fetch_all(t.database().pool())
            .await
            .unwrap()
            .iter()
            .map(|r| {
                (
                    r.try_get(0).unwrap(),
                    r.try_get(1).unwrap(),
                    r.try_get(2).unwrap(),
                )
            })
            .collect()
    };
    // Urban household of 4, fire: 3 months → 12,000 元 on the street's approval.
    let r = grant(&t, &s.street, "3", false).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert!(
        r.header("location").contains("12%2C000.00") || r.header("location").contains("12,000.00"),
        "{}",
        r.header("location")
    );
    // 5 months → 20,000 元 needs the district: the street's entry is sent up (报批), no
    // grant yet; the district approver sees it on the workbench and approves it.
    let r = grant(&t, &s.street, "5", false).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let done = r.header("location");
    assert!(
        done.contains("20%2C000.00") || done.contains("20,000.00"),
        "{done}"
    );
    assert_eq!(amounts().await.len(), 1, "sent up, not granted");
    // Submitted again while the first waits: refused, or the family would be paid twice.
    let again = grant(&t, &s.street, "5", false).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(again.body.contains("重复报批"), "{}", again.body);
    let requests = t
        .get_as(&s.street, "/api/v1/temporary-requests")
        .await
        .json();
    assert_eq!(requests[0]["status"], "pending", "{requests}");
    assert_eq!(requests[0]["level"], "district");
    assert_eq!(
        requests[0]["can_decide"], false,
        "the street cannot approve it"
    );
    let request = requests[0]["id"].as_i64().unwrap();
    let w = t.get_as(&s.approver, "/api/v1/workbench").await.json();
    assert_eq!(w["temporary_requests"], 1, "{w}");
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/temporary/requests/{request}/decide"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let page = t
        .get_as(&s.approver, "/assistance/temporary/requests")
        .await;
    assert!(
        page.body.contains("赵大海")
            && page.body.contains("住房失火")
            && page.body.contains("幸福社区"),
        "the approver sees who, why and where: {}",
        page.body
    );
    let r = t
        .post_as(
            &s.approver,
            &format!("/assistance/temporary/requests/{request}/decide"),
            &[("decision", "approve")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // Deciding twice is refused.
    let r = t
        .post_as(
            &s.approver,
            &format!("/assistance/temporary/requests/{request}/decide"),
            &[("decision", "reject"), ("reason", "x")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.body);
    // The district grants 6 months itself; 7 months (28,000 元) is the city's, case by
    // case: sent up again, and the city rejects it through the API with a reason.
    assert_eq!(grant(&t, &s.approver, "6", false).await.status, 303);
    assert_eq!(grant(&t, &s.approver, "7", false).await.status, 303);
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let requests = t.get_as(&city, "/api/v1/temporary-requests").await.json();
    let pending = &requests[0];
    assert_eq!(
        (pending["level"].as_str(), pending["can_decide"].as_bool()),
        (Some("city"), Some(true)),
        "{requests}"
    );
    let city_request = pending["id"].as_i64().unwrap();
    let r = t
        .post_json_as(
            &city,
            &format!("/api/v1/temporary-requests/{city_request}/decision"),
            &serde_json::json!({"decision": "reject"}),
        )
        .await;
    assert_eq!(r.status, 422, "a rejection needs its reason: {}", r.body);
    let r = t
        .post_json_as(
            &city,
            &format!("/api/v1/temporary-requests/{city_request}/decision"),
            &serde_json::json!({"decision": "reject", "reason": "已由医疗救助解决大部分费用"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "rejected");
    // 先行救助: at most 1 month → 4,000 元 at once, file due in 5 working days.
    let r = grant(&t, &s.street, "2", true).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("4,000.00"), "{}", r.body);
    let r = grant(&t, &s.street, "1", true).await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        amounts().await,
        vec![
            (1_200_000, 0, None),
            (2_000_000, 0, None),
            (2_400_000, 0, None),
            // Granted Sunday 2026-11-29: 5 working days → Friday 2026-12-04.
            (400_000, 1, Some("2026-12-04".to_string())),
        ]
    );
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    let advances = w["advances"].as_array().unwrap();
    assert_eq!(advances.len(), 1, "{w}");
    assert_eq!(advances[0]["overdue"], false);
    // The next Saturday it is overdue; completing the file takes it off the list.
    t.clock
        .set(minzheng::calendar::ManualClock::at_date("2026-12-05".parse().unwrap()).now());
    let s = s.relogin(&t).await;
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert_eq!(w["advances"][0]["overdue"], true, "{w}");
    let grant_id = w["advances"][0]["id"].as_i64().unwrap();
    let r = t
        .post_as(
            &s.street,
            &format!("/assistance/temporary/{grant_id}/complete"),
            &[],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let w = t.get_as(&s.street, "/api/v1/workbench").await.json();
    assert!(w["advances"].as_array().unwrap().is_empty(), "{w}");
    // Bad input names the field and stores nothing.
    let r = t
        .post_as(
            &s.street,
            "/assistance/temporary",
            &[
                ("name", "钱"),
                ("id_number", "123"),
                ("community", COMMUNITY),
                ("kind", "emergency"),
                ("household_size", "0"),
                ("months", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body.contains("身份证号长度错误") && r.body.contains("家庭人口"),
        "{}",
        r.body
    );
    assert_eq!(amounts().await.len(), 4);
    t.finish().await;
}

async fn city_sets_policy_parameters_and_exclusions(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    // The notice lasts 10 days from today on.
    let r = t
        .post_as(
            &city,
            "/assistance/parameters",
            &[
                ("key", "notice_days"),
                ("value", "10"),
                ("effective_from", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = t.get_as(&city, "/assistance/standards").await;
    assert!(
        page.body.contains("id=\"param-notice_days\">10<"),
        "{}",
        page.body
    );
    assert!(page.body.contains("2026-11-01 起 10"), "{}", page.body);
    // Out of range: refused naming the parameter and the range; nothing stored.
    let r = t
        .post_as(
            &city,
            "/assistance/parameters",
            &[
                ("key", "wage_deduction_pct"),
                ("value", "80"),
                ("effective_from", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 422);
    assert!(
        r.body
            .contains("工资性收入扣减就业成本比例（%）：应为 0 到 50 之间的整数"),
        "{}",
        r.body
    );
    // Street staff may read the page but not set policy.
    let r = t
        .post_as(
            &s.street,
            "/assistance/parameters",
            &[
                ("key", "notice_days"),
                ("value", "3"),
                ("effective_from", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    let case = apply_online(&t, &family_form()).await;
    to_notice(&t, &s, case).await;
    assert_eq!(
        case_field(&t, case, "notice_until").await.as_deref(),
        Some("2026-12-08")
    );
    // A minimum wage of 2,500 元 raises the 特困 care subsidy; kept in fen.
    let r = t
        .post_as(
            &city,
            "/assistance/parameters",
            &[
                ("key", "minimum_wage"),
                ("value", "2500"),
                ("effective_from", "2026-11-01"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    let stored: i64 =
        sqlx::query("SELECT value FROM assistance_parameters WHERE key = 'minimum_wage'")
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(stored, 250_000);
    // Wages made not-counted: the household's income is now zero for the rules.
    let second = {
        let mut f = family_form();
        set(&mut f, "m0_id", &id("1981-03-03", 11));
        set(&mut f, "m1_id", &id("1983-05-07", 22));
        set(&mut f, "m2_id", &id("2016-01-02", 33));
        f
    };
    let case2 = apply_online(&t, &second).await;
    assert_eq!(
        preview(&t, &s.street, case2).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    let r = t
        .post_as(&city, "/assistance/exclusions", &[("item", "工资")])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // (1,000 − 0) × 3 + 100 = 3,100.
    assert_eq!(
        preview(&t, &s.street, case2).await,
        "符合低保条件，月保障金 3,100.00 元"
    );
    assert_eq!(
        t.post_as(&city, "/assistance/exclusions", &[("item", "工资")])
            .await
            .status,
        409
    );
    let r = t
        .post_as(&city, "/assistance/exclusions/delete", &[("item", "工资")])
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        preview(&t, &s.street, case2).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    let audited: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'policy.%'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(audited, 4);
    t.finish().await;
}
