//! Money as whole fen (分). Assistance amounts are summed over millions of lines and must
//! reconcile with the bank to the fen, so no floating point is ever used.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Neg, Sub, SubAssign};

use serde::{Deserialize, Serialize};

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("金额为空")]
    Empty,
    #[error("金额「{0}」不是有效的数字，请填写以元为单位、最多两位小数的金额，如 1,234.50")]
    NotANumber(String),
    #[error("金额「{0}」超过两位小数，请精确到分")]
    TooPrecise(String),
    #[error("金额「{0}」过大")]
    TooLarge(String),
}

impl Fen {
    pub const ZERO: Fen = Fen(0);

    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan * 100)
    }

    /// Parses an amount in yuan: `1234`, `1234.5`, `1,234.50`, `-12.30`, `¥1,000`,
    /// `1000元`. At most two decimals; thousands separators only between digit groups.
    pub fn parse_yuan(input: &str) -> Result<Fen, MoneyError> {
        let raw = input.trim();
        if raw.is_empty() {
            return Err(MoneyError::Empty);
        }
        let bad = || MoneyError::NotANumber(raw.to_string());
        let mut s = raw
            .trim_start_matches(['¥', '￥'])
            .trim_end_matches('元')
            .trim();
        let negative = s.starts_with('-');
        if negative {
            s = &s[1..];
        }
        let (int_part, frac_part) = match s.split_once('.') {
            Some((i, f)) => (i, f),
            None => (s, ""),
        };
        if int_part.is_empty() || !valid_grouping(int_part) {
            return Err(bad());
        }
        if !frac_part.bytes().all(|b| b.is_ascii_digit())
            || (s.contains('.') && frac_part.is_empty())
        {
            return Err(bad());
        }
        if frac_part.len() > 2 {
            return Err(MoneyError::TooPrecise(raw.to_string()));
        }
        let digits: String = int_part.chars().filter(|&c| c != ',').collect();
        let too_large = || MoneyError::TooLarge(raw.to_string());
        let yuan: i64 = digits.parse().map_err(|_| too_large())?;
        let mut frac: i64 = if frac_part.is_empty() {
            0
        } else {
            frac_part.parse().map_err(|_| bad())?
        };
        if frac_part.len() == 1 {
            frac *= 10;
        }
        let fen = yuan
            .checked_mul(100)
            .and_then(|v| v.checked_add(frac))
            .ok_or_else(too_large)?;
        Ok(Fen(if negative { -fen } else { fen }))
    }

    /// Plain two-decimal yuan, as written into files: `1234.50`.
    pub fn to_yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// Two-decimal yuan with thousands separators, for pages: `1,234.50`.
    pub fn to_display(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", group_thousands(abs / 100), abs % 100)
    }

    /// Rounds up to a whole yuan (benefits are paid in whole yuan, in the recipient's favour).
    pub fn ceil_yuan(self) -> Fen {
        Fen(self.0.div_euclid(100) * 100 + if self.0.rem_euclid(100) > 0 { 100 } else { 0 })
    }

    /// Yuan ÷ 10,000 rounded half-up to 2 decimals, as the report's 万元 figures.
    pub fn to_wan_yuan_string(self) -> String {
        // 1 万元 = 1,000,000 fen; two decimals of 万元 = units of 10,000 fen.
        let units = (self.0.abs() + 5_000) / 10_000;
        let sign = if self.0 < 0 && units > 0 { "-" } else { "" };
        format!("{sign}{}.{:02}", units / 100, units % 100)
    }

    /// `self × numerator ÷ denominator`, rounded down (used for per-capita shares, which
    /// round in the applicant's favour).
    pub fn mul_div_floor(self, numerator: i64, denominator: i64) -> Fen {
        if denominator == 0 {
            return Fen::ZERO;
        }
        let v = i128::from(self.0) * i128::from(numerator);
        Fen(v.div_euclid(i128::from(denominator)) as i64)
    }

    /// `self × numerator ÷ denominator`, rounded up.
    pub fn mul_div_ceil(self, numerator: i64, denominator: i64) -> Fen {
        if denominator == 0 {
            return Fen::ZERO;
        }
        let v = i128::from(self.0) * i128::from(numerator);
        let d = i128::from(denominator);
        let q = v.div_euclid(d) + if v.rem_euclid(d) > 0 { 1 } else { 0 };
        Fen(q as i64)
    }
}

fn valid_grouping(int_part: &str) -> bool {
    if !int_part.contains(',') {
        return int_part.bytes().all(|b| b.is_ascii_digit());
    }
    let groups: Vec<&str> = int_part.split(',').collect();
    let first_ok = !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups[0].bytes().all(|b| b.is_ascii_digit());
    first_ok
        && groups[1..]
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

fn group_thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

impl fmt::Display for Fen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_display())
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, rhs: Fen) -> Fen {
        Fen(self.0 + rhs.0)
    }
}
impl AddAssign for Fen {
    fn add_assign(&mut self, rhs: Fen) {
        self.0 += rhs.0;
    }
}
impl Sub for Fen {
    type Output = Fen;
    fn sub(self, rhs: Fen) -> Fen {
        Fen(self.0 - rhs.0)
    }
}
impl SubAssign for Fen {
    fn sub_assign(&mut self, rhs: Fen) {
        self.0 -= rhs.0;
    }
}
impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(-self.0)
    }
}
impl Mul<i64> for Fen {
    type Output = Fen;
    fn mul(self, rhs: i64) -> Fen {
        Fen(self.0 * rhs)
    }
}
impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        Fen(iter.map(|f| f.0).sum())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_the_ways_people_write_yuan() {
        let ok = [
            ("1,234.5", 123_450),
            ("1234.50", 123_450),
            ("1234", 123_400),
            ("0.01", 1),
            ("-12.30", -1_230),
            ("¥1,000", 100_000),
            ("1000元", 100_000),
            (" 12,345,678.90 ", 1_234_567_890),
        ];
        for (s, fen) in ok {
            assert_eq!(Fen::parse_yuan(s), Ok(Fen(fen)), "{s}");
        }
        assert_eq!(Fen::parse_yuan(""), Err(MoneyError::Empty));
        for bad in [
            "abc", "1,23", "12,3456", ",123", "1.", "1.2.3", "1e3", "--1",
        ] {
            assert!(
                matches!(Fen::parse_yuan(bad), Err(MoneyError::NotANumber(_))),
                "{bad}"
            );
        }
        assert!(matches!(
            Fen::parse_yuan("1.234"),
            Err(MoneyError::TooPrecise(_))
        ));
        assert!(matches!(
            Fen::parse_yuan("999999999999999999999"),
            Err(MoneyError::TooLarge(_))
        ));
    }

    #[test]
    fn formats_with_two_decimals() {
        assert_eq!(Fen(123_450).to_yuan_string(), "1234.50");
        assert_eq!(Fen(123_450).to_display(), "1,234.50");
        assert_eq!(Fen(-5).to_display(), "-0.05");
        assert_eq!(Fen(100_000_000).to_display(), "1,000,000.00");
        assert_eq!(Fen(0).to_display(), "0.00");
    }

    #[test]
    fn rounding_rules() {
        assert_eq!(Fen(190_001).ceil_yuan(), Fen(190_100));
        assert_eq!(Fen(190_000).ceil_yuan(), Fen(190_000));
        assert_eq!(Fen(120_000).mul_div_floor(1, 3), Fen(40_000));
        assert_eq!(Fen(100_000).mul_div_floor(1, 3), Fen(33_333));
        assert_eq!(Fen(100_000).mul_div_ceil(1, 3), Fen(33_334));
        // 123,456.78 yuan = 12.35 万元 (half-up); 12.344999 would be 12.34.
        assert_eq!(Fen(12_345_678).to_wan_yuan_string(), "12.35");
        assert_eq!(Fen(12_344_999).to_wan_yuan_string(), "12.34");
        assert_eq!(Fen(12_345_000).to_wan_yuan_string(), "12.35");
        assert_eq!(Fen(0).to_wan_yuan_string(), "0.00");
    }

    proptest! {
        #[test]
        fn display_round_trips(fen in -10_000_000_000i64..10_000_000_000) {
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_display()), Ok(Fen(fen)));
            prop_assert_eq!(Fen::parse_yuan(&Fen(fen).to_yuan_string()), Ok(Fen(fen)));
        }

        #[test]
        fn parser_never_panics(s in "\\PC{0,30}") {
            let _ = Fen::parse_yuan(&s);
        }
    }
}
