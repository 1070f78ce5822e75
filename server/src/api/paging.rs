//! Lists read a page at a time, newest first, from a cursor: the page size asked for and the
//! cursor of the next page, the same way on every such route.

/// Items per page when the request names none, and the most a request may ask for.
const DEFAULT: u64 = 50;
const MAX: u64 = 200;

/// `limit=`: 50 when absent, held to 1–200.
pub(super) fn limit(raw: Option<u64>) -> u64 {
    raw.unwrap_or(DEFAULT).clamp(1, MAX)
}

/// The cursor of the next page: the last item's, when the page is full (a short page is the
/// last one).
pub(super) fn next<T, C>(items: &[T], limit: u64, cursor: impl Fn(&T) -> C) -> Option<C> {
    (items.len() as u64 == limit)
        .then(|| items.last().map(cursor))
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_page_points_at_the_next() {
        assert_eq!(
            (limit(None), limit(Some(0)), limit(Some(10_000))),
            (50, 1, 200)
        );
        assert_eq!(next(&[1, 2, 3], 3, |x| *x), Some(3));
        assert_eq!(next(&[1, 2], 3, |x| *x), None);
    }
}
