//! An application for 低保/特困 as entered on the online form or at the counter, parsed
//! from the form's fields into types. Pure: every problem is collected with the field it
//! belongs to and a sentence naming it, so the form comes back with all of them at once.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::model::{
    Disability, DisabilityKind, IncomeKind, Program, Relation, SelfCare, VehicleKind, WorkCapacity,
};
use crate::ids::IdNumber;
use crate::money::Fen;
use crate::protect::Phone;
use crate::region::{Level, RegionCode, UrbanRural};

/// Member rows on the form; more members are added at the counter afterwards.
pub const MAX_MEMBERS: usize = 6;
/// Income rows per member on the form.
pub const INCOMES_PER_MEMBER: usize = 2;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppIncome {
    pub kind: IncomeKind,
    /// The item's name (工资, 养老金, 高龄津贴, …): decides whether it is counted.
    pub item: String,
    pub monthly: Fen,
    pub months: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppMember {
    pub name: String,
    pub id: IdNumber,
    pub relation: Relation,
    pub hukou: UrbanRural,
    pub work_capacity: WorkCapacity,
    pub self_care: SelfCare,
    pub disability: Option<Disability>,
    pub serious_illness: bool,
    pub student: bool,
    pub employment: String,
    pub incomes: Vec<AppIncome>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AppAssets {
    pub financial: Fen,
    pub vehicle: Option<(VehicleKind, Fen)>,
    pub homes: u32,
    pub commercial: u32,
    /// Registered capital of a business a member represents or holds shares in, and
    /// whether it operates.
    pub business: Option<(Fen, bool)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub community: RegionCode,
    pub program: Program,
    pub members: Vec<AppMember>,
    pub assets: AppAssets,
    pub phone: Option<Phone>,
    pub reason: String,
    /// 近亲属 of civil-affairs staff or committee members, declared by the applicant.
    pub close_relative: bool,
    pub close_relative_note: String,
}

/// One problem of the form: the field's key (to mark it) and the sentence to show.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

struct Reader<'a> {
    form: &'a HashMap<String, String>,
    errors: Vec<FieldError>,
}

impl Reader<'_> {
    fn get(&self, key: &str) -> &str {
        self.form.get(key).map(|s| s.trim()).unwrap_or("")
    }
    fn checked(&self, key: &str) -> bool {
        matches!(self.get(key), "1" | "on" | "true" | "yes")
    }
    fn fail(&mut self, key: &str, message: String) {
        self.errors.push(FieldError {
            field: key.to_string(),
            message,
        });
    }
    /// Money in yuan; empty is zero.
    fn money(&mut self, key: &str, what: &str) -> Fen {
        let raw = self.get(key).to_string();
        if raw.is_empty() {
            return Fen::ZERO;
        }
        match Fen::parse_yuan(&raw) {
            Ok(f) if f >= Fen::ZERO => f,
            Ok(_) => {
                self.fail(key, format!("{what}不能为负数。"));
                Fen::ZERO
            }
            Err(e) => {
                self.fail(key, format!("{what}：{e}。"));
                Fen::ZERO
            }
        }
    }
    fn count(&mut self, key: &str, what: &str, max: u32) -> u32 {
        let raw = self.get(key).to_string();
        if raw.is_empty() {
            return 0;
        }
        match raw.parse::<u32>() {
            Ok(n) if n <= max => n,
            _ => {
                self.fail(
                    key,
                    format!("{what}应填写 0 到 {max} 之间的整数，现为「{raw}」。"),
                );
                0
            }
        }
    }
    fn text(&mut self, key: &str, what: &str, max_chars: usize) -> String {
        let s = self.get(key).to_string();
        if s.chars().count() > max_chars {
            self.fail(key, format!("{what}最多 {max_chars} 个字，请精简。"));
        }
        s
    }
}

/// Parses the application form. `communities` are the community codes the form may
/// name (all of the city online, the user's scope at the counter).
pub fn parse(
    form: &HashMap<String, String>,
    communities: &dyn Fn(&str) -> bool,
    today: NaiveDate,
) -> Result<Application, Vec<FieldError>> {
    let mut r = Reader {
        form,
        errors: Vec::new(),
    };
    let community = match RegionCode::parse(r.get("community")) {
        Ok(c) if c.level() == Level::Community && communities(c.as_str()) => Some(c),
        _ => {
            r.fail(
                "community",
                "所在社区（村）：请从列表中选择您户籍或居住所在的社区（村）。".to_string(),
            );
            None
        }
    };
    let program = Program::from_code(r.get("program"));
    if program.is_none() {
        r.fail("program", "申请项目：请选择低保或特困供养。".to_string());
    }
    let mut members = Vec::new();
    for i in 0..MAX_MEMBERS {
        if let Some(m) = member(&mut r, i, today) {
            members.push(m);
        }
    }
    if members.is_empty() && !r.errors.iter().any(|e| e.field.starts_with('m')) {
        r.fail(
            "m0_name",
            "家庭成员：至少填写申请人本人一行（姓名和身份证号）。".to_string(),
        );
    }
    // Counted only when every row parsed: a dropped row would miscount.
    let member_errors = r.errors.iter().any(|e| e.field.starts_with('m'));
    let applicants = members
        .iter()
        .filter(|m| m.relation == Relation::Applicant)
        .count();
    if !members.is_empty() && !member_errors && applicants != 1 {
        r.fail(
            "m0_relation",
            format!("与申请人关系：应有且只有一位成员为「本人」，现有 {applicants} 位。"),
        );
    }
    for (i, m) in members.iter().enumerate() {
        if members[..i].iter().any(|o| o.id == m.id) {
            r.fail(
                &format!("m{i}_id"),
                format!("第 {} 位成员的身份证号与前面的成员重复。", i + 1),
            );
        }
    }
    let assets = assets(&mut r);
    let phone_raw = r.get("phone").to_string();
    let phone = if phone_raw.is_empty() {
        None
    } else {
        match Phone::parse(&phone_raw) {
            Ok(p) => Some(p),
            Err(e) => {
                r.fail("phone", format!("联系电话：{e}。"));
                None
            }
        }
    };
    let reason = r.text("reason", "申请理由", 500);
    if reason.is_empty() {
        r.fail("reason", "申请理由：请简要说明家庭困难情况。".to_string());
    }
    let close_relative = r.checked("close_relative");
    let close_relative_note = r.text("close_relative_note", "近亲属说明", 200);
    if close_relative && close_relative_note.is_empty() {
        r.fail(
            "close_relative_note",
            "近亲属说明：请写明与哪位民政工作人员或村（居）委会成员是何种亲属关系。".to_string(),
        );
    }
    if !r.checked("declaration") {
        r.fail(
            "declaration",
            "承诺：请勾选“以上情况真实，如有虚报瞒报愿承担责任”。".to_string(),
        );
    }
    if !r.checked("consent") {
        r.fail(
            "consent",
            "授权核对：请勾选同意民政部门核对家庭经济状况，否则无法办理。".to_string(),
        );
    }
    match (community, program) {
        (Some(community), Some(program)) if r.errors.is_empty() => Ok(Application {
            community,
            program,
            members,
            assets,
            phone,
            reason,
            close_relative,
            close_relative_note,
        }),
        _ => Err(r.errors),
    }
}

fn member(r: &mut Reader<'_>, i: usize, today: NaiveDate) -> Option<AppMember> {
    let key = |f: &str| format!("m{i}_{f}");
    let n = i + 1;
    let name = r.get(&key("name")).to_string();
    let id_raw = r.get(&key("id")).to_string();
    if name.is_empty() && id_raw.is_empty() {
        return None;
    }
    let before = r.errors.len();
    if name.is_empty() || name.chars().count() > 30 {
        r.fail(
            &key("name"),
            format!("第 {n} 位成员的姓名：请填写 1 到 30 个字的姓名。"),
        );
    }
    let id = match IdNumber::parse(&id_raw, today) {
        Ok(id) => Some(id),
        Err(e) => {
            r.fail(&key("id"), format!("第 {n} 位成员的{e}。"));
            None
        }
    };
    let relation = Relation::from_label(r.get(&key("relation")));
    if relation.is_none() {
        r.fail(
            &key("relation"),
            format!("第 {n} 位成员的与申请人关系：请从列表中选择。"),
        );
    }
    let hukou = UrbanRural::from_code(r.get(&key("hukou")));
    if hukou.is_none() {
        r.fail(
            &key("hukou"),
            format!("第 {n} 位成员的户口性质：请选择城镇或农村。"),
        );
    }
    let work = WorkCapacity::from_code(r.get(&key("work")));
    if work.is_none() {
        r.fail(
            &key("work"),
            format!("第 {n} 位成员的劳动能力：请选择完全、部分或丧失劳动能力。"),
        );
    }
    let self_care = SelfCare::from_code(r.get(&key("self_care"))).unwrap_or(SelfCare::Full);
    let grade_raw = r.get(&key("disability_grade")).to_string();
    let disability = if grade_raw.is_empty() {
        None
    } else {
        let grade = grade_raw.parse::<u8>().ok().filter(|g| (1..=4).contains(g));
        let kind = DisabilityKind::from_code(r.get(&key("disability_kind")));
        match (grade, kind) {
            (Some(grade), Some(kind)) => Some(Disability { grade, kind }),
            (None, _) => {
                r.fail(
                    &key("disability_grade"),
                    format!("第 {n} 位成员的残疾等级：应为 1 到 4 级。"),
                );
                None
            }
            (_, None) => {
                r.fail(
                    &key("disability_kind"),
                    format!("第 {n} 位成员的残疾类别：填写了残疾等级时请选择残疾类别。"),
                );
                None
            }
        }
    };
    let serious_illness = r.checked(&key("illness"));
    let student = r.checked(&key("student"));
    let employment = r.text(&key("employment"), &format!("第 {n} 位成员的就业情况"), 50);
    let mut incomes = Vec::new();
    for j in 0..INCOMES_PER_MEMBER {
        let k = |f: &str| format!("m{i}_inc{j}_{f}");
        let monthly_raw = r.get(&k("monthly")).to_string();
        let item = r.get(&k("item")).to_string();
        if monthly_raw.is_empty() && item.is_empty() {
            continue;
        }
        let what = format!("第 {n} 位成员的第 {} 项收入", j + 1);
        let kind = IncomeKind::from_code(r.get(&k("kind")));
        if kind.is_none() {
            r.fail(&k("kind"), format!("{what}：请选择收入类型。"));
        }
        if item.is_empty() || item.chars().count() > 30 {
            r.fail(
                &k("item"),
                format!("{what}：请填写收入项目名称（如 工资、养老金、高龄津贴）。"),
            );
        }
        let monthly = r.money(&k("monthly"), &format!("{what}的月金额"));
        let months_raw = r.get(&k("months")).to_string();
        let months = match months_raw.parse::<u32>() {
            Ok(m) if m <= 12 => m,
            _ => {
                r.fail(
                    &k("months"),
                    format!("{what}：近 12 个月中取得的月数应为 0 到 12，现为「{months_raw}」。"),
                );
                0
            }
        };
        if let Some(kind) = kind {
            incomes.push(AppIncome {
                kind,
                item,
                monthly,
                months,
            });
        }
    }
    if r.errors.len() > before {
        return None;
    }
    Some(AppMember {
        name,
        id: id?,
        relation: relation?,
        hukou: hukou?,
        work_capacity: work?,
        self_care,
        disability,
        serious_illness,
        student,
        employment,
        incomes,
    })
}

fn assets(r: &mut Reader<'_>) -> AppAssets {
    let financial = r.money("financial", "存款及有价证券");
    let vehicle = match r.get("vehicle_kind") {
        "" | "none" => None,
        code => match VehicleKind::from_code(code) {
            Some(kind) => Some((kind, r.money("vehicle_value", "机动车价值"))),
            None => {
                r.fail(
                    "vehicle_kind",
                    "机动车：请从列表中选择车辆类型。".to_string(),
                );
                None
            }
        },
    };
    let homes = r.count("homes", "住房套数", 20);
    let commercial = r.count("commercial", "商业用房套数", 20);
    let capital = r.money("business_capital", "所任法定代表人或股东企业的注册资本");
    let business = (capital > Fen::ZERO).then(|| (capital, r.checked("business_operating")));
    AppAssets {
        financial,
        vehicle,
        homes,
        commercial,
        business,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    fn id(birth: &str, seq: u16) -> String {
        IdNumber::compose("369902", birth.parse().unwrap(), seq)
            .unwrap()
            .as_str()
            .to_string()
    }

    fn good() -> HashMap<String, String> {
        let mut f: HashMap<String, String> = [
            ("community", "369902001001"),
            ("program", "dibao"),
            ("m0_name", "张三"),
            ("m0_relation", "本人"),
            ("m0_hukou", "urban"),
            ("m0_work", "full"),
            ("m0_inc0_kind", "wage"),
            ("m0_inc0_item", "工资"),
            ("m0_inc0_monthly", "1,500"),
            ("m0_inc0_months", "12"),
            ("m1_name", "李四"),
            ("m1_relation", "配偶"),
            ("m1_hukou", "urban"),
            ("m1_work", "partial"),
            ("financial", "3000"),
            ("reason", "失业，收入低"),
            ("declaration", "1"),
            ("consent", "1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        f.insert("m0_id".into(), id("1981-03-02", 11));
        f.insert("m1_id".into(), id("1983-05-06", 22));
        f
    }

    fn all(_: &str) -> bool {
        true
    }

    #[test]
    fn a_complete_form_parses_into_types() {
        let a = parse(&good(), &all, today()).unwrap();
        assert_eq!(a.program, Program::Dibao);
        assert_eq!(a.members.len(), 2);
        assert_eq!(a.members[0].relation, Relation::Applicant);
        assert_eq!(a.members[0].incomes[0].monthly, Fen::from_yuan(1500));
        assert_eq!(a.members[0].incomes[0].months, 12);
        assert_eq!(a.members[1].work_capacity, WorkCapacity::Partial);
        assert_eq!(a.assets.financial, Fen::from_yuan(3000));
        assert!(!a.close_relative);
    }

    #[test]
    fn every_problem_is_listed_with_its_field() {
        let mut f = good();
        f.insert("m0_id".into(), "36990219810302001X".into());
        f.insert("m1_relation".into(), "本人".into());
        f.insert("m0_inc0_months".into(), "13".into());
        f.insert("community".into(), "369902001".into());
        f.remove("consent");
        f.insert("close_relative".into(), "1".into());
        let errors = parse(&f, &all, today()).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert!(fields.contains(&"community"), "{errors:?}");
        assert!(fields.contains(&"m0_id"), "{errors:?}");
        assert!(fields.contains(&"m0_inc0_months"), "{errors:?}");
        assert!(fields.contains(&"consent"), "{errors:?}");
        assert!(fields.contains(&"close_relative_note"), "{errors:?}");
        let id_error = errors.iter().find(|e| e.field == "m0_id").unwrap();
        assert!(
            id_error.message.starts_with("第 1 位成员的身份证号"),
            "{}",
            id_error.message
        );
    }

    #[test]
    fn exactly_one_applicant_and_no_repeated_person() {
        let mut f = good();
        f.insert("m1_relation".into(), "本人".into());
        let errors = parse(&f, &all, today()).unwrap_err();
        assert!(errors.iter().any(|e| e.message.contains("现有 2 位")));
        let mut f = good();
        f.insert("m1_id".into(), f["m0_id"].clone());
        let errors = parse(&f, &all, today()).unwrap_err();
        assert!(errors.iter().any(|e| e.field == "m1_id"), "{errors:?}");
    }

    #[test]
    fn communities_outside_the_allowed_set_are_refused() {
        let errors = parse(&good(), &|c| c != "369902001001", today()).unwrap_err();
        assert_eq!(errors[0].field, "community");
    }
}
