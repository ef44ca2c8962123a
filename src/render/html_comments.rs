//! Comments taken out of HTML before html5ever reads it for the text
//! part, which ignores them anyway: mjml's Outlook-only conditional
//! comments are a fifth of the HTML, and html5ever's tokenizer reads a
//! comment one character at a time.
//!
//! Only what leaves html5ever's tree the same, comments aside, is taken:
//!
//! - a comment html5ever would see as one: found by following its
//!   tokenizer's states (tags with their quoted values, raw text of
//!   `<style>`, `<title>`, `<textarea>`, … up to their end tag);
//! - followed directly by a tag or another comment, so no two runs of text
//!   join into one (text joined across a comment can be placed differently
//!   inside a table);
//! - nothing at all where the states depend on more than this follows:
//!   `<script>` (its escapes), `<svg>`/`<math>` (foreign content),
//!   `<select>`, `<frameset>`, `<plaintext>`.

/// Elements whose content html5ever reads as text up to their end tag.
const RAW: [&str; 8] = [
    "style", "title", "textarea", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// Elements after which the scan below would not follow html5ever.
const BAIL: [&str; 6] = ["script", "svg", "math", "select", "frameset", "plaintext"];

/// `html` without the comments described above; unchanged when it has
/// none or holds an element of [`BAIL`].
pub(super) fn without_comments(html: &str) -> std::borrow::Cow<'_, str> {
    let b = html.as_bytes();
    if !html.contains("<!--") || has_tag(html, &BAIL) {
        return html.into();
    }
    let mut out = String::with_capacity(html.len());
    let (mut i, mut kept) = (0, 0);
    while let Some(lt) = next_lt(html, i) {
        let rest = &b[lt..];
        i = if rest.starts_with(b"<!--") {
            let end = lt + comment_len(rest);
            if followed_by_markup(&b[end..]) {
                out.push_str(&html[kept..lt]);
                kept = end;
            }
            end
        } else if rest.get(1).is_some_and(u8::is_ascii_alphabetic) {
            let end = lt + tag_len(rest);
            match RAW.iter().find(|n| name_is(&rest[1..], n)) {
                Some(name) => raw_end(html, end, name),
                None => end,
            }
        } else if rest.starts_with(b"</") || rest.starts_with(b"<!") || rest.starts_with(b"<?") {
            // End tags and bogus comments: up to the first `>`.
            let after = if rest.get(2).is_some_and(u8::is_ascii_alphabetic) {
                tag_len(rest)
            } else {
                rest.iter()
                    .position(|&c| c == b'>')
                    .map_or(rest.len(), |p| p + 1)
            };
            lt + after
        } else {
            lt + 1
        };
    }
    out.push_str(&html[kept..]);
    out.into()
}

/// The next `<` from `from` (a fast byte search; every `from` here
/// follows an ASCII byte, so it is a character boundary).
fn next_lt(html: &str, from: usize) -> Option<usize> {
    html.get(from..)?.find('<').map(|p| from + p)
}

/// Whether `html` has a start tag `<name` (any case) of one of `names`,
/// ended by a blank, `/` or `>`.
fn has_tag(html: &str, names: &[&str]) -> bool {
    let b = html.as_bytes();
    let mut i = 0;
    while let Some(lt) = next_lt(html, i) {
        if names.iter().any(|name| name_is(&b[lt + 1..], name)) {
            return true;
        }
        i = lt + 1;
    }
    false
}

/// `b` starts with the tag name `name` (any case), then a blank, `/`, `>`.
fn name_is(b: &[u8], name: &str) -> bool {
    b.len() > name.len()
        && b[..name.len()].eq_ignore_ascii_case(name.as_bytes())
        && matches!(
            b[name.len()],
            b' ' | b'\t' | b'\n' | b'\r' | 0x0c | b'/' | b'>'
        )
}

/// Length of the comment at the start of `b` (`<!--` …), as html5ever
/// ends it: `<!-->` and `<!--->` at once, else at `-->` or `--!>`.
fn comment_len(b: &[u8]) -> usize {
    let body = &b[4..];
    if body.starts_with(b">") {
        return 5;
    }
    if body.starts_with(b"->") {
        return 6;
    }
    // Only a `-` can start the end: jump from one to the next.
    let mut j = 0;
    while let Some(dash) = body[j..].iter().position(|&c| c == b'-') {
        j += dash;
        if body[j..].starts_with(b"-->") {
            return 4 + j + 3;
        }
        if body[j..].starts_with(b"--!>") {
            return 4 + j + 4;
        }
        j += 1;
    }
    b.len()
}

/// Length of the tag at the start of `b` (`<name …>` or `</name …>`),
/// following the tokenizer's tag and attribute states: a quote opens a
/// value only after `=`.
fn tag_len(b: &[u8]) -> usize {
    #[derive(Clone, Copy)]
    enum S {
        TagName,
        Before,
        Name,
        AfterName,
        Value,
        Quoted(u8),
        Unquoted,
    }
    let blank = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0c);
    let mut s = S::TagName;
    let from = if b.get(1) == Some(&b'/') { 2 } else { 1 };
    for (j, &c) in b.iter().enumerate().skip(from) {
        s = match (s, c) {
            (S::Quoted(q), c) if c == q => S::Before,
            (S::Quoted(q), _) => S::Quoted(q),
            (_, b'>') => return j + 1,
            (S::TagName, c) if blank(c) || c == b'/' => S::Before,
            (S::TagName, _) => S::TagName,
            (S::Before, c) if blank(c) || c == b'/' => S::Before,
            (S::Name | S::AfterName, b'/') => S::Before,
            (S::Name | S::AfterName, b'=') => S::Value,
            (S::Name | S::AfterName, c) if blank(c) => S::AfterName,
            (S::Before | S::Name | S::AfterName, _) => S::Name,
            (S::Value, c) if blank(c) => S::Value,
            (S::Value, b'"' | b'\'') => S::Quoted(c),
            (S::Value | S::Unquoted, c) if blank(c) => S::Before,
            (S::Value | S::Unquoted, _) => S::Unquoted,
        };
    }
    b.len()
}

/// Where raw text opened before `from` ends: after its end tag
/// `</name` (any case, then a blank, `/` or `>`) and that tag's `>`.
fn raw_end(html: &str, from: usize, name: &str) -> usize {
    let b = html.as_bytes();
    let mut i = from;
    while let Some(lt) = next_lt(html, i) {
        if b.get(lt + 1) == Some(&b'/') && name_is(&b[lt + 2..], name) {
            return lt + tag_len(&b[lt..]);
        }
        i = lt + 1;
    }
    b.len()
}

/// Whether `b` starts with a start or end tag or a comment.
fn followed_by_markup(b: &[u8]) -> bool {
    let alpha = |k: usize| b.get(k).is_some_and(u8::is_ascii_alphabetic);
    b.starts_with(b"<!--")
        || (b.first() == Some(&b'<') && (alpha(1) || (b.get(1) == Some(&b'/') && alpha(2))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditional_comments_between_tags_go_and_their_content_stays() {
        let html = "<div><!--[if mso | IE]><table><tr><td><![endif]--><p>a</p><!--[if !mso]><!--><b>b</b><!--<![endif]--></div>";
        assert_eq!(without_comments(html), "<div><p>a</p><b>b</b></div>");
    }

    #[test]
    fn a_comment_before_text_stays_so_no_two_texts_join() {
        let html = "<td>a<!--x-->b<!--y--><br></td>";
        assert_eq!(without_comments(html), "<td>a<!--x-->b<br></td>");
    }

    #[test]
    fn comment_lookalikes_in_values_and_raw_text_are_not_comments() {
        let html =
            "<img alt=\"<!-- a -->\"><style>p{}<!-- b --></style><title><!--c--></title ><i></i>";
        assert_eq!(without_comments(html), html);
    }

    #[test]
    fn documents_with_script_or_foreign_content_are_left_alone() {
        let html = "<div><!--x--><svg></svg></div>";
        assert_eq!(without_comments(html), html);
    }

    #[test]
    fn a_quote_opens_a_value_only_after_an_equals_sign() {
        let html = "<p a\"b=\"c\"><!--x--><i></i><p =\"><!--y--><i></i>";
        assert_eq!(
            without_comments(html),
            "<p a\"b=\"c\"><i></i><p =\"><i></i>"
        );
    }

    #[test]
    fn every_corpus_template_has_the_same_text_with_and_without_its_comments() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/mjml");
        let mut checked = 0;
        for source in std::fs::read_dir(root).expect("corpus").flatten() {
            for file in std::fs::read_dir(source.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                let path = file.path();
                if path.extension().is_none_or(|e| e != "mjml") {
                    continue;
                }
                let html = crate::render::render_file(&path).expect("renders").html;
                assert!(without_comments(&html).len() < html.len(), "{path:?}");
                // With template marks on, html5ever reads every comment
                // (the corpus has no marks, so nothing else differs).
                let all = super::super::html_text(&html, &mut Vec::new(), true);
                let fewer = super::super::html_text(&html, &mut Vec::new(), false);
                assert_eq!(fewer, all, "{path:?}");
                checked += 1;
            }
        }
        assert!(checked >= 20, "{checked} templates");
    }

    #[test]
    fn short_comments_end_where_html5ever_ends_them() {
        assert_eq!(
            without_comments("<p><!--><i></i><!---><b></b><!-- a --!><u></u>"),
            "<p><i></i><b></b><u></u>"
        );
    }
}
