//! Households register pages and API (scoped), and the standards page.

use chrono::NaiveDate;
use minzheng::assistance::import::import_roster;
use minzheng::assistance::standards::policy_on;
use minzheng::auth::Role;
use minzheng::ids::IdNumber;
use minzheng::money::Fen;
use minzheng::region::UrbanRural;
use sqlx::Row;

use crate::common::{Backend, TestApp, cli_event, test_today};
use crate::on_both_backends;

on_both_backends!(
    households_are_scoped_by_list_url_and_api,
    city_admin_sets_standards_with_history,
);

fn id(seq: u16) -> String {
    IdNumber::compose("369902", NaiveDate::from_ymd_opt(1970, 5, 5).unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

async fn households_are_scoped_by_list_url_and_api(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let more = "369902002,人民街道,\n369902002001,阳光社区,城镇\n";
    minzheng::region::import::import_regions(
        t.database(),
        more.as_bytes(),
        &cli_event("region.import"),
    )
    .await
    .unwrap();
    let roster = format!(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态\n\
         A1,低保,甲一,{},本人,是,369902001001,900,2026-07-01,在保\n\
         B1,低保,乙一,{},本人,是,369902002001,800,2026-07-02,在保\n",
        id(1),
        id(2)
    );
    import_roster(
        t.database(),
        &t.app.state.keyring,
        "r.csv",
        roster.as_bytes(),
        test_today(),
        false,
        &cli_event("x"),
    )
    .await
    .unwrap();
    let b_id: i64 = sqlx::query("SELECT id FROM households WHERE number = 'B1'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    let a = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let list = t.get_as(&a, "/assistance/households").await;
    assert_eq!(list.status, 200);
    // Household numbers as the list shows them: a bare "B1" can turn up inside the
    // page's random CSRF token, which made this check fail now and then.
    assert!(list.body.contains(">A1</a>") && !list.body.contains(">B1</a>"));
    let api = t.get_as(&a, "/api/v1/households").await.json();
    assert_eq!(api["total"], 1);
    assert_eq!(
        t.get_as(&a, &format!("/assistance/households/{b_id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        t.get_as(&a, &format!("/api/v1/households/{b_id}"))
            .await
            .status,
        404
    );
    assert_eq!(
        t.get_as(&a, "/assistance/households?region=369902002")
            .await
            .status,
        422
    );
    // The district sees both; the detail page masks the ID number.
    let d = t.signed_in(Role::DistrictReviewer, "369902").await;
    assert_eq!(t.get_as(&d, "/api/v1/households").await.json()["total"], 2);
    let page = t
        .get_as(&d, &format!("/assistance/households/{b_id}"))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("369902********") && !page.body.contains(&id(2)));
    assert!(
        page.body.contains("花名册导入"),
        "the history shows how the case came in"
    );
    // Filters.
    assert_eq!(
        t.get_as(&d, "/api/v1/households?status=exited")
            .await
            .json()["total"],
        0
    );
    assert_eq!(
        t.get_as(&d, "/api/v1/households?program=dibao&status=active")
            .await
            .json()["total"],
        2
    );
    t.finish().await;
}

async fn city_admin_sets_standards_with_history(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let worker = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let form = [
        ("district_code", "369902"),
        ("area", "urban"),
        ("effective_from", "2026-07-01"),
        ("standard", "1,050"),
    ];
    assert_eq!(
        t.post_as(&worker, "/assistance/standards", &form)
            .await
            .status,
        403
    );
    let r = t.post_as(&city, "/assistance/standards", &form).await;
    assert_eq!(r.status, 200, "{}", r.body);
    let r = t
        .post_as(
            &city,
            "/assistance/standards",
            &[
                ("district_code", "369902"),
                ("area", "urban"),
                ("effective_from", "2027-01-01"),
                ("standard", "1100"),
            ],
        )
        .await;
    assert_eq!(r.status, 200);
    let bad = t
        .post_as(
            &city,
            "/assistance/standards",
            &[
                ("district_code", "369902"),
                ("area", "urban"),
                ("effective_from", "2027-13-01"),
                ("standard", "1100"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422);
    // The policy in force on each date.
    let on = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap();
    let p = policy_on(t.database(), "369902", UrbanRural::Urban, on("2026-06-30"))
        .await
        .unwrap();
    assert_eq!(
        p.dibao_standard,
        Fen::from_yuan(1000),
        "before any setting: the national default"
    );
    let p = policy_on(t.database(), "369902", UrbanRural::Urban, on("2026-07-01"))
        .await
        .unwrap();
    assert_eq!(p.dibao_standard, Fen::from_yuan(1050));
    let p = policy_on(t.database(), "369902", UrbanRural::Urban, on("2027-01-01"))
        .await
        .unwrap();
    assert_eq!(p.dibao_standard, Fen::from_yuan(1100));
    let p = policy_on(t.database(), "369902", UrbanRural::Rural, on("2027-01-01"))
        .await
        .unwrap();
    assert_eq!(p.dibao_standard, Fen::from_yuan(800), "rural untouched");
    let page = t.get_as(&worker, "/assistance/standards").await;
    assert!(
        page.body.contains("1,050.00"),
        "the worker reads the standard in force"
    );
    let audited: i64 = sqlx::query("SELECT COUNT(*) FROM audit_log WHERE action = 'standard.set'")
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
    assert_eq!(audited, 2);
    t.finish().await;
}

on_both_backends!(the_upload_page_imports_lists_errors_and_keeps_to_the_region);

pub(crate) fn multipart(csrf: &str, ledger: &str, file: &str, dry_run: bool) -> (String, String) {
    let boundary = "----mzboundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"ledger\"\r\n\r\n{ledger}\r\n"
    );
    if dry_run {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\n1\r\n"
        ));
    }
    body.push_str(&format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n--{boundary}--\r\n"
    ));
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    t: &TestApp,
    s: &crate::common::Session,
    ledger: &str,
    file: &str,
    dry_run: bool,
) -> crate::common::TestResponse {
    let (content_type, body) = multipart(&s.csrf, ledger, file, dry_run);
    t.request(
        axum::http::Request::post("/ledgers")
            .header("content-type", content_type)
            .header("cookie", &s.cookie)
            .body(axum::body::Body::from(body))
            .unwrap(),
    )
    .await
}

async fn the_upload_page_imports_lists_errors_and_keeps_to_the_region(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let worker = t.signed_in(Role::StreetCaseworker, "369902001").await;
    assert_eq!(t.get_as(&worker, "/ledgers").await.status, 200);
    let template = t
        .get_as(&worker, "/ledgers/template/assistance-roster.xlsx")
        .await;
    assert_eq!(template.status, 200);
    assert!(
        template
            .header("content-disposition")
            .contains("assistance-roster.xlsx")
    );
    assert_eq!(
        t.get_as(&worker, "/ledgers/template/nothing.xlsx")
            .await
            .status,
        404
    );
    let header =
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态";
    // A bad ID number: the table lists it, nothing is stored, the list downloads as CSV.
    let bad = format!("{header}\nU1,低保,甲,12345,本人,是,369902001001,900,2026-07-01,在保\n");
    let r = upload(&t, &worker, "assistance-roster", &bad, false).await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.contains("id=\"upload-errors\"") && r.body.contains("身份证号"));
    let token = r
        .body
        .split("/ledgers/errors/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let csv = t.get_as(&worker, &format!("/ledgers/errors/{token}")).await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains("行号,列名,值,原因"));
    let other = t.signed_in(Role::StreetCaseworker, "369921001").await;
    assert_eq!(
        t.get_as(&other, &format!("/ledgers/errors/{token}"))
            .await
            .status,
        404,
        "only the uploader"
    );
    // A household of another street: refused for this caseworker.
    let elsewhere = format!(
        "{header}\nU2,低保,乙,{},本人,是,369921001001,900,2026-07-01,在保\n",
        id(7)
    );
    let r = upload(&t, &worker, "assistance-roster", &elsewhere, false).await;
    assert_eq!(r.status, 422);
    assert!(r.body.contains("不在您的管辖范围内"));
    // A good file: a dry run stores nothing, then the import stores it.
    let good = format!(
        "{header}\nU3,低保,丙,{},本人,是,369902001002,900,2026-07-01,在保\n",
        id(8)
    );
    let r = upload(&t, &worker, "assistance-roster", &good, true).await;
    assert!(r.body.contains("检查通过"), "{}", r.body);
    assert_eq!(
        t.get_as(&worker, "/api/v1/households").await.json()["total"],
        0
    );
    let r = upload(&t, &worker, "assistance-roster", &good, false).await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("已导入：1 户、1 人"));
    assert_eq!(
        t.get_as(&worker, "/api/v1/households").await.json()["total"],
        1
    );
    // Without the CSRF part the upload is refused.
    let (content_type, body) = multipart("forged", "assistance-roster", &good, false);
    let r = t
        .request(
            axum::http::Request::post("/ledgers")
                .header("content-type", content_type)
                .header("cookie", &worker.cookie)
                .body(axum::body::Body::from(body))
                .unwrap(),
        )
        .await;
    assert_eq!(r.status, 403);
    // A community worker may not import.
    let community = t.signed_in(Role::CommunityWorker, "369902001001").await;
    assert_eq!(t.get_as(&community, "/ledgers").await.status, 403);
    t.finish().await;
}
