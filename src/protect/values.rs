//! The kinds of protected value, with their validation and masking.

use std::fmt;

use crate::ids::mask;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SensitiveKind {
    IdNumber,
    Phone,
    BankAccount,
    /// A second-factor secret: sealed like personal data, never shown again.
    Totp,
    /// A name searched for, carried sealed in list links so that it never appears in an
    /// address (pager and export links of a filtered list).
    SearchName,
}

impl SensitiveKind {
    pub fn code(self) -> &'static str {
        match self {
            SensitiveKind::IdNumber => "id_number",
            SensitiveKind::Phone => "phone",
            SensitiveKind::BankAccount => "bank_account",
            SensitiveKind::Totp => "totp_secret",
            SensitiveKind::SearchName => "search_name",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            SensitiveKind::IdNumber => "身份证号",
            SensitiveKind::Phone => "联系电话",
            SensitiveKind::BankAccount => "银行账号",
            SensitiveKind::Totp => "动态验证码密钥",
            SensitiveKind::SearchName => "查询姓名",
        }
    }
    pub fn mask(self, value: &str) -> String {
        match self {
            SensitiveKind::IdNumber => mask::id_number(value),
            SensitiveKind::Phone => mask::phone(value),
            SensitiveKind::BankAccount => mask::bank_account(value),
            SensitiveKind::Totp | SensitiveKind::SearchName => "******".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error(
        "联系电话「{0}」格式不正确：应为 11 位手机号或带区号的固定电话（7–20 位数字，可含 - ）"
    )]
    Phone(String),
    #[error("银行账号格式不正确：应为 8–30 位数字（可含空格）")]
    BankAccount,
}

/// A phone number, normalised to digits with an optional leading `+` and inner `-`.
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, ValueError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        let digits = s.chars().filter(char::is_ascii_digit).count();
        let ok_chars = s
            .char_indices()
            .all(|(i, c)| c.is_ascii_digit() || c == '-' || (c == '+' && i == 0));
        if !ok_chars || !(7..=20).contains(&digits) {
            return Err(ValueError::Phone(input.trim().to_string()));
        }
        Ok(Phone(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        mask::phone(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// A bank account number, digits only.
#[derive(Clone, PartialEq, Eq)]
pub struct BankAccount(String);

impl BankAccount {
    pub fn parse(input: &str) -> Result<BankAccount, ValueError> {
        let s: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if !(8..=30).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::BankAccount);
        }
        Ok(BankAccount(s))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn masked(&self) -> String {
        mask::bank_account(&self.0)
    }
}

impl fmt::Debug for BankAccount {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BankAccount({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_and_accounts_are_validated_and_normalised() {
        assert_eq!(
            Phone::parse(" 138 1234 5678 ").unwrap().as_str(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("0791-8888123").unwrap().masked(),
            "********8123"
        );
        assert!(Phone::parse("12345").is_err());
        assert!(Phone::parse("138-abc-5678").is_err());
        assert_eq!(
            BankAccount::parse("6222 0212 3456 7890").unwrap().as_str(),
            "6222021234567890"
        );
        assert!(BankAccount::parse("6222-0212").is_err());
        assert_eq!(
            format!("{:?}", Phone::parse("13812345678").unwrap()),
            "Phone(138****5678)"
        );
    }
}
