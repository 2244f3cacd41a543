//! minzheng (民政): the civil-affairs platform of a city bureau. `App::build` gives the
//! router and state; `main`, the tests and the benchmarks all start from it.

pub mod assistance;
pub mod audit;
pub mod auth;
pub mod calendar;
pub mod capacity;
#[macro_use]
mod codes;
pub mod affairs;
pub mod community;
pub mod compare;
pub mod config;
pub mod db;
pub mod demo;
pub mod elderly;
pub mod error;
pub mod funds;
pub mod homecare;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod ops;
pub mod payments;
pub mod protect;
pub mod region;
pub mod relief;
pub mod report;
pub mod web;

use std::sync::Arc;

use axum::Router;

use crate::auth::RouteInfo;
use crate::auth::throttle::LoginThrottle;
use crate::calendar::Clock;
use crate::config::{Config, Settings};
use crate::db::{Db, DbOpenError};
use crate::protect::{KeyError, Keyring};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub keyring: Arc<Keyring>,
    pub settings: Arc<Settings>,
    pub throttle: Arc<LoginThrottle>,
    /// Import error lists kept briefly for download.
    pub error_lists: Arc<crate::assistance::upload::ErrorLists>,
    /// Quarterly reports computed since the last write (see `report::cache`).
    pub reports: Arc<crate::report::cache::ReportCache>,
}

pub struct App {
    pub router: Router,
    pub state: AppState,
    /// Every route with the access it declares (walked by the access-control tests).
    pub routes: Vec<RouteInfo>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Db(#[from] DbOpenError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

impl App {
    /// Opens (and migrates) the database named in `config`, loads the key file (created on
    /// the first run of an empty database) and assembles the router.
    pub async fn build(config: Config) -> Result<App, StartError> {
        let db = Db::open_with(&config.database_url, config.integrity).await?;
        let keyring = open_keyring(&db, &config).await?;
        Ok(App::with_db(db, keyring, config.settings, config.clock))
    }

    /// Assembles the router over an already opened database.
    pub fn with_db(db: Db, keyring: Keyring, settings: Settings, clock: Arc<dyn Clock>) -> App {
        let state = AppState {
            db,
            clock,
            keyring: Arc::new(keyring),
            settings: Arc::new(settings),
            throttle: Arc::new(LoginThrottle::default()),
            error_lists: Arc::new(Default::default()),
            reports: Arc::new(Default::default()),
        };
        let (router, routes) = web::router(state.clone());
        App {
            router,
            state,
            routes,
        }
    }
}

/// The key file may be created only while the database holds no account yet: creating a
/// fresh key for a database with sealed data would make that data unreadable.
pub async fn open_keyring(db: &Db, config: &Config) -> Result<Keyring, StartError> {
    let empty = crate::auth::store::count(db)
        .await
        .map_err(|e| DbOpenError::Check(e.to_string()))?
        == 0;
    let keyring = Keyring::load_or_create(&config.key_path(), empty)?;
    // The key must open the database's key check value (stored at the first start).
    crate::ops::key_check::ensure(db, &keyring, &config.key_path()).await?;
    Ok(keyring)
}
