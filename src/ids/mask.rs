//! Masking of personal data for lists, exports to non-entitled users and public notices
//! (个人信息保护法 第六条: show no more than the purpose needs).

/// ID number: first 6 and last 4 kept (`369902********123X`).
pub fn id_number(id: &str) -> String {
    keep_ends(id, 6, 4)
}

/// Phone: first 3 and last 4 kept for mobile numbers (`138****5678`); other numbers keep
/// only the last 4.
pub fn phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(|c| !c.is_whitespace()).collect();
    if digits.len() == 11 {
        keep_ends(&digits.iter().collect::<String>(), 3, 4)
    } else {
        keep_ends(&digits.iter().collect::<String>(), 0, 4)
    }
}

/// Bank account: only the last 4 digits (`****6789`).
pub fn bank_account(account: &str) -> String {
    let compact: String = account.chars().filter(|c| !c.is_whitespace()).collect();
    let n = compact.chars().count();
    if n <= 4 {
        return "*".repeat(n);
    }
    let last4: String = compact.chars().skip(n - 4).collect();
    format!("****{last4}")
}

/// Name of a minor in a public notice: the first character kept (`张*`, `欧阳**`→`欧**`).
pub fn minor_name(name: &str) -> String {
    let mut chars = name.trim().chars();
    match chars.next() {
        Some(first) => {
            let rest = chars.count().max(1);
            format!("{first}{}", "*".repeat(rest))
        }
        None => String::new(),
    }
}

/// Keeps `head` characters at the start and `tail` at the end; if the value is too short
/// to hide anything, hides it all.
fn keep_ends(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    if chars.len() <= head + tail {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - head - tail;
    let mut out: String = chars[..head].iter().collect();
    out.push_str(&"*".repeat(hidden));
    out.extend(&chars[chars.len() - tail..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_as_domain_md_shows() {
        assert_eq!(id_number("36990219900101123X"), "369902********123X");
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(phone("0791-8888123"), "********8123");
        assert_eq!(bank_account("6222 0212 3456 7890 123"), "****0123");
        assert_eq!(minor_name("张三"), "张*");
        assert_eq!(minor_name("张"), "张*");
        assert_eq!(minor_name("欧阳娜娜"), "欧***");
    }

    #[test]
    fn short_values_are_hidden_whole() {
        assert_eq!(id_number("12345"), "*****");
        assert_eq!(bank_account("123"), "***");
        assert_eq!(phone(""), "");
    }
}
