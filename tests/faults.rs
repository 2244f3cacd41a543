//! Faults under a real server process (SECURITY.md, Durability; issue 11): the disk fills
//! up during a write, and PostgreSQL stops and starts again under the running server.
//!
//! A test binary of its own: stopping the PostgreSQL cluster would break the other tests'
//! connections, and cargo runs test binaries one after another, never side by side.
//! Each test needs root (a tmpfs mount, `pg_ctlcluster`); without it the test says so and
//! passes, unless MINZHENG_REQUIRE_FAULTS=1 (set by `.ci/run`), where it fails instead.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const REGIONS: &str = "code,name,urban_rural\n\
369900,示范市,\n\
369902,东湖区,\n\
369902001,解放街道,\n\
369902001001,幸福社区,城镇\n\
369902001002,和谐社区,城镇\n";

fn required() -> bool {
    std::env::var("MINZHENG_REQUIRE_FAULTS").is_ok_and(|v| v == "1")
}

/// Skips (or fails, when required) a test whose precondition this machine lacks.
fn unavailable(why: &str) {
    assert!(!required(), "MINZHENG_REQUIRE_FAULTS=1 but {why}");
    eprintln!("fault test skipped: {why}");
}

fn minzheng(url: &str, key: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_minzheng"))
        .arg("--database-url")
        .arg(url)
        .arg("--key-file")
        .arg(key)
        .args(args)
        .env_remove("MINZHENG_DATABASE_URL")
        .env_remove("MINZHENG_KEY_FILE")
        .env("MINZHENG_LOG", "warn")
        .output()
        .expect("run minzheng")
}

fn ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A one-request HTTP/1.0 exchange: status and body, or the I/O error.
fn http(port: u16, method: &str, path: &str, body: Option<&str>) -> std::io::Result<(u16, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(40)))?;
    let body = body.unwrap_or("");
    write!(
        s,
        "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// A login of an unknown user: refused (403), and written to the audit log first — a
/// write that needs the database and the disk.
const BAD_LOGIN: &str = r#"{"username":"nobody","password":"not-a-password","code":""}"#;

struct Server {
    child: Child,
    port: u16,
}

impl Server {
    fn start(url: &str, key: &Path, log: &Path) -> Server {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_minzheng"))
            .arg("--database-url")
            .arg(url)
            .arg("--key-file")
            .arg(key)
            .args(["serve", "--addr"])
            .arg(format!("127.0.0.1:{port}"))
            .env_remove("MINZHENG_DATABASE_URL")
            .env_remove("MINZHENG_KEY_FILE")
            .env("MINZHENG_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("start the server");
        let mut server = Server { child, port };
        let deadline = Instant::now() + Duration::from_secs(60);
        while !matches!(http(port, "GET", "/healthz", None), Ok((200, _))) {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the server exited ({status}): {}",
                    std::fs::read_to_string(log).unwrap_or_default()
                );
            }
            assert!(Instant::now() < deadline, "the server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        server
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ------------------------------------------------------------------------- disk full

/// A tmpfs of a few megabytes, unmounted at the end.
struct SmallDisk {
    path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let done = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .output()
            .is_ok_and(|o| o.status.success());
        done.then_some(SmallDisk { path, _dir: dir })
    }

    /// Fills the disk to the last byte but `leave`: a file written until the disk refuses.
    fn fill(&self, leave: u64) -> PathBuf {
        let filler = self.path.join("filler");
        let mut f = std::fs::File::create(&filler).unwrap();
        let chunk = vec![0u8; 64 * 1024];
        while f.write_all(&chunk).is_ok() {}
        let mut small = vec![0u8; 4096];
        while f.write_all(&small).is_ok() {}
        small.truncate(1);
        while f.write_all(&small).is_ok() {}
        drop(f);
        let len = std::fs::metadata(&filler).unwrap().len();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&filler)
            .unwrap()
            .set_len(len.saturating_sub(leave))
            .unwrap();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.path).output();
    }
}

/// A roster of `households` two-person households in 幸福社区 (valid ID numbers).
fn roster(households: usize) -> String {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let id = |n: usize| {
        let day = chrono::NaiveDate::from_ymd_opt(1950, 1, 1).unwrap()
            + chrono::Days::new((n / 900) as u64);
        let first = format!("369902{}{:03}", day.format("%Y%m%d"), n % 900 + 100);
        let sum: u32 = first
            .bytes()
            .zip(WEIGHTS)
            .map(|(b, w)| (b - b'0') as u32 * w)
            .sum();
        format!(
            "{first}{}",
            "10X98765432".as_bytes()[(sum % 11) as usize] as char
        )
    };
    let mut out = String::from(
        "户编号,救助类别,姓名,身份证号,与户主关系,是否保障对象,所属社区,月保障金额,批准日期,状态,停保日期,停保原因\n",
    );
    for h in 0..households {
        out += &format!(
            "F{h:06},低保,张{h},{},本人,是,369902001001,900,2026-07-15,在保,,\n\
             F{h:06},低保,李{h},{},配偶,是,369902001001,,2026-07-15,在保,,\n",
            id(2 * h),
            id(2 * h + 1)
        );
    }
    out
}

fn households(url: &str) -> i64 {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut c = sqlx::SqliteConnection::connect(&format!("{url}?mode=ro"))
            .await
            .unwrap();
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM households")
            .fetch_one(&mut c)
            .await
            .unwrap();
        c.close().await.ok();
        n
    })
}

#[test]
fn a_full_disk_fails_the_write_whole_and_reads_go_on() {
    let Some(disk) = SmallDisk::mount(24) else {
        return unavailable("a tmpfs cannot be mounted here (needs root)");
    };
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("faults.key");
    let url = format!("sqlite://{}", disk.path.join("faults.db").display());
    let regions = work.path().join("regions.csv");
    std::fs::write(&regions, REGIONS).unwrap();
    ok(&minzheng(&url, &key, &["migrate"]), "migrate");
    ok(
        &minzheng(
            &url,
            &key,
            &["regions", "import", regions.to_str().unwrap()],
        ),
        "regions import",
    );
    let file = work.path().join("roster.csv");
    std::fs::write(&file, roster(6_000)).unwrap();

    // An import on a disk with a megabyte left: refused whole, with a sentence that says
    // why, and nothing of it stored.
    let filler = disk.fill(1024 * 1024);
    let out = minzheng(
        &url,
        &key,
        &["import", "assistance-roster", file.to_str().unwrap()],
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!out.status.success(), "the import cannot fit: {said}");
    assert!(
        said.contains("磁盘") || said.contains("存储空间"),
        "a clear message: {said}"
    );
    assert_eq!(households(&url), 0, "nothing half-written");
    // Reads still work on the full disk: the report and the audit chain.
    ok(
        &minzheng(
            &url,
            &key,
            &[
                "report",
                "quarterly",
                "--quarter",
                "2026Q3",
                "--format",
                "json",
            ],
        ),
        "report on a full disk",
    );
    ok(
        &minzheng(&url, &key, &["audit", "verify"]),
        "audit verify on a full disk",
    );

    // A running server whose disk fills up: a write is refused with 503 and a sentence,
    // the health check (a read) still answers 200.
    std::fs::remove_file(&filler).unwrap();
    let log = work.path().join("server.log");
    let server = Server::start(&url, &key, &log);
    let filler = disk.fill(0);
    let (status, body) = http(server.port, "POST", "/api/v1/login", Some(BAD_LOGIN)).unwrap();
    assert_eq!(status, 503, "a write on a full disk: {body}");
    assert!(
        body.contains("没有执行") || body.contains("没有保存"),
        "{body}"
    );
    let (status, _) = http(server.port, "GET", "/healthz", None).unwrap();
    assert_eq!(status, 200, "reads go on");
    // Space again: the same write goes through, and then the whole import.
    std::fs::remove_file(&filler).unwrap();
    let (status, body) = http(server.port, "POST", "/api/v1/login", Some(BAD_LOGIN)).unwrap();
    assert_eq!(
        status,
        403,
        "{body}\n{}",
        std::fs::read_to_string(&log).unwrap_or_default()
    );
    drop(server);
    ok(
        &minzheng(
            &url,
            &key,
            &["import", "assistance-roster", file.to_str().unwrap()],
        ),
        "import with space",
    );
    assert_eq!(households(&url), 6_000);
    ok(&minzheng(&url, &key, &["audit", "verify"]), "audit verify");
}

// ------------------------------------------------------------------ PostgreSQL restart

/// The local cluster (version, name) that `pg_lsclusters` lists on port 5432.
fn cluster() -> Option<(String, String)> {
    let out = Command::new("pg_lsclusters")
        .arg("--no-header")
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout).lines().find_map(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        (f.len() > 2 && f[2] == "5432").then(|| (f[0].to_string(), f[1].to_string()))
    })
}

fn pg_ctl(cluster: &(String, String), action: &str) -> bool {
    Command::new("pg_ctlcluster")
        .args(["--skip-systemctl-redirect", &cluster.0, &cluster.1, action])
        .args(if action == "stop" {
            &["-m", "fast"][..]
        } else {
            &[][..]
        })
        .output()
        .is_ok_and(|o| o.status.success())
}

fn pg_ready() -> bool {
    Command::new("pg_isready")
        .args(["-q", "-h", "127.0.0.1", "-p", "5432"])
        .status()
        .is_ok_and(|s| s.success())
}

/// Starts the cluster again however the test ends: the tests after this one need it.
struct Restart((String, String));

impl Drop for Restart {
    fn drop(&mut self) {
        if !pg_ready() {
            pg_ctl(&self.0, "start");
            let deadline = Instant::now() + Duration::from_secs(60);
            while !pg_ready() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(200));
            }
        }
    }
}

fn psql(url: &str, sql: &str) -> bool {
    Command::new("psql")
        .args([url, "-qAtc", sql])
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn the_server_rides_out_a_postgresql_restart() {
    let Some(admin) = std::env::var("MINZHENG_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
    else {
        return unavailable("MINZHENG_TEST_POSTGRES_URL is not set");
    };
    let Some(cluster) = cluster() else {
        return unavailable("no local PostgreSQL cluster on port 5432 (pg_lsclusters)");
    };
    let name = format!("minzheng_faults_{}", std::process::id());
    assert!(
        psql(&admin, &format!("CREATE DATABASE {name}")),
        "create {name}"
    );
    let url = match admin.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{name}"),
        None => unreachable!("a PostgreSQL URL has a database"),
    };
    let work = tempfile::tempdir().unwrap();
    let key = work.path().join("faults.key");
    ok(&minzheng(&url, &key, &["migrate"]), "migrate");
    let server = Server::start(&url, &key, &work.path().join("server.log"));
    assert_eq!(
        http(server.port, "POST", "/api/v1/login", Some(BAD_LOGIN))
            .unwrap()
            .0,
        403
    );

    let restart = Restart(cluster.clone());
    assert!(pg_ctl(&cluster, "stop"), "pg_ctlcluster stop (needs root)");
    // During the gap: clean refusals, in bounded time (the pool's 10 s acquire timeout),
    // never a hang or a crash.
    let asked = Instant::now();
    let (status, body) = http(server.port, "POST", "/api/v1/login", Some(BAD_LOGIN)).unwrap();
    assert_eq!(status, 503, "a write while the database is down: {body}");
    assert!(
        body.contains("数据库暂时无法连接") || body.contains("审计记录暂时无法写入"),
        "{body}"
    );
    assert!(asked.elapsed() < Duration::from_secs(30));
    let (status, _) = http(server.port, "GET", "/healthz", None).unwrap();
    assert_eq!(status, 503, "the health check says the database is down");

    // Back up: the same server reconnects by itself.
    drop(restart);
    assert!(pg_ready(), "PostgreSQL started again");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, body) = http(server.port, "POST", "/api/v1/login", Some(BAD_LOGIN)).unwrap();
        if status == 403 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not reconnect: {status} {body}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(http(server.port, "GET", "/healthz", None).unwrap().0, 200);
    drop(server);
    ok(&minzheng(&url, &key, &["audit", "verify"]), "audit verify");
    psql(
        &admin,
        &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
    );
}
