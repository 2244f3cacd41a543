//! minzheng (民政): the civil-affairs platform of a city bureau. `App::build` gives the
//! router and state; `main`, the tests and the benchmarks all start from it.

pub mod calendar;
pub mod config;
pub mod db;
pub mod demo;
pub mod error;
pub mod ids;
pub mod ledger;
pub mod money;
pub mod region;
pub mod web;

use std::sync::Arc;

use axum::Router;

use crate::calendar::Clock;
use crate::config::Config;
use crate::db::{Db, DbOpenError};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
}

pub struct App {
    pub router: Router,
    pub state: AppState,
}

impl App {
    /// Opens (and migrates) the database named in `config` and assembles the router.
    pub async fn build(config: Config) -> Result<App, DbOpenError> {
        let db = Db::open(&config.database_url).await?;
        Ok(App::with_db(db, config.clock))
    }

    /// Assembles the router over an already opened database.
    pub fn with_db(db: Db, clock: Arc<dyn Clock>) -> App {
        let state = AppState { db, clock };
        App {
            router: web::router(state.clone()),
            state,
        }
    }
}
