//! Funeral, the parts recorded one at a time: cemeteries through the form, burials taking
//! plots (the last plot once, a closed cemetery refusing, a sea burial taking none, a
//! late-dated burial that would overfill a later day), violation cases from record to
//! handling, cremations through the page form, region scoping, and the balance analysis's
//! cremation rate and plots available at a quarter's boundary — on both backends.

use minzheng::auth::Role;
use minzheng::calendar::Clock;
use serde_json::{Value, json};

use crate::common::{Backend, Session, TestApp};
use crate::compare::id;
use crate::on_both_backends;

on_both_backends!(
    a_cemetery_through_the_form,
    burials_take_plots_until_none_is_left,
    violation_cases_from_record_to_handling,
    cremations_through_the_page_form,
    balance_cremation_rate_and_plots_at_the_quarter_end,
);

async fn count(t: &TestApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(t.database().pool())
        .await
        .unwrap()
}

async fn audited(t: &TestApp, action: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1")
        .bind(action)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
}

async fn cemetery(t: &TestApp, s: &Session, number: &str, region: &str, status: &str, plots: i64) {
    let r = t
        .post_json_as(
            s,
            "/api/v1/affairs/cemeteries",
            &json!({"number": number, "name": format!("{number}公墓"), "kind": "公益性公墓",
                    "region_code": region, "status": status, "completed_on": "2026-07-01",
                    "plots": plots.to_string()}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
}

async fn bury(t: &TestApp, s: &Session, body: Value) -> crate::common::TestResponse {
    t.post_json_as(s, "/api/v1/affairs/burials", &body).await
}

fn burial(cemetery: &str, on: &str, form: &str) -> Value {
    json!({"cemetery": cemetery, "buried_on": on, "name": "赵老伯", "form": form})
}

async fn register(t: &TestApp, s: &Session) -> Value {
    let r = t.get_as(s, "/api/v1/affairs/cemeteries").await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

async fn a_cemetery_through_the_form(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    // Built without a completion date: refused naming the field, nothing stored.
    let bad = [
        ("number", "GM-F1"),
        ("name", "东湖新公墓"),
        ("kind", "public"),
        ("region_code", "369902"),
        ("status", "completed"),
        ("completed_on", ""),
        ("plots", "300"),
    ];
    let r = t.post_as(&east, "/affairs/cemeteries", &bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("建成日期"), "{}", r.body);
    let mut plots_bad = bad;
    plots_bad[5].1 = "2026-07-01";
    plots_bad[6].1 = "三百";
    let r = t.post_as(&east, "/affairs/cemeteries", &plots_bad).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("墓穴数"), "{}", r.body);
    assert_eq!(count(&t, "cemeteries").await, 0);
    // Another district's region is not this user's to register.
    let mut theirs = plots_bad;
    theirs[6].1 = "300";
    theirs[3].1 = "369921";
    assert_eq!(
        t.post_as(&east, "/affairs/cemeteries", &theirs)
            .await
            .status,
        403
    );
    assert_eq!(count(&t, "cemeteries").await, 0);
    let mut good = theirs;
    good[3].1 = "369902";
    let r = t.post_as(&east, "/affairs/cemeteries", &good).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = t.get_as(&east, "/affairs/cemeteries").await;
    assert!(
        page.body.contains("东湖新公墓") && page.body.contains("cemetery-form"),
        "{}",
        page.body
    );
    // The same number again edits it: now 已建成 with 320 plots.
    good[6].1 = "320";
    assert_eq!(
        t.post_as(&east, "/affairs/cemeteries", &good).await.status,
        303
    );
    let j = register(&t, &east).await;
    assert_eq!(j["cemeteries"].as_array().unwrap().len(), 1);
    assert_eq!(j["cemeteries"][0]["plots"], 320);
    assert_eq!(j["plots"], 320);
    assert_eq!(audited(&t, "funeral.cemetery.create").await, 1);
    assert_eq!(audited(&t, "funeral.cemetery.update").await, 1);
    // The edit form comes filled in.
    let edit = t.get_as(&east, "/affairs/cemeteries?edit=GM-F1").await;
    assert!(edit.body.contains("修改公墓 GM-F1"), "{}", edit.body);
    // 青山县 sees none of it; an auditor reads but does not enter.
    let county = t.signed_in(Role::DistrictReviewer, "369921").await;
    assert_eq!(register(&t, &county).await["cemeteries"], json!([]));
    let auditor = t.signed_in(Role::Auditor, "369900").await;
    assert_eq!(
        t.post_as(&auditor, "/affairs/cemeteries", &good)
            .await
            .status,
        403
    );
    t.finish().await;
}

async fn burials_take_plots_until_none_is_left(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    cemetery(&t, &east, "GM-2", "369902", "completed", 2).await;
    // Two plots: a grave and a tree burial take them; the third is refused naming the rule.
    assert_eq!(
        bury(&t, &east, burial("GM-2", "2026-08-01", "墓穴安葬"))
            .await
            .status,
        200
    );
    let r = bury(&t, &east, burial("GM-2", "2026-08-02", "tree")).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["eco"], true);
    let r = bury(&t, &east, burial("GM-2", "2026-08-03", "花葬")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("须有空余墓穴"), "{}", r.body);
    // Before the cemetery was completed, and after today: refused.
    let r = bury(&t, &east, burial("GM-2", "2026-06-30", "grave")).await;
    assert!(r.body.contains("安葬日期不早于公墓建成日期"), "{}", r.body);
    let r = bury(&t, &east, burial("GM-2", "2026-11-30", "grave")).await;
    assert!(r.body.contains("安葬日期不晚于今天"), "{}", r.body);
    // A sea burial: no cemetery, a region, no plot taken.
    let r = bury(
        &t,
        &east,
        json!({"region_code": "369902001", "buried_on": "2026-09-01", "name": "孙奶奶",
               "id_number": id("19380808", 31), "form": "海葬"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    // …but a body cannot go to sea, and a sea burial names no cemetery.
    let r = bury(
        &t,
        &east,
        json!({"region_code": "369902", "buried_on": "2026-09-01", "name": "钱大爷",
               "form": "sea", "remains": "遗体"}),
    )
    .await;
    assert!(r.body.contains("遗体只能安葬在公墓"), "{}", r.body);
    let j = register(&t, &east).await;
    assert_eq!(
        (
            &j["cemeteries"][0]["used"],
            &j["cemeteries"][0]["available"]
        ),
        (&json!(2), &json!(0))
    );
    assert_eq!((&j["used"], &j["available"]), (&json!(2), &json!(0)));
    assert_eq!(count(&t, "burials").await, 3);
    assert_eq!(audited(&t, "funeral.burial.record").await, 3);
    let list = t.get_as(&east, "/api/v1/affairs/burials").await.json();
    assert_eq!(list["eco"], 2, "tree and sea: {list}");
    let shown = list["burials"][0]["id_number"].as_str().unwrap();
    assert!(shown.contains('*'), "{shown}");

    // One plot at completion (07-01) and one added on 09-01. A burial on 10-01 takes one of
    // the two. One dated 08-01 still fits (08-01 to 08-31: 1 plot, none taken; from 09-01:
    // 2 plots, 2 taken). One dated 09-15 would leave 2 plots for 3 burials from 10-01 on:
    // refused, though 09-15 alone has a plot free.
    cemetery(&t, &east, "GM-3", "369902001", "completed", 1).await;
    let event = minzheng::audit::AuditEvent::new(
        t.clock.now_local(),
        &minzheng::audit::Actor::cli(),
        "ledger.import",
        "ledger",
        "plot-additions",
    );
    minzheng::affairs::funeral_ledgers::import(
        t.database(),
        minzheng::affairs::funeral_ledgers::Ledger::PlotAdditions,
        "plot-additions.csv",
        "公墓编号,日期,新增墓穴数\nGM-3,2026-09-01,1\n".as_bytes(),
        t.clock.today(),
        &|_| true,
        false,
        &event,
    )
    .await
    .unwrap();
    for (on, status) in [
        ("2026-10-01", 200),
        ("2026-08-01", 200),
        ("2026-09-15", 422),
    ] {
        let r = bury(&t, &east, burial("GM-3", on, "grave")).await;
        assert_eq!(r.status, status, "{on}: {}", r.body);
    }

    // Closed (停用): refuses new burials even with plots free.
    cemetery(&t, &east, "GM-4", "369902", "completed", 50).await;
    cemetery(&t, &east, "GM-4", "369902", "closed", 50).await;
    let r = bury(&t, &east, burial("GM-4", "2026-09-01", "grave")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("停用的公墓不再安葬"), "{}", r.body);
    // A cemetery with burials cannot move its completion after them.
    let r = t
        .post_json_as(
            &east,
            "/api/v1/affairs/cemeteries",
            &json!({"number": "GM-2", "name": "GM-2公墓", "kind": "public", "region_code": "369902",
                    "status": "completed", "completed_on": "2026-08-02", "plots": "2"}),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("建成日期"), "{}", r.body);

    // 青山县's clerk cannot bury into 东湖区's cemetery nor see its burials.
    let county = t.signed_in(Role::DistrictReviewer, "369921").await;
    // Answered as a number not in the register: 404, the same words for both.
    let r = bury(&t, &county, burial("GM-4", "2026-09-01", "grave")).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(
        r.body.contains("没有找到公墓编号为 GM-4 的公墓"),
        "{}",
        r.body
    );
    let r = bury(&t, &county, burial("GM-404", "2026-09-01", "grave")).await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(
        r.body.contains("没有找到公墓编号为 GM-404 的公墓"),
        "{}",
        r.body
    );
    let theirs = t.get_as(&county, "/api/v1/affairs/burials").await.json();
    assert_eq!(theirs["burials"], json!([]));
    let page = t.get_as(&east, "/affairs/burials").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("burial-form") && page.body.contains("孙奶奶"));
    t.finish().await;
}

async fn violation_cases_from_record_to_handling(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let county = t.signed_in(Role::DistrictReviewer, "369921").await;
    let record = |body: Value| {
        let (t, s) = (&t, &county);
        async move {
            t.post_json_as(s, "/api/v1/affairs/funeral-violations", &body)
                .await
        }
    };
    let r = record(
        json!({"kind": "违规土葬", "place": "青山村后山", "region_code": "369921001001",
                          "found_on": "2026-11-30"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("发现日期"), "{}", r.body);
    let r = record(
        json!({"kind": "违规土葬", "place": "青山村后山", "region_code": "369921001001",
                          "found_on": "2026-10-10"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["case_no"], "WG-369921-2026-0001");
    let first = r.json()["id"].as_i64().unwrap();
    let r = record(
        json!({"kind": "random_burial", "place": "河边林地", "region_code": "369921",
                          "found_on": "2026-11-01"}),
    )
    .await;
    assert_eq!(r.json()["case_no"], "WG-369921-2026-0002");
    let handle = |id: i64, body: Value| {
        let (t, s) = (&t, &county);
        async move {
            t.post_json_as(
                s,
                &format!("/api/v1/affairs/funeral-violations/{id}/handle"),
                &body,
            )
            .await
        }
    };
    // Handled before it was found: refused, the case stays open.
    let r = handle(
        first,
        json!({"handling": "火化后安葬", "handled_on": "2026-10-09"}),
    )
    .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("处理日期"), "{}", r.body);
    let r = handle(
        first,
        json!({"handling": "其他", "handled_on": "2026-10-20"}),
    )
    .await;
    assert!(r.body.contains("处理说明"), "{}", r.body);
    let r = handle(
        first,
        json!({"handling": "迁葬入公墓", "note": "家属已迁入青山公墓", "handled_on": "2026-10-10"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = handle(
        first,
        json!({"handling": "迁葬入公墓", "handled_on": "2026-10-11"}),
    )
    .await;
    assert_eq!(r.status, 409, "{}", r.body);
    let list = |q: &'static str| {
        let (t, s) = (&t, &county);
        async move {
            t.get_as(s, &format!("/api/v1/affairs/funeral-violations{q}"))
                .await
                .json()["cases"]
                .clone()
        }
    };
    let handled = list("?status=handled").await;
    assert_eq!(handled.as_array().unwrap().len(), 1);
    assert_eq!(handled[0]["handling"], "moved");
    assert_eq!(handled[0]["handled_on"], "2026-10-10");
    let open = list("?status=open").await;
    assert_eq!(open[0]["case_no"], "WG-369921-2026-0002");
    assert_eq!(list("").await.as_array().unwrap().len(), 2);
    assert_eq!(audited(&t, "funeral.violation.record").await, 2);
    assert_eq!(audited(&t, "funeral.violation.handle").await, 1);

    // 东湖区 can neither record in 青山县 nor see or handle its cases.
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    let r = t
        .post_json_as(
            &east,
            "/api/v1/affairs/funeral-violations",
            &json!({"kind": "乱埋乱葬", "place": "某处", "region_code": "369921", "found_on": "2026-11-01"}),
        )
        .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let theirs = t
        .get_as(&east, "/api/v1/affairs/funeral-violations")
        .await
        .json();
    assert_eq!(theirs["cases"], json!([]));
    let open_id = open[0]["id"].as_i64().unwrap();
    let r = t
        .post_json_as(
            &east,
            &format!("/api/v1/affairs/funeral-violations/{open_id}/handle"),
            &json!({"handling": "拆除复绿", "handled_on": "2026-11-02"}),
        )
        .await;
    assert_eq!(r.status, 404, "{}", r.body);
    // The page with its filter and the handling form, through the page forms.
    let page = t
        .get_as(&county, "/affairs/funeral-violations?status=open")
        .await;
    assert!(page.body.contains("河边林地") && !page.body.contains("青山村后山"));
    let r = t
        .post_as(
            &county,
            &format!("/affairs/funeral-violations/{open_id}/handle"),
            &[("handling", "restored"), ("handled_on", "2026-11-02")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(list("?status=open").await, json!([]));
    t.finish().await;
}

async fn cremations_through_the_page_form(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    let person = id("19410101", 41);
    let form = |region: &'static str, cremated: &'static str| -> Vec<(&'static str, String)> {
        vec![
            ("name", "周大爷".to_string()),
            ("id_number", person.clone()),
            ("died_on", "2026-11-01".to_string()),
            ("cremated_on", cremated.to_string()),
            ("region_code", region.to_string()),
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let (t, s) = (&t, &east);
        async move {
            let fields: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.post_as(s, "/affairs/cremations", &fields).await
        }
    };
    let r = post(form("369902001001", "2026-10-30")).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("火化日期"), "{}", r.body);
    assert_eq!(post(form("369921001001", "2026-11-03")).await.status, 403);
    assert_eq!(count(&t, "cremations").await, 0);
    let r = post(form("369902001001", "2026-11-03")).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let page = t.get_as(&east, "/affairs/cremations").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("周大爷") && !page.body.contains(&person));
    let county = t.signed_in(Role::DistrictReviewer, "369921").await;
    let page = t.get_as(&county, "/affairs/cremations").await;
    assert!(!page.body.contains("周大爷"));
    t.finish().await;
}

/// 2026Q3 ends on 09-30. 东湖区: cremations on 07-01 and 09-30 count, one on 10-01 does
/// not; a body buried on 09-30 and a 违规土葬 found on 07-01 count, a 乱埋乱葬 does not:
/// 2 / (2 + 1 + 1) = 50%. Its cemetery has 10 plots from 07-01 (5 more on 10-01 are not
/// Q3's), 2 taken by 09-30 (a sea burial takes none, a burial on 10-01 is Q4's): 8.
/// 青山县 has neither deaths nor cemeteries: both unknown.
async fn balance_cremation_rate_and_plots_at_the_quarter_end(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let east = t.signed_in(Role::DistrictReviewer, "369902").await;
    for (seq, died, cremated) in [
        (51, "2026-07-01", "2026-07-01"),
        (52, "2026-09-28", "2026-09-30"),
        (53, "2026-09-30", "2026-10-01"),
    ] {
        let r = t
            .post_json_as(
                &east,
                "/api/v1/affairs/cremations",
                &json!({"id_number": id("19400101", seq), "name": "李老汉", "died_on": died,
                        "cremated_on": cremated, "region_code": "369902001001"}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    cemetery(&t, &east, "GM-E", "369902", "completed", 10).await;
    minzheng::affairs::funeral_ledgers::import(
        t.database(),
        minzheng::affairs::funeral_ledgers::Ledger::PlotAdditions,
        "plot-additions.csv",
        "公墓编号,日期,新增墓穴数\nGM-E,2026-10-01,5\n".as_bytes(),
        t.clock.today(),
        &|_| true,
        false,
        &minzheng::audit::AuditEvent::new(
            t.clock.now_local(),
            &minzheng::audit::Actor::cli(),
            "ledger.import",
            "ledger",
            "plot-additions",
        ),
    )
    .await
    .unwrap();
    for body in [
        json!({"cemetery": "GM-E", "buried_on": "2026-09-30", "name": "王老太", "form": "grave", "remains": "body"}),
        json!({"cemetery": "GM-E", "buried_on": "2026-08-15", "name": "李老汉", "form": "lawn"}),
        json!({"cemetery": "GM-E", "buried_on": "2026-10-01", "name": "张老汉", "form": "grave", "remains": "遗体"}),
        json!({"region_code": "369902", "buried_on": "2026-09-01", "name": "陈老汉", "form": "sea"}),
    ] {
        let r = bury(&t, &east, body).await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    for (kind, found) in [
        ("违规土葬", "2026-07-01"),
        ("违规土葬", "2026-10-01"),
        ("乱埋乱葬", "2026-08-01"),
    ] {
        let r = t
            .post_json_as(
                &east,
                "/api/v1/affairs/funeral-violations",
                &json!({"kind": kind, "place": "某村", "region_code": "369902001", "found_on": found}),
            )
            .await;
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let r = t
        .get_as(&city, "/api/v1/reports/balance?quarter=2026Q3")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let j = r.json();
    let districts: Vec<&str> = j["balance"]["districts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(districts, vec!["369902", "369921"]);
    let values = |key: &str| {
        j["balance"]["indicators"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["key"] == key)
            .unwrap_or_else(|| panic!("{key} missing"))["values"]
            .clone()
    };
    assert_eq!(values("cremation_rate_pct"), json!([50.0, null]));
    assert_eq!(values("plots_available"), json!([8.0, null]));
    // Q4 so far: the 10-01 cremation of 1 + 1 body + 1 illegal burial = 33.3…%; plots
    // 15 − 3 = 12.
    let q4 = t
        .get_as(&city, "/api/v1/reports/balance?quarter=2026Q4")
        .await
        .json();
    let rate = q4["balance"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "cremation_rate_pct")
        .unwrap()["values"][0]
        .as_f64()
        .unwrap();
    assert!((rate - 100.0 / 3.0).abs() < 1e-9, "{rate}");
    let plots = q4["balance"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "plots_available")
        .unwrap()["values"][0]
        .clone();
    assert_eq!(plots, json!(12.0));
    t.finish().await;
}
