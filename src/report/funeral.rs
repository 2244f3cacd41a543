//! The funeral figures of the quarter (METRICS.md): new public-welfare cemeteries and new
//! grave plots. Cemeteries belong to a district or a street, not to a community, so these
//! figures have no urban/rural split.

use chrono::NaiveDate;

use super::{Area, Value};
use crate::db::Db;

pub(super) struct Counted {
    public_cemeteries: i64,
    plots: i64,
}

impl Counted {
    pub(super) fn value(&self, key: &str, area: Area) -> Option<Value> {
        if area != Area::All {
            return None;
        }
        match key {
            "public_cemeteries_new" => Some(Value::Count(self.public_cemeteries)),
            "grave_plots_new" => Some(Value::Count(self.plots)),
            _ => None,
        }
    }
}

/// The figures of the days from `from` to `to` inclusive within the bounds: 公益性公墓
/// completed in them, and the plots added in them — a cemetery's plots at completion
/// count as added on its completion day.
pub(super) async fn figures(
    db: &Db,
    from: NaiveDate,
    to: NaiveDate,
    bounds: &(String, String),
) -> Result<Counted, sqlx::Error> {
    let (from, to) = (from.to_string(), to.to_string());
    let at_completion: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(plots) AS BIGINT) FROM cemeteries \
         WHERE completed_on >= $1 AND completed_on <= $2 \
         AND region_code >= $3 AND region_code < $4",
    )
    .bind(&from)
    .bind(&to)
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_one(db.pool())
    .await?;
    let public_cemeteries: i64 = sqlx::query_scalar(
        "SELECT CAST(COUNT(*) AS BIGINT) FROM cemeteries WHERE kind = 'public' \
         AND completed_on >= $1 AND completed_on <= $2 \
         AND region_code >= $3 AND region_code < $4",
    )
    .bind(&from)
    .bind(&to)
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_one(db.pool())
    .await?;
    let added: Option<i64> = sqlx::query_scalar(
        "SELECT CAST(SUM(a.plots) AS BIGINT) FROM cemetery_plot_additions a \
         JOIN cemeteries c ON c.id = a.cemetery_id \
         WHERE a.added_on >= $1 AND a.added_on <= $2 \
         AND c.region_code >= $3 AND c.region_code < $4",
    )
    .bind(&from)
    .bind(&to)
    .bind(&bounds.0)
    .bind(&bounds.1)
    .fetch_one(db.pool())
    .await?;
    Ok(Counted {
        public_cemeteries,
        plots: at_completion.unwrap_or(0) + added.unwrap_or(0),
    })
}
