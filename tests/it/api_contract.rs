//! The OpenAPI contract exercised with generated input (SECURITY.md, Input and output):
//! schemathesis (PyPI, the `st` command) reads `/api/v1/openapi.json` from a real server
//! on a loopback port and calls every operation as a signed-in city administrator with
//! generated paths, queries and bodies. The run passes when no answer is a 5xx and every
//! answer matches what the document says about it.
//!
//! Skipped when `st` is not installed, unless MINZHENG_REQUIRE_SCHEMATHESIS=1 (set by
//! `.ci/run`, which installs it), so a missing tool cannot pass CI silently.

use std::process::Command;

use chrono::NaiveDate;
use minzheng::assistance::import::import_roster;
use minzheng::auth::Role;
use minzheng::ids::IdNumber;

use crate::common::browser::Served;
use crate::common::{Backend, Session, TestApp, cli_event, test_today};

/// Operations left out: they end the session the run works in, or change the account's
/// password (after which every later request would be refused).
const EXCLUDED: &str = "^/api/v1/(login|logout|me/password|password)";

fn schemathesis() -> Option<String> {
    let required = std::env::var("MINZHENG_REQUIRE_SCHEMATHESIS").is_ok_and(|v| v == "1");
    let found = Command::new("st")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    match (found, required) {
        (true, _) => Some("st".to_string()),
        (false, true) => {
            panic!("MINZHENG_REQUIRE_SCHEMATHESIS=1 but `st` (schemathesis) is not on PATH")
        }
        (false, false) => {
            eprintln!("schemathesis (st) not installed: contract run skipped");
            None
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_holds_its_contract_under_generated_input() {
    let Some(st) = schemathesis() else { return };
    let t = TestApp::with_tree(Backend::Sqlite).await;
    // Something to find: a household of two.
    let id = |seq| {
        IdNumber::compose("369902", NaiveDate::from_ymd_opt(1981, 3, 15).unwrap(), seq)
            .unwrap()
            .as_str()
            .to_string()
    };
    let roster = format!(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n\
         H001,低保,张伟,{},本人,是,369902001001,1200,2026-07-15,在保,,\n\
         H001,低保,李娜,{},配偶,是,369902001001,,2026-07-15,在保,,\n",
        id(11),
        id(22)
    );
    import_roster(
        t.database(),
        &t.app.state.keyring,
        "r.csv",
        roster.as_bytes(),
        test_today(),
        false,
        &cli_event("ledger.import"),
    )
    .await
    .unwrap();
    let served = Served::start(&t).await;
    // Two roles between them reach most operations: the city administrator (reports,
    // parameters, registers) and the street caseworker (applications, cases, the
    // workbench). Each run is its own session.
    for (role, region) in [
        (Role::CityAdmin, "369900"),
        (Role::StreetCaseworker, "369902001"),
    ] {
        let session = t.signed_in(role, region).await;
        run_schemathesis(&st, &served, &session, role.code()).await;
    }
    drop(served);
    t.finish().await;
}

/// One schemathesis run as `session`; fails on any 5xx or contract violation.
async fn run_schemathesis(st: &str, served: &Served, session: &Session, who: &str) {
    let report = tempfile::tempdir().unwrap();
    let junit = report.path().join("junit.xml");
    let args: Vec<String> = vec![
        "run".into(),
        served.url("/api/v1/openapi.json"),
        "--checks".into(),
        "not_a_server_error,response_schema_conformance,content_type_conformance".into(),
        "--exclude-path-regex".into(),
        EXCLUDED.into(),
        "-H".into(),
        format!("Cookie: {}", session.cookie),
        "-H".into(),
        format!("X-CSRF-Token: {}", session.csrf),
        "--max-examples".into(),
        "20".into(),
        "--seed".into(),
        "20261130".into(),
        "--workers".into(),
        "2".into(),
        "--generation-database".into(),
        "none".into(),
        "--request-timeout".into(),
        "20".into(),
        "--phases".into(),
        "examples,coverage,fuzzing".into(),
        "--no-color".into(),
        "--report".into(),
        "junit".into(),
        "--report-junit-path".into(),
        junit.display().to_string(),
    ];
    // Run in the report's directory: schemathesis leaves a `.schemathesis` folder in
    // its working directory.
    let dir = report.path().to_path_buf();
    let st = st.to_string();
    let out =
        tokio::task::spawn_blocking(move || Command::new(st).args(&args).current_dir(dir).output())
            .await
            .unwrap()
            .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("schemathesis as {who}:\n{stdout}");
    assert!(
        out.status.success(),
        "schemathesis as {who} found contract violations or server errors:\n{stdout}\n{stderr}"
    );
    // The run really called the API: the report lists operations.
    let xml = std::fs::read_to_string(&junit).unwrap_or_default();
    assert!(
        xml.matches("<testcase").count() > 50,
        "schemathesis as {who} tested too few operations:\n{stdout}"
    );
}
