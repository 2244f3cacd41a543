//! This system's own records, checked in every run without any department's data: one
//! person in two households, districts or programs, and people this system records as
//! deceased (a death stop, a cremation) who are still in assistance.

use sqlx::Row;

use super::rules::{self, Enrolment, Hit, Rule};
use super::run::{Draft, People, Person};
use crate::db::Db;

/// This system's own records: one person in two households, districts or programs, and
/// people recorded here as deceased who are still in assistance.
pub fn internal(people: &People, deceased: &std::collections::HashSet<String>) -> Vec<Draft> {
    let mut out = Vec::new();
    for entries in people.by_key.values() {
        let with_case: Vec<(u32, &Person)> = entries
            .iter()
            .map(|i| (*i, &people.list[*i as usize]))
            .filter(|(_, p)| p.case_id.is_some())
            .collect();
        let cases: Vec<&Person> = with_case.iter().map(|(_, p)| *p).collect();
        if cases.len() >= 2 {
            let enrolments: Vec<Enrolment> = cases
                .iter()
                .filter_map(|p| {
                    Some(Enrolment {
                        household_id: p.household_id?,
                        program: p.program?,
                        district: p.district().to_string(),
                    })
                })
                .collect();
            let mut case_ids: Vec<i64> = cases.iter().filter_map(|p| p.case_id).collect();
            case_ids.sort_unstable();
            for Hit { rule, detail } in rules::internal(&enrolments) {
                // Both districts must act on a person paid in two: one finding in each
                // district's queue. The other checks go to the first case's street.
                let per_district = rule == Rule::TwoDistricts;
                let mut districts_seen = std::collections::HashSet::new();
                for (entry, p) in &with_case {
                    let district = p.district();
                    let first_here = districts_seen.insert(district);
                    let first_at_all = districts_seen.len() == 1 && first_here;
                    if !(if per_district {
                        first_here
                    } else {
                        first_at_all
                    }) {
                        continue;
                    }
                    let subject = if per_district {
                        format!("person:{}:{district}", p.index)
                    } else {
                        format!("person:{}", p.index)
                    };
                    out.push(Draft {
                        source: None,
                        rule,
                        person: *entry,
                        subject,
                        fuzzy: None,
                        evidence: serde_json::json!({ "cases": case_ids }),
                        detail: detail.clone(),
                    });
                }
            }
        }
    }
    for (i, p) in people.list.iter().enumerate() {
        if p.case_id.is_some() && deceased.contains(&p.index) {
            out.push(Draft {
                source: None,
                rule: Rule::DeceasedHere,
                person: i as u32,
                subject: p.subject(),
                fuzzy: None,
                evidence: serde_json::json!({ "case": p.case_id }),
                detail:
                    "本系统记录此人已死亡（另一案件因其死亡停保，或有殡葬火化记录），此人仍在救助中"
                        .to_string(),
            });
        }
    }
    out
}

/// Blind indexes of people this system records as deceased: the one member of a
/// household whose case was stopped for death, and everyone with a cremation record
/// (殡葬火化, DOMAIN.md §6) or a burial recorded with an ID (安葬).
pub async fn deceased_here(db: &Db) -> Result<std::collections::HashSet<String>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT m.id_number_index FROM cases c JOIN members m ON m.household_id = c.household_id \
         WHERE c.status = 'exited' AND c.exit_reason = 'death' \
         AND (SELECT COUNT(*) FROM members x WHERE x.household_id = c.household_id) = 1 \
         UNION SELECT id_number_index FROM cremations \
         UNION SELECT id_number_index FROM burials WHERE id_number_index IS NOT NULL",
    )
    .fetch_all(db.pool())
    .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0)).collect()
}
