//! Runtime configuration. Flags and `MINZHENG_*` variables are parsed in `main`; this is
//! what the library needs from them. Secrets are never printed: `Debug` redacts the URL.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::calendar::{Clock, SystemClock};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://minzheng.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

/// How the server meets the network.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Served over TLS (directly or behind a TLS proxy): cookies get `Secure` and the
    /// `__Host-` prefix.
    pub secure_cookies: bool,
    /// Behind a reverse proxy that sets `X-Forwarded-For`: take the client address from it.
    pub trust_proxy: bool,
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    /// The key file for protected personal data; default beside the database.
    pub key_file: Option<PathBuf>,
    pub settings: Settings,
    /// "Now" for every rule and page; tests inject a manual clock.
    pub clock: Arc<dyn Clock>,
    /// Read an SQLite file through at opening (`Integrity::Skip` for read-only commands).
    pub integrity: crate::db::Integrity,
}

impl Config {
    pub fn new(database_url: impl Into<String>) -> Config {
        Config {
            database_url: database_url.into(),
            key_file: None,
            settings: Settings::default(),
            clock: Arc::new(SystemClock),
            integrity: crate::db::Integrity::Check,
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Config {
        self.clock = clock;
        self
    }

    pub fn key_path(&self) -> PathBuf {
        self.key_file
            .clone()
            .unwrap_or_else(|| crate::protect::default_key_path(&self.database_url))
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &crate::db::redact_url(&self.database_url))
            .field("key_file", &self.key_file)
            .field("settings", &self.settings)
            .finish_non_exhaustive()
    }
}
