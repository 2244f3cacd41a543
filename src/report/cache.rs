//! Quarterly reports already computed, kept until data is changed.
//!
//! A city's report runs some sixty aggregate queries (the city and each district); at the
//! end of a quarter the whole bureau opens it at once, and the figures only change when a
//! record does. Every change in minzheng appends to the audit chain in its own transaction
//! (SECURITY.md) and moves the data generation (`audit_head.data_seq`; audited reads such
//! as a household page opened move the chain's head but not it): a report computed at
//! generation N is the report for as long as the generation is still N — across processes
//! too (a command-line import moves it as well).
//!
//! The generation is read *before* the report is computed: a write that lands during the
//! computation moves it past the stored generation, so the next request computes again
//! rather than keeping figures that may have missed it.
//!
//! A restore can put the generation back to a number seen before with other data; the
//! server is stopped for a restore (README, 备份), which empties the cache, and entries of
//! any other generation are dropped whenever a report is stored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::{Quarter, QuarterlyReport};
use crate::audit::store::data_generation;
use crate::db::Db;
use crate::region::Region;

/// A report with its parts (the region's children), as the page, the workbook and the API
/// show it.
pub type WithParts = Arc<(QuarterlyReport, Vec<QuarterlyReport>)>;

/// At most this many reports are kept (a city has a few dozen districts and streets; eight
/// quarters are offered on the page). Past it, the cache starts again empty.
const CAPACITY: usize = 256;

#[derive(Default)]
pub struct ReportCache {
    entries: Mutex<HashMap<(String, String), (i64, WithParts)>>,
    /// One computation at a time: when a quarter closes, a crowd asks for the same report at
    /// once, and it should be computed once rather than by every request in parallel.
    computing: tokio::sync::Mutex<()>,
    /// Reports computed (not served from the cache), for tests and the log.
    computed: std::sync::atomic::AtomicU64,
}

impl ReportCache {
    /// The report of `quarter` over `region`, from the cache when nothing was written since it
    /// was computed.
    pub async fn with_parts(
        &self,
        db: &Db,
        quarter: Quarter,
        region: &Region,
    ) -> Result<WithParts, sqlx::Error> {
        let key = (quarter.to_string(), region.code.to_string());
        let generation = data_generation(db).await?;
        if let Some(hit) = self.get(&key, generation) {
            return Ok(hit);
        }
        let _one_at_a_time = self.computing.lock().await;
        // The generation as it is now: a report computed by the request this one waited for is
        // served if nothing was written since, and one computed now is at least as fresh as
        // the caller asked for.
        let generation = data_generation(db).await?;
        if let Some(hit) = self.get(&key, generation) {
            return Ok(hit);
        }
        let report = Arc::new(super::with_parts(db, quarter, region).await?);
        self.computed
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        // Entries of another generation can never be served again (an older one; or, after a
        // restore put the generation back, one the generation may reach again with other data).
        entries.retain(|_, (g, _)| *g == generation);
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, (generation, report.clone()));
        Ok(report)
    }

    fn get(&self, key: &(String, String), generation: i64) -> Option<WithParts> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(key)
            .filter(|(g, _)| *g == generation)
            .map(|(_, r)| r.clone())
    }

    /// How many reports were computed rather than served from the cache.
    pub fn computed(&self) -> u64 {
        self.computed.load(std::sync::atomic::Ordering::Relaxed)
    }
}
