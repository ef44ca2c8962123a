//! An address postbode can send to, normalised once so the store, the
//! de-duplication and the SMTP envelope all see the same string.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize, Serializer};

use super::ParseError;

/// RFC 5321 caps a path at 256 octets including the angle brackets.
const MAX_ADDRESS_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;
const MAX_DOMAIN_LEN: usize = 253;
const MAX_LABEL_LEN: usize = 63;
/// Longer input cannot become a valid address; refusing it early bounds the
/// work IDNA does on hostile input (unicode domains shrink when converted,
/// so this is well above 254).
const MAX_INPUT_LEN: usize = 1024;

const TOO_LONG: &str = "the address is longer than 254 characters";

/// A syntactically valid, normalised email address.
///
/// The local part keeps its case (RFC 5321 lets the receiving server decide);
/// the domain is lowercase ASCII, with international domains in punycode.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub struct EmailAddress(String);

impl EmailAddress {
    pub fn parse(s: &str) -> Result<Self, ParseError> {
        let input = s.trim();
        if input.is_empty() {
            return Err(ParseError::new("the address is empty"));
        }
        if input.len() > MAX_INPUT_LEN {
            return Err(ParseError::new(TOO_LONG));
        }
        // Checked first and on the whole input: a line break in an address
        // that reaches a mail header is header injection.
        if input
            .chars()
            .any(|c| matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}'))
        {
            return Err(ParseError::new("the address contains a line break"));
        }
        if input.chars().any(char::is_control) {
            return Err(ParseError::new("the address contains a control character"));
        }
        if input.starts_with('"') {
            return Err(quoted_local_part());
        }
        if input.contains(['<', '>']) {
            return Err(ParseError::new(
                "write only the address itself, without a name or angle brackets (< >)",
            ));
        }
        if input.chars().any(char::is_whitespace) {
            return Err(ParseError::new("the address contains a space"));
        }
        if input.contains(',') {
            return Err(ParseError::new(
                "the address contains a comma; give one address at a time",
            ));
        }
        let Some((local, domain)) = input.rsplit_once('@') else {
            return Err(ParseError::new("the address has no @"));
        };
        if local.contains('@') {
            return Err(ParseError::new("the address has more than one @"));
        }
        if local.is_empty() {
            return Err(ParseError::new("the part before the @ is empty"));
        }
        if domain.is_empty() {
            return Err(ParseError::new("the part after the @ is empty"));
        }
        check_local_part(local)?;
        let domain = parse_domain(domain)?;
        let address = format!("{local}@{domain}");
        if address.len() > MAX_ADDRESS_LEN {
            return Err(ParseError::new(TOO_LONG));
        }
        Ok(Self(address))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part before the `@`, with its case kept.
    pub fn local_part(&self) -> &str {
        self.split().0
    }

    /// The lowercase ASCII domain (punycode for international domains).
    pub fn domain(&self) -> &str {
        self.split().1
    }

    /// The whole address in ASCII lowercase, for de-duplication: RFC 5321
    /// lets a server treat `Anna@` and `anna@` as different mailboxes, but
    /// mailbox providers treat local parts case-insensitively in practice, so
    /// one person should not be subscribed twice by a change of case.
    pub fn key(&self) -> String {
        self.0.to_ascii_lowercase()
    }

    fn split(&self) -> (&str, &str) {
        // Parse guarantees exactly one '@'; the fallback keeps this total.
        self.0.rsplit_once('@').unwrap_or((self.0.as_str(), ""))
    }
}

fn quoted_local_part() -> ParseError {
    ParseError::new(
        "quoted local parts (\"...\"@) are not supported; use an address without quotes",
    )
}

/// RFC 5322 `atext`: what a dot-atom may contain besides dots.
fn is_atext(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-/=?^_`{|}~".contains(&b)
}

fn check_local_part(local: &str) -> Result<(), ParseError> {
    if local.contains('"') {
        return Err(quoted_local_part());
    }
    if !local.is_ascii() {
        return Err(ParseError::new(
            "the part before the @ contains non-ASCII characters; such addresses need \
             SMTPUTF8, which postbode does not use",
        ));
    }
    if local.len() > MAX_LOCAL_LEN {
        return Err(ParseError::new(
            "the part before the @ is longer than 64 characters",
        ));
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err(ParseError::new(
            "the part before the @ starts or ends with a dot",
        ));
    }
    if local.contains("..") {
        return Err(ParseError::new(
            "the part before the @ has two dots in a row",
        ));
    }
    if let Some(bad) = local.bytes().find(|&b| b != b'.' && !is_atext(b)) {
        return Err(ParseError::new(format!(
            "the part before the @ contains {:?}, which is not allowed in an address",
            char::from(bad)
        )));
    }
    Ok(())
}

fn parse_domain(domain: &str) -> Result<String, ParseError> {
    if domain.starts_with('[') || domain.ends_with(']') {
        return Err(ParseError::new(
            "IP address literals like [192.0.2.1] are not accepted; use a domain name",
        ));
    }
    if domain.ends_with('.') {
        return Err(ParseError::new("the domain ends with a dot"));
    }
    // Name a bad ASCII character ourselves; IDNA's error would not say which.
    if let Some(bad) = domain
        .chars()
        .find(|&c| c.is_ascii() && !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
    {
        return Err(ParseError::new(format!(
            "the domain contains {bad:?}; a domain may only contain letters, digits, dashes and dots"
        )));
    }
    let lowercase = domain.to_ascii_lowercase();
    // STD3 rules: after mapping, only letters, digits, '-' and '.' may remain.
    let ascii = idna::domain_to_ascii_cow(lowercase.as_bytes(), idna::AsciiDenyList::STD3)
        .map_err(|_| ParseError::new("the domain is not a valid international domain name"))?
        .to_ascii_lowercase();
    check_ascii_domain(&ascii)?;
    Ok(ascii)
}

fn check_ascii_domain(domain: &str) -> Result<(), ParseError> {
    if domain.is_empty() {
        return Err(ParseError::new("the part after the @ is empty"));
    }
    if domain.len() > MAX_DOMAIN_LEN {
        return Err(ParseError::new("the domain is longer than 253 characters"));
    }
    if !domain.contains('.') {
        return Err(ParseError::new("the domain has no dot (like example.com)"));
    }
    for label in domain.split('.') {
        if label.is_empty() {
            return Err(ParseError::new(
                "the domain has an empty part: two dots in a row, or a dot at the start or end",
            ));
        }
        if label.len() > MAX_LABEL_LEN {
            return Err(ParseError::new(
                "a part of the domain between dots is longer than 63 characters",
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(ParseError::new(
                "a part of the domain starts or ends with a dash",
            ));
        }
        // IDNA's STD3 rules already ensure this; kept so the type's promise
        // does not rest on another crate's option.
        if !label
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(ParseError::new(
                "a domain may only contain letters, digits, dashes and dots",
            ));
        }
    }
    let last = domain.rsplit('.').next().unwrap_or(domain);
    if last.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::new(
            "the domain ends in a number; use a domain name, not an IP address",
        ));
    }
    Ok(())
}

impl AsRef<str> for EmailAddress {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for EmailAddress {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for EmailAddress {
    type Error = ParseError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for EmailAddress {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn local_of(len: usize) -> String {
        "a".repeat(len)
    }

    /// A domain of exactly `len` octets made of 63-octet labels.
    fn domain_of(len: usize) -> String {
        let mut labels = Vec::new();
        let mut left = len;
        while left > 0 {
            let take = left.min(MAX_LABEL_LEN);
            // Never leave a lone trailing dot or an empty label.
            let take = if left > take && left - take == 1 {
                take - 1
            } else {
                take
            };
            labels.push("b".repeat(take));
            left -= take;
            left = left.saturating_sub(1);
        }
        labels.join(".")
    }

    #[test]
    fn the_length_helpers_build_what_they_promise() {
        assert_eq!(local_of(64).len(), 64);
        for len in [5, 63, 64, 65, 127, 128, 189, 190, 253, 254] {
            let domain = domain_of(len);
            assert_eq!(domain.len(), len, "{domain}");
            assert!(domain.split('.').all(|l| !l.is_empty() && l.len() <= 63));
        }
    }

    #[test]
    fn tricky_valid_addresses_are_accepted_and_normalised() {
        let long_local = format!("{}@example.com", local_of(64));
        let long_label = format!("x@{}.com", "c".repeat(63));
        let max_total = format!("{}@{}", local_of(64), domain_of(189));
        let cases: Vec<(&str, &str)> = vec![
            ("  Anna@Example.COM ", "Anna@example.com"),
            ("jan+nieuws@voorbeeld.nl", "jan+nieuws@voorbeeld.nl"),
            ("o'brien@example.ie", "o'brien@example.ie"),
            ("x@sub.domain.example.co.uk", "x@sub.domain.example.co.uk"),
            ("user@bücher.example", "user@xn--bcher-kva.example"),
            ("user@BÜCHER.example", "user@xn--bcher-kva.example"),
            ("user@xn--bcher-kva.example", "user@xn--bcher-kva.example"),
            ("user@XN--BCHER-KVA.EXAMPLE", "user@xn--bcher-kva.example"),
            ("user@sub.bücher.example", "user@sub.xn--bcher-kva.example"),
            ("user@straße.de", "user@xn--strae-oqa.de"),
            ("test@例え.jp", "test@xn--r8jz45g.jp"),
            ("test@例え。jp", "test@xn--r8jz45g.jp"),
            ("a.b.c@example.com", "a.b.c@example.com"),
            ("1234567890@example.com", "1234567890@example.com"),
            ("USER@EXAMPLE.COM", "USER@example.com"),
            ("first_last@example.org", "first_last@example.org"),
            ("a-b@example.com", "a-b@example.com"),
            (
                "!#$%&'*+-/=?^_`{|}~@example.com",
                "!#$%&'*+-/=?^_`{|}~@example.com",
            ),
            (
                "user.name+tag+sorting@example.com",
                "user.name+tag+sorting@example.com",
            ),
            ("_@example.com", "_@example.com"),
            ("x@a.io", "x@a.io"),
            ("user@example.museum", "user@example.museum"),
            ("user@my-domain.example.com", "user@my-domain.example.com"),
            ("user@123.example.com", "user@123.example.com"),
            ("user@example.x1", "user@example.x1"),
            ("user@ab--cd.example", "user@ab--cd.example"),
            ("\tuser@example.com\r\n", "user@example.com"),
            ("\u{2003}user@example.com\u{2028}", "user@example.com"),
            (&long_local, &long_local),
            (&long_label, &long_label),
            (&max_total, &max_total),
        ];
        assert!(cases.len() >= 25);
        for (input, expected) in cases {
            match EmailAddress::parse(input) {
                Ok(address) => assert_eq!(address.as_str(), expected, "input {input:?}"),
                Err(error) => panic!("{input:?} was rejected: {error}"),
            }
        }
    }

    #[test]
    fn tricky_invalid_addresses_are_rejected_with_a_reason() {
        let long_local = format!("{}@example.com", local_of(65));
        let long_label = format!("x@{}.com", "c".repeat(64));
        let over_total = format!("{}@{}", local_of(64), domain_of(190));
        let long_domain = format!("x@{}", domain_of(254));
        let huge = format!("x@{}", "é".repeat(2000));
        let cases: Vec<(&str, &str)> = vec![
            ("annaexample.com", "has no @"),
            ("a@b@x.com", "more than one @"),
            ("a@b", "no dot"),
            ("a@localhost", "no dot"),
            ("a@[127.0.0.1]", "IP address literals"),
            ("a@[IPv6:::1]", "IP address literals"),
            ("a..b@x.com", "two dots in a row"),
            (".a@x.com", "starts or ends with a dot"),
            ("a.@x.com", "starts or ends with a dot"),
            ("a b@x.com", "contains a space"),
            ("a@ex ample.com", "contains a space"),
            ("a\u{a0}b@x.com", "contains a space"),
            ("a@x.com\r\nBcc: evil@x.com", "line break"),
            ("a@x.com\nBcc: evil@x.com", "line break"),
            ("a\u{85}b@x.com", "line break"),
            ("a@x.com\u{2028}Bcc: evil@x.com", "line break"),
            ("\"a b\"@x.com", "quoted local parts"),
            ("\"ab\"@x.com", "quoted local parts"),
            ("a\"b\"@x.com", "quoted local parts"),
            ("jürgen@example.de", "SMTPUTF8"),
            (&long_local, "longer than 64"),
            (&long_label, "longer than 63"),
            ("a@-x.com", "starts or ends with a dash"),
            ("a@x-.com", "starts or ends with a dash"),
            ("a@x..com", "empty part"),
            ("a@.x.com", "empty part"),
            ("a@x.123", "ends in a number"),
            ("a@1.2.3.4", "ends in a number"),
            ("", "the address is empty"),
            ("   ", "the address is empty"),
            ("@x.com", "before the @ is empty"),
            ("@", "before the @ is empty"),
            ("a@", "after the @ is empty"),
            ("a@x.com.", "ends with a dot"),
            ("a\u{7}b@x.com", "control character"),
            ("a\0b@x.com", "control character"),
            ("a@x.com\0", "control character"),
            ("a\tb@x.com", "control character"),
            ("a\u{1b}[31m@x.com", "control character"),
            ("a,b@x.com", "comma"),
            ("a@x.com,b@y.com", "comma"),
            ("<a@x.com>", "angle brackets"),
            ("Anna <a@x.com>", "angle brackets"),
            ("a@x_y.com", "'_'"),
            ("a(comment)@x.com", "'('"),
            ("a\\b@x.com", "'\\\\'"),
            ("a;b@x.com", "';'"),
            ("a@x.com:25", "':'"),
            ("a@exa\u{202e}mple.com", "not a valid international domain"),
            (&over_total, "longer than 254"),
            (&long_domain, "longer than 253"),
            (&huge, "longer than 254"),
        ];
        assert!(cases.len() >= 30);
        for (input, expected) in cases {
            match EmailAddress::parse(input) {
                Ok(address) => panic!("{input:?} was accepted as {address}"),
                Err(error) => {
                    assert!(
                        error.reason.contains(expected),
                        "{input:?}: expected a reason with {expected:?}, got {:?}",
                        error.reason
                    );
                    let trimmed = input.trim();
                    if trimmed.len() > 3 {
                        assert!(!error.reason.contains(trimmed), "{input:?} leaked");
                    }
                }
            }
        }
    }

    #[test]
    fn the_local_part_keeps_its_case_and_the_domain_is_lowercased() {
        let address = EmailAddress::parse("Jan.De.Vries@Voorbeeld.NL");
        assert_eq!(
            address.as_ref().map(|a| (a.local_part(), a.domain())),
            Ok(("Jan.De.Vries", "voorbeeld.nl"))
        );
    }

    #[test]
    fn the_key_lowercases_the_whole_address() {
        let upper = EmailAddress::parse("Anna@Example.com").map(|a| a.key());
        let lower = EmailAddress::parse("anna@example.com").map(|a| a.key());
        assert_eq!(upper, Ok("anna@example.com".to_string()));
        assert_eq!(upper, lower);
    }

    #[test]
    fn display_from_str_and_as_ref_agree_with_as_str() {
        let address: Result<EmailAddress, _> = " Anna@Example.com ".parse();
        let address = address.map_err(|e| e.to_string());
        assert_eq!(
            address.as_ref().map(|a| a.to_string()),
            Ok("Anna@example.com".to_string())
        );
        assert_eq!(address.as_ref().map(|a| a.as_ref() == a.as_str()), Ok(true));
    }

    #[test]
    fn serde_writes_a_plain_string_and_reads_through_parse() {
        let address = EmailAddress::parse("Anna@Example.com").map_err(|e| e.to_string());
        let json = address
            .as_ref()
            .map(|a| serde_json::to_string(a).map_err(|e| e.to_string()));
        assert_eq!(json, Ok(Ok("\"Anna@example.com\"".to_string())));
        let read: Result<EmailAddress, _> = serde_json::from_str("\" Anna@EXAMPLE.com\"");
        assert_eq!(read.map_err(|e| e.to_string()), address);
    }

    #[test]
    fn serde_refuses_an_invalid_address() {
        let read: Result<EmailAddress, _> = serde_json::from_str("\"a@x.com\\r\\nBcc: e@x.com\"");
        let message = read.map(|_| ()).map_err(|e| e.to_string());
        assert!(
            matches!(&message, Err(m) if m.contains("line break")),
            "{message:?}"
        );
    }

    /// Strings built from the characters that matter to an address parser.
    fn address_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("@".to_string()),
            Just(".".to_string()),
            Just("-".to_string()),
            Just("\"".to_string()),
            Just(" ".to_string()),
            Just("xn--".to_string()),
            "[a-zA-Z0-9]{1,8}",
            "[!#$%&'*+/=?^_`{|}~(),;:<>\\[\\]\\\\]",
            "[äöüßéçøå例え。\u{ad}\u{200b}\u{202e}\u{2028}\u{85}\u{ff21}]",
            any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|pieces| pieces.concat())
    }

    /// Strings that are often valid, so the properties of `Ok` get exercised.
    fn plausible_address() -> impl Strategy<Value = String> {
        (
            "[ \t]{0,2}",
            "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,20}(\\.[a-zA-Z0-9_+-]{1,10}){0,3}",
            "([a-zA-Z0-9äöüßéç例え-]{1,20}[.。]){1,4}[a-zA-Zü]{2,8}",
            "[ \n]{0,2}",
        )
            .prop_map(|(pre, local, domain, post)| format!("{pre}{local}@{domain}{post}"))
    }

    fn assert_properties(input: &str) -> Result<(), TestCaseError> {
        if let Ok(address) = EmailAddress::parse(input) {
            let s = address.as_str();
            prop_assert!(s.len() <= MAX_ADDRESS_LEN);
            prop_assert!(!s.chars().any(|c| c.is_whitespace() || c.is_control()));
            prop_assert!(s.is_ascii());
            prop_assert_eq!(EmailAddress::parse(s), Ok(address.clone()));
            prop_assert_eq!(format!("{}@{}", address.local_part(), address.domain()), s);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn parse_never_panics_on_any_string(input in any::<String>()) {
            assert_properties(&input)?;
        }

        #[test]
        fn parse_never_panics_on_printable_strings(input in "\\PC*") {
            assert_properties(&input)?;
        }

        #[test]
        fn parse_never_panics_on_address_like_strings(input in address_like()) {
            assert_properties(&input)?;
        }

        #[test]
        fn a_parsed_address_is_clean_short_and_parses_to_itself(input in plausible_address()) {
            assert_properties(&input)?;
        }

        #[test]
        fn plausible_ascii_addresses_are_accepted(
            local in "[a-z0-9_+-]{1,20}(\\.[a-z0-9_+-]{1,10}){0,2}",
            domain in "[a-z0-9]{1,20}(\\.[a-z0-9]{1,10}){0,2}\\.[a-z]{2,6}",
        ) {
            let input = format!("{local}@{domain}");
            prop_assert_eq!(EmailAddress::parse(&input).map(|a| a.to_string()), Ok(input));
        }
    }
}
