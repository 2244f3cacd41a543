//! Register edits feeding the rules, and the special lists.

use super::*;
use crate::on_both_backends;

on_both_backends!(
    register_edits_feed_the_rules,
    marginal_and_close_relative_lists,
);

async fn register_edits_feed_the_rules(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    let case = apply_online(&t, &family_form()).await;
    let h = household_of(&t, case).await;
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    let spouse = member_id(&t, h, "李秀英").await;
    // The register finds the household by the start of a member's name.
    let l = t
        .post_json_as(
            &s.street,
            "/api/v1/households/search",
            &serde_json::json!({"name": "李秀"}),
        )
        .await
        .json();
    assert_eq!(l["total"], 1, "{l}");
    assert_eq!(l["households"][0]["status"], "已申请", "{l}");
    let l = t
        .post_json_as(
            &s.street,
            "/api/v1/households/search",
            &serde_json::json!({"name": "张"}),
        )
        .await
        .json();
    assert_eq!(l["total"], 0, "{l}");
    // The page's search answers with the list's address: the name sealed, not in clear.
    let r = t
        .post_as(
            &s.street,
            "/assistance/households/search",
            &[("name", "李秀"), ("program", "dibao")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let location = r.header("location").to_string();
    assert!(
        location.contains("nt=") && location.contains("program=dibao"),
        "{location}"
    );
    let encoded: String = serde_urlencoded::to_string([("n", "李秀")]).unwrap();
    assert!(
        !location.contains(&encoded[2..]) && !location.contains("李秀"),
        "{location}"
    );
    let page = t.get_as(&s.street, &location).await;
    assert!(page.body.contains("共 1 户"), "{}", page.body);
    assert!(
        page.body.contains("value=\"李秀\""),
        "the form shows what was searched"
    );
    // A not-counted item changes nothing; a counted pension does.
    assert_eq!(
        add_income(&t, &s.street, h, &spouse, "高龄津贴", "300")
            .await
            .status,
        303
    );
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    assert_eq!(
        add_income(&t, &s.street, h, &spouse, "养老金", "300")
            .await
            .status,
        303
    );
    // Counted 1,200 + 300 = 1,500 → per-capita 500 → (1,000 − 500) × 3 + 100 = 1,600.
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,600.00 元"
    );
    let page = t
        .get_as(&s.street, &format!("/assistance/households/{h}"))
        .await;
    assert!(
        page.body
            .contains("高龄津贴 <span class=\"tag\">不计入</span>"),
        "{}",
        page.body
    );
    // Bad input: a clear message naming the field, nothing stored.
    let r = add_income(&t, &s.street, h, &spouse, "工资", "abc").await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("月金额"), "{}", r.body);
    let incomes: i64 = sqlx::query("SELECT COUNT(*) FROM member_incomes WHERE member_id = $1")
        .bind(spouse.parse::<i64>().unwrap())
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(incomes, 2);
    // Deposits of 100,000 for 3 persons: 33,333.33 each > 24,000 → ineligible.
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/assets"),
        &[("kind", "financial"), ("value", "100000")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(preview(&t, &s.street, case).await, "不符合低保条件");
    let asset: String =
        sqlx::query("SELECT CAST(id AS TEXT) FROM household_assets WHERE household_id = $1")
            .bind(h)
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/assets/{asset}/delete"),
        &[],
    )
    .await;
    assert_eq!(r.status, 303);
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,600.00 元"
    );
    // Member facts: the spouse turns 1st-grade disabled → +30% add-on (300 > child's 100).
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members/{spouse}"),
        &[
            ("work_capacity", "lost"),
            ("self_care", "partial"),
            ("disability_grade", "1"),
            ("disability_kind", "physical"),
            ("covered", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE object_type = 'household' AND object_id = $1 AND action LIKE 'household.%' \
         AND action <> 'household.view'",
    )
    .bind(h.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    assert_eq!(audited, 5);
    // The audit keeps the facts before and after a change.
    let details: String = sqlx::query(
        "SELECT details FROM audit_log WHERE action = 'household.member_update' AND object_id = $1",
    )
    .bind(h.to_string())
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    let details: serde_json::Value = serde_json::from_str(&details).unwrap();
    assert_eq!(details["before"]["work_capacity"], "full", "{details}");
    assert_eq!(details["after"]["work_capacity"], "lost", "{details}");
    // A newborn is added, then moves out with the mother's family: members change.
    let baby = id("2026-10-01", 55);
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members"),
        &[
            ("name", "王小宝"),
            ("id_number", &baby),
            ("relation", "子女"),
            ("hukou", "urban"),
            ("work_capacity", "full"),
        ],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    // 4 persons now: (1,000 − 1,500 / 4) × 4 = 2,500, + 300 (spouse, grade 1) + 100 (child)
    // + 100 (baby) → 3,000.
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 3,000.00 元"
    );
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members"),
        &[
            ("name", "王小宝"),
            ("id_number", &baby),
            ("relation", "子女"),
            ("hukou", "urban"),
            ("work_capacity", "full"),
        ],
    )
    .await;
    assert_eq!(r.status, 409, "already a member");
    let applicant = member_id(&t, h, "王建国").await;
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members/{applicant}/remove"),
        &[("reason", "迁出")],
    )
    .await;
    assert_eq!(r.status, 409, "the applicant stays");
    let baby_id = member_id(&t, h, "王小宝").await;
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members/{baby_id}/remove"),
        &[("reason", "")],
    )
    .await;
    assert_eq!(r.status, 422, "a reason is required");
    let r = register_post(
        &t,
        &s.street,
        &format!("/assistance/households/{h}/members/{baby_id}/remove"),
        &[("reason", "随母迁出")],
    )
    .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(
        preview(&t, &s.street, case).await,
        "符合低保条件，月保障金 1,900.00 元"
    );
    // Outside the scope: 404; without the permission: 403.
    let other = t.signed_in(Role::StreetCaseworker, "369921001").await;
    let r = register_post(
        &t,
        &other,
        &format!("/assistance/households/{h}/incomes"),
        &[
            ("member_id", &spouse),
            ("kind", "wage"),
            ("item", "工资"),
            ("monthly", "1"),
            ("months", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 404);
    let r = register_post(
        &t,
        &s.approver,
        &format!("/assistance/households/{h}/incomes"),
        &[
            ("member_id", &spouse),
            ("kind", "wage"),
            ("item", "工资"),
            ("monthly", "1"),
            ("months", "1"),
        ],
    )
    .await;
    assert_eq!(r.status, 403);
    t.finish().await;
}

async fn marginal_and_close_relative_lists(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let s = staff(&t).await;
    // Wage 4,000 → counted 3,200 → per-capita 1,066.66: above 1,000, below 1,500.
    let mut form = family_form();
    set(&mut form, "m0_inc0_monthly", "4000");
    set(&mut form, "close_relative", "1");
    set(
        &mut form,
        "close_relative_note",
        "申请人之兄为解放街道民政干部",
    );
    let case = apply_online(&t, &form).await;
    assert_eq!(act(&t, &s.street, case, "accept", &[]).await, 303);
    assert_eq!(
        act(
            &t,
            &s.street,
            case,
            "investigate",
            &[
                ("visit_record", "入户"),
                ("verification_record", "工资 4,000 元")
            ]
        )
        .await,
        303
    );
    assert_eq!(
        act(&t, &s.street, case, "opinion", &[("recommend", "no")]).await,
        303
    );
    let l = t
        .get_as(&s.street, "/api/v1/assistance-lists?list=marginal")
        .await
        .json();
    assert_eq!(l["lines"][0]["id"], case, "{l}");
    assert_eq!(l["lines"][0]["summary"], "不符合低保条件，属低保边缘家庭");
    let l = t
        .get_as(&s.reviewer, "/api/v1/assistance-lists?list=close_relative")
        .await
        .json();
    assert_eq!(l["lines"][0]["id"], case, "{l}");
    assert_eq!(l["lines"][0]["note"], "申请人之兄为解放街道民政干部");
    assert_eq!(l["lines"][0]["district_reviewed"], false);
    // Another district sees neither.
    let other = t.signed_in(Role::DistrictReviewer, "369921").await;
    let l = t
        .get_as(&other, "/api/v1/assistance-lists?list=close_relative")
        .await
        .json();
    assert!(l["lines"].as_array().unwrap().is_empty(), "{l}");
    let page = t.get_as(&s.street, "/assistance/lists?list=marginal").await;
    assert!(page.body.contains("属低保边缘家庭"), "{}", page.body);
    t.finish().await;
}
