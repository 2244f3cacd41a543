//! The `assistance-roster` ledger (低保/特困花名册): one row per household member,
//! households keyed by 户编号 and members by 身份证号 (FORMATS.md).

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use super::model::{ExitReason, Program, Relation, SelfCare, WorkCapacity};
use super::roster_store::HouseholdRow;
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
pub(crate) struct HouseholdFields<'c> {
    pub program: Program,
    /// One of the codes of the region tree (borrowed from the set of communities).
    pub community: &'c str,
    pub approved_on: NaiveDate,
    pub active: bool,
    pub exited_on: Option<NaiveDate>,
    pub exit_reason: Option<ExitReason>,
}

/// What the checker keeps of a household while rows are read: a few numbers, not its
/// members, so a roster of any size is checked in little memory.
#[derive(Debug)]
pub(crate) struct HouseholdState<'c> {
    pub number: Box<str>,
    /// The fields of its first good row and that row's number; `None` while the
    /// household number has only been seen on rows with errors.
    pub fields: Option<(HouseholdFields<'c>, usize)>,
    pub applicants: u32,
    pub monthly: Fen,
    pub members: u32,
    pub covered: u32,
    /// Some member is under 60 and not severely disabled: reviewed every 6 months
    /// rather than yearly (`workflow::review_interval_months`). The roster does not
    /// carry serious illness, so that ground is not seen here.
    pub unstable: bool,
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

const PROGRAMS: [&str; 2] = ["低保", "特困"];
const STATUSES: [&str; 2] = ["在保", "停保"];

/// Checks roster rows one at a time and groups them into households, keeping only what
/// the checks across rows need: which ID numbers were seen where, and a few facts per
/// household. Every error is collected.
pub(crate) struct RosterChecker<'c> {
    today: NaiveDate,
    communities: &'c HashSet<String>,
    pub errors: Vec<RowError>,
    /// ID number → (first row, household slot).
    ids: HashMap<[u8; 18], (u32, u32)>,
    /// Household number → slot in `households`.
    slots: HashMap<Box<str>, u32>,
    pub households: Vec<HouseholdState<'c>>,
}

fn as_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

impl<'c> RosterChecker<'c> {
    /// `communities` holds the codes of the 12-digit communities/villages in the region
    /// tree.
    pub fn new(today: NaiveDate, communities: &'c HashSet<String>) -> RosterChecker<'c> {
        RosterChecker {
            today,
            communities,
            errors: Vec::new(),
            ids: HashMap::new(),
            slots: HashMap::new(),
            households: Vec::new(),
        }
    }

    fn slot(&mut self, number: &str) -> usize {
        if let Some(slot) = self.slots.get(number) {
            return *slot as usize;
        }
        let slot = self.households.len();
        self.slots.insert(number.into(), as_u32(slot));
        self.households.push(HouseholdState {
            number: number.into(),
            fields: None,
            applicants: 0,
            monthly: Fen::ZERO,
            members: 0,
            covered: 0,
            unstable: false,
        });
        slot
    }

    /// Checks one row. A good row is added to its household and returned with the
    /// household's slot; a row with errors adds them to `errors` and gives `None`.
    pub fn check(&mut self, r: &mut RowReader<'_>) -> Option<(usize, RosterMember)> {
        let row = r.row;
        let number = r.code_str(HOUSEHOLD);
        let program = r
            .choice_index(PROGRAM, &PROGRAMS)
            .and_then(|i| Program::from_label(PROGRAMS[i]));
        let name = crate::ledger::checks::person_name(r, NAME_COL);
        let today = self.today;
        let id = r
            .code_str(ID)
            .and_then(|text| match IdNumber::parse(&text, today) {
                Ok(id) => Some(id),
                Err(e) => {
                    r.fail(ID, e.to_string());
                    None
                }
            });
        let relation = r
            .str(RELATION)
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
        let communities = self.communities;
        let community = r.code_str(COMMUNITY).and_then(|c| {
            match communities.get(c.as_ref()).filter(|c| c.len() == 12) {
                Some(known) => Some(known.as_str()),
                None => {
                    r.fail(COMMUNITY, "不是行政区划中已有的 12 位社区/村代码");
                    None
                }
            }
        });
        let monthly = r.money(MONTHLY);
        let approved_on = r.date(APPROVED);
        let active = r.choice_index(STATUS, &STATUSES).map(|i| i == 0);
        let (mut exited_on, mut exit_reason) = (None, None);
        if active == Some(false) {
            exited_on = r.date(EXITED);
            if exited_on.is_none() && r.errors.iter().all(|e| e.column != "停保日期") {
                r.fail(EXITED, "状态为停保时必须填写停保日期");
            }
            exit_reason = match r.str(EXIT_REASON) {
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
        let bank = r.code_str(BANK).and_then(|t| match BankAccount::parse(&t) {
            Ok(b) => Some(b),
            Err(e) => {
                r.fail(BANK, e.to_string());
                None
            }
        });
        let phone = r.code_str(PHONE).and_then(|t| match Phone::parse(&t) {
            Ok(p) => Some(p),
            Err(e) => {
                r.fail(PHONE, e.to_string());
                None
            }
        });
        let work_capacity = r.str(WORK).and_then(|t| {
            let w = WorkCapacity::from_label(&t);
            if w.is_none() {
                r.fail(WORK, "应为 完全劳动能力/部分劳动能力/丧失劳动能力");
            }
            w
        });
        let grade = r.str(DISABILITY).and_then(|t| {
            let g = disability_grade(&t);
            if g.is_none() {
                r.fail(DISABILITY, "应为 1–4 级（如 一级、2级）");
            }
            g
        });
        let self_care = r.str(SELF_CARE).and_then(|t| {
            let c = SelfCare::from_label(&t);
            if c.is_none() {
                r.fail(SELF_CARE, "应为 全自理/半失能/全失能");
            }
            c
        });
        let slot = number.as_deref().map(|n| self.slot(n));
        if let (Some(slot), Some(id)) = (slot, &id)
            && let Ok(key) = <[u8; 18]>::try_from(id.as_str().as_bytes())
        {
            if let Some(&(other_row, other_slot)) = self.ids.get(&key) {
                let other_household = &self.households[other_slot as usize].number;
                let why = if other_slot as usize == slot {
                    format!("与第 {other_row} 行重复：同一户中同一人出现两次")
                } else {
                    format!("此人已在第 {other_row} 行的户 {other_household} 中，一个人只能在一户")
                };
                r.fail(ID, why);
            } else {
                self.ids.insert(key, (as_u32(row), as_u32(slot)));
            }
        }
        let mut row_errors = std::mem::take(&mut r.errors);
        let (
            Some(slot),
            Some(program),
            Some(name),
            Some(id),
            Some(relation),
            Some(covered),
            Some(community),
            Some(approved_on),
            Some(active),
        ) = (
            slot,
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
            self.errors.append(&mut row_errors);
            return None;
        };
        if !row_errors.is_empty() {
            self.errors.append(&mut row_errors);
            return None;
        }
        let fields = HouseholdFields {
            program,
            community,
            approved_on,
            active,
            exited_on,
            exit_reason,
        };
        let applicant = relation == Relation::Applicant;
        if applicant && monthly.is_none() {
            self.errors.push(RowError::new(
                row,
                "月保障金额",
                "",
                "本人行必须填写月保障金额",
            ));
        }
        let household = &mut self.households[slot];
        match &household.fields {
            Some((expected, first_row)) if *expected != fields => {
                let error = RowError::new(
                    row,
                    "户编号",
                    &*household.number,
                    format!(
                        "同一户的救助类别、所属社区、批准日期、状态和停保信息应与第 {first_row} 行一致"
                    ),
                );
                self.errors.push(error);
                return None;
            }
            Some(_) => {}
            None => household.fields = Some((fields, row)),
        }
        household.members += 1;
        household.covered += u32::from(covered);
        if id.age_on(self.today) < 60 && grade.is_none_or(|g| g > 2) {
            household.unstable = true;
        }
        if applicant {
            household.applicants += 1;
            if let Some(m) = monthly {
                household.monthly = m;
            }
        }
        Some((
            slot,
            RosterMember {
                row,
                name,
                id,
                relation,
                covered,
                bank,
                phone,
                work_capacity,
                disability_grade: grade,
                self_care,
            },
        ))
    }

    /// The first good row of the household in a slot (where its errors are reported).
    pub fn first_row(&self, slot: usize) -> usize {
        self.households[slot]
            .fields
            .as_ref()
            .map_or(0, |(_, row)| *row)
    }

    /// The number of the household in a slot.
    pub fn number(&self, slot: usize) -> &str {
        &self.households[slot].number
    }

    /// The community of a household (one of its good rows has been seen).
    pub fn community(&self, slot: usize) -> &'c str {
        self.households[slot]
            .fields
            .as_ref()
            .map_or("", |(f, _)| f.community)
    }

    /// Whether the file puts the household in this slot in an active case.
    pub fn is_active(&self, slot: usize) -> bool {
        self.households[slot]
            .fields
            .as_ref()
            .is_some_and(|(f, _)| f.active)
    }

    /// Members in households.
    pub fn members(&self) -> usize {
        self.households.iter().map(|h| h.members as usize).sum()
    }

    /// The households with at least one good row, in the order the file names them.
    pub fn household_rows(&self) -> Vec<HouseholdRow<'_>> {
        self.households
            .iter()
            .enumerate()
            .filter_map(|(slot, h)| {
                let (f, _) = h.fields.as_ref()?;
                Some(HouseholdRow {
                    slot,
                    community: f.community,
                    program: f.program,
                    approved_on: f.approved_on,
                    active: f.active,
                    exited_on: f.exited_on,
                    exit_reason: f.exit_reason,
                    monthly: h.monthly,
                    covered: i64::from(h.covered),
                    all_stable: h.members > 0 && !h.unstable,
                })
            })
            .collect()
    }

    /// The checks that need every row: one 本人 per household. Then the errors, sorted by
    /// row (rows as they were read: a row's own errors come first).
    pub fn finish(&mut self) -> Vec<RowError> {
        for h in &self.households {
            let Some((_, first_row)) = &h.fields else {
                continue;
            };
            if h.applicants != 1 {
                self.errors.push(RowError::new(
                    *first_row,
                    "与户主关系",
                    &*h.number,
                    format!(
                        "户 {} 应有且只有一行「本人」，现有 {} 行",
                        h.number, h.applicants
                    ),
                ));
            }
        }
        let mut errors = std::mem::take(&mut self.errors);
        errors.sort_by_key(|e| e.row);
        errors
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
    let mut checker = RosterChecker::new(today, communities);
    // Household slot → position in `households`.
    let mut at: HashMap<usize, usize> = HashMap::new();
    let mut households: Vec<RosterHousehold> = Vec::new();
    for (row, cells) in &sheet.rows[first..] {
        let mut r = RowReader::new(*row, cells, &header, &COLUMNS);
        let Some((slot, member)) = checker.check(&mut r) else {
            continue;
        };
        match at.get(&slot) {
            Some(&i) => households[i].members.push(member),
            None => {
                let Some((f, _)) = &checker.households[slot].fields else {
                    continue;
                };
                at.insert(slot, households.len());
                households.push(RosterHousehold {
                    number: checker.households[slot].number.to_string(),
                    program: f.program,
                    community: f.community.to_string(),
                    monthly: Fen::ZERO,
                    approved_on: f.approved_on,
                    active: f.active,
                    exited_on: f.exited_on,
                    exit_reason: f.exit_reason,
                    members: vec![member],
                });
            }
        }
    }
    let errors = checker.finish();
    if !errors.is_empty() {
        return Err(ImportError::Rejected(errors));
    }
    for (slot, i) in at {
        households[i].monthly = checker.households[slot].monthly;
    }
    Ok(households)
}
