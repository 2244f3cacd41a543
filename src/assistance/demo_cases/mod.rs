//! Demo applications for the assistance workbench: a few hundred households in every
//! state of the workflow (DOMAIN.md §2). Each is stored through `cases::create` as a
//! filed application, then moved on as the real actions move it (transitions.rs): the
//! same columns set, one transition per step with the demo accounts as actors, and from
//! the street's opinion on the rules' explanation computed on the generated household.
//! Also: income items for the roster's active households, their next review dates, and
//! 先行救助 grants whose file is still to be completed.

use std::collections::{BTreeMap, HashSet};

use chrono::{DateTime, Days, FixedOffset, Months, NaiveDate, TimeZone};
use rand::Rng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand_chacha::ChaCha8Rng;
use sqlx::Row;

use super::application::{AppAssets, AppIncome, AppMember, Application};
use super::cases::{self, Decision, Explanation, Filing};
use super::model::{
    Assets, BusinessRole, Disability, DisabilityKind, Household, Income, IncomeKind, Member,
    Program, Relation, SelfCare, Vehicle, VehicleKind, WorkCapacity,
};
use super::rules::{self, Policy};
use super::workflow::{self, Deadlines, Status};
use crate::auth::Role;
use crate::auth::demo::DEMO_ACCOUNTS;
use crate::calendar::{WorkCalendar, china_offset};
use crate::db::{flag, value_rows};
use crate::demo::{DemoContext, DemoError, DemoFuture};
use crate::ids::IdNumber;
use crate::money::Fen;
use crate::protect::{Keyring, SensitiveKind};
use crate::region::{RegionCode, UrbanRural};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高", "梁", "郑", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹",
];
const GIVEN_MALE: &[&str] = &[
    "伟", "强", "磊", "军", "勇", "杰", "涛", "明", "超", "刚", "建国", "建华", "志强", "国庆",
    "海波", "文斌", "德福", "永昌", "小龙", "浩然", "子轩", "宇航",
];
const GIVEN_FEMALE: &[&str] = &[
    "芳", "娜", "秀英", "敏", "静", "丽", "艳", "娟", "兰", "霞", "平", "桂英", "淑珍", "玉梅",
    "春花", "翠兰", "美玲", "雨欣", "梓涵", "欣怡",
];

const DIBAO_REASONS: &[&str] = &[
    "本人失业，家庭收入低，难以维持基本生活",
    "务工收入不稳定，子女上学开支大，生活困难",
    "家庭收入微薄，老人常年吃药，生活困难",
    "丧偶，独自抚养子女，收入不足以维持基本生活",
];
const ILLNESS_REASON: &str = "家庭成员患重病长期治疗，医疗支出大，无法正常工作，生活困难";
const DISABILITY_REASON: &str = "家庭成员残疾，需要长期照料，收入低，生活困难";
const TEKUN_REASONS: &[&str] = &[
    "年老体弱，无子女，无生活来源",
    "年老多病，丧失劳动能力，无法定赡养人",
    "独居老人，无固定收入，无人赡养",
];
const REFUSE_REASONS: &[&str] = &[
    "申请人户籍和居住地均不在本街道（乡镇），已告知向户籍所在地申请",
    "申请材料不齐全，经一次性告知后逾期未补正",
    "申请人未签署家庭经济状况核对授权书，无法开展核对",
    "申请人已在其他救助家庭中，不能重复申请，已告知先办理成员变更",
];
const EXTEND_REASONS: &[&str] = &[
    "需补充核对异地不动产和存款信息，核对结果尚未反馈",
    "家庭成员在外地务工，需协查收入情况",
    "申请人补充提交医疗费用材料，需重新入户核实",
];
const CLOSE_RELATIVE_NOTES: &[&str] = &[
    "申请人之子为本社区居委会委员",
    "申请人配偶的姐姐为街道民政办工作人员",
    "申请人系村委会委员的兄弟",
    "申请人女儿在区民政局工作",
];
const OBJECTIONS: &[&str] = &[
    "群众来电反映该户有家庭成员长期在外务工，收入未如实申报",
    "邻居反映该户经常开小汽车出入，怀疑名下有车辆",
    "群众反映该户在城区另有一套住房出租",
];
const RESOLVED_UNFOUNDED: &str = "经入户走访和再次信息核对，反映情况不属实（所涉车辆、房屋登记在非家庭成员名下），维持原审核意见";
const RESOLVED_FOUNDED: &str = "经核实反映情况属实，该户收入未如实申报，已报区县作不予批准处理";

/// Shares of the applications by where they stand (percent).
const TARGETS: [(Target, usize); 11] = [
    (Target::Submitted, 12),
    (Target::Refused, 5),
    (Target::Accepted, 11),
    (Target::Investigating, 14),
    (Target::ReviewedYes, 8),
    (Target::ReviewedNo, 6),
    (Target::NoticeOpen, 8),
    (Target::NoticeOver, 9),
    (Target::RejectedAfterReview, 9),
    (Target::RejectedAfterNotice, 2),
    (Target::Active, 16),
];

/// Where an application is to stand today.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    Submitted,
    Refused,
    Accepted,
    Investigating,
    ReviewedYes,
    ReviewedNo,
    /// In its public notice.
    NoticeOpen,
    /// Notice over: the approver's turn (or an objection to resolve first).
    NoticeOver,
    RejectedAfterReview,
    /// An objection in the notice turned out founded.
    RejectedAfterNotice,
    Active,
}

impl Target {
    fn status(self) -> Status {
        match self {
            Target::Submitted => Status::Submitted,
            Target::Refused => Status::Refused,
            Target::Accepted => Status::Accepted,
            Target::Investigating => Status::Investigating,
            Target::ReviewedYes | Target::ReviewedNo => Status::Reviewed,
            Target::NoticeOpen | Target::NoticeOver => Status::Notice,
            Target::RejectedAfterReview | Target::RejectedAfterNotice => Status::Rejected,
            Target::Active => Status::Active,
        }
    }
    /// The rules run at the street's opinion.
    fn has_opinion(self) -> bool {
        !matches!(
            self,
            Target::Submitted | Target::Refused | Target::Accepted | Target::Investigating
        )
    }
    /// Whether the household is to pass the rules (`None`: not decided yet, any).
    fn eligible(self) -> Option<bool> {
        match self {
            Target::ReviewedNo | Target::RejectedAfterReview => Some(false),
            t if t.has_opinion() => Some(true),
            _ => None,
        }
    }
}

/// The demo account acting in a role (DEMO_ACCOUNTS, src/auth/demo.rs).
fn user(role: Role) -> &'static str {
    DEMO_ACCOUNTS
        .iter()
        .find(|a| a.2 == role)
        .map(|a| a.0)
        .unwrap_or("demo")
}

fn display_name(role: Role) -> &'static str {
    DEMO_ACCOUNTS
        .iter()
        .find(|a| a.2 == role)
        .map(|a| a.1)
        .unwrap_or("")
}

fn user_region(role: Role) -> &'static str {
    DEMO_ACCOUNTS
        .iter()
        .find(|a| a.2 == role)
        .map(|a| a.3)
        .unwrap_or("")
}

fn other(message: impl Into<String>) -> DemoError {
    DemoError::Other(message.into())
}

// ---------------------------------------------------------------- working days

fn day_before(d: NaiveDate) -> NaiveDate {
    d.checked_sub_days(Days::new(1)).unwrap_or(d)
}

fn days_before(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_sub_days(Days::new(n)).unwrap_or(d)
}

fn days_after(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap_or(d)
}

/// `n` working days before `day` (the inverse of `add_working_days`).
fn back(cal: &WorkCalendar, day: NaiveDate, n: u32) -> NaiveDate {
    let mut d = day;
    let mut left = n;
    while left > 0 {
        let prev = day_before(d);
        if prev == d {
            break;
        }
        d = prev;
        if cal.is_working_day(d) {
            left -= 1;
        }
    }
    d
}

fn workday_on_or_before(cal: &WorkCalendar, day: NaiveDate) -> NaiveDate {
    let mut d = day;
    for _ in 0..30 {
        if cal.is_working_day(d) {
            break;
        }
        d = day_before(d);
    }
    d
}

fn workday_on_or_after(cal: &WorkCalendar, day: NaiveDate) -> NaiveDate {
    let mut d = day;
    for _ in 0..30 {
        if cal.is_working_day(d) {
            break;
        }
        d = days_after(d, 1);
    }
    d
}

mod households;
mod plan;
mod storing;
mod world;

use households::*;
use plan::*;
use storing::*;
use world::*;

// ---------------------------------------------------------------- the generator

pub fn generate<'a>(ctx: &'a mut DemoContext<'_>) -> DemoFuture<'a> {
    Box::pin(async move {
        let mut rng = ctx.rng_for("assistance_cases");
        let mut world = World::load(ctx).await?;
        let total = (ctx.options.households / 10).max(50);
        let mut targets: Vec<Target> = Vec::with_capacity(total);
        for (target, share) in TARGETS {
            targets.extend(std::iter::repeat_n(target, (total * share / 100).max(1)));
        }
        for (target, _) in TARGETS.iter().cycle() {
            if targets.len() >= total {
                break;
            }
            targets.push(*target);
        }
        targets.shuffle(&mut rng);
        let mut transitions = Vec::new();
        let mut objections = Vec::new();
        let mut counts = [0usize; workflow::STATUSES.len()];
        let (mut overdue, mut close) = (0, 0);
        for target in targets {
            let investigated = !matches!(
                target,
                Target::Submitted | Target::Refused | Target::Accepted
            );
            let input = PlanInput {
                target,
                online: rng.random_bool(0.45),
                close_relative: rng.random_bool(0.05),
                extended: investigated && rng.random_bool(0.05),
                overdue: target.status().is_open()
                    && target != Target::Submitted
                    && rng.random_bool(0.08),
                tekun: rng.random_bool(0.12),
            };
            let p = plan(&mut rng, &mut world, ctx.keyring, ctx.today, &input)?;
            if let Some(i) = workflow::STATUSES.iter().position(|s| *s == p.status) {
                counts[i] += 1;
            }
            if p.status.is_open() && workflow::is_overdue(p.due_on, ctx.today) {
                overdue += 1;
            }
            if p.app.close_relative {
                close += 1;
            }
            store(ctx, &mut rng, p, &mut transitions, &mut objections).await?;
        }
        insert_transitions(ctx, &transitions).await?;
        insert_objections(ctx, &objections).await?;
        let incomes = roster_incomes(ctx, &world).await?;
        let (reviews, reviews_overdue) = review_dates(ctx, &mut rng).await?;
        support_modes(ctx).await?;
        approved_persons(ctx).await?;
        let advances = temporary_grants(
            ctx,
            &mut rng,
            &mut world,
            (total / 40).max(4),
            Grants::Advances,
        )
        .await?;
        // About one grant a year for every tenth household of the register.
        let history = ctx.options.households / 5;
        let history = temporary_grants(ctx, &mut rng, &mut world, history, Grants::History).await?;
        let spread = workflow::STATUSES
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{} {n}", s.label()))
            .collect::<Vec<_>>()
            .join("、");
        Ok(format!(
            "救助申请：{} 件（{spread}；超期 {overdue} 件，近亲属备案 {close} 件）；在保家庭复核日期 {reviews} 户（逾期 {reviews_overdue} 户）、花名册收入 {incomes} 项；先行救助待补齐材料 {advances} 笔；近两年临时救助 {history} 笔",
            counts.iter().sum::<usize>()
        ))
    })
}
