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

// ---------------------------------------------------------------- reference data

struct Community {
    code: String,
    area: UrbanRural,
}

/// What the generator reads once: communities, standards, the not-counted list, and the
/// ID numbers, 受理编号 and household numbers already taken.
struct World {
    communities: Vec<Community>,
    /// (district, area, effective_from, standard), in any order.
    standards: Vec<(String, UrbanRural, NaiveDate, Fen)>,
    excluded: Vec<String>,
    taken_ids: HashSet<String>,
    taken_refs: HashSet<String>,
    /// Communities of the demo accounts' scopes, to give their workbenches work.
    pools: [Vec<usize>; 3],
}

impl World {
    async fn load(ctx: &mut DemoContext<'_>) -> Result<World, DemoError> {
        let communities: Vec<Community> = sqlx::query(
            "SELECT code, urban_rural FROM regions WHERE level = 'community' ORDER BY code",
        )
        .fetch_all(&mut *ctx.tx)
        .await?
        .iter()
        .map(|r| {
            Ok(Community {
                code: r.try_get(0)?,
                area: r
                    .try_get::<Option<String>, _>(1)?
                    .as_deref()
                    .and_then(UrbanRural::from_code)
                    .unwrap_or(UrbanRural::Urban),
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
        if communities.is_empty() {
            return Err(other("no communities for demo applications"));
        }
        let mut standards = Vec::new();
        for r in sqlx::query(
            "SELECT district_code, area, effective_from, dibao_standard FROM assistance_standards",
        )
        .fetch_all(&mut *ctx.tx)
        .await?
        {
            let area: String = r.try_get(1)?;
            let from: String = r.try_get(2)?;
            standards.push((
                r.try_get(0)?,
                UrbanRural::from_code(&area).unwrap_or(UrbanRural::Urban),
                from.parse().unwrap_or(NaiveDate::MIN),
                Fen(r.try_get(3)?),
            ));
        }
        let excluded = strings(ctx, "SELECT item FROM income_exclusions").await?;
        let mut taken_ids: HashSet<String> = strings(ctx, "SELECT id_number_index FROM members")
            .await?
            .into_iter()
            .collect();
        taken_ids.extend(strings(ctx, "SELECT id_number_index FROM temporary_grants").await?);
        let mut taken_refs: HashSet<String> = strings(
            ctx,
            "SELECT reference FROM cases WHERE reference IS NOT NULL",
        )
        .await?
        .into_iter()
        .collect();
        // The household of an application is numbered SQ + its 受理编号.
        taken_refs.extend(
            strings(ctx, "SELECT number FROM households WHERE number LIKE 'SQ%'")
                .await?
                .into_iter()
                .map(|n| n.trim_start_matches("SQ").to_string()),
        );
        let pool = |prefix: &str| -> Vec<usize> {
            communities
                .iter()
                .enumerate()
                .filter(|(_, c)| !prefix.is_empty() && c.code.starts_with(prefix))
                .map(|(i, _)| i)
                .collect()
        };
        let pools = [
            pool(user_region(Role::CommunityWorker)),
            pool(user_region(Role::StreetCaseworker)),
            pool(user_region(Role::DistrictApprover)),
        ];
        Ok(World {
            communities,
            standards,
            excluded,
            taken_ids,
            taken_refs,
            pools,
        })
    }

    /// The standard in force, as `standards::standard_on` reads it.
    fn standard_on(&self, community: &str, area: UrbanRural, on: NaiveDate) -> Option<Fen> {
        let district = community.get(..6).unwrap_or(community);
        self.standards
            .iter()
            .filter(|(d, a, from, _)| d == district && *a == area && *from <= on)
            .max_by_key(|(_, _, from, _)| *from)
            .map(|s| s.3)
    }

    /// The policy `standards::policy_on` gives in the demo city (no city parameters set).
    fn policy_on(&self, community: &str, area: UrbanRural, on: NaiveDate) -> Policy {
        let mut policy = Policy::defaults(area);
        if let Some(s) = self.standard_on(community, area, on) {
            policy.dibao_standard = s;
        }
        policy
    }

    /// A third of the applications in the demo accounts' own community, street and
    /// district, so that each of them finds work on the workbench; the rest city-wide.
    fn pick_community(&self, rng: &mut ChaCha8Rng) -> usize {
        let r: f64 = rng.random();
        let pool = if r < 0.12 {
            &self.pools[0]
        } else if r < 0.30 {
            &self.pools[1]
        } else if r < 0.45 {
            &self.pools[2]
        } else {
            return rng.random_range(0..self.communities.len());
        };
        match pool.choose(rng) {
            Some(i) => *i,
            None => rng.random_range(0..self.communities.len()),
        }
    }

    /// A fresh ID number (never one of a person already registered), with the sex given.
    fn new_id(
        &mut self,
        rng: &mut ChaCha8Rng,
        keyring: &Keyring,
        district: &str,
        birth: NaiveDate,
        male: bool,
    ) -> Result<IdNumber, DemoError> {
        for _ in 0..100 {
            let seq = rng.random_range(0..500u16) * 2 + u16::from(male);
            let id =
                IdNumber::compose(district, birth, seq).ok_or_else(|| other("demo id number"))?;
            if self
                .taken_ids
                .insert(keyring.index(SensitiveKind::IdNumber, id.as_str()))
            {
                return Ok(id);
            }
        }
        Err(other("no free demo id number"))
    }

    fn new_reference(&mut self, rng: &mut ChaCha8Rng, on: NaiveDate) -> String {
        loop {
            let n: u32 = rng.random_range(0..1_000_000);
            let reference = format!("{}{n:06}", on.format("%Y%m%d"));
            if self.taken_refs.insert(reference.clone()) {
                return reference;
            }
        }
    }
}

async fn strings(ctx: &mut DemoContext<'_>, sql: &str) -> Result<Vec<String>, DemoError> {
    sqlx::query(sql)
        .fetch_all(&mut *ctx.tx)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0).map_err(DemoError::from))
        .collect()
}

// ---------------------------------------------------------------- the rules

/// The household as `cases::household_for_rules` would read it back on `on`.
fn household_for_rules(
    app: &Application,
    area: UrbanRural,
    excluded: &[String],
    on: NaiveDate,
) -> Household {
    let members = app
        .members
        .iter()
        .map(|m| Member {
            name: m.name.clone(),
            relation: m.relation,
            age: m.id.age_on(on),
            work_capacity: m.work_capacity,
            disability: m.disability,
            serious_illness: m.serious_illness,
            self_care: m.self_care,
            covered: true,
            incomes: m
                .incomes
                .iter()
                .map(|i| Income {
                    kind: i.kind,
                    monthly: i.monthly,
                    months: i.months.min(12),
                    excluded: excluded.contains(&i.item),
                })
                .collect(),
        })
        .collect();
    let a = &app.assets;
    Household {
        area,
        members,
        assets: Assets {
            financial: a.financial,
            vehicles: a
                .vehicle
                .iter()
                .map(|(kind, value)| Vehicle {
                    kind: *kind,
                    value: *value,
                })
                .collect(),
            homes: a.homes,
            commercial_properties: a.commercial,
            business_roles: a
                .business
                .iter()
                .map(|(capital, operating)| BusinessRole {
                    registered_capital: *capital,
                    operating: *operating,
                })
                .collect(),
        },
    }
}

/// All members elderly, severely disabled or seriously ill: reviewed yearly
/// (`transitions::all_members_stable`).
fn all_stable(members: &[(u32, Option<i64>, bool)]) -> bool {
    !members.is_empty()
        && members
            .iter()
            .all(|(age, grade, ill)| *age >= 60 || *ill || grade.is_some_and(|g| g <= 2))
}

/// Why a household failing the rules is not approved, from its first failed test.
fn rejection_reason(program: Program, d: &Decision) -> String {
    let failed = d
        .explanation
        .lines
        .iter()
        .find(|l| !l.passed)
        .map(|l| l.rule.as_str())
        .unwrap_or("");
    let why = match failed {
        "income" => "经调查核实，家庭人均月收入不低于当地低保标准",
        "financial_assets" => "经信息核对，家庭人均存款及有价证券超过规定上限",
        "vehicles" => "经信息核对，家庭拥有不符合规定的机动车",
        "real_estate" => "经信息核对，家庭拥有住房超过一套或拥有商业用房",
        "business" => "经信息核对，家庭成员担任注册资本超过规定的在营企业法定代表人或股东",
        "tekun_group" => "申请人不属于老年人、重度残疾人或未满 16 周岁的未成年人",
        "work_capacity" => "申请人具有劳动能力",
        "supporter" => "申请人有具备赡养、抚养、扶养能力的法定义务人",
        _ => "经调查核实，家庭经济状况不符合规定",
    };
    format!("{why}，不符合{}条件，不予批准", program.label())
}

// ---------------------------------------------------------------- households

/// How the generated household is to fare under the rules.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Means {
    /// Income well below the standard, assets within the limits.
    Poor,
    /// Income above the standard.
    IncomeAbove,
    /// Income below, assets above the limits.
    AssetsAbove,
    /// 特困 only: a supporter able to support was found.
    Supporter,
    /// 特困 only: not in the groups (younger, able to work).
    NotInGroup,
}

struct Draft {
    name: String,
    relation: Relation,
    age: u32,
    male: bool,
}

fn birth_for(rng: &mut ChaCha8Rng, today: NaiveDate, age: u32) -> NaiveDate {
    let birthday = today
        .checked_sub_months(Months::new(age * 12))
        .unwrap_or(today);
    days_before(birthday, rng.random_range(1..360))
}

fn person_name(rng: &mut ChaCha8Rng, surname: &str, male: bool) -> String {
    let given = if male { GIVEN_MALE } else { GIVEN_FEMALE };
    format!("{surname}{}", given.choose(rng).copied().unwrap_or("明"))
}

fn draw_drafts(rng: &mut ChaCha8Rng, program: Program, means: Means) -> Vec<Draft> {
    let surname = SURNAMES.choose(rng).copied().unwrap_or("王");
    let head_male = rng.random_bool(0.55);
    if program == Program::Tekun {
        let age = if means == Means::NotInGroup {
            rng.random_range(45..60)
        } else {
            rng.random_range(61..96)
        };
        return vec![Draft {
            name: person_name(rng, surname, head_male),
            relation: Relation::Applicant,
            age,
            male: head_male,
        }];
    }
    let size = *[1, 2, 2, 3, 3, 3, 4, 4, 5].choose(rng).unwrap_or(&3);
    let head_age: u32 = rng.random_range(26..84);
    let mut out = vec![Draft {
        name: person_name(rng, surname, head_male),
        relation: Relation::Applicant,
        age: head_age,
        male: head_male,
    }];
    let married = size >= 3 || rng.random_bool(0.7);
    if size >= 2 && married {
        let spouse_surname = SURNAMES.choose(rng).copied().unwrap_or("李");
        out.push(Draft {
            name: person_name(rng, spouse_surname, !head_male),
            relation: Relation::Spouse,
            age: head_age
                .saturating_add_signed(rng.random_range(-5..=5))
                .max(20),
            male: !head_male,
        });
    }
    // A parent of the applicant lives with the larger households.
    if size == 5 && head_age < 60 {
        let male = rng.random_bool(0.4);
        let parent_surname = if male {
            surname
        } else {
            SURNAMES.choose(rng).copied().unwrap_or("张")
        };
        out.push(Draft {
            name: person_name(rng, parent_surname, male),
            relation: Relation::Parent,
            age: (head_age + rng.random_range(22..30)).min(96),
            male,
        });
    }
    while out.len() < size {
        let male = rng.random_bool(0.5);
        let oldest = head_age.saturating_sub(20).max(1);
        let age = head_age
            .saturating_sub(rng.random_range(22..36))
            .clamp(1, oldest);
        out.push(Draft {
            name: person_name(rng, surname, male),
            relation: Relation::Child,
            age,
            male,
        });
    }
    out
}

/// Members with facts that fit their ages and the household's means, and incomes that
/// bring the counted monthly income per head to about `per_capita`.
struct Place<'a> {
    community: &'a str,
    area: UrbanRural,
}

fn draw_members(
    rng: &mut ChaCha8Rng,
    world: &mut World,
    keyring: &Keyring,
    place: &Place<'_>,
    today: NaiveDate,
    drafts: Vec<Draft>,
    per_capita: Fen,
) -> Result<Vec<AppMember>, DemoError> {
    let Place { community, area } = *place;
    let district = community.get(..6).unwrap_or(community);
    let size = drafts.len() as i64;
    let mut out = Vec::with_capacity(drafts.len());
    for d in drafts {
        let birth = birth_for(rng, today, d.age);
        let id = world.new_id(rng, keyring, district, birth, d.male)?;
        let disability = rng.random_bool(0.09).then(|| Disability {
            grade: rng.random_range(1..=4),
            kind: *[
                DisabilityKind::Physical,
                DisabilityKind::Physical,
                DisabilityKind::Visual,
                DisabilityKind::Hearing,
                DisabilityKind::Intellectual,
                DisabilityKind::Mental,
                DisabilityKind::Multiple,
            ]
            .choose(rng)
            .unwrap_or(&DisabilityKind::Physical),
        });
        let serious_illness = d.age >= 18 && rng.random_bool(0.08);
        let work_capacity = if d.age < 16 || d.age >= 70 || disability.is_some_and(|x| x.grade <= 2)
        {
            WorkCapacity::Lost
        } else if d.age >= 60 || serious_illness || disability.is_some() {
            if rng.random_bool(0.5) {
                WorkCapacity::Partial
            } else {
                WorkCapacity::Lost
            }
        } else {
            WorkCapacity::Full
        };
        let self_care = if d.age >= 80 || disability.is_some_and(|x| x.grade == 1) {
            *[SelfCare::Full, SelfCare::Partial, SelfCare::None]
                .choose(rng)
                .unwrap_or(&SelfCare::Full)
        } else {
            SelfCare::Full
        };
        let student = (6..=22).contains(&d.age) && (d.age < 18 || rng.random_bool(0.5));
        let employment = if student {
            "在校学生"
        } else if d.age < 16 {
            ""
        } else if d.age >= 60 {
            if area == UrbanRural::Urban && rng.random_bool(0.4) {
                "退休"
            } else {
                "无"
            }
        } else if work_capacity == WorkCapacity::Lost {
            "无"
        } else if area == UrbanRural::Rural {
            *["务农", "务农", "外出务工", "零散务工"]
                .choose(rng)
                .unwrap_or(&"务农")
        } else {
            *["灵活就业", "失业", "零散务工", "保洁员", "保安"]
                .choose(rng)
                .unwrap_or(&"失业")
        };
        out.push(AppMember {
            name: d.name,
            id,
            relation: d.relation,
            hukou: area,
            work_capacity,
            self_care,
            disability,
            serious_illness,
            student,
            employment: employment.to_string(),
            incomes: Vec::new(),
        });
    }
    // Pensions first, then wages (gross of the cost-of-working deduction), then whatever
    // is left as support paid by a relative living elsewhere.
    let mut left = per_capita * size;
    for m in out.iter_mut().filter(|m| m.id.age_on(today) >= 60) {
        if left <= Fen::ZERO {
            break;
        }
        let retired = m.employment == "退休";
        let (item, yuan) = if retired {
            ("养老金", rng.random_range(1800..3200))
        } else {
            ("城乡居民基础养老金", rng.random_range(150..280))
        };
        let amount = Fen::from_yuan(yuan).min(left);
        left -= amount;
        m.incomes.push(AppIncome {
            kind: IncomeKind::Transfer,
            item: item.to_string(),
            monthly: amount,
            months: 12,
        });
    }
    let earners: Vec<usize> = out
        .iter()
        .enumerate()
        .filter(|(_, m)| {
            let age = m.id.age_on(today);
            (18..60).contains(&age) && !m.student && m.work_capacity != WorkCapacity::Lost
        })
        .map(|(i, _)| i)
        .collect();
    for (k, &i) in earners.iter().enumerate() {
        if left <= Fen::ZERO {
            break;
        }
        let share = if k + 1 == earners.len() {
            left
        } else {
            left.mul_div_floor(rng.random_range(55..90), 100)
        };
        left -= share;
        let months: u32 = if rng.random_bool(0.7) {
            12
        } else {
            rng.random_range(6..12)
        };
        let business = rng.random_bool(0.12);
        let (kind, item, gross_pct) = if business {
            (IncomeKind::Business, "个体经营（摊点）", 100)
        } else if out[i].employment == "务农" {
            (IncomeKind::Business, "种植养殖", 100)
        } else {
            (IncomeKind::Wage, "工资", 80)
        };
        // Counted over 12 months: monthly × months × gross share = share × 12.
        let monthly = (share * 12 * 100).mul_div_ceil(1, i64::from(months) * gross_pct);
        out[i].incomes.push(AppIncome {
            kind,
            item: item.to_string(),
            monthly: monthly.ceil_yuan(),
            months,
        });
    }
    if left > Fen::ZERO
        && let Some(m) = out.first_mut()
    {
        let (kind, item) = if area == UrbanRural::Rural && rng.random_bool(0.4) {
            (IncomeKind::Property, "土地流转收入")
        } else {
            (IncomeKind::Transfer, "赡养费")
        };
        m.incomes.push(AppIncome {
            kind,
            item: item.to_string(),
            monthly: left.ceil_yuan(),
            months: 12,
        });
    }
    // Income that is not counted.
    let children = out.iter().filter(|m| m.relation == Relation::Child).count();
    for m in &mut out {
        let age = m.id.age_on(today);
        let extra = if age >= 80 {
            Some(("高龄津贴", rng.random_range(10..=30) * 10, 12))
        } else if m.disability.is_some_and(|d| d.grade <= 2) {
            Some(("重度残疾人护理补贴", 100, 12))
        } else if m.disability.is_some() && rng.random_bool(0.6) {
            Some(("困难残疾人生活补贴", 80, 12))
        } else if (6..16).contains(&age) && rng.random_bool(0.3) {
            Some(("义务教育阶段寄宿生生活补助", 125, 10))
        } else if m.relation == Relation::Applicant && children == 1 && rng.random_bool(0.15) {
            Some(("独生子女费", 10, 12))
        } else {
            None
        };
        if let Some((item, yuan, months)) = extra {
            m.incomes.push(AppIncome {
                kind: IncomeKind::Transfer,
                item: item.to_string(),
                monthly: Fen::from_yuan(yuan),
                months,
            });
        }
    }
    Ok(out)
}

fn assets(rng: &mut ChaCha8Rng, means: Means, size: i64, standard: Fen) -> AppAssets {
    let mut a = AppAssets {
        financial: if rng.random_bool(0.15) {
            Fen::ZERO
        } else {
            Fen::from_yuan(rng.random_range(2..60) * 100 * size.min(3))
        },
        vehicle: None,
        homes: u32::from(rng.random_bool(0.75)),
        commercial: 0,
        business: None,
    };
    if rng.random_bool(0.08) {
        a.vehicle = Some((
            VehicleKind::Motorcycle,
            Fen::from_yuan(rng.random_range(15..60) * 100),
        ));
    } else if rng.random_bool(0.02) {
        a.vehicle = Some((
            VehicleKind::DisabilityVehicle,
            Fen::from_yuan(rng.random_range(30..80) * 100),
        ));
    }
    if means == Means::AssetsAbove {
        match rng.random_range(0..20) {
            0..8 => {
                let months = rng.random_range(26..40);
                a.financial = (standard * months * size).ceil_yuan();
            }
            8..15 => {
                a.vehicle = Some((
                    VehicleKind::Car,
                    Fen::from_yuan(rng.random_range(30..150) * 1000),
                ));
            }
            15..18 => {
                a.homes = 2;
            }
            _ => {
                a.business = Some((Fen::from_yuan(rng.random_range(20..100) * 10_000), true));
            }
        }
    }
    a
}

// ---------------------------------------------------------------- one application

/// A step of the case's history, before it gets its time.
struct Step {
    date: NaiveDate,
    /// Order of steps on the same day.
    rank: u8,
    action: &'static str,
    from: Option<Status>,
    to: Status,
    username: &'static str,
    reason: String,
    /// Done by staff in office hours (an online application may come at any hour).
    office: bool,
}

struct Objection {
    received_on: NaiveDate,
    content: &'static str,
    resolution: Option<(&'static str, NaiveDate)>,
}

/// An application and what happened to it up to today.
struct Plan {
    app: Application,
    source: &'static str,
    reference: String,
    applied_on: NaiveDate,
    status: Status,
    accepted_on: Option<NaiveDate>,
    due_on: Option<NaiveDate>,
    extended: bool,
    visit_record: Option<String>,
    verification_record: Option<String>,
    has_supporter: bool,
    recommend: Option<bool>,
    notice: Option<(NaiveDate, NaiveDate)>,
    district_reviewed: bool,
    approved_on: Option<NaiveDate>,
    monthly: Fen,
    covered: i64,
    explanation: Option<Explanation>,
    marginal: bool,
    next_review_on: Option<NaiveDate>,
    steps: Vec<Step>,
    objections: Vec<Objection>,
}

/// The days of the workflow's steps, worked back from today.
#[derive(Default)]
struct StepDays {
    applied: Option<NaiveDate>,
    accepted: Option<NaiveDate>,
    investigated: Option<NaiveDate>,
    opinion: Option<NaiveDate>,
    published: Option<NaiveDate>,
    decided: Option<NaiveDate>,
}

fn timeline(
    rng: &mut ChaCha8Rng,
    cal: &WorkCalendar,
    deadlines: &Deadlines,
    today: NaiveDate,
    input: &PlanInput,
) -> StepDays {
    let PlanInput {
        target,
        online,
        extended,
        overdue,
        ..
    } = *input;
    let wd = |d: NaiveDate| workday_on_or_before(cal, d);
    let mut t = StepDays::default();
    match target {
        Target::Submitted => {
            t.applied = Some(if online {
                days_before(today, rng.random_range(0..=6))
            } else {
                wd(days_before(today, rng.random_range(0..=3)))
            });
            return t;
        }
        Target::Refused => {
            let refused = wd(days_before(today, rng.random_range(1..=90)));
            t.decided = Some(refused);
            t.applied = Some(if online {
                days_before(refused, rng.random_range(1..=6))
            } else {
                back(cal, refused, rng.random_range(0..=2))
            });
            return t;
        }
        Target::Accepted => {
            t.accepted = Some(wd(days_before(today, rng.random_range(0..=6))));
        }
        Target::Investigating => {
            let i = wd(days_before(today, rng.random_range(0..=10)));
            t.investigated = Some(i);
            t.accepted = Some(back(cal, i, rng.random_range(2..=8)));
        }
        Target::ReviewedYes | Target::ReviewedNo | Target::RejectedAfterReview => {
            let o = if target == Target::RejectedAfterReview {
                let d = wd(days_before(today, rng.random_range(1..=90)));
                t.decided = Some(d);
                back(cal, d, rng.random_range(1..=6))
            } else {
                wd(days_before(today, rng.random_range(0..=8)))
            };
            t.opinion = Some(o);
        }
        Target::NoticeOpen | Target::NoticeOver | Target::RejectedAfterNotice | Target::Active => {
            let last_day_of_notice = |p: NaiveDate| deadlines.notice_until(p);
            let p = match target {
                Target::NoticeOpen => {
                    let earliest = days_before(today, u64::from(deadlines.notice_days.max(1) - 1));
                    let p = wd(days_before(today, rng.random_range(0..=6)));
                    if p < earliest {
                        workday_on_or_after(cal, earliest).min(today)
                    } else {
                        p
                    }
                }
                Target::NoticeOver => wd(days_before(
                    today,
                    u64::from(deadlines.notice_days) + rng.random_range(0..=9),
                )),
                _ => {
                    let d = wd(days_before(today, rng.random_range(1..=75)));
                    t.decided = Some(d);
                    wd(days_before(
                        d,
                        u64::from(deadlines.notice_days) + rng.random_range(0..=4),
                    ))
                }
            };
            // Approval only after the notice (the decision is later than its last day).
            if let Some(d) = t.decided
                && d <= last_day_of_notice(p)
            {
                t.decided = Some(workday_on_or_after(
                    cal,
                    days_after(last_day_of_notice(p), 1),
                ));
            }
            t.published = Some(p);
            t.opinion = Some(back(cal, p, rng.random_range(0..=3)));
        }
    }
    if let Some(o) = t.opinion {
        let i = back(cal, o, rng.random_range(1..=5));
        t.investigated = Some(i);
        t.accepted = Some(back(cal, i, rng.random_range(2..=8)));
    }
    // The decision deadline: a handful overdue, the others still in time.
    if let Some(a) = t.accepted
        && target.status().is_open()
    {
        let limit = if extended {
            deadlines.extended_days
        } else {
            deadlines.decision_days
        };
        let due = deadlines.decision_due(cal, a, extended);
        if overdue && due >= today {
            t.accepted = Some(back(cal, today, limit + rng.random_range(1..=8)));
        } else if !overdue && due < today {
            let next = t.investigated.unwrap_or(today);
            t.accepted = Some(back(cal, today, limit - 1).min(next));
        }
    }
    if let Some(a) = t.accepted {
        t.applied = Some(if online {
            days_before(a, rng.random_range(1..=6))
        } else if rng.random_bool(0.6) {
            a
        } else {
            back(cal, a, rng.random_range(1..=2))
        });
    }
    t
}

#[derive(Clone, Copy)]
struct PlanInput {
    target: Target,
    online: bool,
    close_relative: bool,
    extended: bool,
    overdue: bool,
    tekun: bool,
}

fn plan(
    rng: &mut ChaCha8Rng,
    world: &mut World,
    keyring: &Keyring,
    today: NaiveDate,
    input: &PlanInput,
) -> Result<Plan, DemoError> {
    let cal = WorkCalendar::default();
    let deadlines = Deadlines::default();
    let target = input.target;
    let program = if input.tekun {
        Program::Tekun
    } else {
        Program::Dibao
    };
    let ci = world.pick_community(rng);
    let (community, area) = {
        let c = &world.communities[ci];
        (c.code.clone(), c.area)
    };
    let region = RegionCode::parse(&community).map_err(|e| other(e.to_string()))?;
    let days = timeline(rng, &cal, &deadlines, today, input);
    // The rules run on the opinion's day; a household not yet decided is still drawn as
    // one that would (mostly) pass.
    let rules_day = days.opinion.unwrap_or(today);
    let want = target.eligible();
    let standard = world
        .standard_on(&community, area, rules_day)
        .unwrap_or(Policy::defaults(area).dibao_standard);
    let mut attempt = 0;
    let (app, has_supporter, decision) = loop {
        attempt += 1;
        let poor = match want {
            Some(w) => w,
            None => rng.random_bool(0.75),
        };
        let means = if poor {
            Means::Poor
        } else if program == Program::Tekun {
            *[
                Means::Supporter,
                Means::Supporter,
                Means::NotInGroup,
                Means::IncomeAbove,
            ]
            .choose(rng)
            .unwrap_or(&Means::Supporter)
        } else if rng.random_bool(0.55) {
            Means::IncomeAbove
        } else {
            Means::AssetsAbove
        };
        let per_capita = match means {
            Means::IncomeAbove => standard.mul_div_floor(rng.random_range(105..190), 100),
            _ if rng.random_bool(0.15) => Fen::ZERO,
            _ if program == Program::Tekun => standard.mul_div_floor(rng.random_range(5..45), 100),
            _ => standard.mul_div_floor(rng.random_range(10..85), 100),
        };
        let drafts = draw_drafts(rng, program, means);
        let size = drafts.len() as i64;
        let place = Place {
            community: &community,
            area,
        };
        let mut members = draw_members(rng, world, keyring, &place, today, drafts, per_capita)?;
        if program == Program::Tekun
            && let Some(m) = members.first_mut()
        {
            if means == Means::NotInGroup {
                m.work_capacity = WorkCapacity::Partial;
                m.disability = None;
            } else {
                m.work_capacity = WorkCapacity::Lost;
            }
        }
        let has_supporter = means == Means::Supporter;
        let reason = if program == Program::Tekun {
            TEKUN_REASONS.choose(rng).copied().unwrap_or("无生活来源")
        } else if members.iter().any(|m| m.serious_illness) {
            ILLNESS_REASON
        } else if members.iter().any(|m| m.disability.is_some()) {
            DISABILITY_REASON
        } else {
            DIBAO_REASONS.choose(rng).copied().unwrap_or("生活困难")
        };
        let app = Application {
            community: region.clone(),
            program,
            assets: assets(rng, means, size, standard),
            members,
            phone: None,
            reason: reason.to_string(),
            close_relative: input.close_relative,
            close_relative_note: if input.close_relative {
                CLOSE_RELATIVE_NOTES
                    .choose(rng)
                    .copied()
                    .unwrap_or("申请人亲属为社区工作人员")
                    .to_string()
            } else {
                String::new()
            },
        };
        let household = household_for_rules(&app, area, &world.excluded, rules_day);
        let policy = world.policy_on(&community, area, rules_day);
        let decision = cases::decision(program, &household, has_supporter, &policy, rules_day);
        if want.is_none_or(|w| w == decision.eligible) || attempt >= 12 {
            break (app, has_supporter, decision);
        }
    };
    // Rarely the draw never matched: the case stands where its household's rules put it.
    let target = match (want, decision.eligible) {
        (Some(true), false) if target == Target::ReviewedYes => Target::ReviewedNo,
        (Some(true), false) => Target::RejectedAfterReview,
        (Some(false), true) => Target::ReviewedYes,
        _ => target,
    };
    let (days, decision) = if target == input.target {
        (days, decision)
    } else {
        let days = timeline(
            rng,
            &cal,
            &deadlines,
            today,
            &PlanInput { target, ..*input },
        );
        let on = days.opinion.unwrap_or(today);
        let household = household_for_rules(&app, area, &world.excluded, on);
        let policy = world.policy_on(&community, area, on);
        let decision = cases::decision(program, &household, has_supporter, &policy, on);
        (days, decision)
    };
    let applied_on = days.applied.unwrap_or(today);
    let reference = world.new_reference(rng, applied_on);
    let mut p = Plan {
        app,
        source: if input.online { "online" } else { "counter" },
        reference,
        applied_on,
        status: target.status(),
        accepted_on: days.accepted,
        due_on: None,
        extended: false,
        visit_record: None,
        verification_record: None,
        has_supporter: false,
        recommend: None,
        notice: None,
        district_reviewed: false,
        approved_on: None,
        monthly: Fen::ZERO,
        covered: 0,
        explanation: None,
        marginal: false,
        next_review_on: None,
        steps: Vec::new(),
        objections: Vec::new(),
    };
    let street = user(Role::StreetCaseworker);
    let community_worker = user(Role::CommunityWorker);
    let approver = user(Role::DistrictApprover);
    p.steps.push(Step {
        date: applied_on,
        rank: 0,
        action: "apply",
        from: None,
        to: Status::Submitted,
        username: if input.online {
            "网上申请"
        } else if rng.random_bool(0.5) {
            community_worker
        } else {
            street
        },
        reason: p.app.reason.clone(),
        office: !input.online,
    });
    if target == Target::Refused {
        let d = days.decided.unwrap_or(today);
        p.steps.push(Step {
            date: d,
            rank: 1,
            action: "refuse",
            from: Some(Status::Submitted),
            to: Status::Refused,
            username: street,
            reason: REFUSE_REASONS
                .choose(rng)
                .copied()
                .unwrap_or("不符合受理条件")
                .to_string(),
            office: true,
        });
        return Ok(p);
    }
    let Some(accepted) = days.accepted else {
        return Ok(p);
    };
    let due = deadlines.decision_due(&cal, accepted, false);
    p.due_on = Some(due);
    p.steps.push(Step {
        date: accepted,
        rank: 1,
        action: "accept",
        from: Some(Status::Submitted),
        to: Status::Accepted,
        username: street,
        reason: format!("受理，办理时限至 {due}"),
        office: true,
    });
    let mut status = Status::Accepted;
    if let Some(i) = days.investigated {
        p.has_supporter = has_supporter;
        p.visit_record = Some(visit_record(&p.app, i, area));
        p.verification_record = Some(verification_record(&p.app, i, has_supporter));
        p.steps.push(Step {
            date: i,
            rank: 2,
            action: "investigate",
            from: Some(status),
            to: Status::Investigating,
            username: community_worker,
            reason: "已登记入户调查和信息核对结果".to_string(),
            office: true,
        });
        status = Status::Investigating;
    }
    if input.extended {
        let on = days.investigated.unwrap_or(accepted);
        let due = deadlines.decision_due(&cal, accepted, true);
        p.extended = true;
        p.due_on = Some(due);
        p.steps.push(Step {
            date: on,
            rank: 3,
            action: "extend",
            from: Some(status),
            to: status,
            username: street,
            reason: format!(
                "延期至 {due}；{}",
                EXTEND_REASONS.choose(rng).copied().unwrap_or("需补充核对")
            ),
            office: true,
        });
    }
    let Some(o) = days.opinion else {
        return Ok(p);
    };
    p.recommend = Some(decision.eligible);
    p.monthly = decision.monthly;
    p.covered = decision.covered;
    p.steps.push(Step {
        date: o,
        rank: 4,
        action: "opinion",
        from: Some(status),
        to: Status::Reviewed,
        username: street,
        reason: format!(
            "街道审核意见：{}；{}",
            if decision.eligible {
                "同意"
            } else {
                "不同意"
            },
            decision.explanation.summary
        ),
        office: true,
    });
    p.explanation = Some(decision.explanation.clone());
    p.marginal = decision.marginal;
    status = Status::Reviewed;
    let end = days.decided.unwrap_or(today);
    if input.close_relative {
        // Approval needs the district's review first; elsewhere it is often still to do.
        if target == Target::Active || rng.random_bool(0.3) {
            let span = cal.working_days_between(o, end).max(0) as u32;
            let on = cal.add_working_days(o, rng.random_range(0..=span.min(5)));
            let on = on.min(end);
            let during_notice = days.published.is_some_and(|pb| on > pb);
            let at = if during_notice {
                Status::Notice
            } else {
                Status::Reviewed
            };
            p.district_reviewed = true;
            p.steps.push(Step {
                date: on,
                rank: 5,
                action: "district_review",
                from: Some(at),
                to: at,
                username: user(Role::DistrictReviewer),
                reason: "区县审核通过（近亲属备案）".to_string(),
                office: true,
            });
        }
    }
    if let Some(pb) = days.published {
        let until = deadlines.notice_until(pb);
        p.notice = Some((pb, until));
        p.steps.push(Step {
            date: pb,
            rank: 6,
            action: "publish",
            from: Some(status),
            to: Status::Notice,
            username: street,
            reason: format!("公示 {pb} 至 {until}"),
            office: true,
        });
        status = Status::Notice;
        let last_heard = until.min(today).min(end);
        let objection = match target {
            Target::RejectedAfterNotice => true,
            Target::NoticeOver => rng.random_bool(0.35),
            Target::NoticeOpen => rng.random_bool(0.25),
            Target::Active => rng.random_bool(0.1),
            _ => false,
        };
        if objection && last_heard >= pb {
            let span = (last_heard - pb).num_days().max(0) as u64;
            let received = days_after(pb, rng.random_range(0..=span));
            let before_decision = back(&cal, end, 1).max(received);
            let resolved = match target {
                Target::RejectedAfterNotice => Some((RESOLVED_FOUNDED, before_decision)),
                Target::Active => Some((RESOLVED_UNFOUNDED, before_decision)),
                Target::NoticeOver if rng.random_bool(0.5) => {
                    let by = cal.add_working_days(received, rng.random_range(1..=3));
                    Some((RESOLVED_UNFOUNDED, by.min(today)))
                }
                _ => None,
            };
            p.objections.push(Objection {
                received_on: received,
                content: OBJECTIONS.choose(rng).copied().unwrap_or("群众反映情况"),
                resolution: resolved,
            });
        }
    }
    let Some(d) = days.decided else {
        return Ok(p);
    };
    match target {
        Target::Active => {
            // Approval re-runs the rules on the day's policy.
            let household = household_for_rules(&p.app, area, &world.excluded, d);
            let policy = world.policy_on(&community, area, d);
            let again = cases::decision(program, &household, p.has_supporter, &policy, d);
            if again.eligible {
                let ages: Vec<(u32, Option<i64>, bool)> = p
                    .app
                    .members
                    .iter()
                    .map(|m| {
                        (
                            m.id.age_on(d),
                            m.disability.map(|x| i64::from(x.grade)),
                            m.serious_illness,
                        )
                    })
                    .collect();
                let months = workflow::review_interval_months(program, all_stable(&ages));
                p.approved_on = Some(d);
                p.next_review_on = Some(workflow::next_review(d, months));
                p.monthly = again.monthly;
                p.covered = again.covered;
                p.explanation = Some(again.explanation.clone());
                p.marginal = again.marginal;
                p.steps.push(Step {
                    date: d,
                    rank: 8,
                    action: "approve",
                    from: Some(status),
                    to: Status::Active,
                    username: approver,
                    reason: format!("审批确认；{}", again.explanation.summary),
                    office: true,
                });
                p.status = Status::Active;
            } else {
                p.steps.push(Step {
                    date: d,
                    rank: 8,
                    action: "reject",
                    from: Some(status),
                    to: Status::Rejected,
                    username: approver,
                    reason: rejection_reason(program, &again),
                    office: true,
                });
                p.status = Status::Rejected;
            }
        }
        Target::RejectedAfterNotice => {
            p.steps.push(Step {
                date: d,
                rank: 8,
                action: "reject",
                from: Some(status),
                to: Status::Rejected,
                username: approver,
                reason: "公示期间群众反映情况经核实属实，家庭收入未如实申报，不予批准".to_string(),
                office: true,
            });
        }
        _ => {
            p.steps.push(Step {
                date: d,
                rank: 8,
                action: "reject",
                from: Some(status),
                to: Status::Rejected,
                username: approver,
                reason: rejection_reason(program, &decision),
                office: true,
            });
        }
    }
    Ok(p)
}

fn visit_record(app: &Application, on: NaiveDate, area: UrbanRural) -> String {
    let housing = match (app.assets.homes, area) {
        (0, _) => "租住房屋".to_string(),
        (1, UrbanRural::Urban) => "居住自有住房一套".to_string(),
        (1, UrbanRural::Rural) => "居住自建农房".to_string(),
        (n, _) => format!("名下住房 {n} 套"),
    };
    let ill = app.members.iter().filter(|m| m.serious_illness).count();
    let disabled = app
        .members
        .iter()
        .filter(|m| m.disability.is_some())
        .count();
    let mut found = Vec::new();
    if ill > 0 {
        found.push(format!("{ill} 人患重病"));
    }
    if disabled > 0 {
        found.push(format!("{disabled} 人持残疾证"));
    }
    if found.is_empty() {
        found.push("家中陈设简陋".to_string());
    }
    format!(
        "{on} 入户调查（调查人：{}、{}）：家庭共 {} 人，{housing}；{}；与申请所述情况基本一致。",
        display_name(Role::CommunityWorker),
        display_name(Role::StreetCaseworker),
        app.members.len(),
        found.join("，")
    )
}

fn verification_record(app: &Application, on: NaiveDate, has_supporter: bool) -> String {
    let vehicle = match app.assets.vehicle {
        None => "名下无机动车".to_string(),
        Some((kind, value)) => format!("核对到{}一辆（估值 {value} 元）", kind.label()),
    };
    let business = match app.assets.business {
        None => "无工商登记".to_string(),
        Some((capital, _)) => format!("家庭成员为在营企业股东，注册资本 {capital} 元"),
    };
    let mut text = format!(
        "{on} 经济状况信息核对：户籍、社保、公积金、不动产、车辆、工商登记和银行存款已核对；存款及有价证券合计 {} 元；{vehicle}；{business}。",
        app.assets.financial
    );
    if app.program == Program::Tekun {
        text.push_str(if has_supporter {
            "经核实，申请人之子有稳定工作，具备赡养能力。"
        } else {
            "经核实，申请人无法定赡养人。"
        });
    }
    text
}

/// Times for the steps: office hours for staff, any hour online; in order, none later
/// than now.
fn stamp(
    rng: &mut ChaCha8Rng,
    steps: &mut [Step],
    now: DateTime<FixedOffset>,
) -> Vec<DateTime<FixedOffset>> {
    steps.sort_by_key(|s| (s.date, s.rank));
    let offset = china_offset();
    let mut times: Vec<DateTime<FixedOffset>> = Vec::with_capacity(steps.len());
    for s in steps.iter() {
        let minute = match times.last() {
            Some(prev) if prev.date_naive() == s.date => {
                let m = prev
                    .time()
                    .signed_duration_since(chrono::NaiveTime::MIN)
                    .num_minutes();
                (m + rng.random_range(5..=90)).min(23 * 60 + 50)
            }
            _ if s.office => rng.random_range(8 * 60 + 30..17 * 60 + 30),
            _ => rng.random_range(0..24 * 60),
        };
        let local = s.date.and_time(chrono::NaiveTime::MIN) + chrono::Duration::minutes(minute);
        let at = offset.from_local_datetime(&local).single().unwrap_or(now);
        times.push(at);
    }
    // Nothing later than now, in order.
    let mut cap = now;
    for t in times.iter_mut().rev() {
        if *t > cap {
            *t = cap;
        }
        cap = *t - chrono::Duration::minutes(1);
    }
    times
}

// ---------------------------------------------------------------- storing

struct Row7 {
    case_id: i64,
    from: Option<&'static str>,
    to: &'static str,
    at: String,
    username: &'static str,
    reason: String,
    action: &'static str,
}

async fn insert_transitions(ctx: &mut DemoContext<'_>, rows: &[Row7]) -> Result<(), DemoError> {
    for chunk in rows.chunks(300) {
        let sql = format!(
            "INSERT INTO case_transitions (case_id, from_status, to_status, at, username, reason, action) VALUES {}",
            value_rows(ctx.backend, chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.case_id)
                .bind(r.from)
                .bind(r.to)
                .bind(r.at.clone())
                .bind(r.username)
                .bind(r.reason.clone())
                .bind(r.action);
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok(())
}

type ObjectionRow = (
    i64,
    String,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<String>,
);

async fn insert_objections(
    ctx: &mut DemoContext<'_>,
    rows: &[ObjectionRow],
) -> Result<(), DemoError> {
    for chunk in rows.chunks(300) {
        let sql = format!(
            "INSERT INTO case_objections (case_id, received_on, content, recorded_by, resolution, resolved_by, resolved_at) VALUES {}",
            value_rows(ctx.backend, chunk.len(), 7)
        );
        let mut q = sqlx::query(&sql);
        for r in chunk {
            q = q
                .bind(r.0)
                .bind(r.1.clone())
                .bind(r.2)
                .bind(r.3)
                .bind(r.4)
                .bind(r.5)
                .bind(r.6.clone());
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok(())
}

/// Stores one application through `cases::create`, then the workflow's columns as the
/// actions left them; returns the case id and the later transitions and objections.
async fn store(
    ctx: &mut DemoContext<'_>,
    rng: &mut ChaCha8Rng,
    mut p: Plan,
    transitions: &mut Vec<Row7>,
    objections: &mut Vec<ObjectionRow>,
) -> Result<(), DemoError> {
    let now = ctx.now.with_timezone(&china_offset());
    let times = stamp(rng, &mut p.steps, now);
    let applied_at = times.first().copied().unwrap_or(now).to_rfc3339();
    let filing = Filing {
        source: p.source,
        username: p.steps.first().map(|s| s.username).unwrap_or("网上申请"),
        reference: &p.reference,
        today: p.applied_on,
        now: &applied_at,
    };
    let created = cases::create(&mut ctx.tx, ctx.keyring, &p.app, &filing).await?;
    let later = p.steps.len().saturating_sub(1) as i64;
    if later > 0 {
        let date = |d: Option<NaiveDate>| d.map(|d| d.to_string());
        sqlx::query(
            "UPDATE cases SET status = $1, accepted_on = $2, due_on = $3, extended = $4, visit_record = $5, \
             verification_record = $6, has_supporter = $7, recommend = $8, notice_from = $9, notice_until = $10, \
             district_reviewed = $11, approved_on = $12, monthly_amount = $13, covered_persons = $14, \
             explanation = $15, next_review_on = $16, version = $17, marginal = $18 WHERE id = $19",
        )
        .bind(p.status.code())
        .bind(date(p.accepted_on))
        .bind(date(p.due_on))
        .bind(flag(p.extended))
        .bind(p.visit_record.clone())
        .bind(p.verification_record.clone())
        .bind(flag(p.has_supporter))
        .bind(p.recommend.map(flag))
        .bind(date(p.notice.map(|n| n.0)))
        .bind(date(p.notice.map(|n| n.1)))
        .bind(flag(p.district_reviewed))
        .bind(date(p.approved_on))
        .bind(p.monthly.0)
        .bind(p.covered)
        .bind(
            p.explanation
                .as_ref()
                .map(|e| serde_json::to_string(e).unwrap_or_default()),
        )
        .bind(date(p.next_review_on))
        .bind(1 + later)
        .bind(flag(p.marginal))
        .bind(created.case_id)
        .execute(&mut *ctx.tx)
        .await?;
    }
    for (s, at) in p.steps.iter().zip(&times).skip(1) {
        transitions.push(Row7 {
            case_id: created.case_id,
            from: s.from.map(Status::code),
            to: s.to.code(),
            at: at.to_rfc3339(),
            username: s.username,
            reason: s.reason.clone(),
            action: s.action,
        });
    }
    let offset = china_offset();
    for o in &p.objections {
        let resolved_at = o.resolution.map(|(_, on)| {
            let t = on.and_time(chrono::NaiveTime::MIN)
                + chrono::Duration::minutes(rng.random_range(9 * 60..17 * 60));
            offset
                .from_local_datetime(&t)
                .single()
                .unwrap_or(now)
                .min(now)
                .to_rfc3339()
        });
        objections.push((
            created.case_id,
            o.received_on.to_string(),
            o.content,
            user(Role::CommunityWorker),
            o.resolution.map(|r| r.0),
            o.resolution.map(|_| user(Role::StreetCaseworker)),
            resolved_at,
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- the roster

/// Income items for the roster's active households (imported without any): one per
/// adult, so that the counted income per head is what their amount implies — the
/// standard less the amount per covered person.
async fn roster_incomes(ctx: &mut DemoContext<'_>, world: &World) -> Result<usize, DemoError> {
    let rows = sqlx::query(
        "SELECT c.household_id, c.program, c.region_code, c.monthly_amount, c.covered_persons, m.id, \
         m.birth_date, m.work_capacity FROM cases c JOIN members m ON m.household_id = c.household_id \
         WHERE c.status = 'active' AND c.source = 'import' AND NOT EXISTS (SELECT 1 FROM member_incomes i \
         JOIN members x ON x.id = i.member_id WHERE x.household_id = c.household_id) \
         ORDER BY c.household_id, m.id",
    )
    .fetch_all(&mut *ctx.tx)
    .await?;
    let areas: BTreeMap<&str, UrbanRural> = world
        .communities
        .iter()
        .map(|c| (c.code.as_str(), c.area))
        .collect();
    // household → (program, region, amount, covered, [(member, age, capacity)])
    type Roster = (String, String, i64, i64, Vec<(i64, u32, String)>);
    let mut households: BTreeMap<i64, Roster> = BTreeMap::new();
    for r in &rows {
        let birth: NaiveDate = r.try_get::<String, _>(6)?.parse().unwrap_or(ctx.today);
        let entry = households.entry(r.try_get(0)?).or_insert((
            r.try_get(1)?,
            r.try_get(2)?,
            r.try_get(3)?,
            r.try_get(4)?,
            Vec::new(),
        ));
        entry.4.push((
            r.try_get(5)?,
            crate::ids::idcard::age_on(birth, ctx.today),
            r.try_get::<Option<String>, _>(7)?.unwrap_or_default(),
        ));
    }
    let mut items: Vec<(i64, &'static str, &'static str, i64, i64)> = Vec::new();
    for (program, region, amount, covered, members) in households.values() {
        let area = areas
            .get(region.as_str())
            .copied()
            .unwrap_or(UrbanRural::Urban);
        let standard = world
            .standard_on(region, area, ctx.today)
            .unwrap_or(Policy::defaults(area).dibao_standard);
        let size = members.len().max(1) as i64;
        let total = if program == "tekun" {
            // Only a small basic pension: no income source to speak of.
            Fen::from_yuan(180).min(standard.mul_div_floor(1, 5))
        } else {
            let per_head = Fen(*amount).mul_div_floor(1, (*covered).max(1));
            let gap = if per_head < standard {
                standard - per_head
            } else {
                Fen::ZERO
            };
            gap * size
        };
        let adults: Vec<&(i64, u32, String)> = members.iter().filter(|m| m.1 >= 18).collect();
        let earning: Vec<&&(i64, u32, String)> = adults
            .iter()
            .filter(|m| m.1 >= 60 || m.2 != "lost")
            .collect();
        if total > Fen::ZERO {
            if earning.is_empty() {
                if let Some(m) = members.first() {
                    items.push((m.0, "transfer", "赡养费", total.ceil_yuan().0, 12));
                }
            } else {
                let share = total.mul_div_floor(1, earning.len() as i64);
                for m in &earning {
                    if m.1 >= 60 {
                        let item = if area == UrbanRural::Urban {
                            "养老金"
                        } else {
                            "城乡居民基础养老金"
                        };
                        items.push((m.0, "transfer", item, share.ceil_yuan().0, 12));
                    } else {
                        // Wages count after the 20% cost of working.
                        let gross = share.mul_div_ceil(100, 80).ceil_yuan();
                        items.push((m.0, "wage", "工资", gross.0, 12));
                    }
                }
            }
        }
        for m in members.iter().filter(|m| m.1 >= 80) {
            items.push((m.0, "transfer", "高龄津贴", Fen::from_yuan(200).0, 12));
        }
    }
    for chunk in items.chunks(500) {
        let sql = format!(
            "INSERT INTO member_incomes (member_id, kind, item, monthly, months) VALUES {}",
            value_rows(ctx.backend, chunk.len(), 5)
        );
        let mut q = sqlx::query(&sql);
        for (member, kind, item, monthly, months) in chunk {
            q = q
                .bind(*member)
                .bind(*kind)
                .bind(*item)
                .bind(*monthly)
                .bind(*months);
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok(items.len())
}

/// 特困 persons investigated in the demo: about one in four supported in an institution
/// (集中供养), the others at home. Roster-imported 特困 cases keep no mode: the roster
/// does not carry it.
async fn support_modes(ctx: &mut DemoContext<'_>) -> Result<(), DemoError> {
    sqlx::query(
        "UPDATE cases SET support_mode = CASE WHEN id % 4 = 0 THEN 'institution' ELSE 'home' END, \
         support_facility = CASE WHEN id % 4 = 0 THEN '街道敬老院' END \
         WHERE program = 'tekun' AND visit_record IS NOT NULL AND support_mode IS NULL",
    )
    .execute(&mut *ctx.tx)
    .await?;
    Ok(())
}

/// Next review dates for active cases that have none: the review cycle (6 or 12 months,
/// `workflow::review_interval_months`) counted from approval, the next one after today;
/// a few reviews left overdue.
async fn review_dates(
    ctx: &mut DemoContext<'_>,
    rng: &mut ChaCha8Rng,
) -> Result<(usize, usize), DemoError> {
    let rows = sqlx::query(
        "SELECT c.id, c.program, c.approved_on, m.birth_date, m.disability_grade, m.serious_illness \
         FROM cases c JOIN members m ON m.household_id = c.household_id \
         WHERE c.status = 'active' AND c.next_review_on IS NULL AND c.approved_on IS NOT NULL \
         ORDER BY c.id, m.id",
    )
    .fetch_all(&mut *ctx.tx)
    .await?;
    let today = ctx.today;
    type Active = (String, NaiveDate, Vec<(u32, Option<i64>, bool)>);
    let mut cases: BTreeMap<i64, Active> = BTreeMap::new();
    for r in &rows {
        let approved: NaiveDate = r.try_get::<String, _>(2)?.parse().unwrap_or(today);
        let birth: NaiveDate = r.try_get::<String, _>(3)?.parse().unwrap_or(today);
        let entry = cases
            .entry(r.try_get(0)?)
            .or_insert((r.try_get(1)?, approved, Vec::new()));
        entry.2.push((
            crate::ids::idcard::age_on(birth, today),
            r.try_get(4)?,
            r.try_get::<i64, _>(5)? != 0,
        ));
    }
    let mut dates: Vec<(i64, String)> = Vec::with_capacity(cases.len());
    let mut overdue = 0;
    for (id, (program, approved, members)) in &cases {
        let program = Program::from_code(program).unwrap_or(Program::Dibao);
        let months = workflow::review_interval_months(program, all_stable(members));
        let mut k = 1;
        let mut next = workflow::next_review(*approved, months);
        while next <= today && k < 200 {
            k += 1;
            next = workflow::next_review(*approved, months * k);
        }
        // The last review fell due lately and has not been done yet.
        if k > 1 {
            let last = workflow::next_review(*approved, months * (k - 1));
            if (today - last).num_days() <= 30 && rng.random_bool(0.1) {
                next = last;
                overdue += 1;
            }
        }
        dates.push((*id, next.to_string()));
    }
    for chunk in dates.chunks(400) {
        let sql = format!(
            "UPDATE cases SET next_review_on = v.column2 FROM (VALUES {}) AS v \
             WHERE cases.id = v.column1 AND cases.next_review_on IS NULL",
            value_rows(ctx.backend, chunk.len(), 2)
        );
        let mut q = sqlx::query(&sql);
        for (id, date) in chunk {
            q = q.bind(*id).bind(date.clone());
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok((dates.len(), overdue))
}

// ---------------------------------------------------------------- 先行救助

/// 先行救助 grants of the last days whose case file is still to be completed (due
/// 5 working days after the grant): some due soon, a couple overdue.
async fn advance_grants(
    ctx: &mut DemoContext<'_>,
    rng: &mut ChaCha8Rng,
    world: &mut World,
    count: usize,
) -> Result<usize, DemoError> {
    let cal = WorkCalendar::default();
    let deadlines = Deadlines::default();
    let now = ctx.now.to_rfc3339();
    let mut rows = Vec::with_capacity(count);
    for n in 0..count {
        let ci = if n % 2 == 0 {
            // Half in the street caseworker's street, who completes them.
            world.pools[1]
                .choose(rng)
                .copied()
                .unwrap_or_else(|| world.pick_community(rng))
        } else {
            world.pick_community(rng)
        };
        let (community, area) = {
            let c = &world.communities[ci];
            (c.code.clone(), c.area)
        };
        // Granted in the last days, due within the next 5 working days; every third
        // one overdue.
        let ago = if n % 3 == 2 {
            rng.random_range(6..=9)
        } else {
            rng.random_range(0..=4)
        };
        let granted = back(&cal, workday_on_or_before(&cal, ctx.today), ago);
        let due = deadlines.advance_due(&cal, granted);
        let size: i64 = rng.random_range(1..=4);
        let policy = world.policy_on(&community, area, granted);
        let amount = rules::advance_limit(size, &policy);
        let male = rng.random_bool(0.5);
        let surname = SURNAMES.choose(rng).copied().unwrap_or("王");
        let name = person_name(rng, surname, male);
        let age = rng.random_range(25..80);
        let birth = birth_for(rng, ctx.today, age);
        let district = community.get(..6).unwrap_or(&community).to_string();
        let id = world.new_id(rng, ctx.keyring, &district, birth, male)?;
        let sealed = ctx.keyring.seal(SensitiveKind::IdNumber, id.as_str());
        let emergency = rng.random_bool(0.8);
        rows.push((
            sealed, name, community, emergency, granted, amount, size, due,
        ));
    }
    for chunk in rows.chunks(200) {
        let sql = format!(
            "INSERT INTO temporary_grants (id_number_sealed, id_number_index, name, region_code, kind, grant_date, \
             amount, household_size, advance, status, created_at, due_on) VALUES {}",
            value_rows(ctx.backend, chunk.len(), 12)
        );
        let mut q = sqlx::query(&sql);
        for (sealed, name, community, emergency, granted, amount, size, due) in chunk {
            q = q
                .bind(sealed.sealed.clone())
                .bind(sealed.index.clone())
                .bind(name.clone())
                .bind(community.clone())
                .bind(if *emergency {
                    "emergency"
                } else {
                    "expenditure"
                })
                .bind(granted.to_string())
                .bind(amount.0)
                .bind(*size)
                .bind(1i64)
                .bind("valid")
                .bind(now.clone())
                .bind(due.to_string());
        }
        q.execute(&mut *ctx.tx).await?;
    }
    Ok(rows.len())
}

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
        let advances = advance_grants(ctx, &mut rng, &mut world, (total / 40).max(4)).await?;
        let spread = workflow::STATUSES
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{} {n}", s.label()))
            .collect::<Vec<_>>()
            .join("、");
        Ok(format!(
            "救助申请：{} 件（{spread}；超期 {overdue} 件，近亲属备案 {close} 件）；在保家庭复核日期 {reviews} 户（逾期 {reviews_overdue} 户）、花名册收入 {incomes} 项；先行救助待补齐材料 {advances} 笔",
            counts.iter().sum::<usize>()
        ))
    })
}
