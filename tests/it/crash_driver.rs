//! What the crash harness (crash.rs) drives: the `minzheng` server as a child process that
//! can be killed with SIGKILL and started again on the same database, a bare HTTP/1.0
//! client (one request per connection, so a request cut by the kill is plainly cut), the
//! command line, and the databases each run starts from (a staged copy per run).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::common::{Backend, TEST_PASSWORD, postgres_url};

/// A database a run (or the staging) works on, with the key file that goes with it.
pub struct RunDb {
    pub url: String,
    pub key: PathBuf,
    /// Holds the SQLite file and the key file (and the server's log).
    pub dir: tempfile::TempDir,
    /// A PostgreSQL database to drop at the end.
    pub pg_name: Option<String>,
}

impl RunDb {
    /// A copy of `staged` (closed, so a plain copy of the file or a PostgreSQL template
    /// clone is exact), named after `label`.
    pub async fn copy_of(staged: &RunDb, backend: Backend, label: &str) -> RunDb {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("crash.key");
        std::fs::copy(&staged.key, &key).unwrap();
        match backend {
            Backend::Sqlite => {
                let from = staged.sqlite_file();
                let to = dir.path().join("crash.db");
                std::fs::copy(&from, &to).unwrap();
                let wal = PathBuf::from(format!("{}-wal", from.display()));
                if wal.exists() {
                    std::fs::copy(&wal, format!("{}-wal", to.display())).unwrap();
                }
                RunDb {
                    url: format!("sqlite://{}", to.display()),
                    key,
                    dir,
                    pg_name: None,
                }
            }
            Backend::Postgres => {
                let template = staged.pg_name.clone().expect("staged PostgreSQL database");
                let name = format!("{template}_{label}");
                let admin = postgres_url().unwrap();
                let mut conn = PgConnection::connect(&admin).await.unwrap();
                let sql = format!("CREATE DATABASE {name} TEMPLATE {template}");
                // The staging pool's backends may take a moment to leave the template.
                let mut tries = 0;
                while let Err(e) = sqlx::query(&sql).execute(&mut conn).await {
                    tries += 1;
                    assert!(tries < 100, "{sql}: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                conn.close().await.ok();
                RunDb {
                    url: with_database(&admin, &name),
                    key,
                    dir,
                    pg_name: Some(name),
                }
            }
        }
    }

    pub fn sqlite_file(&self) -> PathBuf {
        PathBuf::from(self.url.strip_prefix("sqlite://").expect("an SQLite URL"))
    }

    pub async fn drop_db(&self) {
        if let Some(name) = &self.pg_name {
            let admin = postgres_url().unwrap();
            if let Ok(mut conn) = PgConnection::connect(&admin).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(&sql).execute(&mut conn).await;
                conn.close().await.ok();
            }
        }
    }

    /// Runs `minzheng` on this database with `args`.
    pub fn cli(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_minzheng"))
            .arg("--database-url")
            .arg(&self.url)
            .arg("--key-file")
            .arg(&self.key)
            .args(args)
            .env_remove("MINZHENG_DATABASE_URL")
            .env_remove("MINZHENG_KEY_FILE")
            .output()
            .expect("run minzheng")
    }
}

/// The same URL with another database name.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{base}/{name}{query}")
}

/// The server as a child process.
pub struct Server {
    child: Child,
    pub port: u16,
    log: PathBuf,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl Server {
    /// Starts `minzheng serve` on `db` and waits until it answers /healthz.
    pub async fn start(db: &RunDb) -> Server {
        let port = free_port();
        let log = db.dir.path().join(format!("server-{port}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_minzheng"))
            .arg("--database-url")
            .arg(&db.url)
            .arg("--key-file")
            .arg(&db.key)
            .args(["serve", "--addr"])
            .arg(format!("127.0.0.1:{port}"))
            .env_remove("MINZHENG_DATABASE_URL")
            .env_remove("MINZHENG_KEY_FILE")
            .env("MINZHENG_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start the server");
        let mut server = Server { child, port, log };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = request(port, "GET", "/healthz", &[], None).await
                && r.status == 200
            {
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("the server exited ({status}): {}", server.log_tail());
            }
            assert!(
                Instant::now() < deadline,
                "the server did not answer within 60 s: {}",
                server.log_tail()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL (what `Child::kill` sends on Unix): no shutdown, no flush, no goodbye.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// An answer as it came over the wire.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// The body's length in bytes as it came (before any lossy decoding).
    pub body_len: usize,
}

impl Reply {
    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }
    /// A 2xx whose body arrived whole: the server said it was done.
    pub fn acknowledged(&self) -> bool {
        (200..300).contains(&self.status) && self.json().is_some()
    }
    /// A 200 file download that arrived whole: as long as its `Content-Length` says.
    pub fn whole_file(&self) -> bool {
        self.status == 200
            && self
                .headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse::<usize>().ok())
                .is_some_and(|n| n == self.body_len && n > 0)
    }
}

/// One request on its own connection (HTTP/1.0: the answer ends with the connection).
/// An error when the connection is refused or cut before a status line came back.
pub async fn request(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    json: Option<&Value>,
) -> std::io::Result<Reply> {
    let body = json.map(|j| j.to_string().into_bytes()).unwrap_or_default();
    let content_type = json.map(|_| "application/json");
    request_with(port, method, path, headers, content_type, &body).await
}

/// The same with any body (a file upload).
pub async fn request_with(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    content_type: Option<&str>,
    body: &[u8],
) -> std::io::Result<Reply> {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await?;
    let mut head = format!("{method} {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(t) = content_type {
        head.push_str(&format!("Content-Type: {t}\r\n"));
    }
    head.push_str(&format!("Content-Length: {}\r\n\r\n", body.len()));
    stream.write_all(head.as_bytes()).await?;
    stream.write_all(body).await?;
    let mut raw = Vec::new();
    // A reset after part of the answer: keep what came.
    let _ = stream.read_to_end(&mut raw).await;
    let body_len = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|at| raw.len() - at - 4)
        .unwrap_or(0);
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other(format!("no answer ({} bytes)", raw.len())))?;
    let mut lines = head.lines();
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other("no status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    Ok(Reply {
        status,
        headers,
        body: body.to_string(),
        body_len,
    })
}

/// A signed-in client of the server.
#[derive(Clone, Debug)]
pub struct Client {
    cookie: String,
    csrf: String,
}

impl Client {
    pub async fn login(port: u16, username: &str) -> Client {
        let body = serde_json::json!({"username": username, "password": TEST_PASSWORD, "code": ""});
        let r = request(port, "POST", "/api/v1/login", &[], Some(&body))
            .await
            .expect("login answered");
        assert_eq!(r.status, 200, "login of {username}: {}", r.body);
        let cookie = r
            .headers
            .iter()
            .filter(|(k, _)| k == "set-cookie")
            .map(|(_, v)| v)
            .find(|v| v.starts_with("mz_session="))
            .and_then(|v| v.split(';').next())
            .expect("session cookie")
            .to_string();
        let csrf = r.json().unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_string();
        Client { cookie, csrf }
    }

    pub async fn post(&self, port: u16, path: &str, body: &Value) -> std::io::Result<Reply> {
        request(
            port,
            "POST",
            path,
            &[("Cookie", &self.cookie), ("X-CSRF-Token", &self.csrf)],
            Some(body),
        )
        .await
    }

    pub async fn get(&self, port: u16, path: &str) -> std::io::Result<Reply> {
        request(port, "GET", path, &[("Cookie", &self.cookie)], None).await
    }

    /// Uploads `content` as the form's `file` field (multipart, as a browser sends it).
    pub async fn post_file(
        &self,
        port: u16,
        path: &str,
        file_name: &str,
        content: &str,
    ) -> std::io::Result<Reply> {
        let boundary = "XcrashX";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
             Content-Type: text/csv\r\n\r\n{content}\r\n--{boundary}--\r\n"
        );
        request_with(
            port,
            "POST",
            path,
            &[("Cookie", &self.cookie), ("X-CSRF-Token", &self.csrf)],
            Some(&format!("multipart/form-data; boundary={boundary}")),
            body.as_bytes(),
        )
        .await
    }
}

/// Waits for a child process for at most `limit` (then kills it): a hung command fails
/// the test instead of hanging it.
pub fn wait_bounded(mut child: Child, limit: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("command still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

pub fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}
