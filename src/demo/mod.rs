//! The demo city (示范市): a registry of per-module generators run in one transaction.
//! Each module adds its own generator to `GENERATORS`; each gets a random stream of its
//! own derived from the seed, so adding a module never changes the data of the others.

use std::future::Future;
use std::pin::Pin;

use chrono::{DateTime, NaiveDate, Utc};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use sqlx::{Any, Transaction};

use crate::audit::{Actor, AuditEvent};
use crate::db::Db;
use crate::protect::Keyring;

/// The demo city's code: prefecture 99 of Jiangxi (36) is not assigned in GB/T 2260, so
/// no demo ID number can belong to a real person.
pub const DEMO_CITY_CODE: &str = "369900";
pub const DEMO_CITY_NAME: &str = "示范市";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DemoOptions {
    pub seed: u64,
    /// How many assistance households the social-assistance generator creates.
    pub households: usize,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            seed: 2026,
            households: 3000,
        }
    }
}

/// What a generator gets: the open transaction, the options, the demo's "now" and the
/// keyring for protected fields.
pub struct DemoContext<'k> {
    pub tx: Transaction<'static, Any>,
    pub options: DemoOptions,
    pub today: NaiveDate,
    pub now: DateTime<Utc>,
    pub keyring: &'k Keyring,
    pub backend: crate::db::Backend,
}

impl DemoContext<'_> {
    /// A deterministic random stream for one module.
    pub fn rng_for(&self, module: &str) -> ChaCha8Rng {
        rng(self.options.seed, module)
    }
}

/// A deterministic random stream for one module and seed.
pub fn rng(seed: u64, module: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed ^ fnv1a(module.as_bytes()))
}

/// FNV-1a: a stable hash (std's hasher may change between Rust releases).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

pub type DemoFuture<'a> = Pin<Box<dyn Future<Output = Result<String, DemoError>> + Send + 'a>>;
/// A generator returns one line saying what it created.
pub type Generator = for<'a, 'k> fn(&'a mut DemoContext<'k>) -> DemoFuture<'a>;

/// In dependency order: regions first, since everything hangs off them.
pub const GENERATORS: &[(&str, Generator)] = &[
    ("region", crate::region::demo::generate),
    ("accounts", crate::auth::demo::generate),
    ("assistance", crate::assistance::demo::generate),
    ("assistance_cases", crate::assistance::demo_cases::generate),
    ("capacity", crate::capacity::demo::generate),
    ("payments", crate::payments::demo::generate),
    ("funds", crate::funds::demo::generate),
    ("elderly", crate::elderly::demo::generate),
    ("older_people", crate::elderly::people_demo::generate),
    ("homecare", crate::homecare::demo::generate),
    ("community", crate::community::demo::generate),
    ("community_people", crate::community::demo_people::generate),
    ("relief", crate::relief::demo::generate),
    ("funeral", crate::affairs::funeral_demo::generate),
    ("marriage", crate::affairs::marriage_demo::generate),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("数据库中已有数据（{0} 个行政区划），示范数据只能建在空数据库上")]
    NotEmpty(i64),
    #[error("生成示范数据失败：{0}")]
    Database(#[from] sqlx::Error),
    #[error("生成示范数据失败：{0}")]
    Other(String),
}

/// Builds the demo city in an empty database, all or nothing. Returns one line per module.
pub async fn build(
    db: &Db,
    keyring: &std::sync::Arc<Keyring>,
    options: DemoOptions,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<Vec<String>, DemoError> {
    let existing = crate::region::store::count(db).await?;
    if existing > 0 {
        return Err(DemoError::NotEmpty(existing));
    }
    let local = now.with_timezone(&crate::calendar::china_offset());
    let mut ctx = DemoContext {
        tx: db.begin().await?,
        options,
        today: local.date_naive(),
        now,
        keyring,
        backend: db.backend(),
    };
    let mut lines = Vec::new();
    for (_, generate) in GENERATORS {
        lines.push(generate(&mut ctx).await?);
    }
    crate::audit::record(
        &mut ctx.tx,
        &AuditEvent::new(local, actor, "demo.create", "database", "demo")
            .with(serde_json::json!({"seed": options.seed})),
    )
    .await?;
    ctx.tx.commit().await?;
    // The departments' files go through the loader a user's file goes through, which
    // writes in its own transactions: after the city is committed.
    lines.push(crate::compare::demo::generate(db, keyring, options, local, actor).await?);
    Ok(lines)
}

#[cfg(test)]
mod tests {
    #[test]
    fn module_streams_are_stable_and_distinct() {
        assert_eq!(super::fnv1a(b"region"), super::fnv1a(b"region"));
        assert_ne!(super::fnv1a(b"region"), super::fnv1a(b"assistance"));
        assert_eq!(super::fnv1a(b""), 0xcbf2_9ce4_8422_2325);
    }
}
