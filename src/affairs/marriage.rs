//! Marriage registration (婚姻登记, DOMAIN.md §6), pure: the legal ages on the day, whether
//! a person is married according to the registry's status history, the kinship
//! declaration, certificate numbers `J/L<registry code>-<year>-<6-digit seq>`, the divorce
//! cooling-off window, and the compliance audit (合格/不合格 with the failed rule) of any
//! registration, typed at the counter or imported. Days come in as arguments: no clock.

use chrono::NaiveDate;
use serde::Serialize;

use crate::ids::{IdNumber, Sex};

coded!(
    /// 登记类型.
    Kind {
        Marriage = "marriage", "结婚";
        Divorce = "divorce", "离婚";
        Reissue = "reissue", "补领";
    }
);

coded!(
    /// Where a divorce application (协议离婚申请) stands.
    ApplicationStatus {
        Received = "received", "冷静期/待办理";
        Withdrawn = "withdrawn", "已撤回";
        Completed = "completed", "已办结";
        Lapsed = "lapsed", "已失效";
    }
);

coded!(
    /// A person's marital status in the registry's history.
    MaritalStatus {
        Married = "married", "已婚";
        Divorced = "divorced", "离婚";
    }
);

coded!(
    /// The rules a registration must keep; each refusal and each 不合格 names one.
    Rule {
        Fields = "fields", "必填项齐全有效";
        Certificate = "certificate", "证书编号规则";
        Present = "present", "双方亲自到场";
        Sexes = "sexes", "一男一女（按身份证号）";
        ManAge = "man_age", "男方年满22周岁";
        WomanAge = "woman_age", "女方年满20周岁";
        ManMarried = "man_married", "男方无配偶";
        WomanMarried = "woman_married", "女方无配偶";
        Kinship = "kinship", "无禁止结婚的亲属关系";
        NotSpouses = "not_spouses", "双方为登记在册的夫妻";
        CoolingOff = "cooling_off", "离婚冷静期届满后方可办理";
        Withdrawal = "withdrawal", "冷静期内方可撤回";
        Lapsed = "lapsed", "冷静期届满后30日内办理";
        NoApplication = "no_application", "离婚须先申请";
        NoOriginal = "no_original", "补领须有原登记";
        MissingId = "missing_id", "身份证号缺失";
        Deceased = "deceased", "当事人已死亡";
    }
);

pub const MAN_MIN_AGE: u32 = 22;
pub const WOMAN_MIN_AGE: u32 = 20;
/// 离婚冷静期: 30 days from the day after receipt.
pub const COOLING_OFF_DAYS: i64 = 30;
/// Within the 30 days after it ends both must come to finish.
pub const FINISH_DAYS: i64 = 30;

/// A rule broken, with what was found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub rule: Rule,
    pub detail: String,
}

impl Refusal {
    pub fn new(rule: Rule, detail: impl Into<String>) -> Refusal {
        Refusal {
            rule,
            detail: detail.into(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "不符合「{}」：{}", self.rule.label(), self.detail)
    }
}

/// One entry of a person's status history: since a day, by a registration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusEvent {
    pub since: NaiveDate,
    pub registration: i64,
    pub status: MaritalStatus,
    /// The spouse's (or former spouse's) blind index.
    pub spouse: String,
}

/// The person's status just before a registration at `(day, id)`: the latest event dated
/// earlier, or the same day by an earlier registration. None: never registered here.
pub fn status_before(events: &[StatusEvent], at: (NaiveDate, i64)) -> Option<&StatusEvent> {
    events
        .iter()
        .filter(|e| (e.since, e.registration) < at)
        .max_by_key(|e| (e.since, e.registration))
}

/// The spouses the registry shows just before `at`: each one whose latest event with the
/// person is a marriage (a marriage registered and not ended by divorce). More than one
/// only after a bigamous record was imported.
pub fn spouses_before(events: &[StatusEvent], at: (NaiveDate, i64)) -> Vec<&str> {
    let mut spouses: Vec<&str> = events.iter().map(|e| e.spouse.as_str()).collect();
    spouses.sort_unstable();
    spouses.dedup();
    spouses.retain(|s| {
        let with: Vec<StatusEvent> = events.iter().filter(|e| e.spouse == *s).cloned().collect();
        status_before(&with, at).is_some_and(|e| e.status == MaritalStatus::Married)
    });
    spouses
}

/// The legal age of a sex on the day (the birthday itself counts).
pub fn age_rule(sex: Sex, birth: NaiveDate, day: NaiveDate) -> Result<(), Refusal> {
    let (min, rule, who) = match sex {
        Sex::Male => (MAN_MIN_AGE, Rule::ManAge, "男方"),
        Sex::Female => (WOMAN_MIN_AGE, Rule::WomanAge, "女方"),
    };
    let age = crate::ids::idcard::age_on(birth, day);
    if age < min {
        return Err(Refusal::new(
            rule,
            format!("{who}{birth} 出生，{day} 为 {age} 周岁，未满 {min} 周岁"),
        ));
    }
    Ok(())
}

/// The kinship declaration: "否" (no prohibited kinship) passes; "是" is refused; none is
/// a missing field.
pub fn kinship_rule(declared_prohibited: Option<bool>) -> Result<(), Refusal> {
    match declared_prohibited {
        Some(false) => Ok(()),
        Some(true) => Err(Refusal::new(
            Rule::Kinship,
            "双方声明有直系血亲或三代以内旁系血亲关系，依法禁止结婚",
        )),
        None => Err(Refusal::new(
            Rule::Fields,
            "请填写「亲属关系声明」：双方是否有直系血亲或三代以内旁系血亲关系",
        )),
    }
}

/// The certificate's letter: J for marriage, L for divorce.
pub fn letter(kind: Kind) -> Option<char> {
    match kind {
        Kind::Marriage => Some('J'),
        Kind::Divorce => Some('L'),
        Kind::Reissue => None,
    }
}

/// `J369902-2026-000001`.
pub fn certificate_number(letter: char, office: &str, year: i32, seq: u32) -> String {
    format!("{letter}{office}-{year}-{seq:06}")
}

/// The largest sequence a certificate number holds (6 digits).
pub const MAX_SEQ: u32 = 999_999;

/// The certificate number after the last one taken (`last` 0: none yet) of a letter,
/// registry and year; refused once the 6 digits are used up — a 7-digit number would
/// fail the format every certificate is checked against.
pub fn next_certificate_number(
    letter: char,
    office: &str,
    year: i32,
    last: u32,
) -> Result<String, Refusal> {
    if last >= MAX_SEQ {
        return Err(Refusal::new(
            Rule::Certificate,
            format!(
                "本年度证号已用完：{letter}{office}-{year} 的 6 位序号已编到 {MAX_SEQ}，请联系系统管理员"
            ),
        ));
    }
    Ok(certificate_number(letter, office, year, last + 1))
}

/// A certificate number's parts (letter, registry code, year, sequence), if well formed.
pub fn parse_certificate(s: &str) -> Option<(char, &str, i32, u32)> {
    let letter = s.chars().next().filter(|c| *c == 'J' || *c == 'L')?;
    let mut parts = s[1..].split('-');
    let office = parts.next().filter(|o| is_office(o))?;
    let year = parts.next().filter(|y| y.len() == 4)?.parse().ok()?;
    let seq = parts
        .next()
        .filter(|q| q.len() == 6 && q.bytes().all(|b| b.is_ascii_digit()))?;
    if parts.next().is_some() {
        return None;
    }
    Some((letter, office, year, seq.parse().ok()?))
}

/// A registry (登记机关) code: 6 digits.
pub fn is_office(s: &str) -> bool {
    s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The days of a divorce application received on `received`: the last day it may be
/// withdrawn (end of the cooling-off) and the first and last days it may be completed.
pub fn divorce_window(received: NaiveDate) -> (NaiveDate, NaiveDate, NaiveDate) {
    let d = chrono::Duration::days;
    (
        received + d(COOLING_OFF_DAYS),
        received + d(COOLING_OFF_DAYS + 1),
        received + d(COOLING_OFF_DAYS + FINISH_DAYS),
    )
}

/// Withdrawal by either party: during the cooling-off only.
pub fn may_withdraw(received: NaiveDate, day: NaiveDate) -> Result<(), Refusal> {
    let (last, _, _) = divorce_window(received);
    if day > last {
        return Err(Refusal::new(
            Rule::Withdrawal,
            format!(
                "冷静期已于 {last} 届满，不能再撤回；不来办理的申请在 {} 后自动失效",
                divorce_window(received).2
            ),
        ));
    }
    Ok(())
}

/// Whether an application received on `received`, shown as `status` on `day`, may still
/// be withdrawn and may be completed: what the page offers, so the desk is not sent into
/// a refusal.
pub fn actions_on(status: ApplicationStatus, received: NaiveDate, day: NaiveDate) -> (bool, bool) {
    let open = status_on(status, received, day) == ApplicationStatus::Received;
    (
        open && may_withdraw(received, day).is_ok(),
        open && may_complete(received, day).is_ok(),
    )
}

/// Completion (certificate issued): from day 31 to day 60 after receipt.
pub fn may_complete(received: NaiveDate, day: NaiveDate) -> Result<(), Refusal> {
    let (last, first, until) = divorce_window(received);
    if day <= last {
        return Err(Refusal::new(
            Rule::CoolingOff,
            format!("申请于 {received} 受理，冷静期至 {last}，{first} 起方可办理离婚登记"),
        ));
    }
    if day > until {
        return Err(Refusal::new(
            Rule::Lapsed,
            format!(
                "申请于 {received} 受理，应在 {first} 至 {until} 办理，已自动失效；如仍要离婚须重新申请"
            ),
        ));
    }
    Ok(())
}

/// The status shown on `today`: a received application past its last day is lapsed.
pub fn status_on(
    stored: ApplicationStatus,
    received: NaiveDate,
    today: NaiveDate,
) -> ApplicationStatus {
    if stored == ApplicationStatus::Received && today > divorce_window(received).2 {
        ApplicationStatus::Lapsed
    } else {
        stored
    }
}

/// A registration as recorded (counter or ledger), its fields as given.
#[derive(Clone, Debug)]
pub struct Record<'a> {
    pub kind: Kind,
    pub day: NaiveDate,
    pub certificate: &'a str,
    pub man_name: &'a str,
    pub man_id: &'a str,
    pub woman_name: &'a str,
    pub woman_id: &'a str,
    pub office: &'a str,
    pub applied_on: Option<NaiveDate>,
}

/// What the registry said about the two just before the registration.
#[derive(Clone, Debug, Default)]
pub struct Registry {
    /// Each one's spouses' indexes (empty: not married).
    pub man_spouses: Vec<String>,
    pub woman_spouses: Vec<String>,
    /// The last event between the two of them, if any (for a reissue).
    pub between: Option<MaritalStatus>,
    /// The day each one is known dead, when this system holds a death dated on or before
    /// the registration's day (a cremation's day of death, or a burial's day).
    pub man_died: Option<NaiveDate>,
    pub woman_died: Option<NaiveDate>,
}

/// The two parties' ID numbers, checked: the man's first.
pub fn parties(r: &Record<'_>) -> Result<(IdNumber, IdNumber), Refusal> {
    let id = |who: &str, s: &str| {
        if s.trim().is_empty() {
            // Old registers have rows without an ID: kept (they happened), but nobody
            // can be recognised by them, so they never count as a person's status.
            return Err(Refusal::new(
                Rule::MissingId,
                format!("「{who}身份证号」为空，无法确认当事人，该记录不作为其婚姻状况的依据"),
            ));
        }
        IdNumber::parse(s, r.day)
            .map_err(|e| Refusal::new(Rule::Fields, format!("「{who}身份证号」{e}")))
    };
    let (man, woman) = (id("男方", r.man_id)?, id("女方", r.woman_id)?);
    if man.sex() != Sex::Male || woman.sex() != Sex::Female {
        return Err(Refusal::new(
            Rule::Sexes,
            "男方身份证号须为男性（第17位奇数），女方须为女性（第17位偶数）",
        ));
    }
    Ok((man, woman))
}

/// The compliance audit: `Ok` is 合格, an error the first rule that failed. `indexes` are
/// the two parties' blind indexes, to compare with the spouses the registry names.
pub fn audit(r: &Record<'_>, reg: &Registry, indexes: (&str, &str)) -> Result<(), Refusal> {
    for (field, value) in [("男方姓名", r.man_name), ("女方姓名", r.woman_name)] {
        if value.trim().is_empty() {
            return Err(Refusal::new(Rule::Fields, format!("「{field}」为空")));
        }
    }
    if !is_office(r.office) {
        return Err(Refusal::new(
            Rule::Fields,
            format!("「登记机关代码」「{}」应为 6 位数字", r.office),
        ));
    }
    let (man, woman) = parties(r)?;
    let Some((letter_given, office, year, _)) = parse_certificate(r.certificate) else {
        return Err(Refusal::new(
            Rule::Certificate,
            format!(
                "「{}」应为 J/L+登记机关代码-年份-6位序号，如 J369902-2026-000001",
                r.certificate
            ),
        ));
    };
    let expected = match r.kind {
        Kind::Reissue => match reg.between {
            Some(MaritalStatus::Married) => 'J',
            Some(MaritalStatus::Divorced) => 'L',
            None => {
                return Err(Refusal::new(
                    Rule::NoOriginal,
                    "本登记机关没有这二人的结婚或离婚登记记录",
                ));
            }
        },
        k => letter(k).unwrap_or('J'),
    };
    if letter_given != expected || office != r.office || year != chrono::Datelike::year(&r.day) {
        return Err(Refusal::new(
            Rule::Certificate,
            format!(
                "「{}」应以 {expected}{}-{} 开头",
                r.certificate,
                r.office,
                chrono::Datelike::year(&r.day)
            ),
        ));
    }
    if r.kind != Kind::Reissue {
        for (who, died) in [("男方", reg.man_died), ("女方", reg.woman_died)] {
            if let Some(died) = died {
                return Err(Refusal::new(
                    Rule::Deceased,
                    format!(
                        "{who}已有死亡记录（火化或安葬记录，{died}），不能办理{}登记",
                        r.kind.label()
                    ),
                ));
            }
        }
    }
    match r.kind {
        Kind::Marriage => {
            age_rule(Sex::Male, man.birth_date(), r.day)?;
            age_rule(Sex::Female, woman.birth_date(), r.day)?;
            if !reg.man_spouses.is_empty() {
                return Err(Refusal::new(
                    Rule::ManMarried,
                    "登记记录显示男方已婚且未离婚",
                ));
            }
            if !reg.woman_spouses.is_empty() {
                return Err(Refusal::new(
                    Rule::WomanMarried,
                    "登记记录显示女方已婚且未离婚",
                ));
            }
        }
        Kind::Divorce => {
            if !reg.man_spouses.iter().any(|s| s == indexes.1)
                || !reg.woman_spouses.iter().any(|s| s == indexes.0)
            {
                return Err(Refusal::new(
                    Rule::NotSpouses,
                    "登记记录中二人不是（或已不是）夫妻",
                ));
            }
            let Some(applied) = r.applied_on else {
                return Err(Refusal::new(
                    Rule::NoApplication,
                    "离婚登记缺少「离婚申请日期」",
                ));
            };
            may_complete(applied, r.day)?;
        }
        Kind::Reissue => {}
    }
    Ok(())
}

#[cfg(test)]
#[path = "marriage_tests.rs"]
mod tests;
