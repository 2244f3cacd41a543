//! The posts of a district civil-affairs bureau and the checks on what is entered. Pure:
//! no I/O, so the rules read and test on their own.

use chrono::NaiveDate;
use serde::Serialize;

/// The posts (岗位) of a district bureau, one per line of business.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Post {
    Assistance,
    Elderly,
    Children,
    Affairs,
    Community,
    SocialOrg,
    Naming,
    General,
}

pub const POSTS: [Post; 8] = [
    Post::Assistance,
    Post::Elderly,
    Post::Children,
    Post::Affairs,
    Post::Community,
    Post::SocialOrg,
    Post::Naming,
    Post::General,
];

impl Post {
    pub fn code(self) -> &'static str {
        match self {
            Post::Assistance => "assistance",
            Post::Elderly => "elderly",
            Post::Children => "children",
            Post::Affairs => "affairs",
            Post::Community => "community",
            Post::SocialOrg => "social_org",
            Post::Naming => "naming",
            Post::General => "general",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Post::Assistance => "社会救助",
            Post::Elderly => "养老服务",
            Post::Children => "儿童福利",
            Post::Affairs => "社会事务（婚姻、殡葬、救助管理）",
            Post::Community => "基层政权和社区治理",
            Post::SocialOrg => "社会组织管理",
            Post::Naming => "区划地名",
            Post::General => "综合行政",
        }
    }
    /// Accepts the code or the label, as the API and the page send them.
    pub fn parse(s: &str) -> Option<Post> {
        let s = s.trim();
        POSTS.into_iter().find(|p| p.code() == s || p.label() == s)
    }

    /// As `parse`, with the sentence for the user when the post is unknown.
    pub fn parse_field(s: &str) -> Result<Post, String> {
        Post::parse(s)
            .ok_or_else(|| format!("「岗位」「{}」不在岗位列表中，请从列表中选择。", s.trim()))
    }
}

/// Largest population a district may be given: a typo guard, well above any district.
const MAX_RESIDENTS: i64 = 50_000_000;
const MAX_STAFF: i64 = 100_000;
const MAX_ATTENDEES: i64 = 100_000;

/// A whole number of people typed into a form: digits, optionally with thousands
/// separators. The error names the field.
pub fn parse_people(field: &str, input: &str, max: i64) -> Result<i64, String> {
    let cleaned: String = input
        .trim()
        .chars()
        .filter(|c| *c != ',' && *c != '，')
        .collect();
    if cleaned.is_empty() {
        return Err(format!("「{field}」未填写，请填人数（整数）。"));
    }
    let n: i64 = cleaned
        .parse()
        .map_err(|_| format!("「{field}」应为整数人数，收到「{}」。", input.trim()))?;
    if n < 0 {
        return Err(format!("「{field}」不能为负数。"));
    }
    if n > max {
        return Err(format!("「{field}」{n} 超过上限 {max}，请核对。"));
    }
    Ok(n)
}

/// The resident population of a district at a year's end, urban and rural.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Residents {
    pub year: i32,
    pub urban: i64,
    pub rural: i64,
    /// Residents aged 60 and over, when the statistics give them: the denominator of
    /// care beds per 100 older people.
    pub older: Option<i64>,
}

impl Residents {
    pub fn total(self) -> i64 {
        self.urban + self.rural
    }

    /// `older` may be empty (not published yet).
    pub fn parse(year: &str, urban: &str, rural: &str, older: &str) -> Result<Residents, String> {
        let year: i32 = year
            .trim()
            .parse()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| {
                format!(
                    "「年份」应为 2000 至 2100 之间的年份，收到「{}」。",
                    year.trim()
                )
            })?;
        let urban = parse_people("城镇常住人口", urban, MAX_RESIDENTS)?;
        let rural = parse_people("农村常住人口", rural, MAX_RESIDENTS)?;
        if urban + rural == 0 {
            return Err("城镇和农村常住人口不能都为 0。".to_string());
        }
        let older = match older.trim() {
            "" => None,
            text => Some(parse_people("60 岁以上常住人口", text, MAX_RESIDENTS)?),
        };
        if older.is_some_and(|o| o > urban + rural) {
            return Err("「60 岁以上常住人口」不能多于常住人口合计。".to_string());
        }
        Ok(Residents {
            year,
            urban,
            rural,
            older,
        })
    }
}

/// Posts authorised (编制) and filled (实有). More filled than authorised is allowed —
/// it happens (超编) and the page shows it — but both must be whole numbers.
pub fn parse_post_counts(authorised: &str, filled: &str) -> Result<(i64, i64), String> {
    Ok((
        parse_people("编制数", authorised, MAX_STAFF)?,
        parse_people("实有人数", filled, MAX_STAFF)?,
    ))
}

/// A training the district's staff of one post attended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewTraining {
    pub post: Post,
    pub held_on: NaiveDate,
    pub topic: String,
    pub attendees: i64,
}

impl NewTraining {
    pub fn parse(
        post: &str,
        held_on: &str,
        topic: &str,
        attendees: &str,
        today: NaiveDate,
    ) -> Result<NewTraining, String> {
        let post = Post::parse_field(post)?;
        let held_on = crate::calendar::parse_date(held_on)
            .ok_or_else(|| format!("「培训日期」「{}」不是有效日期。", held_on.trim()))?;
        if held_on > today {
            return Err(format!(
                "「培训日期」{held_on} 晚于今天，请登记已举办的培训。"
            ));
        }
        let topic = topic.trim().to_string();
        if topic.is_empty() {
            return Err("「培训主题」未填写。".to_string());
        }
        if topic.chars().count() > 100 {
            return Err("「培训主题」不超过 100 个字。".to_string());
        }
        let attendees = parse_people("参训人次", attendees, MAX_ATTENDEES)?;
        if attendees == 0 {
            return Err("「参训人次」至少为 1。".to_string());
        }
        Ok(NewTraining {
            post,
            held_on,
            topic,
            attendees,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_counts_take_thousands_separators_and_name_the_field() {
        assert_eq!(parse_people("编制数", "1,200", 10_000), Ok(1200));
        assert!(
            parse_people("编制数", "-3", 100)
                .unwrap_err()
                .contains("编制数")
        );
        assert!(
            parse_people("实有人数", "十二", 100)
                .unwrap_err()
                .contains("实有人数")
        );
        assert!(
            parse_people("实有人数", "", 100)
                .unwrap_err()
                .contains("未填写")
        );
        assert!(
            parse_people("实有人数", "101", 100)
                .unwrap_err()
                .contains("上限")
        );
    }

    #[test]
    fn residents_need_a_year_and_someone_living_there() {
        let r = Residents::parse("2025", "412,000", "88000", "").unwrap();
        assert_eq!(r.total(), 500_000);
        assert!(
            Residents::parse("1999", "1", "1", "")
                .unwrap_err()
                .contains("年份")
        );
        assert!(
            Residents::parse("2025", "0", "0", "")
                .unwrap_err()
                .contains("都为 0")
        );
    }

    #[test]
    fn a_training_is_dated_no_later_than_today_with_a_known_post() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let t = NewTraining::parse("社会救助", "2026年9月3日", " 低保政策 ", "35", today).unwrap();
        assert_eq!(t.post, Post::Assistance);
        assert_eq!(t.topic, "低保政策");
        assert!(
            NewTraining::parse("厨师", "2026-09-03", "x", "1", today)
                .unwrap_err()
                .contains("岗位")
        );
        assert!(
            NewTraining::parse("elderly", "2026-12-01", "x", "1", today)
                .unwrap_err()
                .contains("晚于今天")
        );
        assert!(
            NewTraining::parse("elderly", "2026-09-01", "x", "0", today)
                .unwrap_err()
                .contains("至少")
        );
    }
}
