//! Browser harness: a real server on a loopback port, ChromeDriver, and headless Chromium
//! (Debian's `chromium` and `chromium-driver`). Journeys of later modules reuse it.

use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use super::TestApp;

/// A server answering on 127.0.0.1 with the test app's router.
pub struct Served {
    pub base: String,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    pub async fn start(app: &TestApp) -> Served {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let router = app.app.router.clone();
        let task = tokio::spawn(async move {
            let _ = axum::serve(
                listener,
                router.into_make_service_with_connect_info::<SocketAddr>(),
            )
            .await;
        });
        Served {
            base: format!("http://{addr}"),
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// ChromeDriver plus a headless Chromium session. Dropping it ends both.
pub struct Browser {
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

impl Browser {
    /// Starts the browser, or returns `None` (after saying so loudly) when Chromium is not
    /// installed and `MINZHENG_REQUIRE_BROWSER` is not set; CI sets it, so there a missing
    /// browser fails the test.
    pub async fn start() -> Option<Browser> {
        let chromium =
            std::env::var("MINZHENG_CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
        let chromedriver = std::env::var("MINZHENG_CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let installed = std::path::Path::new(&chromium).exists()
            && std::path::Path::new(&chromedriver).exists();
        if !installed {
            let required = std::env::var("MINZHENG_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "browser tests need Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
            );
            eprintln!(
                "SKIPPED browser test: chromium/chromedriver not installed (apt-get install chromium chromium-driver)"
            );
            return None;
        }
        let port = free_port();
        let driver = Command::new(&chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile = tempfile::tempdir().expect("profile dir");
        let args = vec![
            "--headless=new".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--window-size=1280,900".into(),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({ "binary": chromium, "args": args }),
        );
        let webdriver = format!("http://127.0.0.1:{port}");
        // ChromeDriver needs a moment to listen; retry the session for up to ~10 s.
        let mut last_error = String::new();
        for _ in 0..100 {
            match ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&webdriver)
                .await
            {
                Ok(client) => {
                    return Some(Browser {
                        client,
                        driver,
                        _profile: profile,
                    });
                }
                Err(e) => {
                    last_error = e.to_string();
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
        panic!("could not start a Chromium session: {last_error}");
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.expect("navigate");
    }

    pub async fn text(&self, css: &str) -> String {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .text()
            .await
            .expect("element text")
    }

    /// Follows a link by its text and waits for the new page.
    pub async fn click_link(&self, text: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("page root");
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link {text}: {e}"))
            .click()
            .await
            .expect("click");
        self.wait_for_new_page(old, text).await;
    }

    pub async fn fill(&self, css: &str, value: &str) {
        let field = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no field {css}: {e}"));
        field.clear().await.expect("clear field");
        field.send_keys(value).await.expect("type");
    }

    pub async fn click(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css}: {e}"))
            .click()
            .await
            .expect("click");
    }

    /// Fills and submits the login form on the current page.
    pub async fn sign_in(&self, username: &str, password: &str, code: &str) {
        self.fill("input[name=username]", username).await;
        self.fill("input[name=password]", password).await;
        if !code.is_empty() {
            self.fill("input[name=code]", code).await;
        }
        self.click_and_wait("form[action='/login'] button[type=submit]")
            .await;
    }

    /// Clicks and waits until the browser has left the current page (its old `<html>`
    /// element is gone), so the next lookup reads the new page, not the old one.
    pub async fn click_and_wait(&self, css: &str) {
        let old = self
            .client
            .find(Locator::Css("html"))
            .await
            .expect("page root");
        self.click(css).await;
        self.wait_for_new_page(old, css).await;
    }

    async fn wait_for_new_page(&self, old: fantoccini::elements::Element, what: &str) {
        for _ in 0..200 {
            if old.tag_name().await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the page did not change after {what}");
    }

    pub async fn page_text(&self) -> String {
        self.text("body").await
    }

    pub async fn title(&self) -> String {
        self.client.title().await.expect("title")
    }

    pub async fn close(mut self) {
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.driver.kill();
    }
}
