//! A known subscriber's attributes as an import row sets them. Names are
//! one name whatever their case ([`attribute_key`]): the row's spelling
//! (the store's, see `Header::keep_stored_spellings`) replaces any other
//! spelling the person has, so two spellings never live side by side.

use serde_json::{Map, Value};

use crate::domain::attribute_key;

/// Sets `row` on `stored`; whether anything changed.
pub(super) fn set_attributes(stored: &mut Map<String, Value>, row: &Map<String, Value>) -> bool {
    let mut changed = false;
    for (key, value) in row {
        let others: Vec<String> = stored
            .keys()
            .filter(|k| *k != key && attribute_key::same(k, key))
            .cloned()
            .collect();
        for other in others {
            stored.remove(&other);
            changed = true;
        }
        if stored.get(key) != Some(value) {
            stored.insert(key.clone(), value.clone());
            changed = true;
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> Map<String, Value> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), Value::String((*v).to_owned())))
            .collect()
    }

    #[test]
    fn another_spelling_of_a_name_is_replaced_not_added() {
        let mut stored = map(&[("city", "Zwolle"), ("CITY", "Ede"), ("phone", "1")]);
        assert!(set_attributes(&mut stored, &map(&[("City", "Utrecht")])));
        assert_eq!(stored, map(&[("City", "Utrecht"), ("phone", "1")]));
        assert!(!set_attributes(&mut stored, &map(&[("City", "Utrecht")])));
    }
}
