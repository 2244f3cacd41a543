//! Public notice (公示): what may be shown on the community's notice board about a case.
//! Only the name (masked for minors), community, household size, program and monthly
//! amount — never an ID number, birth date, phone, bank account, income detail, illness
//! or disability (SECURITY.md "Personal information"). Pure: built from the case's facts.

use serde::Serialize;

use super::model::{Member, Program, Relation};
use crate::ids::mask;
use crate::money::Fen;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoticeRow {
    pub name: String,
    pub community: String,
    pub household_size: usize,
    pub program: &'static str,
    pub monthly_amount: String,
}

/// The notice line of a household: the applicant's name (a minor's masked), and nothing
/// about any member but their count.
pub fn notice_row(
    members: &[Member],
    community: &str,
    program: Program,
    monthly: Fen,
) -> NoticeRow {
    let applicant = members
        .iter()
        .find(|m| m.relation == Relation::Applicant)
        .or_else(|| members.first());
    let name = match applicant {
        Some(m) if m.age < 18 => mask::minor_name(&m.name),
        Some(m) => m.name.clone(),
        None => String::new(),
    };
    NoticeRow {
        name,
        community: community.to_string(),
        household_size: members.len(),
        program: program.label(),
        monthly_amount: monthly.to_display(),
    }
}

impl NoticeRow {
    /// The row as the printed notice shows it (one line).
    pub fn line(&self) -> String {
        format!(
            "{} {} {} 人 {} {} 元/月",
            self.name, self.community, self.household_size, self.program, self.monthly_amount
        )
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use proptest::prelude::*;

    use super::super::model::*;
    use super::*;
    use crate::ids::IdNumber;

    fn member_strategy() -> impl Strategy<Value = (Member, String, String, String)> {
        (
            0u32..100,
            0u16..1000,
            prop::sample::select(vec!["张三", "李小红", "欧阳娜娜", "王"]),
            prop::option::of(1u8..=4),
            any::<bool>(),
            10_000_000u64..99_999_999,
        )
            .prop_map(|(age, seq, name, grade, ill, phone_tail)| {
                let birth = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap()
                    - chrono::Days::new(u64::from(age) * 366 + 10);
                let id = IdNumber::compose("369902", birth, seq).unwrap();
                let phone = format!("139{phone_tail}");
                let member = Member {
                    name: name.to_string(),
                    relation: Relation::Applicant,
                    age,
                    work_capacity: WorkCapacity::Lost,
                    disability: grade.map(|g| Disability {
                        grade: g,
                        kind: DisabilityKind::Physical,
                    }),
                    serious_illness: ill,
                    self_care: SelfCare::Full,
                    covered: true,
                    incomes: vec![Income {
                        kind: IncomeKind::Wage,
                        monthly: Fen(123_457),
                        months: 12,
                        excluded: false,
                    }],
                };
                (
                    member,
                    id.as_str().to_string(),
                    birth.format("%Y%m%d").to_string(),
                    phone,
                )
            })
    }

    proptest! {
        #[test]
        fn a_notice_shows_nothing_it_must_not(
            people in prop::collection::vec(member_strategy(), 1..6),
            amount in 0i64..10_000_000,
        ) {
            let mut members: Vec<Member> = people.iter().map(|p| p.0.clone()).collect();
            for m in members.iter_mut().skip(1) {
                m.relation = Relation::Child;
            }
            let row = notice_row(&members, "幸福社区", Program::Dibao, Fen(amount));
            let text = format!("{} {}", row.line(), serde_json::to_string(&row).unwrap());
            for (m, id, birth, phone) in &people {
                prop_assert!(!text.contains(id.as_str()), "ID number in {}", text);
                prop_assert!(!text.contains(&id[..14]), "ID prefix in {}", text);
                prop_assert!(!text.contains(birth.as_str()), "birth date in {}", text);
                prop_assert!(!text.contains(phone.as_str()), "phone in {}", text);
                prop_assert!(!text.contains("1234.57") && !text.contains("1,234.57"), "income in {}", text);
                for word in ["残疾", "重病", "疾病", "级"] {
                    prop_assert!(!text.contains(word), "health detail in {}", text);
                }
                let _ = m;
            }
            // A minor applicant's name is masked.
            if members[0].age < 18 {
                prop_assert!(!text.contains(&members[0].name) || members[0].name.chars().count() == 1);
                prop_assert!(row.name.contains('*'));
            }
            prop_assert_eq!(row.household_size, members.len());
        }
    }
}
