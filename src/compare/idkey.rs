//! An ID number as a compact key: the 17 digits before the check character as one u64
//! (the check character is recomputed, so nothing is lost). Ten million keys take 80 MB
//! where ten million strings would take several hundred. The byte-level check here is
//! the hot path of loading; `ids::idcard` stays the one users see, and a property test
//! holds the two to the same answer.

use chrono::NaiveDate;

use crate::ids::idcard::{check_character, is_province};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdKey(pub u64);

/// Why an ID in an external file is not usable as a key (kept aside, see `dataset`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    Length,
    Character,
    Region,
    BirthDate,
    Check,
}

impl KeyError {
    pub fn label(self) -> &'static str {
        match self {
            KeyError::Length => "长度不是 18 位",
            KeyError::Character => "含有非数字字符",
            KeyError::Region => "地址码不是有效的省级代码",
            KeyError::BirthDate => "出生日期无效",
            KeyError::Check => "校验位不符",
        }
    }
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        _ => 28,
    }
}

fn digits(b: &[u8]) -> u32 {
    b.iter().fold(0, |n, d| n * 10 + u32::from(d - b'0'))
}

impl IdKey {
    /// Validates an ID as written in a departmental file (surrounding blanks ignored, a
    /// lower-case x accepted) as of `today_ymd` (YYYYMMDD as a number).
    pub fn parse(s: &str, today_ymd: u32) -> Result<IdKey, KeyError> {
        let b = s.trim().as_bytes();
        // A first-generation 15-digit number (still in older departmental records) is
        // the same person's 18-digit one without the century and the check character:
        // it is converted, not refused.
        if b.len() == 15 && b.iter().all(u8::is_ascii_digit) {
            let mut body = Vec::with_capacity(18);
            body.extend_from_slice(&b[..6]);
            body.extend_from_slice(b"19");
            body.extend_from_slice(&b[6..]);
            body.push(check_character(&body) as u8);
            let upgraded = String::from_utf8(body).unwrap_or_default();
            return IdKey::parse(&upgraded, today_ymd);
        }
        if b.len() != 18 {
            return Err(KeyError::Length);
        }
        if !b[..17].iter().all(u8::is_ascii_digit) {
            return Err(KeyError::Character);
        }
        let last = b[17].to_ascii_uppercase();
        if !(last.is_ascii_digit() || last == b'X') {
            return Err(KeyError::Character);
        }
        // ASCII digits: the slice is valid UTF-8.
        if !is_province(std::str::from_utf8(&b[..2]).unwrap_or("")) {
            return Err(KeyError::Region);
        }
        let (y, m, d) = (digits(&b[6..10]), digits(&b[10..12]), digits(&b[12..14]));
        if y < 1900
            || !(1..=12).contains(&m)
            || d == 0
            || d > days_in_month(y, m)
            || y * 10_000 + m * 100 + d > today_ymd
        {
            return Err(KeyError::BirthDate);
        }
        if check_character(&b[..17]) as u8 != last {
            return Err(KeyError::Check);
        }
        Ok(IdKey(
            b[..17]
                .iter()
                .fold(0u64, |n, d| n * 10 + u64::from(d - b'0')),
        ))
    }

    /// The 18-character ID number.
    pub fn to_id(self) -> String {
        let body = format!("{:017}", self.0);
        let check = check_character(body.as_bytes());
        format!("{body}{check}")
    }

    /// The six-digit address code the ID was issued under.
    pub fn region(self) -> u32 {
        (self.0 / 100_000_000_000) as u32
    }

    /// The birth date as YYYYMMDD.
    pub fn birth_ymd(self) -> u32 {
        ((self.0 / 1000) % 100_000_000) as u32
    }
}

/// Today as YYYYMMDD, for `IdKey::parse`.
pub fn ymd(day: NaiveDate) -> u32 {
    use chrono::Datelike;
    day.year() as u32 * 10_000 + day.month() * 100 + day.day()
}

/// What can still be read from an ID that failed: the address code and birth date when
/// those digits are digits (a typo elsewhere leaves them usable for the fuzzy pass).
pub fn loose_parts(s: &str) -> Option<(u32, u32)> {
    let b = s.trim().as_bytes();
    if b.len() < 14 || !b[..14].iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some((digits(&b[..6]), digits(&b[6..14])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::idcard::IdNumber;
    use proptest::prelude::*;

    const TODAY: &str = "2026-11-29";

    fn today() -> NaiveDate {
        TODAY.parse().unwrap()
    }

    #[test]
    fn a_fifteen_digit_number_is_read_as_its_eighteen_digit_one() {
        // 110105491231002 is 11010519491231002X without the century and check character.
        let key = IdKey::parse("110105491231002", ymd(today())).unwrap();
        assert_eq!(key.to_id(), "11010519491231002X");
        assert_eq!(
            IdKey::parse("110105491331002", ymd(today())),
            Err(KeyError::BirthDate)
        );
    }

    #[test]
    fn a_key_round_trips_and_reads_its_parts() {
        let id = "11010519491231002X";
        let key = IdKey::parse(id, ymd(today())).unwrap();
        assert_eq!(key.0, 11_010_519_491_231_002);
        assert_eq!(key.to_id(), id);
        assert_eq!(key.region(), 110_105);
        assert_eq!(key.birth_ymd(), 19_491_231);
        assert_eq!(IdKey::parse(" 11010519491231002x ", ymd(today())), Ok(key));
    }

    #[test]
    fn each_failure_is_named() {
        let t = ymd(today());
        assert_eq!(IdKey::parse("1101051949123100", t), Err(KeyError::Length));
        assert_eq!(
            IdKey::parse("11010519491231002Y", t),
            Err(KeyError::Character)
        );
        assert_eq!(IdKey::parse("99010519491231002X", t), Err(KeyError::Region));
        assert_eq!(
            IdKey::parse("110105194902300021", t),
            Err(KeyError::BirthDate)
        );
        assert_eq!(IdKey::parse("110105194912310021", t), Err(KeyError::Check));
        // Two adjacent digits swapped: the check character catches it.
        assert_eq!(IdKey::parse("11010519491231020X", t), Err(KeyError::Check));
        assert_eq!(
            loose_parts("11010519491231020X"),
            Some((110_105, 19_491_231))
        );
        assert_eq!(loose_parts("1101"), None);
    }

    fn with_check(body: &str) -> String {
        format!("{body}{}", check_character(body.as_bytes()))
    }

    proptest! {
        /// The fast check and the one users see agree on every string of the right shape.
        #[test]
        fn agrees_with_the_id_number_parser(
            province in prop::sample::select(vec![11u32, 32, 36, 44, 99, 0]),
            rest in 0u32..10_000,
            year in 1890u32..2030,
            month in 0u32..14,
            day in 0u32..33,
            seq in 0u32..1000,
            fix_check in any::<bool>(),
            last in prop::sample::select(vec!['0', '5', 'X']),
        ) {
            let body = format!("{province:02}{rest:04}{year:04}{month:02}{day:02}{seq:03}");
            let id = if fix_check { with_check(&body) } else { format!("{body}{last}") };
            let ours = IdKey::parse(&id, ymd(today())).map(IdKey::to_id);
            let theirs = IdNumber::parse(&id, today()).map(|n| n.as_str().to_string());
            prop_assert_eq!(ours.ok(), theirs.ok());
        }
    }
}
