//! Demo elderly care: in each district a few institutions (one opened in the last
//! quarter), day-care centres in about half the urban communities and happiness homes in
//! a third of the villages (some opened this year), bed changes, this year's construction
//! targets, and inspections with hazards — most rectified, some overdue, one institution
//! per district not yet inspected this quarter.

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::inspection_store::{self, NewHazard};
use super::model::{
    BedEvent, FacilityKind, FacilityStatus, InspectionItem, NewFacility, Ownership, Severity,
};
use super::store;
use crate::demo::{DemoContext, DemoFuture};
use crate::report::Quarter;

const HAZARDS: &[(&str, InspectionItem)] = &[
    ("疏散通道堆放杂物", InspectionItem::Fire),
    ("部分灭火器压力不足", InspectionItem::Fire),
    ("厨房生熟案板未分开", InspectionItem::Food),
    ("留样记录不全", InspectionItem::Food),
    ("护理记录未按时填写", InspectionItem::Service),
    ("药品存放未上锁", InspectionItem::Medical),
    ("卫生间扶手松动", InspectionItem::Building),
];

fn day_between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(rng.random_range(0..=span))
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("elderly");
        let who = ("demo", ctx.now.to_rfc3339());
        let who = (who.0, who.1.as_str());
        let today = ctx.today;
        let this_quarter = Quarter::of(today);
        let last_quarter = this_quarter.previous();
        let communities: Vec<(String, Option<String>)> = sqlx::query_as(
            "SELECT code, urban_rural FROM regions WHERE level = 'community' ORDER BY code",
        )
        .fetch_all(&mut *ctx.tx)
        .await?;
        let districts: Vec<(String,)> =
            sqlx::query_as("SELECT code FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let (mut facilities, mut inspections, mut hazards) = (0, 0, 0);
        let mut seq = 0;
        let mut institutions: Vec<(i64, NaiveDate)> = Vec::new();
        for (district,) in &districts {
            let mine: Vec<&(String, Option<String>)> = communities
                .iter()
                .filter(|(c, _)| c.starts_with(district.as_str()))
                .collect();
            if mine.is_empty() {
                continue;
            }
            // Institutions: three or four, the last opened in the last quarter.
            let count = rng.random_range(3..=4);
            for i in 0..count {
                seq += 1;
                let (community, _) = mine[rng.random_range(0..mine.len())];
                let opened = if i == count - 1 {
                    day_between(&mut rng, last_quarter.first_day(), last_quarter.last_day())
                } else {
                    NaiveDate::from_ymd_opt(
                        rng.random_range(2012..2024),
                        rng.random_range(1..=12),
                        1,
                    )
                    .unwrap_or(today)
                };
                let beds: i64 = rng.random_range(6..=30) * 10;
                let f = NewFacility {
                    number: format!("YL{}{:03}", &district[4..], seq),
                    name: format!("{}号养老院", seq),
                    kind: FacilityKind::Institution,
                    community: community.clone(),
                    ownership: if i % 2 == 0 {
                        Ownership::Public
                    } else {
                        Ownership::Private
                    },
                    status: FacilityStatus::Operating,
                    opened_on: Some(opened),
                    operator: if i % 2 == 0 {
                        "区民政局".into()
                    } else {
                        "康养服务有限公司".into()
                    },
                    star_grade: Some(rng.random_range(1..=5)),
                    beds,
                    nursing_beds: beds * rng.random_range(35..=70) / 100,
                };
                let (id, _) = store::save(&mut ctx.tx, &f, who).await?;
                store::set_occupied(
                    &mut ctx.tx,
                    id,
                    1,
                    beds * rng.random_range(50..=90) / 100,
                    who.1,
                )
                .await?;
                // Older institutions converted beds to nursing beds this year.
                if opened.year() < today.year() {
                    let on = day_between(
                        &mut rng,
                        NaiveDate::from_ymd_opt(today.year(), 1, 10).unwrap_or(today),
                        today,
                    );
                    let change = BedEvent {
                        on,
                        beds: rng.random_range(0..=3) * 10,
                        nursing: 20,
                    };
                    store::put_bed_change(&mut ctx.tx, id, change, "护理型床位改造", who).await?;
                }
                institutions.push((id, opened));
                facilities += 1;
            }
            // Day-care centres in about half the urban communities, happiness homes in a
            // third of the villages; a few opened this year.
            for (community, area) in &mine {
                let rural = area.as_deref() == Some("rural");
                let (kind, chance, prefix) = if rural {
                    (FacilityKind::HappinessHome, 3, "XF")
                } else {
                    (FacilityKind::Daycare, 2, "RZ")
                };
                if rng.random_range(0..chance) != 0 {
                    continue;
                }
                seq += 1;
                let recent = rng.random_range(0..4) == 0;
                let opened = if recent {
                    day_between(
                        &mut rng,
                        NaiveDate::from_ymd_opt(today.year(), 1, 1).unwrap_or(today),
                        today,
                    )
                } else {
                    NaiveDate::from_ymd_opt(
                        rng.random_range(2015..2025),
                        rng.random_range(1..=12),
                        15,
                    )
                    .unwrap_or(today)
                };
                let beds = if rural {
                    rng.random_range(4..=12)
                } else {
                    rng.random_range(8..=20)
                };
                let f = NewFacility {
                    number: format!("{prefix}{}{:04}", &district[4..], seq),
                    name: format!(
                        "{}{}",
                        if rural {
                            "幸福院"
                        } else {
                            "日间照料中心"
                        },
                        &community[6..]
                    ),
                    kind,
                    community: community.clone(),
                    ownership: Ownership::Public,
                    status: FacilityStatus::Operating,
                    opened_on: Some(opened),
                    operator: if rural {
                        "村民委员会".into()
                    } else {
                        "社区居民委员会".into()
                    },
                    star_grade: None,
                    beds,
                    nursing_beds: 0,
                };
                store::save(&mut ctx.tx, &f, who).await?;
                facilities += 1;
            }
            // One centre under construction, and this year's targets.
            seq += 1;
            let (community, _) = mine[0];
            let building = NewFacility {
                number: format!("JZ{}{:04}", &district[4..], seq),
                name: "街道综合养老服务中心（在建）".into(),
                kind: FacilityKind::StreetCentre,
                community: community.clone(),
                ownership: Ownership::Public,
                status: FacilityStatus::Building,
                opened_on: None,
                operator: String::new(),
                star_grade: None,
                beds: 0,
                nursing_beds: 0,
            };
            store::save(&mut ctx.tx, &building, who).await?;
            for (kind, target) in [
                (FacilityKind::Daycare, rng.random_range(2..=5)),
                (FacilityKind::HappinessHome, rng.random_range(1..=4)),
                (FacilityKind::StreetCentre, 1),
            ] {
                store::set_target(&mut ctx.tx, district, today.year(), kind, target, who).await?;
            }
        }
        // Inspections: every institution last quarter (the campaign), and this quarter all
        // but one in four; hazards with deadlines a month on, most rectified and re-checked.
        for (n, (id, opened)) in institutions.iter().enumerate() {
            for quarter in [last_quarter, this_quarter] {
                if quarter == this_quarter && n % 4 == 3 {
                    continue;
                }
                let start = quarter.first_day().max(*opened);
                let end = quarter.last_day().min(today);
                if start > end {
                    continue;
                }
                let on = day_between(&mut rng, start, end);
                let (text, item) = HAZARDS[rng.random_range(0..HAZARDS.len())];
                let found: Vec<NewHazard> = (0..rng.random_range(0..=2))
                    .map(|k| NewHazard {
                        description: if k == 0 {
                            text.to_string()
                        } else {
                            "消防设施维护记录缺失".to_string()
                        },
                        severity: if rng.random_range(0..5) == 0 {
                            Severity::Major
                        } else {
                            Severity::General
                        },
                        deadline: on + Days::new(30),
                        rectified_on: None,
                    })
                    .collect();
                let inspection = inspection_store::add(
                    &mut ctx.tx,
                    *id,
                    (on, item),
                    "区民政局、区消防救援大队",
                    "",
                    &found,
                    who,
                )
                .await?;
                let Some(inspection) = inspection else {
                    continue;
                };
                inspections += 1;
                hazards += found.len();
                // Rectified before the deadline, unless the deadline has not come yet or
                // one in three of last quarter's that were let slip (they show as overdue).
                let ids: Vec<(i64,)> =
                    sqlx::query_as("SELECT id FROM care_hazards WHERE inspection_id = $1")
                        .bind(inspection)
                        .fetch_all(&mut *ctx.tx)
                        .await?;
                for (hazard,) in ids {
                    let fixed = on + Days::new(rng.random_range(5..=25));
                    if fixed > today || (quarter == last_quarter && rng.random_range(0..3) == 0) {
                        continue;
                    }
                    inspection_store::rectify(&mut ctx.tx, hazard, 1, fixed, "已整改并留存照片")
                        .await?;
                    let checked = fixed + Days::new(3);
                    if checked <= today {
                        inspection_store::recheck(&mut ctx.tx, hazard, 2, checked, true, "demo")
                            .await?;
                    }
                }
            }
        }
        Ok(format!(
            "养老服务：设施 {facilities} 个，检查 {inspections} 次，隐患 {hazards} 处"
        ))
    })
}
