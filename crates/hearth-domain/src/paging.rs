//! Page numbers and page sizes, bounded so that no arithmetic on them can overflow.

/// The longest search text any list, the directory or the open API takes.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The highest page number anyone may ask for.
pub const MAX_PAGE: i64 = 1_000_000;
/// The most rows one page may hold.
pub const MAX_PER_PAGE: i64 = 500;

/// One page of results and how many there are in all.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    pub fn total_pages(&self) -> i64 {
        if self.per_page <= 0 {
            return 1;
        }
        ((self.total + self.per_page - 1) / self.per_page).max(1)
    }

    /// The same page with each item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            per_page: self.per_page,
        }
    }
}

/// A page number from a request: missing means 1, anything outside 1..=[`MAX_PAGE`] is brought
/// inside it.
pub fn page(raw: Option<i64>) -> i64 {
    raw.unwrap_or(1).clamp(1, MAX_PAGE)
}

/// The number of rows before `page` when pages hold `per_page` rows (both bounded first).
pub fn offset(page: i64, per_page: i64) -> i64 {
    (page.clamp(1, MAX_PAGE) - 1) * per_page.clamp(1, MAX_PER_PAGE)
}

/// A page number or page size typed by a caller of an API: a whole number from 1 to `max`.
pub fn parse_bounded(raw: &str, max: i64) -> Option<i64> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    raw.parse::<i64>().ok().filter(|n| (1..=max).contains(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    // Security review finding 11: page=9223372036854775807 wrapped round to page 1 (and a
    // debug build would panic).
    #[test]
    fn huge_page_numbers_do_not_wrap() {
        assert_eq!(page(Some(i64::MAX)), MAX_PAGE);
        assert_eq!(page(Some(i64::MIN)), 1);
        assert_eq!(page(None), 1);
        assert_eq!(offset(i64::MAX, 50), (MAX_PAGE - 1) * 50);
        assert_eq!(offset(i64::MAX, i64::MAX), (MAX_PAGE - 1) * MAX_PER_PAGE);
        assert_eq!(offset(i64::MIN, 20), 0);
        assert_eq!(offset(3, 20), 40);
    }

    #[test]
    fn api_page_numbers_are_whole_numbers_in_range() {
        assert_eq!(parse_bounded("2", MAX_PAGE), Some(2));
        for bad in [
            "0",
            "-1",
            "9223372036854775807",
            "99999999999999999999",
            "1.5",
            "1e3",
            "",
            " ",
            "+1",
            "0x10",
        ] {
            assert_eq!(parse_bounded(bad, MAX_PAGE), None, "{bad}");
        }
        assert_eq!(parse_bounded("501", MAX_PER_PAGE), None);
    }
}
