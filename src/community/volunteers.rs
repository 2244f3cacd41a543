//! Volunteers (志愿者), pure: service hours as whole tenths of an hour (one decimal, never
//! a float), and the star level by cumulative hours. No I/O, no clock.
//!
//! Star levels as DOMAIN.md §5 gives them: a volunteer with at least 100 recorded hours is
//! 一星, 300 二星, 600 三星, 1000 四星, 1500 五星. A threshold reached exactly counts
//! (100.0 h is one star, 99.9 h none).

/// Cumulative hours for one to five stars, in tenths of an hour.
pub const STAR_TENTHS: [i64; 5] = [1_000, 3_000, 6_000, 10_000, 15_000];
/// One service record, and a volunteer's records of one day together, may not exceed a
/// day.
pub const MAX_RECORD_TENTHS: i64 = 240;

/// The star level (1–5) for cumulative hours given in tenths; none under 100 hours.
pub fn star_level(tenths: i64) -> Option<u8> {
    let stars = STAR_TENTHS.iter().filter(|t| tenths >= **t).count();
    u8::try_from(stars).ok().filter(|s| *s > 0)
}

/// 一星 … 五星, or 未达星级.
pub fn star_label(stars: Option<u8>) -> &'static str {
    match stars {
        Some(1) => "一星",
        Some(2) => "二星",
        Some(3) => "三星",
        Some(4) => "四星",
        Some(5) => "五星",
        _ => "未达星级",
    }
}

/// The next level and the tenths still missing to reach it; none at five stars.
pub fn next_star(tenths: i64) -> Option<(u8, i64)> {
    let level = star_level(tenths).unwrap_or(0);
    let need = *STAR_TENTHS.get(usize::from(level))?;
    Some((level + 1, need - tenths))
}

/// Tenths shown as hours with one decimal: 25 → "2.5", 1000 → "100.0".
pub fn show_hours(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let t = tenths.abs();
    format!("{sign}{}.{}", t / 10, t % 10)
}

/// Hours typed into a form or sent as JSON: a positive number with at most one decimal,
/// at most 24 a record. Returns tenths.
pub fn parse_hours(input: &str) -> Result<i64, String> {
    let s = input.trim();
    let bad = || {
        format!("「服务时长」应为大于 0、不超过 24 的小时数，最多一位小数（如 2.5），收到「{s}」。")
    };
    let (whole, tenth) = match s.split_once('.') {
        Some((w, t)) => (w, t),
        None => (s, "0"),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(tenth) || whole.len() > 4 {
        return Err(bad());
    }
    // "2.50" is 2.5; "2.55" has a second decimal that matters.
    let tenth = tenth.trim_end_matches('0');
    if tenth.len() > 1 {
        return Err(bad());
    }
    let whole: i64 = whole.parse().map_err(|_| bad())?;
    let tenth: i64 = if tenth.is_empty() {
        0
    } else {
        tenth.parse().map_err(|_| bad())?
    };
    let tenths = whole * 10 + tenth;
    if !(1..=MAX_RECORD_TENTHS).contains(&tenths) {
        return Err(bad());
    }
    Ok(tenths)
}

/// A record of `adding` tenths on a day that already holds `already`: refused when the
/// day's records would exceed 24 hours.
pub fn check_day_total(already: i64, adding: i64) -> Result<(), String> {
    if already + adding > MAX_RECORD_TENTHS {
        return Err(format!(
            "「服务时长」这一天已登记 {} 小时，再加 {} 小时超过一天 24 小时，请核对日期和时长。",
            show_hours(already),
            show_hours(adding)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hours as the brief writes them → tenths.
    fn h(hours: &str) -> i64 {
        let (w, t) = hours.split_once('.').unwrap_or((hours, "0"));
        w.parse::<i64>().unwrap() * 10 + t.parse::<i64>().unwrap()
    }

    #[test]
    fn stars_change_exactly_at_the_thresholds() {
        for (hours, stars) in [
            ("0", None),
            ("0.1", None),
            ("99.9", None),
            ("100.0", Some(1)),
            ("100.1", Some(1)),
            ("299.9", Some(1)),
            ("300.0", Some(2)),
            ("599.9", Some(2)),
            ("600.0", Some(3)),
            ("999.9", Some(3)),
            ("1000.0", Some(4)),
            ("1499.9", Some(4)),
            ("1500.0", Some(5)),
            ("1500.1", Some(5)),
            ("9999.9", Some(5)),
        ] {
            assert_eq!(star_level(h(hours)), stars, "{hours} h");
        }
    }

    #[test]
    fn labels_and_the_next_level() {
        assert_eq!(star_label(star_level(h("99.9"))), "未达星级");
        assert_eq!(star_label(star_level(h("300"))), "二星");
        assert_eq!(star_label(star_level(h("1500"))), "五星");
        // 99.9 h: 0.1 h to one star; 100 h: 200 h to two; 1500 h: nothing above five.
        assert_eq!(next_star(h("99.9")), Some((1, 1)));
        assert_eq!(next_star(h("100")), Some((2, 2_000)));
        assert_eq!(next_star(h("1499.9")), Some((5, 1)));
        assert_eq!(next_star(h("1500")), None);
    }

    #[test]
    fn hours_have_one_decimal_and_a_day_at_most() {
        for (input, tenths) in [
            ("2", 20),
            ("2.5", 25),
            (" 0.1 ", 1),
            ("2.50", 25),
            ("24", 240),
            ("24.0", 240),
            ("08.5", 85),
        ] {
            assert_eq!(parse_hours(input), Ok(tenths), "{input}");
        }
        for bad in [
            "", "0", "0.0", "2.55", "24.1", "25", "-1", "abc", "2.", ".5", "1e1", "2,5", "１",
        ] {
            let e = parse_hours(bad).unwrap_err();
            assert!(e.contains("「服务时长」"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_day_holds_24_hours_at_most() {
        assert!(check_day_total(0, 240).is_ok());
        assert!(check_day_total(200, 40).is_ok());
        let e = check_day_total(200, 41).unwrap_err();
        assert!(e.contains("已登记 20.0 小时") && e.contains("4.1"), "{e}");
    }

    #[test]
    fn hours_are_shown_with_one_decimal() {
        assert_eq!(show_hours(0), "0.0");
        assert_eq!(show_hours(25), "2.5");
        assert_eq!(show_hours(1_000), "100.0");
        assert_eq!(show_hours(14_999), "1499.9");
    }
}
