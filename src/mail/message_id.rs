//! The Message-ID of an issue's mail to one subscriber.
//!
//! It is derived, not random: the same issue and subscriber always give the
//! same id. When a crash makes the dispatcher send a message a second time,
//! both copies carry one Message-ID and mail clients show them as one
//! (DESIGN.md, "Guarantees").

/// `<pb.{issue_slug}.{subscriber_id}@{domain}>`, for example
/// `<pb.2026-10-voorbij-de-pilot.42@example.org>`.
///
/// `domain` is the From address's domain, so the id points at the sender.
/// Both inputs are already clean when they come from `domain::Slug` and
/// `domain::EmailAddress::domain`; any other character is replaced by `-`
/// anyway, so the result is always a valid `msg-id` and can never break the
/// header it goes into.
pub fn message_id(issue_slug: &str, subscriber_id: i64, domain: &str) -> String {
    let slug = clean(issue_slug, |c| {
        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
    });
    let domain = clean(domain, |c| {
        c.is_ascii_alphanumeric() || c == '-' || c == '.'
    });
    let domain = domain.trim_matches('.');
    let domain = if domain.is_empty() { "invalid" } else { domain };
    format!("<pb.{slug}.{subscriber_id}@{domain}>")
}

fn clean(s: &str, keep: impl Fn(char) -> bool) -> String {
    s.chars().map(|c| if keep(c) { c } else { '-' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_id_names_issue_subscriber_and_domain() {
        assert_eq!(
            message_id("2026-10-voorbij-de-pilot", 42, "example.org"),
            "<pb.2026-10-voorbij-de-pilot.42@example.org>"
        );
    }

    #[test]
    fn the_same_inputs_give_the_same_id() {
        assert_eq!(
            message_id("nov", 7, "example.org"),
            message_id("nov", 7, "example.org")
        );
        assert_ne!(
            message_id("nov", 7, "example.org"),
            message_id("nov", 8, "example.org")
        );
    }

    #[test]
    fn unexpected_characters_cannot_break_the_header() {
        let id = message_id("a>b\r\nBcc: x", -3, "ex ample.org>\n");
        assert_eq!(id, "<pb.a-b---cc--x.-3@ex-ample.org-->");
        assert!(
            id[1..id.len() - 1]
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '<' && c != '>')
        );
        assert_eq!(message_id("x", 1, ""), "<pb.x.1@invalid>");
    }
}
