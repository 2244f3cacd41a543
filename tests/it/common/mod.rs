//! Test harness: every integration test runs against a fresh SQLite file and, when
//! `MINZHENG_TEST_POSTGRES_URL` is set, against a fresh PostgreSQL database cloned from a
//! migrated template (cloning is much faster than migrating per test).

pub mod browser;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::NaiveDate;
use http_body_util::BodyExt;
use minzheng::App;
use minzheng::audit::{Actor, AuditEvent};
use minzheng::auth::Role;
use minzheng::auth::password::hash_password;
use minzheng::auth::store::{self as user_store, NewUser};
use minzheng::calendar::{Clock, ManualClock};
use minzheng::config::Settings;
use minzheng::db::Db;
use minzheng::protect::{Keyring, SensitiveKind};
use sqlx::Connection;
use sqlx::postgres::PgConnection;
use tokio::sync::OnceCell;
use tower::ServiceExt;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Declares `name::sqlite` and `name::postgres` tests that call `async fn name(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    if $crate::common::postgres_url().is_none() {
                        eprintln!("MINZHENG_TEST_POSTGRES_URL not set: PostgreSQL run skipped");
                        return;
                    }
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )*
    };
}

pub fn postgres_url() -> Option<String> {
    std::env::var("MINZHENG_TEST_POSTGRES_URL")
        .ok()
        .filter(|s| !s.is_empty())
}

/// The day tests live on unless they set another.
pub fn test_today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
}

/// A database that exists for one test.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        name: String,
        url: String,
    },
}

impl TestDb {
    pub async fn new(backend: Backend) -> TestDb {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                TestDb::Sqlite { _dir: dir, url }
            }
            Backend::Postgres => {
                let admin = postgres_url().expect("MINZHENG_TEST_POSTGRES_URL");
                let template = template_name();
                TEMPLATE
                    .get_or_init(|| async { ensure_template(&admin, &template).await })
                    .await;
                static COUNTER: AtomicUsize = AtomicUsize::new(0);
                let name = format!(
                    "mz_t_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst)
                );
                let mut conn = PgConnection::connect(&admin)
                    .await
                    .expect("admin connection");
                // Cloning fails while another session is still attached to the template
                // (a backend that has not yet exited); retry briefly.
                let sql = format!("CREATE DATABASE {name} TEMPLATE {template}");
                execute_with_retry(&mut conn, &sql).await;
                conn.close().await.ok();
                TestDb::Postgres {
                    url: with_database(&admin, &name),
                    name,
                }
            }
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => url,
        }
    }

    /// Drops a PostgreSQL test database (SQLite files go with their temp dir).
    pub async fn drop_db(&self) {
        if let TestDb::Postgres { name, .. } = self {
            let admin = postgres_url().expect("MINZHENG_TEST_POSTGRES_URL");
            if let Ok(mut conn) = PgConnection::connect(&admin).await {
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                let _ = sqlx::query(&sql).execute(&mut conn).await;
                conn.close().await.ok();
            }
        }
    }
}

async fn execute_with_retry(conn: &mut PgConnection, sql: &str) {
    let mut attempts = 0;
    loop {
        match sqlx::query(sql).execute(&mut *conn).await {
            Ok(_) => return,
            Err(_) if attempts < 100 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("{sql}: {e}"),
        }
    }
}

static TEMPLATE: OnceCell<()> = OnceCell::const_new();

/// The template's name carries a fingerprint of the migrations compiled into this test
/// binary, so a changed schema gets a new template instead of silently reusing an old one
/// (and editing migration files during a run cannot change it).
fn template_name() -> String {
    format!(
        "mz_template_{}",
        Db::schema_fingerprint(minzheng::db::Backend::Postgres)
    )
}

fn with_database(url: &str, name: &str) -> String {
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

async fn ensure_template(admin: &str, template: &str) {
    let mut conn = PgConnection::connect(admin)
        .await
        .expect("admin connection");
    // Only one test process builds the template; others wait on the advisory lock.
    sqlx::query("SELECT pg_advisory_lock(727274)")
        .execute(&mut conn)
        .await
        .expect("advisory lock");
    let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(template)
        .fetch_optional(&mut conn)
        .await
        .expect("look up template");
    if exists.is_none() {
        let building = format!("{template}_building");
        let drop = format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)");
        sqlx::query(&drop).execute(&mut conn).await.expect("drop");
        let create = format!("CREATE DATABASE {building}");
        sqlx::query(&create)
            .execute(&mut conn)
            .await
            .expect("create");
        let db = Db::open(&with_database(admin, &building))
            .await
            .expect("migrate template");
        db.close().await;
        // The migrating pool's backends may linger after it closes (long on a loaded
        // machine): end them, so the rename cannot wait on our own leftovers.
        sqlx::query(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&building)
        .execute(&mut conn)
        .await
        .ok();
        let rename = format!("ALTER DATABASE {building} RENAME TO {template}");
        execute_with_retry(&mut conn, &rename).await;
    }
    // Leftovers of earlier, aborted runs.
    let stale: Vec<(String,)> = sqlx::query_as(
        "SELECT datname FROM pg_database WHERE datname LIKE 'mz\\_t\\_%' OR \
         (datname LIKE 'mz\\_template\\_%' AND datname <> $1)",
    )
    .bind(template)
    .fetch_all(&mut conn)
    .await
    .unwrap_or_default();
    // Only databases of test processes that are gone: a concurrent run keeps its own.
    for (name,) in stale {
        let owner_alive = name
            .strip_prefix("mz_t_")
            .and_then(|rest| rest.split('_').next())
            .is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
        if !owner_alive {
            let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            let _ = sqlx::query(&sql).execute(&mut conn).await;
        }
    }
    sqlx::query("SELECT pg_advisory_unlock(727274)")
        .execute(&mut conn)
        .await
        .ok();
    conn.close().await.ok();
}

/// The app over a fresh database, with a manual clock on `test_today()`.
pub struct TestApp {
    pub app: App,
    pub db: TestDb,
    pub clock: Arc<ManualClock>,
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as sent (a download).
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }
}

/// An account made directly in the database for a test (no forced password change).
#[derive(Clone, Debug)]
pub struct TestUser {
    pub id: i64,
    pub username: String,
    pub password: String,
    /// Base32 TOTP secret, for roles that need a second factor.
    pub totp: Option<String>,
}

/// A signed-in browser-like client: its session cookie and CSRF token.
#[derive(Clone, Debug)]
pub struct Session {
    pub cookie: String,
    pub csrf: String,
    pub user: TestUser,
}

pub const TEST_PASSWORD: &str = "Civil-Affairs-2026";

/// An audit event as the CLI would record it (for calling imports directly).
pub fn cli_event(action: &str) -> AuditEvent {
    AuditEvent::new(
        ManualClock::at_date(test_today()).now_local(),
        &Actor::cli(),
        action,
        "file",
        "test",
    )
}

/// Everything the application logs during the whole test run (DEBUG and above), so a
/// test can check that no secret ever reaches a log.
#[derive(Clone, Default)]
pub struct LogCapture(pub Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for LogCapture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

pub fn log_capture() -> &'static LogCapture {
    static CAPTURE: std::sync::OnceLock<LogCapture> = std::sync::OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = LogCapture::default();
        let writer = capture.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::DEBUG)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        let _ = tracing::subscriber::set_global_default(subscriber);
        capture
    })
}

impl TestApp {
    pub async fn start(backend: Backend) -> TestApp {
        log_capture();
        let db = TestDb::new(backend).await;
        let clock = Arc::new(ManualClock::at_date(test_today()));
        let opened = Db::open(db.url()).await.expect("open test database");
        let app = App::with_db(
            opened,
            Keyring::ephemeral(),
            Settings::default(),
            clock.clone(),
        );
        TestApp { app, db, clock }
    }

    /// Starts the app with SMALL_TREE imported.
    pub async fn with_tree(backend: Backend) -> TestApp {
        let t = TestApp::start(backend).await;
        minzheng::region::import::import_regions(
            t.database(),
            SMALL_TREE.as_bytes(),
            &cli_event("region.import"),
        )
        .await
        .expect("import SMALL_TREE");
        t
    }

    /// Creates an account with `TEST_PASSWORD` (and a TOTP secret for administrators).
    pub async fn create_user(&self, username: &str, role: Role, region: &str) -> TestUser {
        let hash = hash_password(TEST_PASSWORD).unwrap();
        let totp = role.requires_totp().then(minzheng::auth::totp::new_secret);
        let sealed = totp
            .as_ref()
            .map(|s| self.app.state.keyring.seal(SensitiveKind::Totp, s));
        let mut tx = self.database().begin().await.unwrap();
        let id = user_store::insert(
            &mut tx,
            &NewUser {
                username,
                display_name: username,
                role,
                region_code: region,
                password_hash: &hash,
                must_change_password: false,
                totp_secret: sealed.as_ref().map(|s| s.sealed.as_str()),
                phone: None,
                id_number: None,
            },
            self.clock.now(),
        )
        .await
        .expect("insert test user");
        tx.commit().await.unwrap();
        TestUser {
            id,
            username: username.to_string(),
            password: TEST_PASSWORD.to_string(),
            totp,
        }
    }

    /// The current TOTP code of a user (at the test clock's time).
    pub fn totp_code(&self, user: &TestUser) -> String {
        user.totp
            .as_ref()
            .and_then(|s| minzheng::auth::totp::code_at(s, self.clock.now().timestamp() as u64))
            .unwrap_or_default()
    }

    /// Signs in through the JSON API and returns the session.
    pub async fn login(&self, user: &TestUser) -> Session {
        let body = serde_json::json!({
            "username": user.username,
            "password": user.password,
            "code": self.totp_code(user),
        });
        let r = self
            .request(
                Request::post("/api/v1/login")
                    .header("content-type", "application/json")
                    .body(Body::from(body.to_string()))
                    .unwrap(),
            )
            .await;
        assert_eq!(
            r.status, 200,
            "login of {} failed: {}",
            user.username, r.body
        );
        let cookie = r
            .headers
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with("mz_session="))
            .and_then(|c| c.split(';').next())
            .expect("session cookie")
            .to_string();
        Session {
            cookie,
            csrf: r.json()["csrf_token"].as_str().unwrap().to_string(),
            user: user.clone(),
        }
    }

    /// Imports an assistance roster (CSV text) as `minzheng import` does, on the test day.
    pub async fn import_roster(&self, csv: &str) {
        minzheng::assistance::import::import_roster(
            self.database(),
            &self.app.state.keyring,
            "r.csv",
            csv.as_bytes(),
            test_today(),
            false,
            &cli_event("ledger.import"),
        )
        .await
        .unwrap();
    }

    /// Creates an account of `role` at `region` and signs it in.
    pub async fn signed_in(&self, role: Role, region: &str) -> Session {
        let name = format!("{}{}", role.code().replace('_', ""), region);
        let user = self.create_user(&name, role, region).await;
        self.login(&user).await
    }

    pub async fn get_as(&self, s: &Session, path: &str) -> TestResponse {
        self.request(
            Request::get(path)
                .header("cookie", &s.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// Posts a form as the session, with its CSRF token added.
    pub async fn post_as(&self, s: &Session, path: &str, form: &[(&str, &str)]) -> TestResponse {
        let mut fields: Vec<(&str, &str)> = vec![("_csrf", s.csrf.as_str())];
        fields.extend_from_slice(form);
        self.post_form(path, &fields, Some(&s.cookie)).await
    }

    /// Posts a JSON body as the session, with its CSRF token in the header.
    pub async fn post_json_as(
        &self,
        s: &Session,
        path: &str,
        body: &serde_json::Value,
    ) -> TestResponse {
        self.request(
            Request::post(path)
                .header("content-type", "application/json")
                .header("cookie", &s.cookie)
                .header("x-csrf-token", &s.csrf)
                .body(Body::from(body.to_string()))
                .unwrap(),
        )
        .await
    }

    /// Posts a form exactly as given (no token added).
    pub async fn post_form(
        &self,
        path: &str,
        form: &[(&str, &str)],
        cookie: Option<&str>,
    ) -> TestResponse {
        let body = serde_urlencoded::to_string(form).unwrap();
        let mut req =
            Request::post(path).header("content-type", "application/x-www-form-urlencoded");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        self.request(req.body(Body::from(body)).unwrap()).await
    }

    pub fn database(&self) -> &Db {
        &self.app.state.db
    }

    pub async fn request(&self, mut request: Request<Body>) -> TestResponse {
        // As if from a client on this machine (the login throttle counts per address).
        if request
            .extensions()
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .is_none()
        {
            request.extensions_mut().insert(axum::extract::ConnectInfo(
                std::net::SocketAddr::from(([127, 0, 0, 1], 40000)),
            ));
        }
        let response = self
            .app
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router answers");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(Request::get(path).body(Body::empty()).unwrap())
            .await
    }

    /// Closes the pool and drops the PostgreSQL database.
    pub async fn finish(self) {
        self.app.state.db.close().await;
        self.db.drop_db().await;
    }
}

/// A small valid region file: the city, one district, one street, two communities.
pub const SMALL_TREE: &str = "code,name,urban_rural\n\
369900,示范市,\n\
369902,东湖区,\n\
369902001,解放街道,\n\
369902001001,幸福社区,城镇\n\
369902001002,和谐社区,城镇\n\
369921,青山县,\n\
369921001,青石镇,\n\
369921001001,李家村,农村\n";
