//! The header row of an import file: which column is which.

use crate::error::{Error, Result};

/// Column positions. `email` is required; `name`, `language`, `lists` and
/// `status` are known; every other column becomes an attribute.
#[derive(Debug)]
pub struct Header {
    pub email: usize,
    pub name: Option<usize>,
    pub language: Option<usize>,
    pub lists: Option<usize>,
    pub status: Option<usize>,
    /// (column, attribute name as written in the header).
    pub attributes: Vec<(usize, String)>,
}

impl Header {
    /// Reads the header row; `file` names the file in errors.
    pub fn parse(fields: &csv::StringRecord, file: &str) -> Result<Header> {
        let mut seen: Vec<String> = Vec::new();
        let mut header = Header {
            email: usize::MAX,
            name: None,
            language: None,
            lists: None,
            status: None,
            attributes: Vec::new(),
        };
        for (i, raw) in fields.iter().enumerate() {
            // Excel writes a byte-order mark before the first header.
            let name = raw.trim_start_matches('\u{feff}').trim();
            let lower = name.to_lowercase();
            if name.is_empty() {
                return Err(Error::Input(format!(
                    "{file}: line 1: column {} has no name; every column needs a header",
                    i + 1
                )));
            }
            if seen.contains(&lower) {
                return Err(Error::Input(format!(
                    "{file}: line 1: the column \"{name}\" appears twice"
                )));
            }
            if name.chars().any(char::is_control) {
                return Err(Error::Input(format!(
                    "{file}: line 1: column {} has control characters in its name; is this a CSV file?",
                    i + 1
                )));
            }
            seen.push(lower.clone());
            match lower.as_str() {
                "email" | "e-mail" | "email address" | "e-mailadres" => header.email = i,
                "name" | "naam" => header.name = Some(i),
                "language" | "taal" => header.language = Some(i),
                "lists" | "lijsten" => header.lists = Some(i),
                "status" => header.status = Some(i),
                _ => header.attributes.push((i, name.to_owned())),
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
}
