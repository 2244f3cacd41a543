//! A comparison run: everyone in assistance (members of households with a case in force
//! or applying, and temporary-assistance applicants of the last 12 months) against the
//! latest version of each source, then this system's own records.
//!
//! Exact pass: each stored row's 8-byte key looked up among the people's keys. Fuzzy
//! pass: rows whose ID failed its check (a typo or a swapped digit always fails the
//! GB 11643 check character) are looked up by address code and birth date, and kept when
//! the name matches (equal, same reading, one character apart); each carries its score
//! and why. A row with a valid ID that matches nobody is another person — the check
//! character rules out a single typo — and is not matched by name, which would raise
//! namesakes born the same day in the same place.
//!
//! The rows stream chunk by chunk; memory holds the people (about 100 bytes each) and
//! one chunk. Findings are keyed by their evidence, so a run repeated on the same data
//! raises nothing new and a dismissed finding stays dismissed.

use std::collections::HashMap;

use futures_util::TryStreamExt;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::dataset::{FIELD, KEYS_LABEL, ROW, ROWS_LABEL};
use super::idkey::{IdKey, loose_parts, ymd};
use super::names::{self, NameMatch};
use super::rules::{self, Hit, Rule};
use super::sources::{SOURCES, Source};
use crate::assistance::model::Program;
use crate::assistance::rules::Policy;
use crate::db::Db;
use crate::protect::{Keyring, SensitiveKind};
use crate::region::UrbanRural;

/// Case statuses whose household is "in assistance": in force, or applying.
pub const IN_ASSISTANCE: &str =
    "('submitted', 'accepted', 'investigating', 'reviewed', 'notice', 'active')";

/// One person as the run knows them. A person in two cases is two entries.
#[derive(Clone, Debug)]
pub struct Person {
    pub key: u64,
    pub name: String,
    pub index: String,
    /// None for a temporary-assistance applicant.
    pub household_id: Option<i64>,
    pub case_id: Option<i64>,
    pub program: Option<Program>,
    pub active: bool,
    pub region_code: String,
    pub area: UrbanRural,
    pub household_size: i64,
}

impl Person {
    pub(super) fn district(&self) -> &str {
        self.region_code.get(..6).unwrap_or(&self.region_code)
    }
    /// What a household-level rule groups by.
    pub(super) fn household(&self) -> String {
        match self.household_id {
            Some(h) => format!("household:{h}"),
            None => format!("temporary:{}", self.index),
        }
    }
    /// Who a single-row finding is about: the person in a program in a district (a case
    /// approved again after an exit is a new case, but the same evidence about the same
    /// person there must not come back once dismissed; a person in the same program in
    /// two districts is two cases to act on, one finding each).
    pub(super) fn subject(&self) -> String {
        match self.program {
            Some(p) => format!("person:{}:{}:{}", self.index, p.code(), self.district()),
            None => format!("temporary:{}", self.index),
        }
    }
}

/// Everyone in assistance, read once per run.
pub struct People {
    pub list: Vec<Person>,
    pub(super) by_key: HashMap<u64, Vec<u32>>,
    /// (address code, birth YYYYMMDD) → people, for the fuzzy pass.
    by_birth: HashMap<(u32, u32), Vec<u32>>,
    /// Distinct people (by ID).
    pub distinct: usize,
}

impl People {
    /// Distinct people per district of their case (or grant), for the report.
    pub fn by_district(&self) -> std::collections::BTreeMap<String, usize> {
        let mut seen: std::collections::BTreeMap<String, std::collections::HashSet<u64>> =
            Default::default();
        for p in &self.list {
            seen.entry(p.district().to_string())
                .or_default()
                .insert(p.key);
        }
        seen.into_iter().map(|(d, keys)| (d, keys.len())).collect()
    }
}

/// Reads everyone in assistance, opening their ID numbers with the keyring.
pub async fn people(
    db: &Db,
    keyring: &Keyring,
    today: chrono::NaiveDate,
) -> Result<People, sqlx::Error> {
    let mut list = Vec::new();
    let today_ymd = ymd(today);
    let open = |sealed: &str| {
        keyring
            .open(SensitiveKind::IdNumber, sealed)
            .ok()
            .and_then(|id| IdKey::parse(&id, today_ymd).ok())
    };
    let area = |code: Option<String>| {
        code.as_deref()
            .and_then(UrbanRural::from_code)
            .unwrap_or(UrbanRural::Urban)
    };
    // Two sequential reads joined here, not one join in SQL: the join walked a million
    // members through the household index in random order (16 s on SQLite at a million
    // people); reading the cases, then every member in table order, takes a fraction.
    struct CaseOf {
        id: i64,
        program: Option<Program>,
        active: bool,
        region_code: String,
        area: UrbanRural,
    }
    let mut cases: HashMap<i64, Vec<CaseOf>> = HashMap::new();
    let sql = format!(
        "SELECT c.household_id, c.id, c.program, c.status, c.region_code, r.urban_rural \
         FROM cases c JOIN regions r ON r.code = c.region_code WHERE c.status IN {IN_ASSISTANCE} ORDER BY c.id"
    );
    let mut rows = sqlx::query(&sql).fetch(db.pool());
    while let Some(r) = rows.try_next().await? {
        cases.entry(r.try_get(0)?).or_default().push(CaseOf {
            id: r.try_get(1)?,
            program: Program::from_code(&r.try_get::<String, _>(2)?),
            active: r.try_get::<String, _>(3)? == "active",
            region_code: r.try_get(4)?,
            area: area(r.try_get(5)?),
        });
    }
    drop(rows);
    let mut members = sqlx::query(
        "SELECT household_id, name, id_number_sealed, id_number_index FROM members ORDER BY id",
    )
    .fetch(db.pool());
    while let Some(r) = members.try_next().await? {
        let household: i64 = r.try_get(0)?;
        let Some(of) = cases.get(&household) else {
            continue;
        };
        let Some(key) = open(&r.try_get::<String, _>(2)?) else {
            continue;
        };
        let (name, index): (String, String) = (r.try_get(1)?, r.try_get(3)?);
        for c in of {
            list.push(Person {
                key: key.0,
                name: name.clone(),
                index: index.clone(),
                household_id: Some(household),
                case_id: Some(c.id),
                program: c.program,
                active: c.active,
                region_code: c.region_code.clone(),
                area: c.area,
                household_size: 0,
            });
        }
    }
    drop(members);
    // Household sizes: the members read above.
    let mut sizes: HashMap<i64, i64> = HashMap::new();
    for p in &list {
        if let Some(h) = p.household_id {
            *sizes.entry(h).or_default() += 1;
        }
    }
    // A case's members appear once per case; a household in two cases is counted twice.
    let mut cases_of: HashMap<i64, std::collections::HashSet<i64>> = HashMap::new();
    for p in &list {
        if let (Some(h), Some(c)) = (p.household_id, p.case_id) {
            cases_of.entry(h).or_default().insert(c);
        }
    }
    for p in &mut list {
        if let Some(h) = p.household_id {
            let cases = cases_of.get(&h).map_or(1, |c| c.len().max(1)) as i64;
            p.household_size = sizes.get(&h).copied().unwrap_or(1) / cases;
        }
    }
    let since = today - chrono::Days::new(365);
    let mut temps = sqlx::query(
        "SELECT g.name, g.id_number_sealed, g.id_number_index, g.region_code, g.household_size, r.urban_rural \
         FROM temporary_grants g JOIN regions r ON r.code = g.region_code \
         WHERE g.status = 'valid' AND g.grant_date >= $1 ORDER BY g.grant_date DESC",
    )
    .bind(since.to_string())
    .fetch(db.pool());
    let mut seen = std::collections::HashSet::new();
    while let Some(r) = temps.try_next().await? {
        let index: String = r.try_get(2)?;
        // The latest grant of each applicant.
        if !seen.insert(index.clone()) {
            continue;
        }
        let Some(key) = open(&r.try_get::<String, _>(1)?) else {
            continue;
        };
        list.push(Person {
            key: key.0,
            name: r.try_get(0)?,
            index,
            household_id: None,
            case_id: None,
            program: None,
            active: false,
            region_code: r.try_get(3)?,
            area: area(r.try_get(5)?),
            household_size: r.try_get(4)?,
        });
    }
    drop(temps);
    let mut by_key: HashMap<u64, Vec<u32>> = HashMap::with_capacity(list.len());
    let mut by_birth: HashMap<(u32, u32), Vec<u32>> = HashMap::new();
    for (i, p) in list.iter().enumerate() {
        by_key.entry(p.key).or_default().push(i as u32);
        let k = IdKey(p.key);
        by_birth
            .entry((k.region(), k.birth_ymd()))
            .or_default()
            .push(i as u32);
    }
    Ok(People {
        distinct: by_key.len(),
        list,
        by_key,
        by_birth,
    })
}

/// How a row was matched to a person.
#[derive(Clone, Debug)]
pub struct Matched {
    pub person: u32,
    pub fuzzy: Option<(u8, String)>,
    pub fields: Vec<String>,
    /// Which row of the data set (chunk, position): two identical rows are two records
    /// (two accounts with the same balance), one row matched to two cases is one.
    pub row: (i64, u32),
}

/// Adjacent-transposition edit distance (optimal string alignment) of two IDs.
pub fn id_distance(a: &[u8], b: &[u8]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut d = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[n][m]
}

/// The fuzzy verdict on one kept-aside row against one person: a score out of 100 and
/// the reasons, or none. Same address code and birth date are given (they found the
/// candidate); the name must match; the ID's distance adds confidence.
pub fn fuzzy_score(
    row_id: &str,
    row_name: &str,
    row_reading: &[String],
    person: &Person,
) -> Option<(u8, String)> {
    let name = names::compare(row_name, row_reading, &person.name)?;
    let distance = id_distance(
        row_id.trim().as_bytes(),
        IdKey(person.key).to_id().as_bytes(),
    );
    // Three or more digits apart is not a slip of the pen but another number: someone
    // born the same day in the same place with the same name is a namesake, and putting
    // them to a caseworker would teach the queue to be ignored.
    let (id_points, id_reason) = match distance {
        0 => (30, "身份证号相同".to_string()),
        1 => (25, "身份证号相差一位（疑为抄错或两位颠倒）".to_string()),
        2 => (15, "身份证号相差两位".to_string()),
        _ => return None,
    };
    let name_points = match name {
        NameMatch::Equal => 30,
        NameMatch::SameReading => 25,
        NameMatch::OneEdit => 15,
    };
    let score = 40 + id_points + name_points;
    Some((
        score.min(100) as u8,
        format!("出生日期、地址码相同；{}；{id_reason}", name.label()),
    ))
}

/// Reads the stored rows of one data set and matches them: exact by key, then fuzzy for
/// rows kept aside because of their ID.
pub async fn match_dataset(
    db: &Db,
    keyring: &Keyring,
    dataset_id: i64,
    people: &People,
) -> Result<(Vec<Matched>, u64, u64), sqlx::Error> {
    let open = |label: &str, sealed: &[u8]| {
        keyring
            .open_bytes(label, sealed)
            .map_err(|_| sqlx::Error::Decode("数据集无法解密：密钥文件与导入时不同".into()))
    };
    let mut found = Vec::new();
    let (mut exact, mut fuzzy) = (0u64, 0u64);
    let mut chunks = sqlx::query(
        "SELECT valid, keys, rows, seq FROM compare_chunks WHERE dataset_id = $1 ORDER BY seq",
    )
    .bind(dataset_id)
    .fetch(db.pool());
    while let Some(r) = chunks.try_next().await? {
        let valid: i64 = r.try_get(0)?;
        let seq: i64 = r.try_get(3)?;
        let sealed_keys: Vec<u8> = r.try_get(1)?;
        let text = open(ROWS_LABEL, &r.try_get::<Vec<u8>, _>(2)?)?;
        let keys = if sealed_keys.is_empty() {
            Vec::new()
        } else {
            open(KEYS_LABEL, &sealed_keys)?
        };
        if valid == 1 {
            let hits: Vec<(usize, &Vec<u32>)> = keys
                .chunks_exact(8)
                .enumerate()
                .filter_map(|(i, k)| {
                    let key = u64::from_le_bytes(k.try_into().unwrap_or([0; 8]));
                    people.by_key.get(&key).map(|p| (i, p))
                })
                .collect();
            if hits.is_empty() {
                continue;
            }
            let rows: Vec<&[u8]> = text.split(|b| *b == ROW).collect();
            for (i, persons) in hits {
                let fields = split_fields(rows.get(i).copied().unwrap_or_default());
                exact += 1;
                for p in persons {
                    found.push(Matched {
                        person: *p,
                        fuzzy: None,
                        fields: fields.clone(),
                        row: (seq, i as u32),
                    });
                }
            }
        } else {
            for (i, row) in text.split(|b| *b == ROW).enumerate() {
                let fields = split_fields(row);
                let Some(reason) = fields.last() else {
                    continue;
                };
                if !reason.starts_with("身份证号") {
                    continue;
                }
                let Some(candidates) =
                    loose_parts(&fields[0]).and_then(|part| people.by_birth.get(&part))
                else {
                    continue;
                };
                let reading = names::reading(&fields[1]);
                let mut any = false;
                for p in candidates {
                    let person = &people.list[*p as usize];
                    if let Some(score) = fuzzy_score(&fields[0], &fields[1], &reading, person) {
                        any = true;
                        found.push(Matched {
                            person: *p,
                            fuzzy: Some(score),
                            // Without the reason kept-aside rows carry at the end.
                            fields: fields[..fields.len() - 1].to_vec(),
                            row: (seq, i as u32),
                        });
                    }
                }
                fuzzy += u64::from(any);
            }
        }
    }
    Ok((found, exact, fuzzy))
}

fn split_fields(row: &[u8]) -> Vec<String> {
    row.split(|b| *b == FIELD)
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect()
}

/// A finding ready to store.
#[derive(Clone, Debug)]
pub struct Draft {
    pub source: Option<Source>,
    pub rule: Rule,
    pub person: u32,
    pub subject: String,
    pub fuzzy: Option<(u8, String)>,
    pub evidence: serde_json::Value,
    pub detail: String,
}

impl Draft {
    pub fn evidence_key(&self) -> String {
        let mut h = Sha256::new();
        h.update(self.source.map_or("system", Source::code));
        h.update([0]);
        h.update(self.rule.code());
        h.update([0]);
        h.update(&self.subject);
        h.update([0]);
        h.update(self.evidence.to_string());
        h.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// The rules of one source over what it matched.
pub fn judge(
    source: Source,
    matched: &[Matched],
    people: &People,
    policy: &dyn Fn(&Person) -> Policy,
) -> Vec<Draft> {
    let columns = source.columns();
    // The department's ID numbers are kept masked in the finding: the person is known by
    // the case, and an ID number is never stored in the clear.
    let evidence = |rows: &[&Matched]| {
        let mut rows: Vec<Vec<String>> = rows
            .iter()
            .map(|m| {
                let mut r = m.fields.clone();
                if let Some(id) = r.first_mut() {
                    *id = SensitiveKind::IdNumber.mask(id);
                }
                r
            })
            .collect();
        rows.sort();
        rows.dedup();
        serde_json::json!({ "columns": columns, "rows": rows })
    };
    let mut out = Vec::new();
    let household_rules = matches!(
        source,
        Source::Property | Source::SocialInsurance | Source::Deposit
    );
    if !household_rules {
        for m in matched {
            let person = &people.list[m.person as usize];
            let fields: Vec<&str> = m.fields.iter().map(String::as_str).collect();
            if fields.len() < columns.len() {
                continue;
            }
            if let Some(Hit { rule, detail }) =
                rules::per_row(source, &fields, person.district(), &policy(person))
            {
                out.push(Draft {
                    source: Some(source),
                    rule,
                    person: m.person,
                    subject: person.subject(),
                    fuzzy: m.fuzzy.clone(),
                    evidence: evidence(&[m]),
                    detail,
                });
            }
        }
        return out;
    }
    // By household: every member's rows together, each row once (a member in two cases
    // of the household matches twice).
    let mut by_household: std::collections::BTreeMap<String, Vec<&Matched>> = Default::default();
    for m in matched {
        let person = &people.list[m.person as usize];
        by_household.entry(person.household()).or_default().push(m);
    }
    for (subject, ms) in by_household {
        let first = &people.list[ms[0].person as usize];
        let mut rows: Vec<Vec<&str>> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for m in &ms {
            if m.fields.len() >= columns.len() && seen.insert(m.row) {
                rows.push(m.fields.iter().map(String::as_str).collect());
            }
        }
        let fuzzy = ms.iter().find_map(|m| m.fuzzy.clone());
        for Hit { rule, detail } in
            rules::per_household(source, &rows, first.household_size, &policy(first))
        {
            out.push(Draft {
                source: Some(source),
                rule,
                person: ms[0].person,
                subject: subject.clone(),
                fuzzy: fuzzy.clone(),
                evidence: evidence(&ms),
                detail,
            });
        }
    }
    out
}

pub use super::internal::{deceased_here, internal};

/// Everything a run needs to know about the sources it reads.
pub fn all_sources() -> Vec<Source> {
    SOURCES.to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_distance_counts_a_swap_as_one() {
        assert_eq!(id_distance(b"11010519491231002X", b"11010519491231002X"), 0);
        assert_eq!(id_distance(b"11010519491231002X", b"11010519491231020X"), 1);
        assert_eq!(id_distance(b"11010519491231002X", b"11010519491231003X"), 1);
        assert_eq!(id_distance(b"11010519491231002X", b"11010519491231093X"), 2);
    }

    fn person(id: &str, name: &str) -> Person {
        Person {
            key: IdKey::parse(id, 20_261_129).unwrap().0,
            name: name.to_string(),
            index: "i".into(),
            household_id: Some(1),
            case_id: Some(1),
            program: Some(Program::Dibao),
            active: true,
            region_code: "369902001001".into(),
            area: UrbanRural::Urban,
            household_size: 1,
        }
    }

    #[test]
    fn fuzzy_scores_by_hand() {
        let p = person("11010519491231002X", "张伟");
        let score = |id: &str, name: &str| fuzzy_score(id, name, &names::reading(name), &p);
        // Two digits swapped, same name: 40 + 25 + 30.
        let (s, why) = score("11010519491231020X", "张伟").unwrap();
        assert_eq!(s, 95);
        assert!(why.contains("两位颠倒"), "{why}");
        // Same reading, one digit wrong: 40 + 25 + 25.
        assert_eq!(score("11010519491231003X", "张玮").unwrap().0, 90);
        // A typo in the name and an ID far off: too weak.
        assert!(score("11010519490000000X", "张伟华").is_none());
        // Same name, ID four digits off: a namesake born the same day, not a slip.
        assert!(score("11010519490000000X", "张伟").is_none());
        // Same name, two digits off: 40 + 15 + 30.
        assert_eq!(score("11010519491231093X", "张伟").unwrap().0, 85);
        // Another name: nothing.
        assert!(score("11010519491231020X", "李强").is_none());
    }
}
