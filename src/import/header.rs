//! The header row of an import file: which column is which.

use crate::domain::{attribute_key, spreadsheet_cell};
use crate::error::{Error, Result};

/// Column positions. `email` is required; `name`, `language`, `lists` and
/// `status` are known (each under a few names: `E-mail`, `naam`, ...), as
/// are first and last name columns;
/// every other column becomes an attribute.
#[derive(Debug)]
pub struct Header {
    pub email: usize,
    pub name: Option<usize>,
    pub language: Option<usize>,
    pub lists: Option<usize>,
    pub status: Option<usize>,
    /// `voornaam`/`first_name`, `achternaam`/`last_name`: also listed in
    /// [`Header::attributes`] as `first_name` and `last_name`, so a
    /// template can greet by first name.
    pub first_name: Option<usize>,
    pub last_name: Option<usize>,
    /// (column, attribute name as written in the header).
    pub attributes: Vec<(usize, String)>,
    /// Every column's name as written, for messages.
    pub columns: Vec<String>,
}

/// What a column holds.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Email,
    Name,
    Language,
    Lists,
    Status,
    FirstName,
    LastName,
    /// An attribute, compared by [`attribute_key::fold`].
    Attribute,
}

impl Field {
    fn of(lower: &str) -> Field {
        match lower {
            "email" | "e-mail" | "email address" | "e-mailadres" => Field::Email,
            "name" | "naam" => Field::Name,
            "language" | "taal" => Field::Language,
            "lists" | "lijsten" => Field::Lists,
            "status" => Field::Status,
            "voornaam" | "first_name" | "firstname" | "first name" => Field::FirstName,
            "achternaam" | "last_name" | "lastname" | "last name" => Field::LastName,
            _ => Field::Attribute,
        }
    }
}

impl Header {
    /// Reads the header row; `file` names the file in errors. Two columns
    /// that mean the same (`email` and `E-mail`, `City` and `city`) are an
    /// error that names both: which one should win is the user's call.
    pub fn parse(fields: &csv::StringRecord, file: &str) -> Result<Header> {
        let mut seen: Vec<(Field, String)> = Vec::new();
        let mut header = Header {
            email: usize::MAX,
            name: None,
            language: None,
            lists: None,
            status: None,
            first_name: None,
            last_name: None,
            attributes: Vec::new(),
            columns: Vec::new(),
        };
        for (i, raw) in fields.iter().enumerate() {
            // Excel writes a byte-order mark before the first header; export
            // escapes a name that starts like a formula.
            let name = spreadsheet_cell::unescape(raw.trim_start_matches('\u{feff}').trim());
            if name.is_empty() {
                return Err(Error::Input(format!(
                    "{file}: line 1: column {} has no name; every column needs a header",
                    i + 1
                )));
            }
            if name.chars().any(char::is_control) {
                return Err(Error::Input(format!(
                    "{file}: line 1: column {} has control characters in its name; is this a CSV file?",
                    i + 1
                )));
            }
            let lower = name.to_lowercase();
            let field = Field::of(&lower);
            let key = match field {
                Field::Attribute => attribute_key::fold(name),
                _ => String::new(),
            };
            if let Some(earlier) = seen.iter().position(|s| s.0 == field && s.1 == key) {
                return Err(Error::Input(format!(
                    "{file}: line 1: column {} (\"{}\") and column {} (\"{name}\") are the same \
                     column; keep one of them",
                    earlier + 1,
                    header.columns[earlier],
                    i + 1,
                )));
            }
            seen.push((field, key));
            header.columns.push(name.to_owned());
            match field {
                Field::Email => header.email = i,
                Field::Name => header.name = Some(i),
                Field::Language => header.language = Some(i),
                Field::Lists => header.lists = Some(i),
                Field::Status => header.status = Some(i),
                Field::FirstName => {
                    header.first_name = Some(i);
                    header.attributes.push((i, "first_name".to_owned()));
                }
                Field::LastName => {
                    header.last_name = Some(i);
                    header.attributes.push((i, "last_name".to_owned()));
                }
                Field::Attribute => header.attributes.push((i, name.to_owned())),
            }
        }
        if header.email == usize::MAX {
            let found = fields
                .iter()
                .take(8)
                .map(|f| format!("\"{}\"", f.chars().take(40).collect::<String>()))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(Error::Input(format!(
                "{file}: line 1 has no \"email\" column (found {found}); the first row must name \
                 the columns, e.g. email,name,language,lists"
            )));
        }
        Ok(header)
    }

    /// Column `i` (from 0) for a message: `column 3 ("city")`.
    pub fn describe(&self, i: usize) -> String {
        match self.columns.get(i) {
            Some(name) => format!("column {} (\"{name}\")", i + 1),
            None => format!("column {}", i + 1),
        }
    }

    /// Names the attribute columns as the store already spells them
    /// (`stored`, in byte order): one attribute per name, whatever its case.
    pub fn keep_stored_spellings(&mut self, stored: &[String]) {
        for (_, key) in &mut self.attributes {
            *key = attribute_key::kept_spelling(key, stored).to_owned();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_columns_are_found_in_any_case_and_others_become_attributes() {
        let rec = csv::StringRecord::from(vec!["\u{feff}Email", "Naam", "city", "LISTS"]);
        let h = Header::parse(&rec, "x.csv").expect("valid header");
        assert_eq!(h.email, 0);
        assert_eq!(h.name, Some(1));
        assert_eq!(h.lists, Some(3));
        assert_eq!(h.attributes, vec![(2, "city".to_owned())]);
    }

    #[test]
    fn a_header_without_email_or_with_twins_is_rejected() {
        let err = Header::parse(&csv::StringRecord::from(vec!["name", "city"]), "x.csv")
            .expect_err("no email");
        assert!(err.to_string().contains("no \"email\" column"), "{err}");
        assert!(Header::parse(&csv::StringRecord::from(vec!["email", "Email"]), "x.csv").is_err());
        assert!(Header::parse(&csv::StringRecord::from(vec!["email", ""]), "x.csv").is_err());
    }

    #[test]
    fn two_names_for_one_field_or_two_cases_of_one_attribute_name_both_columns() {
        for (columns, message) in [
            (
                vec!["email", "name", "E-mail"],
                "column 1 (\"email\") and column 3 (\"E-mail\")",
            ),
            (
                vec!["email", "name", "naam"],
                "column 2 (\"name\") and column 3 (\"naam\")",
            ),
            (
                vec!["City", "email", "city"],
                "column 1 (\"City\") and column 3 (\"city\")",
            ),
        ] {
            let err = Header::parse(&csv::StringRecord::from(columns), "x.csv")
                .expect_err("a column twice");
            assert!(err.to_string().contains(message), "{err}");
        }
    }

    #[test]
    fn an_escaped_column_name_is_read_as_it_was_written() {
        let rec = csv::StringRecord::from(vec!["email", "'=x", "'t Hart"]);
        let h = Header::parse(&rec, "x.csv").expect("valid header");
        assert_eq!(
            h.attributes,
            vec![(1, "=x".to_owned()), (2, "'t Hart".to_owned())]
        );
    }
}
