//! Demo funeral data: in each district an older 公益性公墓 with plots added over the
//! years (one addition last quarter), a 经营性公墓, a street's 公益性公墓 completed last
//! quarter, and one under construction.

use chrono::{Days, NaiveDate};
use rand::Rng;

use super::funeral::{CemeteryKind, CemeteryStatus, NewCemetery};
use super::funeral_store as store;
use crate::demo::{DemoContext, DemoFuture};
use crate::report::Quarter;

fn day_between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(rng.random_range(0..=span))
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("funeral");
        let at = ctx.now.to_rfc3339();
        let who = ("demo", at.as_str());
        let today = ctx.today;
        let last_quarter = Quarter::of(today).previous();
        let districts: Vec<(String, String)> =
            sqlx::query_as("SELECT code, name FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let (mut cemeteries, mut additions) = (0, 0);
        for (district, name) in &districts {
            let street: Option<(String, String)> = sqlx::query_as(
                "SELECT code, name FROM regions WHERE level = 'street' AND parent_code = $1 \
                 ORDER BY code LIMIT 1",
            )
            .bind(district)
            .fetch_optional(&mut *ctx.tx)
            .await?;
            let old = NaiveDate::from_ymd_opt(rng.random_range(2005..2016), 4, 1).unwrap_or(today);
            let mut list = vec![
                NewCemetery {
                    number: format!("GM{}01", &district[4..]),
                    name: format!("{name}公益性公墓"),
                    kind: CemeteryKind::Public,
                    region: district.clone(),
                    status: CemeteryStatus::Completed,
                    completed_on: Some(old),
                    plots: rng.random_range(20..=60) * 100,
                },
                NewCemetery {
                    number: format!("JY{}01", &district[4..]),
                    name: format!("{name}福寿园"),
                    kind: CemeteryKind::Commercial,
                    region: district.clone(),
                    status: CemeteryStatus::Completed,
                    completed_on: NaiveDate::from_ymd_opt(rng.random_range(2008..2020), 9, 1),
                    plots: rng.random_range(30..=80) * 100,
                },
                NewCemetery {
                    number: format!("GM{}09", &district[4..]),
                    name: format!("{name}骨灰堂（在建）"),
                    kind: CemeteryKind::Public,
                    region: district.clone(),
                    status: CemeteryStatus::Building,
                    completed_on: None,
                    plots: rng.random_range(5..=20) * 100,
                },
            ];
            if let Some((street, street_name)) = street {
                list.push(NewCemetery {
                    number: format!("GM{}02", &district[4..]),
                    name: format!("{street_name}公益性公墓"),
                    kind: CemeteryKind::Public,
                    region: street,
                    status: CemeteryStatus::Completed,
                    completed_on: Some(day_between(
                        &mut rng,
                        last_quarter.first_day(),
                        last_quarter.last_day(),
                    )),
                    plots: rng.random_range(3..=10) * 100,
                });
            }
            let mut first = None;
            for c in &list {
                let (id, _) = store::save(&mut ctx.tx, c, who).await?;
                first.get_or_insert(id);
                cemeteries += 1;
            }
            // The old public cemetery grew every few years, and last quarter.
            if let Some(id) = first {
                let mut on = old;
                for year in [3u64, 4, 3] {
                    on = on + Days::new(365 * year);
                    if on >= last_quarter.first_day() {
                        break;
                    }
                    store::put_addition(&mut ctx.tx, id, on, rng.random_range(5..=15) * 100, who)
                        .await?;
                    additions += 1;
                }
                let recent =
                    day_between(&mut rng, last_quarter.first_day(), last_quarter.last_day());
                store::put_addition(&mut ctx.tx, id, recent, rng.random_range(2..=8) * 50, who)
                    .await?;
                additions += 1;
            }
        }
        Ok(format!(
            "殡葬管理：公墓 {cemeteries} 处，墓穴变动 {additions} 条"
        ))
    })
}
