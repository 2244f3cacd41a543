//! Demo capacity: each district's resident population for the last two year-ends, staff
//! posts, and trainings spread over the year and a half before today.

use chrono::{Datelike, Days};
use rand::Rng;
use rand::seq::IndexedRandom;

use super::model::{NewTraining, POSTS, Residents};
use super::store;
use crate::demo::{DemoContext, DemoFuture};

const TOPICS: &[&str] = &[
    "低保政策与家庭经济状况核查",
    "特困人员认定办法解读",
    "临时救助“先行救助”操作规范",
    "养老机构安全生产与消防检查",
    "婚姻登记规范化建设",
    "社会组织年检与监督",
    "社区协商议事规程",
    "个人信息保护与数据安全",
];

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("capacity");
        let by = "demo";
        let at = ctx.now.to_rfc3339();
        let districts: Vec<(String,)> =
            sqlx::query_as("SELECT code FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let last_year = ctx.today.year() - 1;
        let mut trainings = 0;
        for (code,) in &districts {
            // The demo's 市辖区 (01–20) have urban communities only, so no rural residents;
            // counties (21 on) are mostly rural with a county town.
            let county = code[4..].parse::<u32>().unwrap_or(0) > 20;
            let (urban, rural) = if county {
                (
                    rng.random_range(60_000..90_000),
                    rng.random_range(150_000..260_000),
                )
            } else {
                (rng.random_range(180_000..320_000), 0)
            };
            for (year, growth) in [(last_year - 1, 0.99), (last_year, 1.0)] {
                let r = Residents {
                    year,
                    urban: (urban as f64 * growth) as i64,
                    rural: (rural as f64 * growth) as i64,
                    // About one in five residents is 60 or over.
                    older: Some(((urban + rural) as f64 * growth * 0.21) as i64),
                };
                store::set_residents(&mut ctx.tx, code, r, by, &at).await?;
            }
            for post in POSTS {
                let authorised: i64 = rng.random_range(2..=8);
                let filled = (authorised + rng.random_range(-2..=1)).max(0);
                store::set_post(&mut ctx.tx, code, post, (authorised, filled), by, &at).await?;
            }
            for _ in 0..rng.random_range(6..=10) {
                let held_on = ctx.today - Days::new(rng.random_range(0..540));
                let training = NewTraining {
                    post: *POSTS.choose(&mut rng).unwrap_or(&POSTS[0]),
                    held_on,
                    topic: TOPICS
                        .choose(&mut rng)
                        .copied()
                        .unwrap_or(TOPICS[0])
                        .to_string(),
                    attendees: rng.random_range(5..=40),
                };
                store::add_training(&mut ctx.tx, code, &training, by, &at).await?;
                trainings += 1;
            }
        }
        Ok(format!(
            "人口与队伍：{} 个区县的常住人口（{}、{} 年末）、{} 类岗位编制与实有、{trainings} 次培训",
            districts.len(),
            last_year - 1,
            last_year,
            POSTS.len()
        ))
    })
}
