//! What the demo generator reads once from the register and the policy: communities,
//! standards, the not-counted list, the numbers already taken.

use super::*;

pub(super) struct Community {
    pub(super) code: String,
    pub(super) area: UrbanRural,
}

/// What the generator reads once: communities, standards, the not-counted list, and the
/// ID numbers, 受理编号 and household numbers already taken.
pub(super) struct World {
    pub(super) communities: Vec<Community>,
    /// (district, area, effective_from, standard), in any order.
    pub(super) standards: Vec<(String, UrbanRural, NaiveDate, Fen)>,
    pub(super) excluded: Vec<String>,
    pub(super) taken_ids: HashSet<String>,
    pub(super) taken_refs: HashSet<String>,
    /// Communities of the demo accounts' scopes, to give their workbenches work.
    pub(super) pools: [Vec<usize>; 3],
}

impl World {
    pub(super) async fn load(ctx: &mut DemoContext<'_>) -> Result<World, DemoError> {
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
    pub(super) fn standard_on(
        &self,
        community: &str,
        area: UrbanRural,
        on: NaiveDate,
    ) -> Option<Fen> {
        let district = community.get(..6).unwrap_or(community);
        self.standards
            .iter()
            .filter(|(d, a, from, _)| d == district && *a == area && *from <= on)
            .max_by_key(|(_, _, from, _)| *from)
            .map(|s| s.3)
    }

    /// The policy `standards::policy_on` gives in the demo city (no city parameters set).
    pub(super) fn policy_on(&self, community: &str, area: UrbanRural, on: NaiveDate) -> Policy {
        let mut policy = Policy::defaults(area);
        if let Some(s) = self.standard_on(community, area, on) {
            policy.dibao_standard = s;
        }
        policy
    }

    /// A third of the applications in the demo accounts' own community, street and
    /// district, so that each of them finds work on the workbench; the rest city-wide.
    pub(super) fn pick_community(&self, rng: &mut ChaCha8Rng) -> usize {
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
    pub(super) fn new_id(
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

    pub(super) fn new_reference(&mut self, rng: &mut ChaCha8Rng, on: NaiveDate) -> String {
        loop {
            let n: u32 = rng.random_range(0..1_000_000);
            let reference = format!("{}{n:06}", on.format("%Y%m%d"));
            if self.taken_refs.insert(reference.clone()) {
                return reference;
            }
        }
    }
}

pub(super) async fn strings(
    ctx: &mut DemoContext<'_>,
    sql: &str,
) -> Result<Vec<String>, DemoError> {
    sqlx::query(sql)
        .fetch_all(&mut *ctx.tx)
        .await?
        .iter()
        .map(|r| r.try_get::<String, _>(0).map_err(DemoError::from))
        .collect()
}

// ---------------------------------------------------------------- the rules

/// The household as `cases::household_for_rules` would read it back on `on`.
pub(super) fn household_for_rules(
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
pub(super) fn all_stable(members: &[(u32, Option<i64>, bool)]) -> bool {
    !members.is_empty()
        && members
            .iter()
            .all(|(age, grade, ill)| *age >= 60 || *ill || grade.is_some_and(|g| g <= 2))
}

/// Why a household failing the rules is not approved, from its first failed test.
pub(super) fn rejection_reason(program: Program, d: &Decision) -> String {
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
