//! Runtime configuration. Flags and `MINZHENG_*` variables are parsed in `main`; this is
//! what the library needs from them. Secrets are never printed: `Debug` redacts the URL.

use std::fmt;
use std::sync::Arc;

use crate::calendar::{Clock, SystemClock};

pub const DEFAULT_DATABASE_URL: &str = "sqlite://minzheng.db";
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    /// "Now" for every rule and page; tests inject a manual clock.
    pub clock: Arc<dyn Clock>,
}

impl Config {
    pub fn new(database_url: impl Into<String>) -> Config {
        Config {
            database_url: database_url.into(),
            clock: Arc::new(SystemClock),
        }
    }

    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Config {
        self.clock = clock;
        self
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &crate::db::redact_url(&self.database_url))
            .finish_non_exhaustive()
    }
}
