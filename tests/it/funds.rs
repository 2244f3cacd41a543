//! Funds (DOMAIN.md §7) against a hand count: budgets and allocations by source, spending
//! from a reconciled payroll and temporary grants, the rates, and spending per recipient
//! in the balance analysis and the report.

use minzheng::auth::Role;
use serde_json::{Value, json};
use sqlx::Row;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;
use crate::payments::{URBAN, case, ok, return_for, through_to_export, upload_return};

on_both_backends!(funds_by_hand, funds_input_and_scope);

fn program<'a>(district: &'a Value, code: &str) -> &'a Value {
    district["programs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["program"] == code)
        .unwrap()
}

async fn funds_by_hand(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let post = |path: &'static str, body: Value| {
        let (t, city) = (&t, &city);
        async move { ok(t.post_json_as(city, path, &body).await).await }
    };
    // 东湖区 低保 2026: budget 100,000 central + 50,000 district; 60,000 central arrived
    // in March, 10,000 more on 2026-10-08 (after 2026Q3: not in that report).
    for (source, amount) in [("central", "100000"), ("district", "50000.00")] {
        post(
            "/api/v1/funds/budgets",
            json!({"district_code": "369902", "year": 2026, "program": "dibao", "source": source, "amount": amount}),
        )
        .await;
    }
    for (on, amount) in [("2026-03-01", "60000"), ("2026-10-08", "10000")] {
        post(
            "/api/v1/funds/allocations",
            json!({"district_code": "369902", "year": 2026, "program": "dibao", "source": "central",
                   "amount": amount, "allocated_on": on, "document_no": "财社〔2026〕7号"}),
        )
        .await;
    }
    // Setting a budget again adjusts it: 100,000 → 90,000 central.
    let adjusted = post(
        "/api/v1/funds/budgets",
        json!({"district_code": "369902", "year": 2026, "program": "dibao", "source": "中央", "amount": 90000}),
    )
    .await;
    assert!(
        adjusted["message"]
            .as_str()
            .unwrap()
            .contains("原为 100,000.00 元")
    );

    // Spending: one case of 900 yuan approved 2026-08-10 is paid for September by a
    // reconciled payroll; a second payroll (October) is exported but not reconciled, so
    // it is not spending yet.
    case(
        &t,
        "A",
        URBAN,
        "dibao",
        "2026-08-10",
        None,
        900,
        "6222020200112233445",
    )
    .await;
    let maker = t.signed_in(Role::DistrictReviewer, "369902").await;
    let checker = t.signed_in(Role::DistrictApprover, "369902").await;
    let (id, file) = through_to_export(&t, &maker, &checker, "2026-09").await;
    ok(upload_return(
        &t,
        &maker,
        &format!("/api/v1/payrolls/{id}/reconcile"),
        &return_for(&file, &[], 0),
    )
    .await)
    .await;
    through_to_export(&t, &maker, &checker, "2026-10").await;
    // Temporary grants: 500 valid in the quarter, 300 cancelled (not spending).
    crate::report::grant(&t, 1, URBAN, "2026-09-15", 50_000, "valid").await;
    crate::report::grant(&t, 2, URBAN, "2026-09-16", 30_000, "cancelled").await;

    let funds = ok(t.get_as(&city, "/api/v1/funds?year=2026").await).await;
    let east = &funds["districts"][0];
    assert_eq!(east["name"], "东湖区");
    let dibao = &program(east, "dibao")["execution"];
    assert_eq!(dibao["budget"], "140000.00");
    assert_eq!(dibao["allocated"], "70000.00");
    assert_eq!(dibao["spent"], "900.00");
    assert_eq!(dibao["balance"], "69100.00");
    // 70,000 / 140,000 = 50%; 900 / 70,000 = 1.2857…% → 1.3.
    assert_eq!(dibao["allocation_rate"], 50.0);
    assert_eq!(dibao["execution_rate"], 1.3);
    let central = &program(east, "dibao")["by_source"][0];
    assert_eq!(
        (
            central["label"].as_str(),
            central["budget"].as_str(),
            central["allocated"].as_str()
        ),
        (Some("中央"), Some("90000.00"), Some("70000.00"))
    );
    let temporary = &program(east, "temporary")["execution"];
    assert_eq!(temporary["spent"], "500.00");
    // Spent without any allocation: no rate, not 0% and not infinite.
    assert!(temporary["execution_rate"].is_null());
    assert_eq!(funds["total"]["spent"], "1400.00");
    assert_eq!(funds["allocations"].as_array().unwrap().len(), 2);

    // The report of 2026Q3 for 东湖区: spending in the quarter, allocations to 09-30.
    let report = ok(t
        .get_as(
            &city,
            "/api/v1/reports/quarterly?quarter=2026Q3&region=369902",
        )
        .await)
    .await;
    let lines = report["report"]["funds"].as_array().unwrap();
    assert_eq!(lines[0]["program"], "dibao");
    assert_eq!(lines[0]["spent_in_quarter"], "900.00");
    assert_eq!(lines[0]["allocated"], "60000.00");
    assert_eq!(lines[0]["execution_rate"], 1.5);
    assert_eq!(lines[2]["spent_in_quarter"], "500.00");
    // Below a district there is no funds section.
    let street = ok(t
        .get_as(
            &city,
            "/api/v1/reports/quarterly?quarter=2026Q3&region=369902001",
        )
        .await)
    .await;
    assert!(street["report"]["funds"].is_null());

    // The balance analysis: 900 yuan over the one person in force at 09-30; 青山县 has
    // no reconciled payroll: unknown.
    let balance = ok(t
        .get_as(&city, "/api/v1/reports/balance?quarter=2026Q3")
        .await)
    .await;
    let per = balance["balance"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "spending_per_recipient")
        .unwrap();
    assert_eq!(per["values"], json!([900.0, null]));

    // The page and the workbook.
    let page = t.get_as(&city, "/funds?year=2026").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("70,000.00"), "allocated on the page");
    assert!(page.body.contains("财社〔2026〕7号"));
    let report_page = t
        .get_as(&city, "/reports/quarterly?quarter=2026Q3&region=369902")
        .await;
    assert!(report_page.body.contains("id=\"report-funds\""));
    let book = t.get_as(&city, "/funds/xlsx?year=2026").await;
    assert_eq!(book.status, 200);
    assert!(book.header("content-type").contains("spreadsheetml"));
    use calamine::Reader;
    let mut xlsx: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(book.bytes.clone())).unwrap();
    assert_eq!(xlsx.sheet_names(), ["执行情况", "分来源", "下达记录"]);
    let sheet = xlsx.worksheet_range("执行情况").unwrap();
    let row = sheet
        .rows()
        .find(|r| r[0] == "东湖区" && r[1] == "最低生活保障")
        .unwrap();
    assert_eq!(row[3], calamine::Data::Float(70_000.0));
    assert_eq!(row[4], calamine::Data::Float(900.0));

    // Deleting an allocation entered by mistake: gone from the sums, kept in the audit.
    let first = funds["allocations"][1]["id"].as_i64().unwrap();
    ok(t.post_json_as(
        &city,
        &format!("/api/v1/funds/allocations/{first}/delete"),
        &json!({}),
    )
    .await)
    .await;
    let after = ok(t.get_as(&city, "/api/v1/funds?year=2026").await).await;
    assert_eq!(
        program(&after["districts"][0], "dibao")["execution"]["allocated"],
        "60000.00"
    );
    let audited: i64 = sqlx::query(
        "SELECT COUNT(*) FROM audit_log WHERE action IN ('funds.budget.set', 'funds.allocation.add', 'funds.allocation.delete', 'funds.export')",
    )
    .fetch_one(t.database().pool())
    .await
    .unwrap()
    .try_get(0)
    .unwrap();
    // 3 budgets, 2 allocations, 1 deletion, 1 export.
    assert_eq!(audited, 7);
}

async fn funds_input_and_scope(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let approver = t.signed_in(Role::DistrictApprover, "369902").await;
    let refused = |body: Value| {
        let (t, approver) = (&t, &approver);
        async move {
            let r = t
                .post_json_as(approver, "/api/v1/funds/allocations", &body)
                .await;
            assert_eq!(r.status, 422, "{}", r.body);
            r.body
        }
    };
    let good = json!({"district_code": "369902", "year": 2026, "program": "dibao", "source": "central",
                      "amount": "1000", "allocated_on": "2026-05-01", "document_no": "财社〔2026〕1号"});
    let with = |k: &str, v: Value| {
        let mut b = good.clone();
        b[k] = v;
        b
    };
    // Another district is outside the approver's scope.
    assert!(
        refused(with("district_code", json!("369921")))
            .await
            .contains("「区县」")
    );
    assert!(
        refused(with("amount", json!("12.345")))
            .await
            .contains("「下达金额」")
    );
    assert!(
        refused(with("source", json!("乡镇")))
            .await
            .contains("「资金来源」")
    );
    assert!(
        refused(with("allocated_on", json!("2026-12-01")))
            .await
            .contains("晚于今天")
    );
    assert!(
        refused(with("document_no", json!("")))
            .await
            .contains("「下达文号」")
    );
    let stored: i64 = sqlx::query("SELECT COUNT(*) FROM fund_allocations")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(stored, 0, "nothing stored from refused input");
    ok(
        t.post_json_as(&approver, "/api/v1/funds/allocations", &good)
            .await,
    )
    .await;
    // The district's own page shows its district only; a reviewer reads but cannot enter.
    let reviewer = t.signed_in(Role::DistrictReviewer, "369902").await;
    let mine = ok(t.get_as(&reviewer, "/api/v1/funds").await).await;
    assert_eq!(mine["districts"].as_array().unwrap().len(), 1);
    assert_eq!(mine["total"]["allocated"], "1000.00");
    let denied = t
        .post_json_as(&reviewer, "/api/v1/funds/allocations", &good)
        .await;
    assert_eq!(denied.status, 403);
    let page = t.get_as(&reviewer, "/funds").await;
    assert!(!page.body.contains("id=\"allocation-form\""));
    // A street caseworker has no funds pages at all.
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    assert_eq!(t.get_as(&street, "/api/v1/funds").await.status, 403);
}
