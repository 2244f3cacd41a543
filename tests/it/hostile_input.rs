//! Hostile input (SECURITY.md, Input and output): names made of markup, SQL fragments,
//! emoji and rare characters round-trip exactly through import, pages, the API and the
//! export; a 10,000-character name is refused naming the column; search fields carrying
//! injection payloads find nothing extra; page numbers from the address cannot overflow.

use chrono::NaiveDate;
use minzheng::assistance::import::{import_roster, roster_rows};
use minzheng::auth::Role;
use minzheng::ids::IdNumber;
use minzheng::ledger::{ImportError, read_csv_records, write_ledger};
use serde_json::json;
use sqlx::Row;

use crate::common::{Backend, TestApp, cli_event, test_today};
use crate::on_both_backends;

on_both_backends!(
    hostile_names_round_trip,
    an_overlong_name_is_refused_and_nothing_stored,
    injection_payloads_in_search_find_nothing_extra,
    page_numbers_out_of_range_are_answered,
);

const HEADER: &str = "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因";
const COMMUNITY: &str = "369902001001";

/// The names: markup, a quoted SQL fragment, a formula, emoji with joiners, and
/// characters outside the Basic Multilingual Plane.
const HOSTILE: [&str; 5] = [
    "<script>alert(\"x\")</script>",
    "'); DROP TABLE households;--",
    "=HYPERLINK(\"http://evil\",\"点我\")",
    "张👨‍👩‍👧三",
    "𠮷野家",
];

fn id(seq: u16) -> String {
    IdNumber::compose("369902", NaiveDate::from_ymd_opt(1980, 5, 1).unwrap(), seq)
        .unwrap()
        .as_str()
        .to_string()
}

/// A roster with one household per name, written by the ledger writer (so every cell is
/// quoted as CSV needs).
fn roster(names: &[&str]) -> Vec<u8> {
    let headers: Vec<&str> = HEADER.split(',').collect();
    let rows: Vec<Vec<String>> = names
        .iter()
        .enumerate()
        .map(|(i, name)| {
            [
                format!("X{:03}", i + 1),
                "低保".into(),
                name.to_string(),
                id(100 + i as u16),
                "本人".into(),
                "是".into(),
                COMMUNITY.into(),
                "900".into(),
                "2026-07-15".into(),
                "在保".into(),
                String::new(),
                String::new(),
            ]
            .to_vec()
        })
        .collect();
    write_ledger("hostile.csv", &headers, &rows).unwrap()
}

async fn import(t: &TestApp, bytes: &[u8]) -> Result<(), ImportError> {
    import_roster(
        t.database(),
        &t.app.state.keyring,
        "hostile.csv",
        bytes,
        test_today(),
        false,
        &cli_event("ledger.import"),
    )
    .await
    .map(|_| ())
}

async fn count(t: &TestApp, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(t.database().pool())
        .await
        .unwrap()
        .try_get(0)
        .unwrap()
}

async fn hostile_names_round_trip(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(&t, &roster(&HOSTILE))
        .await
        .expect("hostile names import");
    // The SQL fragment did nothing: every household is there.
    assert_eq!(count(&t, "SELECT COUNT(*) FROM households").await, 5);
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    for (i, name) in HOSTILE.iter().enumerate() {
        let number = format!("X{:03}", i + 1);
        let h: i64 = sqlx::query("SELECT id FROM households WHERE number = $1")
            .bind(&number)
            .fetch_one(t.database().pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        // The API gives the name back exactly.
        let r = t.get_as(&street, &format!("/api/v1/households/{h}")).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let members = r.json()["members"].clone();
        assert_eq!(members[0]["name"], json!(name), "{number}: {members}");
        // The page shows it as text: markup escaped, never live.
        let page = t
            .get_as(&street, &format!("/assistance/households/{h}"))
            .await;
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert"), "{number} not escaped");
        if name.starts_with('<') {
            // Escaped by name or by number, as the template engine writes it.
            assert!(
                page.body.contains("&lt;script&gt;alert")
                    || page.body.contains("&#60;script&#62;alert"),
                "{number}"
            );
        } else if !name.contains(['\'', '"']) {
            assert!(page.body.contains(name), "{number} missing from the page");
        }
    }
    // The export gives every name back: the formula marked as text for the spreadsheet,
    // and the exported file imports back with the names unchanged.
    let bounds = minzheng::region::RegionCode::parse("369900")
        .unwrap()
        .scope()
        .sql_bounds();
    let rows = roster_rows(t.database(), &t.app.state.keyring, bounds.clone())
        .await
        .unwrap();
    let mut names: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
    names.sort();
    let mut expected = HOSTILE.to_vec();
    expected.sort();
    assert_eq!(names, expected);
    let headers: Vec<&str> = minzheng::assistance::roster::COLUMNS
        .iter()
        .map(|c| c.name)
        .collect();
    let csv = write_ledger("export.csv", &headers, &rows).unwrap();
    let text = String::from_utf8(csv.clone()).unwrap();
    let cells: Vec<String> = read_csv_records(text.trim_start_matches('\u{feff}'))
        .unwrap()
        .into_iter()
        .flat_map(|(_, fields)| fields)
        .collect();
    assert!(
        cells.iter().any(|c| c.starts_with("'=HYPERLINK")),
        "the formula is written as text"
    );
    assert!(!cells.iter().any(|c| c.starts_with("=HYPERLINK")));
    import(&t, &csv).await.expect("the export imports back");
    let again = roster_rows(t.database(), &t.app.state.keyring, bounds)
        .await
        .unwrap();
    assert_eq!(again, rows, "export round trip");
    t.finish().await;
}

async fn an_overlong_name_is_refused_and_nothing_stored(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    let long = "长".repeat(10_000);
    let Err(ImportError::Rejected(errors)) = import(&t, &roster(&["张伟", &long])).await else {
        panic!("a 10,000-character name must be refused");
    };
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].column, "姓名");
    assert_eq!(errors[0].row, 3);
    assert!(
        errors[0].reason.contains("最多 50 个字符"),
        "{}",
        errors[0].reason
    );
    assert_eq!(count(&t, "SELECT COUNT(*) FROM households").await, 0);
    assert_eq!(count(&t, "SELECT COUNT(*) FROM members").await, 0);
    t.finish().await;
}

async fn injection_payloads_in_search_find_nothing_extra(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(&t, &roster(&["张伟", "李娜"])).await.unwrap();
    let street = t.signed_in(Role::StreetCaseworker, "369902001").await;
    let search = |name: &'static str| {
        let t = &t;
        let street = &street;
        async move {
            let r = t
                .post_json_as(
                    street,
                    "/api/v1/households/search",
                    &json!({ "name": name }),
                )
                .await;
            assert_eq!(r.status, 200, "{name}: {}", r.body);
            r.json()["total"].as_i64().unwrap()
        }
    };
    // The real name finds its household; the payloads find none.
    assert_eq!(search("张伟").await, 1);
    for payload in [
        "' OR '1'='1",
        "' OR 1=1 --",
        "%",
        "_",
        "张%",
        "\\",
        "'; DELETE FROM households; --",
    ] {
        assert_eq!(search(payload).await, 0, "{payload}");
    }
    assert_eq!(count(&t, "SELECT COUNT(*) FROM households").await, 2);
    t.finish().await;
}

async fn page_numbers_out_of_range_are_answered(backend: Backend) {
    let t = TestApp::with_tree(backend).await;
    import(&t, &roster(&["张伟"])).await.unwrap();
    let city = t.signed_in(Role::CityAdmin, "369900").await;
    let auditor = t.signed_in(Role::Auditor, "369900").await;
    for page in ["9223372036854775807", "-9223372036854775808", "0", "-1"] {
        let r = t
            .get_as(&city, &format!("/api/v1/households?page={page}"))
            .await;
        assert_eq!(r.status, 200, "households page {page}: {}", r.body);
        let r = t
            .get_as(&city, &format!("/assistance/households?page={page}"))
            .await;
        assert_eq!(r.status, 200, "households list page {page}");
        let r = t
            .get_as(&auditor, &format!("/api/v1/audit?page={page}"))
            .await;
        assert_eq!(r.status, 200, "audit page {page}: {}", r.body);
    }
    // A page past the end is empty; the first page still has the household.
    let r = t
        .get_as(&city, "/api/v1/households?page=9223372036854775807")
        .await;
    assert_eq!(r.json()["households"].as_array().unwrap().len(), 0);
    let r = t.get_as(&city, "/api/v1/households?page=-1").await;
    assert_eq!(r.json()["households"].as_array().unwrap().len(), 1);
    t.finish().await;
}
