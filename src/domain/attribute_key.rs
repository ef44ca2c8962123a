//! Attribute names (the extra columns of an import: `city`, `phone`) are
//! one name whatever their case: `City` and `city` are the same attribute.
//! Two spellings in the store would become two columns of an export that
//! its own import refuses ("appears twice"), so the store keeps one.
//!
//! Which spelling: the one the store already has. A file that says `city`
//! where the store says `City` writes to `City`. Where a store holds
//! several spellings from before this rule, the first in byte order
//! (`City` before `city`) is kept, and the others fold into it as people
//! are written.

/// The form two names are compared in.
pub fn fold(key: &str) -> String {
    key.to_lowercase()
}

/// Whether `a` and `b` name the same attribute.
pub fn same(a: &str, b: &str) -> bool {
    if a.is_ascii() && b.is_ascii() {
        // The common case, without allocating: for ASCII the two agree.
        a.eq_ignore_ascii_case(b)
    } else {
        fold(a) == fold(b)
    }
}

/// The spelling of `key` to keep, given the spellings the store has in
/// byte order: the first that is the same attribute, or `key` itself.
pub fn kept_spelling<'a>(key: &'a str, stored: &'a [String]) -> &'a str {
    stored
        .iter()
        .find(|s| same(s, key))
        .map_or(key, String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stored_spelling_is_kept_whatever_the_case_of_the_file() {
        let stored = vec!["City".to_owned(), "Straße".to_owned(), "city".to_owned()];
        assert_eq!(kept_spelling("city", &stored), "City");
        assert_eq!(kept_spelling("CITY", &stored), "City");
        assert_eq!(kept_spelling("STRASSE", &stored), "STRASSE");
        assert_eq!(kept_spelling("straße", &stored), "Straße");
        assert_eq!(kept_spelling("phone", &stored), "phone");
        assert!(same("K", "\u{212a}"), "the Kelvin sign folds to k");
    }
}
