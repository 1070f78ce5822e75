//! Lists read a page at a time from a cursor.

/// Appends an older page: an item already listed (it may have moved between two pages'
/// reads) is not listed twice. `key` says which items are the same.
pub fn append_new<T, K: PartialEq>(list: &mut Vec<T>, page: Vec<T>, key: impl Fn(&T) -> K) {
    for item in page {
        if !list.iter().any(|held| key(held) == key(&item)) {
            list.push(item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_appended_without_repeats() {
        let mut list = vec![(3, "a"), (2, "b")];
        append_new(&mut list, vec![(2, "b again"), (1, "c")], |item| item.0);
        assert_eq!(list, [(3, "a"), (2, "b"), (1, "c")]);
    }
}
