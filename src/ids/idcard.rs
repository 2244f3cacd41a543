//! Resident ID number (居民身份证号码, GB 11643-1999).

use std::fmt;

use chrono::{Datelike, NaiveDate};

/// A validated 18-character resident ID number, stored upper-case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IdNumber(String);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl Sex {
    pub fn label(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }
}

/// Why a string is not a valid ID number. Each message names the failing part so a
/// caseworker knows what to look at on the card.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("身份证号为空，请填写 18 位居民身份证号码")]
    Empty,
    #[error("这是 15 位旧版身份证号，已停止使用；请填写 18 位居民身份证号码")]
    OldForm,
    #[error("身份证号长度错误：应为 18 位，实际为 {0} 位")]
    Length(usize),
    #[error("身份证号含有无效字符：第 {position} 位「{found}」不是数字（只有最后一位可以是 X）")]
    Character { position: usize, found: char },
    #[error("身份证号地址码错误：前两位 {0} 不是有效的省级行政区划代码")]
    Region(String),
    #[error("身份证号出生日期错误：{0} 不是真实的日期")]
    BirthDateInvalid(String),
    #[error("身份证号出生日期错误：{0} 晚于今天")]
    BirthDateFuture(String),
    #[error("身份证号出生日期错误：{0} 早于 1900 年 1 月 1 日")]
    BirthDateTooEarly(String),
    #[error(
        "身份证号校验位错误：按前 17 位计算应为 {expected}，实际为 {found}，请核对号码是否抄错"
    )]
    CheckCharacter { expected: char, found: char },
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// Province-level codes of GB/T 2260 issued on mainland ID cards. 71 (Taiwan), 81 and 82
/// (Hong Kong, Macao) exist in GB/T 2260 but are not issued on mainland resident IDs.
const PROVINCES: [u8; 31] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65,
];

/// Whether two digits are a province code issued on mainland ID cards.
pub fn is_province(two: &str) -> bool {
    two.len() == 2 && two.parse::<u8>().is_ok_and(|p| PROVINCES.contains(&p))
}

/// The check character for the first 17 digits (which must be ASCII digits).
pub fn check_character(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

impl IdNumber {
    /// Validates `input` as of `today` (a birth date may not lie in the future).
    pub fn parse(input: &str, today: NaiveDate) -> Result<IdNumber, IdError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(IdError::Empty);
        }
        let chars: Vec<char> = s.chars().collect();
        if chars.len() == 15 && chars.iter().all(|c| c.is_ascii_digit()) {
            return Err(IdError::OldForm);
        }
        if chars.len() != 18 {
            return Err(IdError::Length(chars.len()));
        }
        for (i, &c) in chars.iter().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && (c == 'X' || c == 'x'));
            if !ok {
                return Err(IdError::Character {
                    position: i + 1,
                    found: c,
                });
            }
        }
        let upper = s.to_ascii_uppercase();
        let bytes = upper.as_bytes();
        let province = (bytes[0] - b'0') * 10 + (bytes[1] - b'0');
        if !PROVINCES.contains(&province) {
            return Err(IdError::Region(upper[0..2].to_string()));
        }
        let birth_text = &upper[6..14];
        let birth = NaiveDate::parse_from_str(birth_text, "%Y%m%d")
            .map_err(|_| IdError::BirthDateInvalid(birth_text.to_string()))?;
        if birth > today {
            return Err(IdError::BirthDateFuture(birth_text.to_string()));
        }
        if birth < NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN) {
            return Err(IdError::BirthDateTooEarly(birth_text.to_string()));
        }
        let expected = check_character(&bytes[0..17]);
        let found = bytes[17] as char;
        if expected != found {
            return Err(IdError::CheckCharacter { expected, found });
        }
        Ok(IdNumber(upper))
    }

    /// Builds a valid number from its parts (demo data and tests). `address` must be six
    /// digits and `sequence` below 1000; the check character is computed.
    pub fn compose(address: &str, birth: NaiveDate, sequence: u16) -> Option<IdNumber> {
        if address.len() != 6 || !address.bytes().all(|b| b.is_ascii_digit()) || sequence > 999 {
            return None;
        }
        let first17 = format!("{address}{}{sequence:03}", birth.format("%Y%m%d"));
        let check = check_character(first17.as_bytes());
        Some(IdNumber(format!("{first17}{check}")))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit address code of where the number was first issued.
    pub fn address_code(&self) -> &str {
        &self.0[0..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        // Validated in `parse`/`compose`, so the date is real.
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").unwrap_or(NaiveDate::MIN)
    }

    /// Odd sequence digit = male, even = female.
    pub fn sex(&self) -> Sex {
        if (self.0.as_bytes()[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in whole years on `on` (a person turns a year older on their birthday; one born
    /// on 29 February turns older on 1 March in common years).
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        age_on(self.birth_date(), on)
    }

    /// The masked form for lists: first 6 and last 4 kept.
    pub fn masked(&self) -> String {
        super::mask::id_number(&self.0)
    }
}

/// Whole years between `birth` and `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    if on < birth {
        return 0;
    }
    let mut years = on.year() - birth.year();
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years.max(0) as u32
}

impl fmt::Display for IdNumber {
    /// Displays masked: a full number must be asked for explicitly with `as_str`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.masked())
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    #[test]
    fn known_numbers() {
        // The GB 11643 textbook example and numbers built on the demo city's code.
        let cases = [
            ("11010519491231002X", true),
            ("11010519491231002x", true),
            ("440524188001010014", false), // born 1880: before 1900
            ("369902199001011234", false), // 36 is Jiangxi, but the check character is wrong
        ];
        for (s, ok) in cases {
            assert_eq!(IdNumber::parse(s, today()).is_ok(), ok, "{s}");
        }
        let id = IdNumber::parse("11010519491231002x", today()).unwrap();
        assert_eq!(id.as_str(), "11010519491231002X");
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.age_on(today()), 76);
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn each_failing_part_has_its_own_error() {
        let t = today();
        assert_eq!(IdNumber::parse("  ", t), Err(IdError::Empty));
        assert_eq!(IdNumber::parse("110105491231002", t), Err(IdError::OldForm));
        assert_eq!(
            IdNumber::parse("1101051949123100", t),
            Err(IdError::Length(16))
        );
        assert_eq!(
            IdNumber::parse("1101051949123A002X", t),
            Err(IdError::Character {
                position: 14,
                found: 'A'
            })
        );
        assert_eq!(
            IdNumber::parse("71010519491231002X", t),
            Err(IdError::Region("71".into()))
        );
        assert_eq!(
            IdNumber::parse("110105194902300020", t),
            Err(IdError::BirthDateInvalid("19490230".into()))
        );
        let future =
            IdNumber::compose("110105", NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), 1).unwrap();
        assert_eq!(
            IdNumber::parse(future.as_str(), t),
            Err(IdError::BirthDateFuture("20270101".into()))
        );
        assert!(matches!(
            IdNumber::parse("110105194912310021", t),
            Err(IdError::CheckCharacter {
                expected: 'X',
                found: '1'
            })
        ));
        // Messages are Chinese sentences naming the part.
        assert!(IdError::Length(16).to_string().contains("长度"));
        assert!(IdError::OldForm.to_string().contains("15 位"));
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        let birth = NaiveDate::from_ymd_opt(2004, 7, 1).unwrap();
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 6, 30).unwrap()),
            21
        );
        assert_eq!(
            age_on(birth, NaiveDate::from_ymd_opt(2026, 7, 1).unwrap()),
            22
        );
        let leap = NaiveDate::from_ymd_opt(2004, 2, 29).unwrap();
        assert_eq!(
            age_on(leap, NaiveDate::from_ymd_opt(2026, 2, 28).unwrap()),
            21
        );
        assert_eq!(
            age_on(leap, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap()),
            22
        );
    }

    fn valid_id() -> impl Strategy<Value = IdNumber> {
        (
            prop::sample::select(PROVINCES.to_vec()),
            0u32..10_000,
            0i64..(365 * 120),
            0u16..1000,
        )
            .prop_map(|(p, rest, days, seq)| {
                let birth =
                    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + chrono::Days::new(days as u64);
                let birth = birth.min(NaiveDate::from_ymd_opt(2026, 11, 1).unwrap());
                IdNumber::compose(&format!("{p:02}{rest:04}"), birth, seq).unwrap()
            })
    }

    proptest! {
        #[test]
        fn generated_numbers_pass(id in valid_id()) {
            let parsed = IdNumber::parse(id.as_str(), today()).unwrap();
            prop_assert_eq!(parsed, id);
        }

        #[test]
        fn any_single_character_change_is_caught(
            id in valid_id(),
            pos in 0usize..18,
            replacement in prop::sample::select("0123456789X".chars().collect::<Vec<_>>()),
        ) {
            let mut chars: Vec<char> = id.as_str().chars().collect();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            // The weights make every single substitution change the sum mod 11, so the
            // check character (or an earlier part) must catch it.
            prop_assert!(IdNumber::parse(&changed, today()).is_err(), "{}", changed);
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,24}") {
            let _ = IdNumber::parse(&s, today());
        }
    }
}
