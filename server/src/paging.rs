//! Keyset paging: lists are read newest first with `id < after`, one row
//! more than a page, so the extra row says whether there is a next page.

/// Items per page.
pub const PAGE_SIZE: u64 = 20;

/// Takes rows fetched with `limit(PAGE_SIZE + 1)`; returns one page and the
/// cursor of the next page (the last id shown), if there is one.
pub fn split_page<T>(mut rows: Vec<T>, id: impl Fn(&T) -> i64) -> (Vec<T>, Option<i64>) {
    if rows.len() as u64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        let cursor = rows.last().map(&id);
        (rows, cursor)
    } else {
        (rows, None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_plus_one_has_a_cursor() {
        let rows: Vec<i64> = (0..=PAGE_SIZE as i64).rev().collect();
        let (page, cursor) = split_page(rows, |r| *r);
        assert_eq!(page.len() as u64, PAGE_SIZE);
        assert_eq!(cursor, Some(1));
        let (page, cursor) = split_page(vec![3, 2, 1], |r| *r);
        assert_eq!((page.len(), cursor), (3, None));
    }
}
