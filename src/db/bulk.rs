//! Settings for loading many rows at once (a roster import): the backend differences of a
//! bulk load kept here, out of the business modules.

use sqlx::{Any, Connection, Row, Transaction};

use super::{Backend, Db};

/// A pooled connection with SQLite settings for a bulk load, and what they were before
/// (they are per connection, and the connection goes back to the pool afterwards): a
/// 256 MiB page cache, as `Db::begin_bulk` gives (the blind-index B-trees of a large
/// register are read and written at random), and, for the connection that writes,
/// statement journals kept in memory. A multi-row INSERT into a table with a foreign key
/// has SQLite copy every page it is about to change into a statement journal; with random
/// blind-index keys that is about one 4 KiB page per row. In a temporary file those copies
/// took 18% of a million-row import; in memory they are cheap. Both settings must be made
/// before a transaction begins. PostgreSQL gets a plain connection.
pub struct BulkConnection {
    pub conn: sqlx::pool::PoolConnection<Any>,
    saved: Option<(i64, i64)>,
}

impl BulkConnection {
    pub async fn open(db: &Db, writes: bool) -> Result<BulkConnection, sqlx::Error> {
        let mut conn = db.pool().acquire().await?;
        if db.backend() != Backend::Sqlite {
            return Ok(BulkConnection { conn, saved: None });
        }
        let mut read = async |sql: &'static str| -> Result<i64, sqlx::Error> {
            sqlx::query(sql).fetch_one(&mut *conn).await?.try_get(0)
        };
        let saved = (
            read("PRAGMA cache_size").await?,
            read("PRAGMA temp_store").await?,
        );
        let temp = if writes { "MEMORY" } else { "DEFAULT" };
        // Negative: KiB.
        let sql = format!("PRAGMA cache_size = -262144; PRAGMA temp_store = {temp}");
        sqlx::query(&sql).execute(&mut *conn).await?;
        Ok(BulkConnection {
            conn,
            saved: Some(saved),
        })
    }

    /// A write transaction on this connection; on SQLite it takes the write lock at once,
    /// as `Db::begin` does.
    pub async fn begin(&mut self, backend: Backend) -> Result<Transaction<'_, Any>, sqlx::Error> {
        match backend {
            Backend::Sqlite => (*self.conn).begin_with("BEGIN IMMEDIATE").await,
            Backend::Postgres => (*self.conn).begin().await,
        }
    }

    /// Puts the connection's settings back; a connection that cannot be is closed rather
    /// than returned to the pool.
    pub async fn release(mut self) {
        let Some((cache, temp)) = self.saved else {
            return;
        };
        let sql = format!("PRAGMA cache_size = {cache}; PRAGMA temp_store = {temp}");
        if let Err(e) = sqlx::query(&sql).execute(&mut *self.conn).await {
            tracing::warn!(error = %e, "could not restore the bulk connection's settings; closing it");
            self.conn.close_on_drop();
        }
    }
}

/// Secondary indexes dropped for a load into empty tables, to be built again before the
/// transaction commits. Building an index once from all its rows (one sort) is several
/// times cheaper than keeping it up to date row by row, above all for a random key such
/// as a blind index, where every insert lands on a different page. Both backends run DDL
/// inside the transaction, so a failed load rolls the drop back with everything else.
/// Indexes that back a constraint (primary keys, `UNIQUE` in a table definition) stay,
/// and so do those the load itself reads through (`keep`).
#[must_use = "the dropped indexes must be restored before the transaction commits"]
pub struct DeferredIndexes {
    /// (name, the statement that created it).
    indexes: Vec<(String, String)>,
}

impl DeferredIndexes {
    /// Drops the secondary indexes of `tables` except `keep`.
    pub async fn drop(
        tx: &mut Transaction<'_, Any>,
        backend: Backend,
        tables: &[&str],
        keep: &[&str],
    ) -> Result<DeferredIndexes, sqlx::Error> {
        let list = super::param_list(backend, 1, tables.len());
        let sql = match backend {
            // `sql` is NULL for the indexes SQLite makes for constraints.
            Backend::Sqlite => format!(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL \
                 AND tbl_name IN ({list}) ORDER BY name"
            ),
            Backend::Postgres => format!(
                "SELECT CAST(indexname AS TEXT), indexdef FROM pg_indexes WHERE schemaname = current_schema() \
                 AND tablename IN ({list}) AND indexname NOT IN \
                 (SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace) \
                 ORDER BY indexname"
            ),
        };
        let mut q = sqlx::query(&sql);
        for t in tables {
            q = q.bind(*t);
        }
        let mut indexes = Vec::new();
        for row in q.fetch_all(&mut **tx).await? {
            let name: String = row.try_get(0)?;
            if keep.contains(&name.as_str()) {
                continue;
            }
            indexes.push((name, row.try_get(1)?));
        }
        for (name, _) in &indexes {
            // Names come from the catalogue, not from input.
            sqlx::query(&format!("DROP INDEX {name}"))
                .execute(&mut **tx)
                .await?;
        }
        Ok(DeferredIndexes { indexes })
    }

    /// Builds the dropped indexes again (a unique one fails here if the load broke it).
    pub async fn restore(self, tx: &mut Transaction<'_, Any>) -> Result<(), sqlx::Error> {
        for (_, sql) in &self.indexes {
            sqlx::query(sql).execute(&mut **tx).await?;
        }
        Ok(())
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.indexes.iter().map(|(n, _)| n.as_str())
    }
}
