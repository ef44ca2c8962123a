//! The two languages the pages speak, and choosing one from an
//! `Accept-Language` header or a tag (`?lang=`, a setting).

/// A language the pages are written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    Nl,
    En,
}

impl Lang {
    /// `nl` or `en` by primary subtag (`nl-BE` is Dutch); `None` otherwise.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        let primary = tag.trim().split('-').next().unwrap_or_default();
        if primary.eq_ignore_ascii_case("nl") {
            Some(Lang::Nl)
        } else if primary.eq_ignore_ascii_case("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The first of `nl` and `en` the `Accept-Language` header asks for
    /// (highest quality first; `q=0` means "not this one").
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        let mut wanted: Vec<(u16, Lang)> = Vec::new();
        for item in header.split(',').take(32) {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default();
            let mut q = 1000u16;
            for param in parts {
                if let Some(value) = param.trim().strip_prefix("q=") {
                    q = parse_quality(value);
                }
            }
            if q == 0 {
                continue;
            }
            if let Some(lang) = Lang::from_tag(tag) {
                wanted.push((q, lang));
            }
        }
        // Stable: equal qualities keep the header's order.
        wanted.sort_by_key(|w| std::cmp::Reverse(w.0));
        wanted.first().map(|w| w.1)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Nl => "nl",
            Lang::En => "en",
        }
    }

    /// Both, in the order the catalogue lists them.
    pub const ALL: [Lang; 2] = [Lang::Nl, Lang::En];
}

/// An HTTP quality value (`0`, `0.5`, `1.000`) in thousandths; malformed
/// values count as 1.
fn parse_quality(value: &str) -> u16 {
    let value = value.trim();
    let (int, frac) = value.split_once('.').unwrap_or((value, ""));
    if int == "0" {
        let digits: String = frac.chars().take(3).collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return 0;
        }
        let padded = format!("{digits:0<3}");
        padded.parse().unwrap_or(1000)
    } else {
        1000
    }
}

impl Lang {
    /// `YYYY-MM-DD` written out: "3 november 2026" / "3 November 2026",
    /// with the month names of [`crate::render::long_date`] (the mails'
    /// dates); anything else as given.
    pub fn long_date(self, iso: &str) -> String {
        match (
            iso.parse::<jiff::civil::Date>(),
            crate::domain::Language::parse(self.code()),
        ) {
            (Ok(date), Ok(language)) => crate::render::long_date(date, &language),
            _ => iso.to_owned(),
        }
    }
}

/// The languages a newsletter's pages are offered in
/// (`newsletter.languages`), and the one for a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Languages {
    offered: Vec<Lang>,
    default: Lang,
}

impl Languages {
    /// `offered` in order; `default` (`newsletter.language`) when the
    /// reader's wishes say nothing, or the first offered if it is not one.
    pub fn new(offered: Vec<Lang>, default: Lang) -> Languages {
        let offered = if offered.is_empty() {
            vec![default]
        } else {
            offered
        };
        let default = if offered.contains(&default) {
            default
        } else {
            offered[0]
        };
        Languages { offered, default }
    }

    /// A newsletter in one language speaks it whatever the reader asks;
    /// else the reader's choice (`chosen`: a link's `?lang=`, written from
    /// their stored language), then the browser's `Accept-Language`, then
    /// the newsletter's language, each only when offered.
    pub fn choose(&self, chosen: Option<&str>, accept_language: Option<&str>) -> Lang {
        if let [only] = self.offered[..] {
            return only;
        }
        let offered = |lang: &Lang| self.offered.contains(lang);
        chosen
            .and_then(Lang::from_tag)
            .filter(offered)
            .or_else(|| {
                accept_language
                    .and_then(Lang::from_accept_language)
                    .filter(offered)
            })
            .unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_newsletter_in_one_language_speaks_it_whatever_is_asked() {
        let dutch = Languages::new(vec![Lang::Nl], Lang::Nl);
        assert_eq!(dutch.choose(Some("en"), Some("en")), Lang::Nl);
        let english = Languages::new(vec![Lang::En], Lang::Nl);
        assert_eq!(english.choose(None, Some("nl")), Lang::En);
    }

    #[test]
    fn with_both_the_link_wins_then_the_browser_then_the_default() {
        let both = Languages::new(vec![Lang::Nl, Lang::En], Lang::Nl);
        assert_eq!(both.choose(Some("en"), Some("nl")), Lang::En);
        assert_eq!(both.choose(Some("de"), Some("en-GB")), Lang::En);
        assert_eq!(both.choose(None, Some("fr")), Lang::Nl);
        assert_eq!(both.choose(None, None), Lang::Nl);
    }

    #[test]
    fn dates_are_written_out_in_the_page_language() {
        assert_eq!(Lang::Nl.long_date("2026-11-03"), "3 november 2026");
        assert_eq!(Lang::En.long_date("2026-11-03"), "3 November 2026");
        assert_eq!(Lang::En.long_date("soon"), "soon");
    }
}
