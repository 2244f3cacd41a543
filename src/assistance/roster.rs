//! The `assistance-roster` ledger (低保/特困花名册): one row per household member,
//! households keyed by 户编号 and members by 身份证号 (FORMATS.md).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::model::{ExitReason, Program, Relation, SelfCare, WorkCapacity};
use crate::ids::IdNumber;
use crate::ledger::sheet::{Column, RowReader, Sheet, find_header};
use crate::ledger::{ImportError, RowError};
use crate::money::Fen;
use crate::protect::{BankAccount, Phone};

pub const NAME: &str = "assistance-roster";
pub const TITLE: &str = "低保/特困花名册";

// Column positions in `COLUMNS`.
const HOUSEHOLD: usize = 0;
const PROGRAM: usize = 1;
const NAME_COL: usize = 2;
const ID: usize = 3;
const RELATION: usize = 4;
const COVERED: usize = 5;
const COMMUNITY: usize = 6;
const MONTHLY: usize = 7;
const APPROVED: usize = 8;
const STATUS: usize = 9;
const EXITED: usize = 10;
const EXIT_REASON: usize = 11;
const BANK: usize = 12;
const PHONE: usize = 13;
const WORK: usize = 14;
const DISABILITY: usize = 15;
const SELF_CARE: usize = 16;

pub const COLUMNS: [Column; 17] = [
    Column {
        name: "户编号",
        required: true,
    },
    Column {
        name: "救助类别",
        required: true,
    },
    Column {
        name: "姓名",
        required: true,
    },
    Column {
        name: "身份证号",
        required: true,
    },
    Column {
        name: "与户主关系",
        required: true,
    },
    Column {
        name: "是否保障对象",
        required: true,
    },
    Column {
        name: "所属社区",
        required: true,
    },
    Column {
        name: "月保障金额",
        required: false,
    },
    Column {
        name: "批准日期",
        required: true,
    },
    Column {
        name: "状态",
        required: true,
    },
    Column {
        name: "停保日期",
        required: false,
    },
    Column {
        name: "停保原因",
        required: false,
    },
    Column {
        name: "银行账号",
        required: false,
    },
    Column {
        name: "联系电话",
        required: false,
    },
    Column {
        name: "劳动能力",
        required: false,
    },
    Column {
        name: "残疾等级",
        required: false,
    },
    Column {
        name: "自理能力",
        required: false,
    },
];

#[derive(Clone, Debug, PartialEq)]
pub struct RosterMember {
    pub row: usize,
    pub name: String,
    pub id: IdNumber,
    pub relation: Relation,
    pub covered: bool,
    pub bank: Option<BankAccount>,
    pub phone: Option<Phone>,
    pub work_capacity: Option<WorkCapacity>,
    pub disability_grade: Option<u8>,
    pub self_care: Option<SelfCare>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct RosterHousehold {
    pub number: String,
    pub program: Program,
    pub community: String,
    pub monthly: Fen,
    pub approved_on: NaiveDate,
    pub active: bool,
    pub exited_on: Option<NaiveDate>,
    pub exit_reason: Option<ExitReason>,
    pub members: Vec<RosterMember>,
}

/// The household-level fields of a row, compared across the rows of one household.
#[derive(Clone, Debug, PartialEq)]
struct HouseholdFields {
    program: Program,
    community: String,
    approved_on: NaiveDate,
    active: bool,
    exited_on: Option<NaiveDate>,
    exit_reason: Option<ExitReason>,
}

fn disability_grade(text: &str) -> Option<u8> {
    match text.trim_end_matches('级') {
        "1" | "一" => Some(1),
        "2" | "二" => Some(2),
        "3" | "三" => Some(3),
        "4" | "四" => Some(4),
        _ => None,
    }
}

/// Checks every row and groups them into households. `communities` holds the codes of
/// the 12-digit communities/villages in the region tree. Every error is collected.
pub fn parse_roster(
    sheet: &Sheet,
    today: NaiveDate,
    communities: &HashSet<String>,
) -> Result<Vec<RosterHousehold>, ImportError> {
    let (header, first) = find_header(sheet, &COLUMNS)?;
    let mut errors: Vec<RowError> = Vec::new();
    let mut households: Vec<RosterHousehold> = Vec::new();
    let mut index: HashMap<String, (usize, HouseholdFields, usize)> = HashMap::new();
    let mut seen_ids: HashMap<String, (usize, String)> = HashMap::new();
    let mut monthly_rows: HashMap<String, Fen> = HashMap::new();

    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &COLUMNS);
        let number = r.code(HOUSEHOLD);
        let program = r
            .choice(PROGRAM, &["低保", "特困"])
            .and_then(|p| Program::from_label(&p));
        let name = r.text(NAME_COL);
        let id = r
            .code(ID)
            .and_then(|text| match IdNumber::parse(&text, today) {
                Ok(id) => Some(id),
                Err(e) => {
                    r.fail(ID, e.to_string());
                    None
                }
            });
        let relation = r
            .text(RELATION)
            .and_then(|t| match Relation::from_label(&t) {
                Some(rel) => Some(rel),
                None => {
                    r.fail(
                        RELATION,
                        "应为 本人/配偶/子女/父母/兄弟姐妹/祖父母/孙子女/其他",
                    );
                    None
                }
            });
        let covered = r.yes_no(COVERED);
        let community = r.code(COMMUNITY).and_then(|c| {
            if c.len() == 12 && communities.contains(&c) {
                Some(c)
            } else {
                r.fail(COMMUNITY, "不是行政区划中已有的 12 位社区/村代码");
                None
            }
        });
        let monthly = r.money(MONTHLY);
        let approved_on = r.date(APPROVED);
        let status = r.choice(STATUS, &["在保", "停保"]);
        let active = status.as_deref().map(|s| s == "在保");
        let (mut exited_on, mut exit_reason) = (None, None);
        if active == Some(false) {
            exited_on = r.date(EXITED);
            if exited_on.is_none() && r.errors.iter().all(|e| e.column != "停保日期") {
                r.fail(EXITED, "状态为停保时必须填写停保日期");
            }
            exit_reason = match r.text(EXIT_REASON) {
                Some(t) => match ExitReason::from_label(&t) {
                    Some(reason) => Some(reason),
                    None => {
                        r.fail(EXIT_REASON, "应为 收入超标/财产超标/核查不符/虚报瞒报/拒不配合/死亡/迁出/主动退出/渐退期满");
                        None
                    }
                },
                None => {
                    r.fail(EXIT_REASON, "状态为停保时必须填写停保原因");
                    None
                }
            };
            if let (Some(a), Some(e)) = (approved_on, exited_on)
                && e < a
            {
                r.fail(EXITED, format!("停保日期早于批准日期 {a}"));
            }
        }
        let bank = r.code(BANK).and_then(|t| match BankAccount::parse(&t) {
            Ok(b) => Some(b),
            Err(e) => {
                r.fail(BANK, e.to_string());
                None
            }
        });
        let phone = r.code(PHONE).and_then(|t| match Phone::parse(&t) {
            Ok(p) => Some(p),
            Err(e) => {
                r.fail(PHONE, e.to_string());
                None
            }
        });
        let work_capacity = r.text(WORK).and_then(|t| {
            let w = WorkCapacity::from_label(&t);
            if w.is_none() {
                r.fail(WORK, "应为 完全劳动能力/部分劳动能力/丧失劳动能力");
            }
            w
        });
        let grade = r.text(DISABILITY).and_then(|t| {
            let g = disability_grade(&t);
            if g.is_none() {
                r.fail(DISABILITY, "应为 1–4 级（如 一级、2级）");
            }
            g
        });
        let self_care = r.text(SELF_CARE).and_then(|t| {
            let c = SelfCare::from_label(&t);
            if c.is_none() {
                r.fail(SELF_CARE, "应为 全自理/半失能/全失能");
            }
            c
        });
        if let (Some(number), Some(id)) = (&number, &id) {
            if let Some((other_row, other_household)) = seen_ids.get(id.as_str()) {
                let why = if other_household == number {
                    format!("与第 {other_row} 行重复：同一户中同一人出现两次")
                } else {
                    format!("此人已在第 {other_row} 行的户 {other_household} 中，一个人只能在一户")
                };
                r.fail(ID, why);
            } else {
                seen_ids.insert(id.as_str().to_string(), (*row, number.clone()));
            }
        }
        let mut row_errors = std::mem::take(&mut r.errors);
        let (
            Some(number),
            Some(program),
            Some(name),
            Some(id),
            Some(relation),
            Some(covered),
            Some(community),
            Some(approved_on),
            Some(active),
        ) = (
            number,
            program,
            name,
            id,
            relation,
            covered,
            community,
            approved_on,
            active,
        )
        else {
            errors.append(&mut row_errors);
            continue;
        };
        if !row_errors.is_empty() {
            errors.append(&mut row_errors);
            continue;
        }
        let fields = HouseholdFields {
            program,
            community: community.clone(),
            approved_on,
            active,
            exited_on,
            exit_reason,
        };
        if relation == Relation::Applicant {
            match monthly {
                Some(m) => {
                    monthly_rows.insert(number.clone(), m);
                }
                None => errors.push(RowError::new(
                    *row,
                    "月保障金额",
                    "",
                    "本人行必须填写月保障金额",
                )),
            }
        }
        let member = RosterMember {
            row: *row,
            name,
            id,
            relation,
            covered,
            bank,
            phone,
            work_capacity,
            disability_grade: grade,
            self_care,
        };
        match index.get(&number) {
            Some((at, expected, first_row)) => {
                if *expected != fields {
                    errors.push(RowError::new(
                        *row,
                        "户编号",
                        &number,
                        format!("同一户的救助类别、所属社区、批准日期、状态和停保信息应与第 {first_row} 行一致"),
                    ));
                } else {
                    households[*at].members.push(member);
                }
            }
            None => {
                index.insert(number.clone(), (households.len(), fields, *row));
                households.push(RosterHousehold {
                    number,
                    program,
                    community,
                    monthly: Fen::ZERO,
                    approved_on,
                    active,
                    exited_on,
                    exit_reason,
                    members: vec![member],
                });
            }
        }
    }
    for h in &mut households {
        let applicants = h
            .members
            .iter()
            .filter(|m| m.relation == Relation::Applicant)
            .count();
        if applicants != 1 {
            let row = h.members.first().map(|m| m.row).unwrap_or(0);
            errors.push(RowError::new(
                row,
                "与户主关系",
                &h.number,
                format!(
                    "户 {} 应有且只有一行「本人」，现有 {applicants} 行",
                    h.number
                ),
            ));
        }
        h.monthly = monthly_rows.get(&h.number).copied().unwrap_or(Fen::ZERO);
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Err(ImportError::Rejected(errors));
    }
    Ok(households)
}
