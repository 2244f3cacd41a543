//! Paged lists: the page a request asks for, turned into the row offset. A page number
//! comes from the address, so anything can arrive (0, negative, 2^63−1): it is clamped
//! to 1..=MAX_PAGE before multiplying, so the offset can neither overflow (a panic in a
//! debug build, a negative OFFSET that PostgreSQL refuses in release) nor ask the
//! database to skip more rows than any list here holds.

/// The highest page served; a later page answers like the last one does: empty.
pub const MAX_PAGE: i64 = 1_000_000;

/// The page number to use for `asked` (none: the first).
pub fn page(asked: Option<i64>) -> i64 {
    asked.unwrap_or(1).clamp(1, MAX_PAGE)
}

/// The rows to skip for the page `asked` of `size` rows.
pub fn offset(asked: Option<i64>, size: i64) -> i64 {
    (page(asked) - 1).saturating_mul(size.max(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_out_of_range_are_clamped() {
        assert_eq!(offset(None, 50), 0);
        assert_eq!(offset(Some(0), 50), 0);
        assert_eq!(offset(Some(-7), 50), 0);
        assert_eq!(offset(Some(3), 50), 100);
        assert_eq!(offset(Some(i64::MAX), 50), (MAX_PAGE - 1) * 50);
        assert_eq!(page(Some(i64::MIN)), 1);
    }
}
