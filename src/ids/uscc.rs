//! Unified social credit code (统一社会信用代码, GB 32100-2015).

use std::fmt;

/// The 31 characters of the code; I, O, S, V and Z are left out to avoid misreading.
const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A validated unified social credit code, upper-case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("统一社会信用代码为空，请填写 18 位代码")]
    Empty,
    #[error("统一社会信用代码长度错误：应为 18 位，实际为 {0} 位")]
    Length(usize),
    #[error(
        "统一社会信用代码第 {position} 位「{found}」不是有效字符（代码只用数字和除 I、O、S、V、Z 外的大写字母）"
    )]
    Character { position: usize, found: char },
    #[error("统一社会信用代码第 3–8 位应为登记管理机关行政区划码（6 位数字），实际为 {0}")]
    Division(String),
    #[error(
        "统一社会信用代码校验位错误：按前 17 位计算应为 {expected}，实际为 {found}，请核对代码是否抄错"
    )]
    CheckCharacter { expected: char, found: char },
}

/// Kind of organisation for codes registered by civil affairs (first character `5`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CivilAffairsKind {
    SocialGroup,
    SocialServiceOrg,
    Foundation,
    Other,
}

fn value_of(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

/// The check character for the first 17 characters (all from the alphabet).
pub fn check_character(first17: &str) -> Option<char> {
    let mut sum = 0;
    for (c, w) in first17.chars().zip(WEIGHTS) {
        sum += value_of(c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(check as usize)
}

impl Uscc {
    pub fn parse(input: &str) -> Result<Uscc, UsccError> {
        let s = input.trim();
        if s.is_empty() {
            return Err(UsccError::Empty);
        }
        let upper = s.to_uppercase();
        let chars: Vec<char> = upper.chars().collect();
        if chars.len() != 18 {
            return Err(UsccError::Length(chars.len()));
        }
        for (i, &c) in chars.iter().enumerate() {
            if value_of(c).is_none() {
                return Err(UsccError::Character {
                    position: i + 1,
                    found: c,
                });
            }
        }
        let division = &upper[2..8];
        if !division.bytes().all(|b| b.is_ascii_digit()) {
            return Err(UsccError::Division(division.to_string()));
        }
        let expected = check_character(&upper[..17]).unwrap_or('?');
        if chars[17] != expected {
            return Err(UsccError::CheckCharacter {
                expected,
                found: chars[17],
            });
        }
        Ok(Uscc(upper))
    }

    /// Builds a valid code from its first 17 characters (demo data and tests).
    pub fn compose(first17: &str) -> Option<Uscc> {
        if first17.chars().count() != 17 {
            return None;
        }
        let check = check_character(first17)?;
        Uscc::parse(&format!("{first17}{check}")).ok()
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The six-digit division code of the registering authority.
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// For codes registered by civil affairs (position 1 is `5`), the organisation kind of
    /// position 2; `None` for other authorities and for type digits GB 32100 does not
    /// assign to civil affairs (only 1, 2, 3 and 9 exist).
    pub fn civil_affairs_kind(&self) -> Option<CivilAffairsKind> {
        let b = self.0.as_bytes();
        if b[0] != b'5' {
            return None;
        }
        match b[1] {
            b'1' => Some(CivilAffairsKind::SocialGroup),
            b'2' => Some(CivilAffairsKind::SocialServiceOrg),
            b'3' => Some(CivilAffairsKind::Foundation),
            b'9' => Some(CivilAffairsKind::Other),
            _ => None,
        }
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn known_codes() {
        // Two published codes and one built on the same pattern (check character computed by hand).
        for code in [
            "91350100M000100Y43",
            "51100000500010993L",
            "53100000500021676K",
        ] {
            assert!(Uscc::parse(code).is_ok(), "{code}");
        }
        let c = Uscc::parse("51100000500010993l").unwrap();
        assert_eq!(c.as_str(), "51100000500010993L");
        assert_eq!(c.civil_affairs_kind(), Some(CivilAffairsKind::SocialGroup));
        assert_eq!(c.division_code(), "100000");
        assert_eq!(
            Uscc::parse("53100000500021676K")
                .unwrap()
                .civil_affairs_kind(),
            Some(CivilAffairsKind::Foundation)
        );
    }

    #[test]
    fn errors_name_the_part() {
        assert_eq!(Uscc::parse(""), Err(UsccError::Empty));
        assert_eq!(Uscc::parse("5110000050001099"), Err(UsccError::Length(16)));
        assert_eq!(
            Uscc::parse("5I100000500010993L"),
            Err(UsccError::Character {
                position: 2,
                found: 'I'
            })
        );
        assert_eq!(
            Uscc::parse("511A0000500010993L"),
            Err(UsccError::Division("1A0000".into()))
        );
        assert!(matches!(
            Uscc::parse("51100000500010993H"),
            Err(UsccError::CheckCharacter { expected: 'L', .. })
        ));
    }

    fn valid_code() -> impl Strategy<Value = Uscc> {
        let alpha: Vec<char> = ALPHABET.chars().collect();
        (
            prop::sample::select(alpha.clone()),
            prop::sample::select(alpha.clone()),
            0u32..1_000_000,
            prop::collection::vec(prop::sample::select(alpha), 9),
        )
            .prop_map(|(a, b, div, org)| {
                let org: String = org.into_iter().collect();
                Uscc::compose(&format!("{a}{b}{div:06}{org}")).unwrap()
            })
    }

    proptest! {
        #[test]
        fn generated_codes_pass(code in valid_code()) {
            prop_assert_eq!(Uscc::parse(code.as_str()).unwrap(), code);
        }

        #[test]
        fn any_single_character_change_is_caught(
            code in valid_code(),
            pos in 0usize..18,
            replacement in prop::sample::select(ALPHABET.chars().collect::<Vec<_>>()),
        ) {
            let mut chars: Vec<char> = code.as_str().chars().collect();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(Uscc::parse(&changed).is_err(), "{}", changed);
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,24}") {
            let _ = Uscc::parse(&s);
        }
    }
}
