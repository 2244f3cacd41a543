//! Demo community governance: consultations in about half the communities over the last
//! two quarters; in each district a handful of social organisations with their yearly
//! inspections (one that missed two years, up for revocation; one on the abnormal list;
//! one revoked this year), welfare activities, and an illegal organisation found and
//! banned.

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::consultation_store::{self, NewConsultation};
use super::model::{
    ActivityField, ConsultationCategory, ConsultationOutcome, InspectionResult, OrgKind, OrgStatus,
};
use super::org_store::{self, NewOrg};
use crate::demo::{DemoContext, DemoFuture};
use crate::ids::Uscc;
use crate::report::Quarter;

const TOPICS: &[(&str, ConsultationCategory)] = &[
    ("小区停车位划线", ConsultationCategory::Property),
    ("老旧小区加装电梯", ConsultationCategory::Facilities),
    ("垃圾分类投放点设置", ConsultationCategory::Environment),
    ("楼道堆物清理", ConsultationCategory::Environment),
    ("广场舞噪音", ConsultationCategory::Neighbours),
    ("物业费调整", ConsultationCategory::Property),
    ("村道路灯维修", ConsultationCategory::Facilities),
];

const ORGS: &[(&str, OrgKind)] = &[
    ("慈善会", OrgKind::Association),
    ("志愿者协会", OrgKind::Association),
    ("老年人体育协会", OrgKind::Association),
    ("社会工作服务中心", OrgKind::ServiceAgency),
    ("居家养老服务中心", OrgKind::ServiceAgency),
    ("助学基金会", OrgKind::Foundation),
];

const ACTIVITIES: &[(&str, ActivityField)] = &[
    ("困难家庭走访慰问", ActivityField::Poverty),
    ("社区环保宣传", ActivityField::Environment),
    ("青少年课后托管", ActivityField::Education),
    ("高龄老人助浴", ActivityField::ElderlyDisabled),
    ("义诊进社区", ActivityField::Other),
];

fn day_between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days().max(0) as u64;
    from + Days::new(rng.random_range(0..=span))
}

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("community");
        let at = ctx.now.to_rfc3339();
        let who = ("demo", at.as_str());
        let today = ctx.today;
        let (this, last) = (Quarter::of(today), Quarter::of(today).previous());
        let communities: Vec<(String,)> =
            sqlx::query_as("SELECT code FROM regions WHERE level = 'community' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let mut consultations = 0;
        for (community,) in &communities {
            if rng.random_range(0..2) == 0 {
                continue;
            }
            for quarter in [last, this] {
                let (topic, category) = TOPICS[rng.random_range(0..TOPICS.len())];
                let c = NewConsultation {
                    held_on: day_between(
                        &mut rng,
                        quarter.first_day(),
                        quarter.last_day().min(today),
                    ),
                    community: community.clone(),
                    topic: topic.to_string(),
                    category,
                    participants: rng.random_range(8..=60),
                    outcome: if rng.random_range(0..3) == 0 {
                        ConsultationOutcome::InProgress
                    } else {
                        ConsultationOutcome::Resolved
                    },
                };
                if consultation_store::put(&mut ctx.tx, &c, who).await? {
                    consultations += 1;
                }
            }
        }
        let districts: Vec<(String, String)> =
            sqlx::query_as("SELECT code, name FROM regions WHERE level = 'district' ORDER BY code")
                .fetch_all(&mut *ctx.tx)
                .await?;
        let (mut orgs, mut activities) = (0, 0);
        for (n, (district, name)) in districts.iter().enumerate() {
            for (i, (suffix, kind)) in ORGS.iter().enumerate() {
                let kind_digit = match kind {
                    OrgKind::Association => '1',
                    OrgKind::ServiceAgency => '2',
                    OrgKind::Foundation => '3',
                };
                let body = format!("5{kind_digit}{district}MJ{:03}{:04}", n, i);
                let Some(code) = Uscc::compose(&body) else {
                    continue;
                };
                let registered = NaiveDate::from_ymd_opt(
                    rng.random_range(2012..2022),
                    rng.random_range(1..=12),
                    10,
                )
                .unwrap_or(today);
                // One revoked this year, the rest in operation.
                let revoked = i == 5;
                let o = NewOrg {
                    uscc: code.as_str().to_string(),
                    name: format!("{name}{suffix}"),
                    kind: *kind,
                    region_code: district.clone(),
                    registered_on: registered,
                    status: if revoked {
                        OrgStatus::Revoked
                    } else {
                        OrgStatus::Normal
                    },
                    ended_on: revoked.then(|| last.first_day() + Days::new(20)),
                };
                let (id, _) = org_store::save(&mut ctx.tx, &o, "登记成立", who).await?;
                orgs += 1;
                // Inspections of the last two work years, except the one that missed both.
                if i != 2 {
                    for year in [today.year() - 2, today.year() - 1] {
                        if year < registered.year() || revoked {
                            continue;
                        }
                        let result = match rng.random_range(0..10) {
                            0 => InspectionResult::Unqualified,
                            1 | 2 => InspectionResult::Basically,
                            _ => InspectionResult::Qualified,
                        };
                        let on = NaiveDate::from_ymd_opt(year + 1, rng.random_range(3..=6), 15)
                            .unwrap_or(today);
                        org_store::put_inspection(
                            &mut ctx.tx,
                            id,
                            year,
                            result,
                            on.min(today),
                            who,
                        )
                        .await?;
                    }
                }
                if i == 1 {
                    let org = org_store::get(&mut *ctx.tx, id).await?;
                    if let Some(org) = org {
                        org_store::change_status(
                            &mut ctx.tx,
                            &org,
                            org.version,
                            (OrgStatus::Abnormal, last.first_day() + Days::new(5)),
                            "登记的住所无法联系",
                            who,
                        )
                        .await?;
                    }
                }
                // Activities over the last two quarters while registered.
                for _ in 0..rng.random_range(1..=4) {
                    let on = day_between(&mut rng, last.first_day(), today);
                    if o.ended_on.is_some_and(|e| on >= e) {
                        continue;
                    }
                    let (title, field) = ACTIVITIES[rng.random_range(0..ACTIVITIES.len())];
                    if org_store::add_activity(
                        &mut ctx.tx,
                        id,
                        (on, title),
                        field,
                        rng.random_range(20..=300),
                        who,
                    )
                    .await?
                    .is_some()
                    {
                        activities += 1;
                    }
                }
            }
            let found = day_between(&mut rng, last.first_day(), today);
            let case = org_store::add_illegal(
                &mut ctx.tx,
                (
                    &format!("{name}国学研究会（未登记）"),
                    district,
                    found,
                    "以社会组织名义开展收费培训活动",
                ),
                who,
            )
            .await?;
            if n % 2 == 0 {
                let banned = (found + Days::new(20)).min(today);
                org_store::ban(&mut ctx.tx, case, 1, banned, "依法予以取缔，责令停止活动").await?;
            }
        }
        Ok(format!(
            "基层治理：社区协商 {consultations} 次，社会组织 {orgs} 家，公益活动 {activities} 次"
        ))
    })
}
