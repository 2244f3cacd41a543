//! SQL for the platform's providers (with their service areas) and the catalogue. The
//! orders are in `order_store`.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Row, Transaction};

use super::model::{NewService, ServiceKind};
use crate::db::Db;
use crate::money::Fen;

pub(super) fn decode(what: &str) -> sqlx::Error {
    sqlx::Error::Decode(format!("{what} has an unknown value").into())
}

/// A provider with its service areas (region codes).
#[derive(Clone, Debug, Serialize)]
pub struct Provider {
    pub id: i64,
    pub name: String,
    pub uscc: String,
    pub phone: String,
    pub active: bool,
    pub areas: Vec<String>,
    pub version: i64,
}

pub async fn providers(db: &Db) -> Result<Vec<Provider>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, name, uscc, phone, active, version FROM care_providers ORDER BY active DESC, name",
    )
    .fetch_all(db.pool())
    .await?;
    let areas = sqlx::query(
        "SELECT provider_id, region_code FROM care_provider_areas ORDER BY provider_id, region_code",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let id: i64 = r.try_get("id")?;
            Ok(Provider {
                id,
                name: r.try_get("name")?,
                uscc: r.try_get("uscc")?,
                phone: r.try_get("phone")?,
                active: crate::db::is_set(r.try_get("active")?),
                version: r.try_get("version")?,
                areas: areas
                    .iter()
                    .filter(|a| a.try_get::<i64, _>(0).ok() == Some(id))
                    .map(|a| a.try_get(1))
                    .collect::<Result<_, _>>()?,
            })
        })
        .collect()
}

/// Whether a provider of this name exists (names are unique).
pub async fn provider_named(
    tx: &mut Transaction<'_, Any>,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT id FROM care_providers WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

pub async fn insert_provider(
    tx: &mut Transaction<'_, Any>,
    (name, uscc, phone): (&str, &str, &str),
    areas: &[String],
    by: &str,
    now: &str,
) -> Result<i64, sqlx::Error> {
    let id: i64 = sqlx::query(
        "INSERT INTO care_providers (name, uscc, phone, created_by, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
    )
    .bind(name)
    .bind(uscc)
    .bind(phone)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)?;
    set_areas(tx, id, areas).await?;
    Ok(id)
}

async fn set_areas(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    areas: &[String],
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM care_provider_areas WHERE provider_id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    for code in areas {
        sqlx::query("INSERT INTO care_provider_areas (provider_id, region_code) VALUES ($1, $2)")
            .bind(id)
            .bind(code)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

/// Changes a provider's phone, state and areas if still at `version`.
pub async fn update_provider(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    (phone, active): (&str, bool),
    areas: &[String],
    now: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE care_providers SET phone = $1, active = $2, updated_at = $3, version = version + 1 \
         WHERE id = $4 AND version = $5",
    )
    .bind(phone)
    .bind(crate::db::flag(active))
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    if done.rows_affected() != 1 {
        return Ok(false);
    }
    set_areas(tx, id, areas).await?;
    Ok(true)
}

/// A catalogue entry.
#[derive(Clone, Debug, Serialize)]
pub struct Service {
    pub id: i64,
    pub kind: ServiceKind,
    pub kind_label: &'static str,
    pub name: String,
    pub unit: String,
    #[serde(serialize_with = "super::yuan")]
    pub price: Fen,
    pub active: bool,
    pub version: i64,
}

fn service_from(r: &AnyRow) -> Result<Service, sqlx::Error> {
    let kind = ServiceKind::parse(&r.try_get::<String, _>("kind")?)
        .ok_or_else(|| decode("care_services.kind"))?;
    Ok(Service {
        id: r.try_get("id")?,
        kind,
        kind_label: kind.label(),
        name: r.try_get("name")?,
        unit: r.try_get("unit")?,
        price: Fen(r.try_get("price")?),
        active: crate::db::is_set(r.try_get("active")?),
        version: r.try_get("version")?,
    })
}

pub async fn services(db: &Db) -> Result<Vec<Service>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, kind, name, unit, price, active, version FROM care_services \
         ORDER BY active DESC, kind, name",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(service_from).collect()
}

pub async fn service(conn: &mut AnyConnection, id: i64) -> Result<Option<Service>, sqlx::Error> {
    sqlx::query(
        "SELECT id, kind, name, unit, price, active, version FROM care_services WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(|r| service_from(&r))
    .transpose()
}

pub async fn service_named(
    tx: &mut Transaction<'_, Any>,
    name: &str,
) -> Result<Option<i64>, sqlx::Error> {
    sqlx::query("SELECT id FROM care_services WHERE name = $1")
        .bind(name)
        .fetch_optional(&mut **tx)
        .await?
        .map(|r| r.try_get(0))
        .transpose()
}

pub async fn insert_service(
    tx: &mut Transaction<'_, Any>,
    s: &NewService,
    by: &str,
    now: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO care_services (kind, name, unit, price, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(s.kind.code())
    .bind(&s.name)
    .bind(&s.unit)
    .bind(s.price.0)
    .bind(by)
    .bind(now)
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

/// Changes a service's price and state if still at `version` (orders keep their price).
pub async fn update_service(
    tx: &mut Transaction<'_, Any>,
    id: i64,
    version: i64,
    (price, active): (Fen, bool),
    by: &str,
    now: &str,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE care_services SET price = $1, active = $2, updated_by = $3, updated_at = $4, \
         version = version + 1 WHERE id = $5 AND version = $6",
    )
    .bind(price.0)
    .bind(crate::db::flag(active))
    .bind(by)
    .bind(now)
    .bind(id)
    .bind(version)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}
