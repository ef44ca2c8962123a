//! The mailbox an address delivers to, for counting mails per person
//! rather than per spelling: `Anna+x@Example.org` and `anna@example.org`
//! reach the same inbox, so a limit on one must be a limit on both.
//!
//! Only what is documented is folded: case (every provider ignores it in
//! practice, as [`EmailAddress::key`] says), the `+tag` of plus addressing
//! (Gmail, Outlook, Fastmail, Proton, iCloud and most servers deliver
//! `local+anything@` to `local@`), and the dots of a gmail.com or
//! googlemail.com local part, which Google documents as ignored
//! (googlemail.com is the same mailbox as gmail.com). Dots elsewhere are
//! kept: other providers treat `a.b@` and `ab@` as two people. Folding
//! too little only lets a variant through; folding too much would merge
//! two people's limits.
//!
//! This is a key for counting, never an address to send to.

use super::EmailAddress;

/// Domains whose local-part dots Google documents as meaningless.
const GMAIL_DOMAINS: [&str; 2] = ["gmail.com", "googlemail.com"];

/// `local@domain`, lowercase, without a `+tag`, without gmail's dots.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NormalisedMailbox(String);

impl NormalisedMailbox {
    pub fn of(address: &EmailAddress) -> NormalisedMailbox {
        let local = address.local_part().to_ascii_lowercase();
        let domain = address.domain();
        // A local part that starts with `+` has no base to fold onto.
        let base = match local.split_once('+') {
            Some((base, _)) if !base.is_empty() => base,
            _ => local.as_str(),
        };
        if GMAIL_DOMAINS.contains(&domain) {
            let dotless: String = base.chars().filter(|&c| c != '.').collect();
            return NormalisedMailbox(format!("{dotless}@gmail.com"));
        }
        NormalisedMailbox(format!("{base}@{domain}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox(s: &str) -> String {
        let address = EmailAddress::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        NormalisedMailbox::of(&address).as_str().to_owned()
    }

    #[test]
    fn case_and_a_plus_tag_are_folded_for_every_domain() {
        assert_eq!(mailbox("Anna+x@Example.NL"), "anna@example.nl");
        assert_eq!(mailbox("anna+nieuws+2@example.nl"), "anna@example.nl");
        assert_eq!(mailbox("ANNA@example.nl"), "anna@example.nl");
    }

    #[test]
    fn dots_are_folded_only_where_gmail_documents_it() {
        assert_eq!(mailbox("A.n.N.a+x@gmail.com"), "anna@gmail.com");
        assert_eq!(
            mailbox("anna.jansen@GoogleMail.com"),
            "annajansen@gmail.com"
        );
        assert_eq!(mailbox("anna.jansen@example.nl"), "anna.jansen@example.nl");
        assert_ne!(mailbox("a.b@outlook.com"), mailbox("ab@outlook.com"));
    }

    #[test]
    fn a_local_part_that_is_only_a_tag_is_kept_whole() {
        assert_eq!(mailbox("+x@example.nl"), "+x@example.nl");
        assert_eq!(mailbox("anna+@example.nl"), "anna@example.nl");
    }

    #[test]
    fn different_people_stay_apart() {
        assert_ne!(mailbox("anna@example.nl"), mailbox("anne@example.nl"));
        assert_ne!(mailbox("anna@gmail.com"), mailbox("anna@example.nl"));
    }
}
