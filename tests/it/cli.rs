//! The `minzheng` command as an operator runs it.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Backend, SMALL_TREE, TestDb};
use crate::on_both_backends;

fn minzheng(url: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .arg("--database-url")
        .arg(url)
        .args(args)
        .env_remove("MINZHENG_DATABASE_URL")
        .output()
        .expect("run minzheng")
}

fn stderr_lines(out: &Output) -> Vec<String> {
    String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

fn sqlite_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("cli.db").display())
}

#[test]
fn migrate_creates_the_database_file() {
    let dir = tempfile::tempdir().unwrap();
    let out = minzheng(&sqlite_url(dir.path()), &["migrate"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.path().join("cli.db").exists());
    // Running it again finds nothing to do.
    assert!(
        minzheng(&sqlite_url(dir.path()), &["migrate"])
            .status
            .success()
    );
}

#[test]
fn version_is_printed() {
    let out = Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("minzheng "));
}

#[test]
fn a_bad_database_url_is_one_clear_line() {
    let out = minzheng("mysql://root@localhost/x", &["migrate"]);
    assert!(!out.status.success());
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("数据库地址无法识别"), "{lines:?}");
}

#[test]
fn an_unreachable_postgres_is_one_clear_line() {
    let out = minzheng("postgres://nobody@127.0.0.1:1/none", &["migrate"]);
    assert!(!out.status.success());
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("无法连接数据库"), "{lines:?}");
    assert!(!lines[0].contains("nobody:"), "no credentials printed");
}

#[test]
fn an_unreadable_file_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = minzheng(
        &sqlite_url(dir.path()),
        &["regions", "import", "/nonexistent/regions.csv"],
    );
    assert!(!out.status.success());
    let lines = stderr_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("无法读取文件"), "{lines:?}");
}

#[tokio::test]
async fn region_import_lists_errors_writes_them_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let bad = dir.path().join("bad.csv");
    std::fs::write(&bad, "369900,示范市,\n369902,东湖区,农村\n3699020010,x,\n").unwrap();
    let errors = dir.path().join("errors.csv");
    let out = minzheng(
        &url,
        &[
            "regions",
            "import",
            bad.to_str().unwrap(),
            "--errors",
            errors.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("第 2 行"), "{stderr}");
    assert!(stderr.contains("第 3 行"), "{stderr}");
    assert!(stderr.contains("未导入任何数据"), "{stderr}");
    let csv = std::fs::read_to_string(&errors).unwrap();
    assert!(csv.starts_with("\u{feff}行号,列名,值,原因\n"), "{csv}");
    assert_eq!(csv.lines().count(), 3);
    // Nothing stored, not even the good first row.
    let db = minzheng::db::Db::open(&url).await.unwrap();
    assert_eq!(minzheng::region::store::count(&db).await.unwrap(), 0);
    db.close().await;

    let good = dir.path().join("good.csv");
    std::fs::write(&good, SMALL_TREE).unwrap();
    let out = minzheng(&url, &["regions", "import", good.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("已导入 8 个区划节点"));
    let out = minzheng(&url, &["demo"]);
    assert!(
        !out.status.success(),
        "demo refuses a database with regions"
    );
    assert!(stderr_lines(&out)[0].contains("已有数据"));
}

#[test]
fn calendar_import_checks_every_row() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let file = dir.path().join("holidays.csv");
    std::fs::write(&file, "2026-10-01,休\n2026-10-32,休\n").unwrap();
    let out = minzheng(&url, &["calendar", "import", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("第 2 行「日期」列"));
    std::fs::write(&file, "2026-10-01,休\n2026-10-10,班\n").unwrap();
    let out = minzheng(&url, &["calendar", "import", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("已导入 2 天"));
}

#[test]
fn demo_command_builds_the_city() {
    let dir = tempfile::tempdir().unwrap();
    let out = minzheng(&sqlite_url(dir.path()), &["demo", "--seed", "3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("示范市（369900），5 个区县"), "{stdout}");
    // The quarterly report on the demo city: every METRICS.md key, the assistance ones
    // as numbers, the others null with their reason.
    let url = sqlite_url(dir.path());
    let out = minzheng(
        &url,
        &[
            "report",
            "quarterly",
            "--quarter",
            "2026Q3",
            "--format",
            "json",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let figures = report["figures"].as_object().unwrap();
    let keys: Vec<&str> = minzheng::report::KEYS.iter().map(|(k, _)| *k).collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(
        figures.keys().map(String::as_str).collect::<Vec<_>>(),
        sorted
    );
    // In the speech's order in the printed JSON.
    let printed = String::from_utf8_lossy(&out.stdout);
    let block = &printed[printed.find("\"figures\"").unwrap()..];
    let at: Vec<usize> = keys
        .iter()
        .map(|k| block.find(&format!("\"{k}\"")).unwrap())
        .collect();
    assert!(at.windows(2).all(|w| w[0] < w[1]), "{printed}");
    for key in [
        "dibao_new_households",
        "dibao_removed_persons",
        "temp_assistance_amount_wan_yuan",
    ] {
        assert!(figures[key].is_number(), "{key}: {report}");
    }
    assert!(figures["marriages"].is_number());
    assert!(
        report["missing"]
            .as_array()
            .unwrap()
            .iter()
            .all(|m| m["key"] != "marriages")
    );
    let out = minzheng(
        &url,
        &[
            "report",
            "quarterly",
            "--quarter",
            "2026Q3",
            "--format",
            "text",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("新增低保") && !text.contains("新增低保X户"),
        "{text}"
    );
    let out = minzheng(
        &url,
        &[
            "report",
            "quarterly",
            "--quarter",
            "2026Q3",
            "--format",
            "xml",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--format"));
    // HTML: one document with the groups, the districts and the speech.
    let out = minzheng(
        &url,
        &[
            "report",
            "quarterly",
            "--quarter",
            "2026Q3",
            "--format",
            "html",
        ],
    );
    let html = String::from_utf8_lossy(&out.stdout);
    assert!(
        html.starts_with("<!DOCTYPE html>") && html.contains("社会救助") && html.contains("分区划"),
        "{html}"
    );
    // Excel needs a file; the workbook has the districts sheet and one per group.
    let out = minzheng(
        &url,
        &[
            "report",
            "quarterly",
            "--quarter",
            "2026Q3",
            "--format",
            "xlsx",
        ],
    );
    assert!(!out.status.success());
    let file = dir.path().join("report.xlsx");
    let out = minzheng(
        &url,
        &[
            "report",
            "quarterly",
            "--quarter",
            "2026Q3",
            "--format",
            "xlsx",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    use calamine::Reader;
    let book: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    // The districts, one sheet per group, the funds, the comparison and the city's
    // balance analysis.
    assert_eq!(book.sheet_names().len(), 9, "{:?}", book.sheet_names());
    // The balance analysis of the demo's five districts, with residents and staff.
    let out = minzheng(&url, &["report", "balance", "--quarter", "2026Q3"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["balance"]["districts"].as_array().unwrap().len(), 5);
    let per_1000 = json["balance"]["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["key"] == "dibao_per_1000")
        .unwrap();
    assert!(
        per_1000["values"]
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v.as_f64().unwrap() > 0.0)
    );
    assert!(per_1000["spread"]["cv"].as_f64().is_some());
    assert_eq!(json["trend"]["quarters"].as_array().unwrap().len(), 8);
    let file = dir.path().join("balance.xlsx");
    let out = minzheng(
        &url,
        &[
            "report",
            "balance",
            "--quarter",
            "2026Q3",
            "--format",
            "xlsx",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success());
    let book: calamine::Xlsx<_> = calamine::open_workbook(&file).unwrap();
    assert_eq!(book.sheet_names(), ["分区县指标", "城乡差距"]);

    // December's payroll of one district from the command line, approved (by a person,
    // here by hand in the database) and written as a bank file.
    let out = minzheng(
        &url,
        &[
            "payroll",
            "generate",
            "--month",
            "2026-12",
            "--district",
            "369999",
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("区县 369999 不在行政区划中"));
    let out = minzheng(
        &url,
        &[
            "payroll",
            "generate",
            "--month",
            "2026-12",
            "--district",
            "369902",
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("369902 2026-12 低保：第"), "{stdout}");
    let lines: i64 = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let db = minzheng::db::Db::connect(&url).await.unwrap();
        sqlx::query("UPDATE payrolls SET status = 'approved' WHERE month = '2026-12'")
            .execute(db.pool())
            .await
            .unwrap();
        sqlx::query_scalar(
            "SELECT COUNT(*) FROM payroll_lines l JOIN payrolls p ON p.id = l.payroll_id WHERE p.month = '2026-12'",
        )
        .fetch_one(db.pool())
        .await
        .unwrap()
    });
    assert!(lines > 0);
    let banks = dir.path().join("bank");
    let out = minzheng(
        &url,
        &[
            "payroll",
            "export",
            "--month",
            "2026-12",
            "--output-dir",
            banks.to_str().unwrap(),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(banks.join("payroll-2026-12-dibao-369902.csv")).unwrap();
    // The header and one row per line, with full account numbers.
    assert_eq!(csv.lines().count() as i64, lines + 1, "{csv}");
}

on_both_backends!(serve_with_demo_answers_over_http);

fn http_get(port: u16, path: &str) -> Option<String> {
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    write!(stream, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n").ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    Some(response)
}

async fn serve_with_demo_answers_over_http(backend: Backend) {
    let db = TestDb::new(backend).await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .args(["--database-url", db.url(), "serve", "--demo", "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut page = None;
    while Instant::now() < deadline {
        if let Some(r) = http_get(port, "/login") {
            page = Some(r);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let output = child.wait_with_output().unwrap();
    let page = page.expect("server answered");
    assert!(
        page.starts_with("HTTP/1.0 200") || page.starts_with("HTTP/1.1 200"),
        "{page}"
    );
    assert!(page.contains("民政业务平台"));
    // The demo accounts were printed, one per role, with the administrators' TOTP secrets.
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("示范市（369900）"), "{stdout}");
    for account in [
        "shequ",
        "jiedao",
        "shenhe",
        "shenpi",
        "shiju",
        "shenji",
        "sysadmin",
        "secadmin",
        "auditadmin",
    ] {
        assert!(stdout.contains(account), "{account} missing from {stdout}");
    }
    assert_eq!(stdout.matches("TOTP 密钥").count(), 3);
    db.drop_db().await;
}

#[test]
fn bootstrap_creates_the_three_administrators_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let out = minzheng(&url, &["accounts", "bootstrap"]);
    assert!(!out.status.success(), "no regions yet");
    assert!(stderr_lines(&out)[0].contains("regions import"));
    let regions = dir.path().join("r.csv");
    std::fs::write(&regions, SMALL_TREE).unwrap();
    assert!(
        minzheng(&url, &["regions", "import", regions.to_str().unwrap()])
            .status
            .success()
    );
    let out = minzheng(&url, &["accounts", "bootstrap"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    for name in ["sysadmin", "secadmin", "auditadmin"] {
        assert!(stdout.contains(name), "{stdout}");
    }
    assert_eq!(stdout.matches("TOTP 密钥").count(), 3);
    assert!(
        dir.path().join("cli.db.key").exists(),
        "the key file is created beside the database"
    );
    let again = minzheng(&url, &["accounts", "bootstrap"]);
    assert!(!again.status.success());
    // The chain verifies, and the CLI actions are in it.
    let verify = minzheng(&url, &["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
}

#[test]
fn the_server_refuses_to_start_without_its_key_once_data_is_sealed() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let regions = dir.path().join("r.csv");
    std::fs::write(&regions, SMALL_TREE).unwrap();
    assert!(
        minzheng(&url, &["regions", "import", regions.to_str().unwrap()])
            .status
            .success()
    );
    assert!(minzheng(&url, &["accounts", "bootstrap"]).status.success());
    std::fs::remove_file(dir.path().join("cli.db.key")).unwrap();
    let out = minzheng(&url, &["accounts", "bootstrap"]);
    assert!(!out.status.success());
    let err = stderr_lines(&out).join(" ");
    assert!(err.contains("密钥文件"), "{err}");
}

#[test]
fn the_operator_resets_an_administrator_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let regions = dir.path().join("r.csv");
    std::fs::write(&regions, SMALL_TREE).unwrap();
    assert!(
        minzheng(&url, &["regions", "import", regions.to_str().unwrap()])
            .status
            .success()
    );
    assert!(minzheng(&url, &["accounts", "bootstrap"]).status.success());
    let out = minzheng(&url, &["accounts", "reset", "secadmin"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("临时密码") && stdout.contains("新的 TOTP 密钥"),
        "{stdout}"
    );
    let out = minzheng(&url, &["accounts", "reset", "nobody"]);
    assert!(!out.status.success());
}

#[test]
fn a_long_error_list_is_cut_on_screen_and_whole_in_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    let regions = dir.path().join("r.csv");
    std::fs::write(&regions, SMALL_TREE).unwrap();
    assert!(
        minzheng(&url, &["regions", "import", regions.to_str().unwrap()])
            .status
            .success()
    );
    let mut roster = String::from(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态\n",
    );
    for i in 0..60 {
        roster.push_str(&format!(
            "H{i},低保,某人,12345,本人,是,369902001001,100,2026-07-01,在保\n"
        ));
    }
    let file = dir.path().join("bad.csv");
    std::fs::write(&file, roster).unwrap();
    let errors = dir.path().join("errors.csv");
    let out = minzheng(
        &url,
        &[
            "import",
            "assistance-roster",
            file.to_str().unwrap(),
            "--errors",
            errors.to_str().unwrap(),
        ],
    );
    assert!(!out.status.success());
    let lines = stderr_lines(&out);
    assert_eq!(
        lines.len(),
        52,
        "50 errors, the rest counted, and the summary"
    );
    assert!(lines[50].contains("另有 10 处错误"));
    assert_eq!(
        std::fs::read_to_string(&errors).unwrap().lines().count(),
        61
    );
}

/// `compare load`, `load-all` and `run` on the demo city: the counts printed, a file
/// loaded twice not stored twice, an unknown source named.
#[test]
fn compare_commands_load_and_run() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    assert!(minzheng(&url, &["demo", "--seed", "3"]).status.success());
    let data = dir.path().join("departments");
    std::fs::create_dir(&data).unwrap();
    let valid = "369902195001010038";
    std::fs::write(
        data.join("death.csv"),
        format!("身份证号,姓名,死亡日期\n{valid},某甲,2026-10-01\n12345,某乙,2026-10-02\n"),
    )
    .unwrap();
    std::fs::write(
        data.join("payroll.csv"),
        format!("身份证号,姓名,单位名称\n{valid},某甲,示范市某局\n"),
    )
    .unwrap();
    let out = minzheng(
        &url,
        &[
            "compare",
            "load",
            "death",
            data.join("death.csv").to_str().unwrap(),
        ],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("2 行，有效 1 行，另存 1 行"), "{stdout}");
    assert!(stdout.contains("身份证号长度不是 18 位"), "{stdout}");
    // The folder: death.csv again (not stored twice) and payroll.csv.
    let out = minzheng(&url, &["compare", "load-all", data.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("未重复导入"), "{stdout}");
    assert!(
        // The demo city loaded one month's file of each of the eight sources: 1–8.
        stdout.contains("财政供养人员：第 10 号数据集，1 行"),
        "{stdout}"
    );
    let out = minzheng(&url, &["compare", "run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The demo city's comparison was the first.
    assert!(stdout.contains("第 2 次比对：在救助中的"), "{stdout}");
    let out = minzheng(&url, &["compare", "load", "tax", "x.csv"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("来源「tax」无法识别"));
}

/// `import` and `export` of the elderly-care ledgers: the demo's facilities exported and
/// imported back unchanged; a bad file named by row and column, nothing stored.
#[test]
fn elderly_ledgers_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    assert!(
        minzheng(&url, &["demo", "--seed", "5", "--households", "80"])
            .status
            .success()
    );
    let file = dir.path().join("设施.csv");
    let out = minzheng(&url, &["export", "facilities", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let exported = std::fs::read_to_string(&file).unwrap();
    let rows = exported.lines().count() - 1;
    assert!(rows > 5, "{exported}");
    let out = minzheng(&url, &["import", "facilities", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains(&format!("{rows} 行（新增 0，更新 {rows}）")),
        "{stdout}"
    );
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "设施编号,名称,类型,所属社区,性质,状态,开业日期,床位数,护理型床位数\nNEW-1,新院,养老院,369999999999,公办,运营,2026-01-01,10,0\n",
    )
    .unwrap();
    let out = minzheng(&url, &["import", "facilities", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let errors = stderr_lines(&out).join("\n");
    assert!(
        errors.contains("第 2 行「类型」列，值「养老院」"),
        "{errors}"
    );
    assert!(errors.contains("第 2 行「所属社区」列"), "{errors}");
    assert!(!exported.contains("NEW-1"));
}

/// `import` and `export` of the funeral and marriage ledgers: each of the demo's ledgers
/// exported, imported back (nothing new) and exported again byte for byte the same.
#[test]
fn funeral_and_marriage_ledgers_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(dir.path());
    assert!(
        minzheng(&url, &["demo", "--seed", "5", "--households", "80"])
            .status
            .success()
    );
    for ledger in ["cemeteries", "plot-additions", "marriage-registrations"] {
        let first = dir.path().join(format!("{ledger}.csv"));
        let out = minzheng(&url, &["export", ledger, first.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{ledger}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let exported = std::fs::read_to_string(&first).unwrap();
        let rows = exported.lines().count() - 1;
        assert!(rows >= 2, "{ledger}: {exported}");
        let out = minzheng(&url, &["import", ledger, first.to_str().unwrap()]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{ledger}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            stdout.contains(&format!("{rows} 行（新增 0，")),
            "{ledger}: {stdout}"
        );
        let again = dir.path().join(format!("{ledger}-again.csv"));
        let out = minzheng(&url, &["export", ledger, again.to_str().unwrap()]);
        assert!(out.status.success());
        assert_eq!(
            std::fs::read_to_string(&again).unwrap(),
            exported,
            "{ledger}"
        );
    }
    let out = minzheng(&url, &["export", "no-such-ledger", "x.csv"]);
    assert!(!out.status.success());
    let errors = stderr_lines(&out).join("\n");
    assert!(
        errors.contains("plot-additions") && errors.contains("marriage-registrations"),
        "{errors}"
    );
}
