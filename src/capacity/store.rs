//! SQL for residents, staff posts and trainings.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use sqlx::{Any, Row, Transaction};

use super::model::{NewTraining, Post, Residents};
use crate::db::Db;

#[derive(Clone, Debug, Serialize)]
pub struct ResidentsRow {
    pub district_code: String,
    #[serde(flatten)]
    pub residents: Residents,
    pub updated_by: String,
    pub updated_at: String,
}

/// Every year entered for every district, newest year first within a district.
pub async fn residents(db: &Db) -> Result<Vec<ResidentsRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT district_code, year, urban, rural, updated_by, updated_at, older FROM region_residents \
         ORDER BY district_code, year DESC",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter()
        .map(|r| {
            Ok(ResidentsRow {
                district_code: r.try_get(0)?,
                residents: Residents {
                    year: r.try_get::<i64, _>(1)? as i32,
                    urban: r.try_get(2)?,
                    rural: r.try_get(3)?,
                    older: r.try_get(6)?,
                },
                updated_by: r.try_get(4)?,
                updated_at: r.try_get(5)?,
            })
        })
        .collect()
}

/// Each district's population as of `year`: the latest year entered not after it, or the
/// earliest entered when all are later (a population a year off beats none).
pub async fn residents_as_of(
    db: &Db,
    year: i32,
) -> Result<HashMap<String, Residents>, sqlx::Error> {
    let mut out: HashMap<String, Residents> = HashMap::new();
    for row in residents(db).await? {
        let r = row.residents;
        match out.get(&row.district_code) {
            // Rows come newest first: keep the first not after `year`.
            Some(kept) if kept.year <= year => {}
            _ => {
                out.insert(row.district_code, r);
            }
        }
    }
    Ok(out)
}

/// Stores a year's population; answers the figures it replaced, for the audit record.
pub async fn set_residents(
    tx: &mut Transaction<'_, Any>,
    district: &str,
    r: Residents,
    by: &str,
    at: &str,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let before = sqlx::query(
        "SELECT urban, rural FROM region_residents WHERE district_code = $1 AND year = $2",
    )
    .bind(district)
    .bind(i64::from(r.year))
    .fetch_optional(&mut **tx)
    .await?
    .map(|row| Ok::<_, sqlx::Error>((row.try_get(0)?, row.try_get(1)?)))
    .transpose()?;
    sqlx::query(
        "INSERT INTO region_residents (district_code, year, urban, rural, updated_by, updated_at, older) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (district_code, year) DO UPDATE SET \
         urban = excluded.urban, rural = excluded.rural, older = excluded.older, updated_by = excluded.updated_by, \
         updated_at = excluded.updated_at",
    )
    .bind(district)
    .bind(i64::from(r.year))
    .bind(r.urban)
    .bind(r.rural)
    .bind(by)
    .bind(at)
    .bind(r.older)
    .execute(&mut **tx)
    .await?;
    Ok(before)
}

#[derive(Clone, Debug, Serialize)]
pub struct PostRow {
    pub district_code: String,
    pub post: Post,
    pub authorised: i64,
    pub filled: i64,
    pub updated_at: String,
}

pub async fn posts(db: &Db) -> Result<Vec<PostRow>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT district_code, post, authorised, filled, updated_at FROM staff_posts \
         ORDER BY district_code",
    )
    .fetch_all(db.pool())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let post: String = r.try_get(1)?;
        let Some(post) = Post::parse(&post) else {
            continue;
        };
        out.push(PostRow {
            district_code: r.try_get(0)?,
            post,
            authorised: r.try_get(2)?,
            filled: r.try_get(3)?,
            updated_at: r.try_get(4)?,
        });
    }
    Ok(out)
}

/// The post's counts before the change, for the audit record.
pub async fn set_post(
    tx: &mut Transaction<'_, Any>,
    district: &str,
    post: Post,
    (authorised, filled): (i64, i64),
    by: &str,
    at: &str,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let before = sqlx::query(
        "SELECT authorised, filled FROM staff_posts WHERE district_code = $1 AND post = $2",
    )
    .bind(district)
    .bind(post.code())
    .fetch_optional(&mut **tx)
    .await?
    .map(|r| Ok::<_, sqlx::Error>((r.try_get(0)?, r.try_get(1)?)))
    .transpose()?;
    sqlx::query(
        "INSERT INTO staff_posts (district_code, post, authorised, filled, updated_by, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (district_code, post) DO UPDATE SET \
         authorised = excluded.authorised, filled = excluded.filled, \
         updated_by = excluded.updated_by, updated_at = excluded.updated_at",
    )
    .bind(district)
    .bind(post.code())
    .bind(authorised)
    .bind(filled)
    .bind(by)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(before)
}

#[derive(Clone, Debug, Serialize)]
pub struct Training {
    pub id: i64,
    pub district_code: String,
    pub post: Post,
    pub held_on: String,
    pub topic: String,
    pub attendees: i64,
}

/// Trainings held in `[from, to]` by districts within the bounds, newest first.
pub async fn trainings(
    db: &Db,
    bounds: &(String, String),
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<Training>, sqlx::Error> {
    let sql = format!(
        "SELECT {TRAINING_COLUMNS} FROM staff_trainings \
         WHERE held_on >= $1 AND held_on <= $2 AND district_code >= $3 AND district_code < $4 \
         ORDER BY held_on DESC, id DESC"
    );
    let rows = sqlx::query(&sql)
        .bind(from.to_string())
        .bind(to.to_string())
        .bind(&bounds.0)
        .bind(&bounds.1)
        .fetch_all(db.pool())
        .await?;
    rows.iter().map(training_from_row).collect()
}

const TRAINING_COLUMNS: &str = "id, district_code, post, held_on, topic, attendees";

fn training_from_row(r: &sqlx::any::AnyRow) -> Result<Training, sqlx::Error> {
    let post: String = r.try_get(2)?;
    Ok(Training {
        id: r.try_get(0)?,
        district_code: r.try_get(1)?,
        // Only this program writes the column, from `Post::code`.
        post: Post::parse(&post).unwrap_or(Post::General),
        held_on: r.try_get(3)?,
        topic: r.try_get(4)?,
        attendees: r.try_get(5)?,
    })
}

pub async fn add_training(
    tx: &mut Transaction<'_, Any>,
    district: &str,
    t: &NewTraining,
    by: &str,
    at: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query(
        "INSERT INTO staff_trainings (district_code, post, held_on, topic, attendees, created_by, created_at, category) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(district)
    .bind(t.post.code())
    .bind(t.held_on.to_string())
    .bind(&t.topic)
    .bind(t.attendees)
    .bind(by)
    .bind(at)
    // The training ledger's category (FORMATS.md `trainings`): the elderly-care post's
    // trainings are 养老服务 and count towards caregiver_trainees.
    .bind(match t.post {
        Post::Elderly => "elderly_care",
        Post::Assistance => "assistance",
        _ => "other",
    })
    .fetch_one(&mut **tx)
    .await?
    .try_get(0)
}

/// Removes a training entered by mistake; answers it (for the audit record) if it was
/// there.
pub async fn delete_training(
    tx: &mut Transaction<'_, Any>,
    id: i64,
) -> Result<Option<Training>, sqlx::Error> {
    let sql = format!("SELECT {TRAINING_COLUMNS} FROM staff_trainings WHERE id = $1");
    let Some(r) = sqlx::query(&sql).bind(id).fetch_optional(&mut **tx).await? else {
        return Ok(None);
    };
    let training = training_from_row(&r)?;
    sqlx::query("DELETE FROM staff_trainings WHERE id = $1")
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(Some(training))
}
