//! Passwords: the policy rules (each refusal names the rule broken) and Argon2id hashing
//! with a per-user salt.

use argon2::Argon2;
use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

pub const MAX_PASSWORD_CHARS: usize = 128;

static COMMON: &str = include_str!("common_passwords.txt");

/// A rule a proposed password broke, with the sentence shown to the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordRule {
    TooShort(usize),
    TooLong,
    TooFewClasses,
    ContainsUsername,
    Common,
    SameAsCurrent,
}

impl PasswordRule {
    pub fn message(&self) -> String {
        match self {
            PasswordRule::TooShort(n) => format!("密码至少需要 {n} 个字符"),
            PasswordRule::TooLong => format!("密码最多 {MAX_PASSWORD_CHARS} 个字符"),
            PasswordRule::TooFewClasses => {
                "密码需要包含大写字母、小写字母、数字、符号四类中的至少三类".to_string()
            }
            PasswordRule::ContainsUsername => "密码不能包含用户名".to_string(),
            PasswordRule::Common => "这是常见密码，容易被猜中，请换一个".to_string(),
            PasswordRule::SameAsCurrent => "新密码不能与当前密码相同".to_string(),
        }
    }
}

fn is_common(password: &str) -> bool {
    let lower = password.to_lowercase();
    COMMON
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .any(|l| l.to_lowercase() == lower)
}

/// Every rule `password` breaks (empty when it is acceptable).
pub fn check_password(password: &str, username: &str, min_chars: usize) -> Vec<PasswordRule> {
    let mut broken = Vec::new();
    let n = password.chars().count();
    if n < min_chars {
        broken.push(PasswordRule::TooShort(min_chars));
    }
    if n > MAX_PASSWORD_CHARS {
        broken.push(PasswordRule::TooLong);
    }
    let classes = [
        password.chars().any(|c| c.is_ascii_lowercase()),
        password.chars().any(|c| c.is_ascii_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password.chars().any(|c| !c.is_ascii_alphanumeric()),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if classes < 3 {
        broken.push(PasswordRule::TooFewClasses);
    }
    let user = username.trim().to_lowercase();
    if !user.is_empty() && password.to_lowercase().contains(&user) {
        broken.push(PasswordRule::ContainsUsername);
    }
    if is_common(password) {
        broken.push(PasswordRule::Common);
    }
    broken
}

/// Argon2id (19 MiB, 2 passes: the OWASP baseline) with a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the username is unknown, so that an unknown user costs
/// the same time as a wrong password and the two answers cannot be told apart.
pub fn dummy_hash() -> &'static str {
    use std::sync::OnceLock;
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("minzheng-dummy-password-!A1").unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_bad_password_names_the_rule_it_broke() {
        let cases: [(&str, PasswordRule); 5] = [
            ("Ab1!short", PasswordRule::TooShort(12)),
            ("alllowercaseletters", PasswordRule::TooFewClasses),
            ("Zhangsan-2026-ok", PasswordRule::ContainsUsername),
            ("P@ssw0rd1234", PasswordRule::Common),
            (&"Aa1!".repeat(40), PasswordRule::TooLong),
        ];
        for (pw, rule) in cases {
            let broken = check_password(pw, "zhangsan", 12);
            assert!(broken.contains(&rule), "{pw}: {broken:?}");
        }
        assert!(check_password("Civil-Affairs-2026", "zhangsan", 12).is_empty());
        // 128 characters is allowed and not truncated: the 129th makes it too long.
        let long = format!("Aa1!{}", "x".repeat(124));
        assert_eq!(long.chars().count(), 128);
        assert!(check_password(&long, "u", 12).is_empty());
        assert!(check_password(&format!("{long}y"), "u", 12).contains(&PasswordRule::TooLong));
    }

    #[test]
    fn hashes_are_salted_per_user_and_verify() {
        let a = hash_password("Civil-Affairs-2026").unwrap();
        let b = hash_password("Civil-Affairs-2026").unwrap();
        assert_ne!(a, b, "same password, different hashes");
        assert!(a.starts_with("$argon2id$"));
        assert!(verify_password("Civil-Affairs-2026", &a));
        assert!(!verify_password("Civil-Affairs-2027", &a));
        assert!(!verify_password("x", "not a hash"));
    }
}
