//! The quarterly report (METRICS.md) against hand counts: the quarter's first and last
//! days, re-approval after an exit, 清退 vs other exits, cancelled grants, region
//! subtrees and the urban/rural split; every key present, missing ones null with reasons.

use minzheng::audit::Actor;
use minzheng::auth::Role;
use minzheng::calendar::Clock;
use minzheng::demo::{self, DemoOptions};
use minzheng::report::{self, KEYS, Value};
use sqlx::Row;

use crate::common::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    assistance_figures_match_a_hand_count,
    demo_city_figures_match_a_hand_count,
    report_page_api_and_workbook,
    the_report_is_kept_until_a_write,
);

/// A household in a community with one case: one row of the hand-built table, its
/// columns in the order the test writes them.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn case(
    t: &TestApp,
    number: &str,
    community: &str,
    program: &str,
    status: &str,
    approved: Option<&str>,
    exited: Option<(&str, &str)>,
    covered: i64,
    approved_persons: i64,
) {
    let pool = t.database().pool();
    let household: i64 = match sqlx::query("SELECT id FROM households WHERE number = $1")
        .bind(number)
        .fetch_optional(pool)
        .await
        .unwrap()
    {
        Some(r) => r.try_get(0).unwrap(),
        None => sqlx::query(
            "INSERT INTO households (number, region_code, created_at) VALUES ($1, $2, '2026-01-01') RETURNING id",
        )
        .bind(number)
        .bind(community)
        .fetch_one(pool)
        .await
        .unwrap()
        .try_get(0)
        .unwrap(),
    };
    sqlx::query(
        "INSERT INTO cases (household_id, program, status, region_code, applied_on, approved_on, exited_on, \
         exit_reason, monthly_amount, covered_persons, source, approved_persons) \
         VALUES ($1, $2, $3, $4, '2026-01-05', $5, $6, $7, 100000, $8, 'counter', $9)",
    )
    .bind(household)
    .bind(program)
    .bind(status)
    .bind(community)
    .bind(approved)
    .bind(exited.map(|e| e.0))
    .bind(exited.map(|e| e.1))
    .bind(covered)
    .bind(approved.map(|_| approved_persons))
    .execute(pool)
    .await
    .unwrap();
}

pub(crate) async fn grant(
    t: &TestApp,
    seq: i64,
    community: &str,
    date: &str,
    fen: i64,
    status: &str,
) {
    sqlx::query(
        "INSERT INTO temporary_grants (id_number_sealed, id_number_index, name, region_code, kind, grant_date, \
         amount, household_size, advance, status, created_at) \
         VALUES ('x', $1, '某', $2, 'emergency', $3, $4, 1, 0, $5, '2026-10-02')",
    )
    .bind(format!("index-{seq}"))
    .bind(community)
    .bind(date)
    .bind(fen)
    .bind(status)
    .execute(t.database().pool())
    .await
    .unwrap();
}

pub(crate) const URBAN: &str = "369902001001";
pub(crate) const URBAN_2: &str = "369902001002";
pub(crate) const RURAL: &str = "369921001001";

async fn assistance_figures_match_a_hand_count(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    // New 低保: approved on the first and the last day of 2026Q3 count; the day before
    // and the day after do not; 特困 is not 低保; a household approved again after an exit
    // counts again. Persons are those of the approval (H2 was later reviewed down to 1).
    case(
        &t,
        "H1",
        URBAN,
        "dibao",
        "active",
        Some("2026-07-01"),
        None,
        3,
        3,
    )
    .await;
    case(
        &t,
        "H2",
        RURAL,
        "dibao",
        "active",
        Some("2026-09-30"),
        None,
        1,
        2,
    )
    .await;
    case(
        &t,
        "H3",
        URBAN_2,
        "dibao",
        "exited",
        Some("2026-06-30"),
        Some(("2026-08-15", "income_above")),
        4,
        4,
    )
    .await;
    case(
        &t,
        "H3",
        URBAN_2,
        "dibao",
        "active",
        Some("2026-09-01"),
        None,
        3,
        3,
    )
    .await;
    case(
        &t,
        "H4",
        URBAN,
        "dibao",
        "active",
        Some("2026-10-01"),
        None,
        2,
        2,
    )
    .await;
    case(
        &t,
        "H4b",
        URBAN,
        "tekun",
        "active",
        Some("2026-08-01"),
        None,
        1,
        1,
    )
    .await;
    // Exits: 清退 reasons count (H3 above, H6 on the first day); death does not.
    case(
        &t,
        "H5",
        RURAL,
        "dibao",
        "exited",
        Some("2025-01-10"),
        Some(("2026-09-30", "death")),
        1,
        1,
    )
    .await;
    case(
        &t,
        "H6",
        RURAL,
        "dibao",
        "exited",
        Some("2025-02-10"),
        Some(("2026-07-01", "verification")),
        2,
        2,
    )
    .await;
    case(&t, "H7", URBAN, "dibao", "rejected", None, None, 0, 0).await;
    // Grants: the first and last day count, a cancelled one and one in June do not.
    grant(&t, 1, URBAN, "2026-07-01", 1_200_000, "valid").await;
    grant(&t, 2, RURAL, "2026-09-30", 400_050, "valid").await;
    grant(&t, 3, URBAN, "2026-08-10", 500_000, "cancelled").await;
    grant(&t, 4, URBAN, "2026-06-30", 300_000, "valid").await;

    let r = report::quarterly_for(t.database(), "2026Q3", None)
        .await
        .unwrap();
    assert_eq!(
        (r.from.as_str(), r.to.as_str()),
        ("2026-07-01", "2026-09-30")
    );
    let f = |key: &str| r.figures.get(key);
    assert_eq!(f("dibao_new_households"), Some(Value::Count(3)));
    assert_eq!(f("dibao_new_persons"), Some(Value::Count(3 + 2 + 3)));
    assert_eq!(f("dibao_removed_households"), Some(Value::Count(2)));
    assert_eq!(f("dibao_removed_persons"), Some(Value::Count(4 + 2)));
    assert_eq!(f("temp_assistance_cases"), Some(Value::Count(2)));
    // 12,000.00 + 4,000.50 = 16,000.50 元 = 1.60 万元 (1.60005 rounds half up to 1.60).
    assert_eq!(
        f("temp_assistance_amount_yuan"),
        Some(Value::Hundredths(1_600_050))
    );
    assert_eq!(
        f("temp_assistance_amount_wan_yuan"),
        Some(Value::Hundredths(160))
    );
    // Urban/rural split.
    assert_eq!(r.urban.get("dibao_new_households"), Some(Value::Count(2)));
    assert_eq!(r.rural.get("dibao_new_persons"), Some(Value::Count(2)));
    assert_eq!(r.urban.get("dibao_removed_persons"), Some(Value::Count(4)));
    assert_eq!(
        r.rural.get("temp_assistance_amount_yuan"),
        Some(Value::Hundredths(400_050))
    );
    // A district's subtree: only its (urban) communities.
    let d = report::quarterly_for(t.database(), "2026Q3", Some("369902"))
        .await
        .unwrap();
    assert_eq!(d.region_name, "东湖区");
    assert_eq!(d.figures.get("dibao_new_households"), Some(Value::Count(2)));
    assert_eq!(
        d.figures.get("dibao_removed_households"),
        Some(Value::Count(1))
    );
    assert_eq!(
        d.figures.get("temp_assistance_amount_wan_yuan"),
        Some(Value::Hundredths(120))
    );
    // Every key present; the ones without a module are null and listed with a reason.
    let json = serde_json::to_value(&r).unwrap();
    let figures = json["figures"].as_object().unwrap();
    assert_eq!(figures.len(), KEYS.len());
    assert_eq!(json["figures"]["marriages"], 0);
    assert_eq!(
        json["figures"]["registration_compliance_rate"],
        serde_json::Value::Null
    );
    assert_eq!(json["figures"]["dibao_new_households"], 3);
    assert_eq!(json["figures"]["temp_assistance_amount_yuan"], 16000.5);
    let missing: Vec<&str> = json["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["key"].as_str().unwrap())
        .collect();
    // Assistance, elderly care, community and funeral are built.
    assert!(!missing.contains(&"grave_plots_new") && !missing.contains(&"temp_assistance_cases"));
    assert!(!missing.contains(&"care_beds_new") && !missing.contains(&"consultations"));
    // The text view: section 一 with the known figures, the rest left as X and listed.
    let text = report::text(&r);
    assert!(
        text.contains("新增低保3户、8人,清退不符合条件的2户、6人"),
        "{text}"
    );
    assert!(
        text.contains("累计实施临时救助2人次,发放救助金1.60万元"),
        "{text}"
    );
    // Elderly care is counted (none in this city: 0), community governance not yet (X).
    assert!(text.contains("新建社区日间照料中心0个"), "{text}");
    assert!(text.contains("社区协商活动0次"), "{text}");
    assert!(text.contains("新增墓穴0个"), "{text}");
    assert!(text.contains("结婚登记0对、离婚登记0对"), "{text}");
    // A bad quarter is a sentence, not a crash.
    let err = report::quarterly_for(t.database(), "2026Q5", None)
        .await
        .unwrap_err();
    assert!(err.contains("2026Q3"), "{err}");
    t.finish().await;
}

/// On the demo city, the report's assistance figures equal a count made here straight
/// from the tables by the definitions of METRICS.md.
async fn demo_city_figures_match_a_hand_count(backend: Backend) {
    let t = TestApp::start(backend).await;
    demo::build(
        t.database(),
        &t.app.state.keyring,
        DemoOptions::default(),
        t.clock.now(),
        &Actor::cli(),
    )
    .await
    .unwrap();
    let pool = t.database().pool();
    let one = |sql: &'static str| async move {
        sqlx::query(sql)
            .fetch_one(pool)
            .await
            .unwrap()
            .try_get::<Option<i64>, _>(0)
            .unwrap()
            .unwrap_or(0)
    };
    // The demo's today is 2026-11-29: its last whole quarter is 2026Q3.
    let new_households = one(
        "SELECT COUNT(*) FROM cases WHERE program = 'dibao' AND approved_on BETWEEN '2026-07-01' AND '2026-09-30'",
    )
    .await;
    let new_persons = one(
        "SELECT CAST(SUM(approved_persons) AS BIGINT) FROM cases WHERE program = 'dibao' AND approved_on BETWEEN '2026-07-01' AND '2026-09-30'",
    )
    .await;
    let removed = one(
        "SELECT COUNT(*) FROM cases WHERE program = 'dibao' AND status = 'exited' AND exited_on BETWEEN '2026-07-01' AND '2026-09-30' \
         AND exit_reason IN ('income_above', 'assets_above', 'verification', 'false_info', 'refusal')",
    )
    .await;
    let grants = one(
        "SELECT COUNT(*) FROM temporary_grants WHERE status = 'valid' AND grant_date BETWEEN '2026-07-01' AND '2026-09-30'",
    )
    .await;
    let removed_persons = one(
        "SELECT CAST(SUM(covered_persons) AS BIGINT) FROM cases WHERE program = 'dibao' AND status = 'exited' AND exited_on BETWEEN '2026-07-01' AND '2026-09-30' \
         AND exit_reason IN ('income_above', 'assets_above', 'verification', 'false_info', 'refusal')",
    )
    .await;
    let granted = one(
        "SELECT CAST(SUM(amount) AS BIGINT) FROM temporary_grants WHERE status = 'valid' AND grant_date BETWEEN '2026-07-01' AND '2026-09-30'",
    )
    .await;
    let r = report::quarterly_for(t.database(), "2026Q3", None)
        .await
        .unwrap();
    assert!(new_households > 0, "the demo approves households in 2026Q3");
    assert!(grants > 0, "the demo grants temporary assistance in 2026Q3");
    assert_eq!(
        r.figures.get("temp_assistance_amount_yuan"),
        Some(Value::Hundredths(granted))
    );
    assert_eq!(
        r.figures.get("dibao_removed_persons"),
        Some(Value::Count(removed_persons))
    );
    // 万元: fen / 10,000 in hundredths, half up.
    assert_eq!(
        r.figures.get("temp_assistance_amount_wan_yuan"),
        Some(Value::Hundredths((granted + 5_000) / 10_000))
    );
    // Urban and rural add up to the whole for every figure counted.
    for (key, _) in KEYS
        .iter()
        .filter(|(_, s)| *s == report::Source::Assistance)
    {
        let whole = r.figures.get(key).unwrap();
        let (Some(u), Some(ru)) = (r.urban.get(key), r.rural.get(key)) else {
            panic!("{key} has no urban/rural split");
        };
        let n = |v: Value| match v {
            Value::Count(n) | Value::Hundredths(n) => n,
        };
        if *key != "temp_assistance_amount_wan_yuan" {
            assert_eq!(n(u) + n(ru), n(whole), "{key}");
        }
    }
    assert_eq!(
        r.figures.get("dibao_new_households"),
        Some(Value::Count(new_households))
    );
    assert_eq!(
        r.figures.get("dibao_new_persons"),
        Some(Value::Count(new_persons))
    );
    assert_eq!(
        r.figures.get("dibao_removed_households"),
        Some(Value::Count(removed))
    );
    assert_eq!(
        r.figures.get("temp_assistance_cases"),
        Some(Value::Count(grants))
    );
    t.finish().await;
}

/// The page, the API and the Excel download show the same figures, within the user's
/// region; the download is audited.
async fn report_page_api_and_workbook(backend: Backend) {
    use calamine::{Data, Reader};
    let t = TestApp::with_tree(backend).await;
    case(
        &t,
        "H1",
        URBAN,
        "dibao",
        "active",
        Some("2026-07-01"),
        None,
        3,
        3,
    )
    .await;
    case(
        &t,
        "H2",
        RURAL,
        "dibao",
        "active",
        Some("2026-09-30"),
        None,
        2,
        2,
    )
    .await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let page = t.get_as(&city, "/reports/quarterly?quarter=2026Q3").await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("新增低保户数（户）"), "{}", page.body);
    assert!(
        page.body.contains("新增低保2户、5人"),
        "the speech filled in: {}",
        page.body
    );
    assert!(
        page.body.contains("东湖区") && page.body.contains("青山县"),
        "the districts side by side"
    );
    // Without a quarter: the last whole one (today is 2026-11-29: 2026Q3).
    let page = t.get_as(&city, "/reports/quarterly").await;
    assert!(page.body.contains("2026 年第三季度"), "{}", page.body);
    let api = t
        .get_as(
            &city,
            "/api/v1/reports/quarterly?quarter=2026Q3&region=369902",
        )
        .await;
    assert_eq!(api.status, 200, "{}", api.body);
    let json = api.json();
    assert_eq!(json["report"]["region"], "369902");
    assert_eq!(json["report"]["figures"]["dibao_new_households"], 1);
    assert_eq!(json["parts"].as_array().unwrap().len(), 1, "one street");
    // A district's user cannot ask for another district; a community worker has no report.
    let other = t.signed_in(Role::DistrictApprover, "369921").await;
    let r = t
        .get_as(
            &other,
            "/api/v1/reports/quarterly?quarter=2026Q3&region=369902",
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    let worker = t.signed_in(Role::CommunityWorker, URBAN).await;
    assert_eq!(t.get_as(&worker, "/reports/quarterly").await.status, 403);
    // The workbook: the districts sheet, then one sheet per group.
    let r = t
        .request(
            axum::http::Request::get("/reports/quarterly/xlsx?quarter=2026Q3")
                .header("cookie", &city.cookie)
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").contains("spreadsheetml"));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(r.bytes.clone())).unwrap();
    assert_eq!(
        book.sheet_names(),
        vec![
            "示范市分区县",
            "社会救助",
            "养老服务",
            "基层治理",
            "社会事务",
            "救助资金",
            "大数据比对",
            "分区县指标",
            "城乡差距"
        ]
    );
    // The city's workbook carries the districts' balance indicators.
    let balance = book.worksheet_range("分区县指标").unwrap();
    assert_eq!(balance.get((1, 1)), Some(&Data::String("东湖区".into())));
    let sheet = book.worksheet_range("社会救助").unwrap();
    assert_eq!(
        sheet.get((1, 0)),
        Some(&Data::String("新增低保户数（户）".into()))
    );
    assert_eq!(sheet.get((1, 1)), Some(&Data::Float(2.0)));
    assert_eq!(sheet.get((1, 2)), Some(&Data::Float(1.0)), "urban");
    let exported: i64 =
        sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'report.export'")
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
    assert_eq!(exported, 1);
    t.finish().await;
}

/// The report is computed once and served again until something is written; a write from
/// outside the server (the command line's import) is seen at the next request.
async fn the_report_is_kept_until_a_write(backend: Backend) {
    use chrono::NaiveDate;
    use minzheng::ids::IdNumber;
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let cache = &t.app.state.reports;
    assert_eq!(new_households(&t, &city).await, 0);
    let computed = cache.computed();
    // The page and the API share the computed report.
    assert_eq!(new_households(&t, &city).await, 0);
    let page = t.get_as(&city, "/reports/quarterly?quarter=2026Q3").await;
    assert_eq!(page.status, 200);
    assert_eq!(cache.computed(), computed, "served again, not recomputed");
    // A household approved in the quarter, imported as `minzheng import` does.
    let id = IdNumber::compose("369902", NaiveDate::from_ymd_opt(1970, 5, 1).unwrap(), 7).unwrap();
    let roster = format!(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n\
         H900,低保,周缓存,{},本人,是,{URBAN},800,2026-08-03,在保,,\n",
        id.as_str()
    );
    t.import_roster(&roster).await;
    assert_eq!(new_households(&t, &city).await, 1, "the import is counted");
    assert_eq!(cache.computed(), computed + 1);
    // Opening the household's page is audited (the chain's head moves) but changes no
    // figure: the report stays computed.
    let household: i64 = sqlx::query("SELECT id FROM households WHERE number = 'H900'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .get(0);
    let head = |t: &TestApp| {
        let pool = t.database().pool().clone();
        async move {
            let row = sqlx::query("SELECT seq, data_seq FROM audit_head WHERE id = 1")
                .fetch_one(&pool)
                .await
                .unwrap();
            (row.get::<i64, _>(0), row.get::<i64, _>(1))
        }
    };
    let before = head(&t).await;
    let page = t
        .get_as(&city, &format!("/assistance/households/{household}"))
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let after = head(&t).await;
    assert!(after.0 > before.0, "the view is audited");
    assert_eq!(after.1, before.1, "a view is not a change of data");
    assert_eq!(new_households(&t, &city).await, 1);
    assert_eq!(
        cache.computed(),
        computed + 1,
        "not recomputed after a view"
    );
    t.finish().await;
}

async fn new_households(t: &TestApp, s: &crate::common::Session) -> i64 {
    let r = t
        .get_as(s, "/api/v1/reports/quarterly?quarter=2026Q3")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["report"]["figures"]["dibao_new_households"]
        .as_i64()
        .unwrap()
}
