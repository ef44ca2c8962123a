//! The one table of status changes: for each source, from which status to
//! which. Every change to a subscriber's status, on every path (commands,
//! imports, the public pages, the dispatcher), is judged here first, and
//! the store then applies it as one check-and-set statement
//! (`UPDATE ... WHERE id = $1 AND status = <the status judged>`), so no
//! change can land on a status it was not judged against.
//!
//! | source        | from                               | to           | only when |
//! |---------------|------------------------------------|--------------|-----------|
//! | `cli`         | pending                            | active       | |
//! | `cli`         | pending, active                    | unsubscribed | |
//! | `import`      | pending                            | active       | |
//! | `import`      | pending, active                    | unsubscribed | |
//! | `import`      | pending, active, unsubscribed      | bounced, complained | |
//! | `page`        | pending, active                    | unsubscribed | |
//! | `one-click`   | pending, active                    | unsubscribed | |
//! | `resubscribe` | unsubscribed                       | active, pending | the last change was this person's own link (`one-click` or `page`) unsubscribing them, at most 24 hours ago, from exactly that status |
//! | `confirm`     | pending, unsubscribed              | active       | the confirmation link was issued after the person's last status change |
//! | `bounce`      | pending, active                    | bounced      | |
//! | `complaint`   | pending, active, unsubscribed      | complained   | |
//! | `admin`       | bounced, complained                | active       | (`subscribers unsuppress`) |
//!
//! What follows from it:
//! - nothing a link does (one-click, the page, resubscribe, confirm) lifts
//!   `bounced` or `complained`; only an admin can;
//! - "I changed my mind" undoes only an unsubscribe made through that
//!   person's own link, within a day, back to the status before it: never
//!   an admin's or an import's unsubscribe, never a bounce;
//! - a confirmation link works once: after it made someone active, any
//!   later change (an unsubscribe by anyone) makes it stale, so replaying
//!   it changes nothing. Someone who left can come back only with a new
//!   link, asked for on the subscribe page (double opt-in);
//! - a change to the status someone already has changes and logs nothing.
//!
//! Who may create a person, with which status, is [`may_create`].

use super::{ChangeSource, SubscriberStatus, SuppressionReason};

use ChangeSource::{Admin, Bounce, Cli, Complaint, Confirm, Import, OneClick, Page, Resubscribe};
use SubscriberStatus::{Active, Bounced, Complained, Pending, Unsubscribed};

/// How long "I changed my mind" can undo an unsubscribe, in milliseconds.
pub const REVERT_WINDOW_MS: i64 = 24 * 3600 * 1000;

/// A condition a rule needs besides the two statuses; the store checks it
/// in the same statement that makes the change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Condition {
    /// No more than the statuses.
    Always,
    /// `resubscribe`: see [`revert_target`]; the store also checks that no
    /// other change came in between.
    RevertsOwnUnsubscribe,
    /// `confirm`: the link was issued after the last status change.
    LinkIssuedAfterLastChange,
}

/// One row of the table: `source` may move someone from any of `from` to
/// `to` when `condition` holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rule {
    pub source: ChangeSource,
    pub from: &'static [SubscriberStatus],
    pub to: SubscriberStatus,
    pub condition: Condition,
}

const fn rule(
    source: ChangeSource,
    from: &'static [SubscriberStatus],
    to: SubscriberStatus,
) -> Rule {
    Rule {
        source,
        from,
        to,
        condition: Condition::Always,
    }
}

/// The table (see the module docs).
pub const RULES: &[Rule] = &[
    rule(Cli, &[Pending], Active),
    rule(Cli, &[Pending, Active], Unsubscribed),
    rule(Import, &[Pending], Active),
    rule(Import, &[Pending, Active], Unsubscribed),
    rule(Import, &[Pending, Active, Unsubscribed], Bounced),
    rule(Import, &[Pending, Active, Unsubscribed], Complained),
    rule(Page, &[Pending, Active], Unsubscribed),
    rule(OneClick, &[Pending, Active], Unsubscribed),
    Rule {
        condition: Condition::RevertsOwnUnsubscribe,
        ..rule(Resubscribe, &[Unsubscribed], Active)
    },
    Rule {
        condition: Condition::RevertsOwnUnsubscribe,
        ..rule(Resubscribe, &[Unsubscribed], Pending)
    },
    Rule {
        condition: Condition::LinkIssuedAfterLastChange,
        ..rule(Confirm, &[Pending, Unsubscribed], Active)
    },
    rule(Bounce, &[Pending, Active], Bounced),
    rule(Complaint, &[Pending, Active, Unsubscribed], Complained),
    rule(Admin, &[Bounced, Complained], Active),
];

/// Who may add a new person, and with which first status.
pub const CREATES: &[(ChangeSource, &[SubscriberStatus])] = &[
    // `subscribers add [--active]`.
    (Cli, &[Pending, Active]),
    // A CSV file may record any status, as another system had it.
    (
        Import,
        &[Pending, Active, Unsubscribed, Bounced, Complained],
    ),
    // The subscribe form: pending until the link in the mail is followed.
    (Page, &[Pending]),
];

/// What the table says about one requested change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Allowed, under this rule (whose condition the store still checks).
    Apply(&'static Rule),
    /// They have that status already: nothing to change or log.
    Unchanged,
    /// The table has no such change.
    Refused,
}

/// Judges `source` moving someone from `from` to `to`.
pub fn judge(source: ChangeSource, from: SubscriberStatus, to: SubscriberStatus) -> Verdict {
    if from == to {
        return Verdict::Unchanged;
    }
    RULES
        .iter()
        .find(|r| r.source == source && r.to == to && r.from.contains(&from))
        .map_or(Verdict::Refused, Verdict::Apply)
}

/// True when `source` may add a new person with the status `status`.
pub fn may_create(source: ChangeSource, status: SubscriberStatus) -> bool {
    CREATES
        .iter()
        .any(|(s, statuses)| *s == source && statuses.contains(&status))
}

/// What a change does to the suppression list (see
/// [`super::SuppressionReason`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressionEffect {
    /// Keep the address, for this reason (a stronger reason already kept,
    /// bounced or complained, stays).
    Add(SuppressionReason),
    /// The person came back themselves: lift an unsubscribe or erasure.
    LiftByPerson,
    /// An admin lifted it, whatever the reason.
    LiftByAdmin,
    None,
}

/// What moving someone to `to` through `source` does to the suppression
/// list: leaving (unsubscribed, bounced, complained) adds them; confirming
/// or undoing one's own unsubscribe lifts what only the person may lift;
/// `admin` lifts anything.
pub fn suppression_effect(source: ChangeSource, to: SubscriberStatus) -> SuppressionEffect {
    if let Some(reason) = SuppressionReason::for_status(to) {
        return SuppressionEffect::Add(reason);
    }
    match source {
        Confirm | Resubscribe => SuppressionEffect::LiftByPerson,
        Admin => SuppressionEffect::LiftByAdmin,
        _ => SuppressionEffect::None,
    }
}

/// True when an address kept for `reason` may not be added by `source`:
/// commands and imports skip every suppressed address; the subscribe form
/// still takes one that only the person may lift (their confirmation
/// lifts it), never a bounced or complained one.
pub fn suppression_blocks(reason: SuppressionReason, source: ChangeSource) -> bool {
    match source {
        Page => !reason.lifted_by_person(),
        _ => true,
    }
}

/// The last entry of someone's status log, as "I changed my mind" reads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LastChange {
    pub from: Option<SubscriberStatus>,
    pub to: SubscriberStatus,
    pub source: ChangeSource,
    /// Unix milliseconds.
    pub at: i64,
}

/// Where "I changed my mind" takes someone whose status is `current` and
/// whose last logged change is `last`, at `now_ms`: back to the status
/// before their unsubscribe, when that unsubscribe was their own link's
/// (one-click or the page), at most [`REVERT_WINDOW_MS`] ago, from pending
/// or active. `None`: nothing to undo.
pub fn revert_target(
    current: SubscriberStatus,
    last: Option<&LastChange>,
    now_ms: i64,
) -> Option<SubscriberStatus> {
    let last = last?;
    let own_link = matches!(last.source, OneClick | Page);
    let recent = now_ms.saturating_sub(last.at) <= REVERT_WINDOW_MS;
    let back = last.from.filter(|f| matches!(f, Pending | Active))?;
    (current == Unsubscribed && last.to == Unsubscribed && own_link && recent).then_some(back)
}

/// What happened to a requested status change, so a caller (a page, a
/// command) can say exactly that and no more.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatusOutcome {
    /// The status changed, and the change was logged.
    Changed {
        from: SubscriberStatus,
        to: SubscriberStatus,
    },
    /// They already had the status asked for (or, for "I changed my mind",
    /// are subscribed or pending already): nothing changed.
    Unchanged(SubscriberStatus),
    /// The table does not allow it (or its condition did not hold: a stale
    /// confirmation link, an unsubscribe too old or not their own to
    /// undo): nothing changed, `current` stays.
    Refused { current: SubscriberStatus },
    /// No such subscriber (never was, or erased).
    Unknown,
}

impl StatusOutcome {
    /// True when the status changed.
    pub fn changed(self) -> bool {
        matches!(self, StatusOutcome::Changed { .. })
    }

    /// The status after the request, when the subscriber exists.
    pub fn status(self) -> Option<SubscriberStatus> {
        match self {
            StatusOutcome::Changed { to, .. } => Some(to),
            StatusOutcome::Unchanged(s) | StatusOutcome::Refused { current: s } => Some(s),
            StatusOutcome::Unknown => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table written out the other way round, one line per
    /// source and from-status: what each may become. Every source ×
    /// from × to is checked against it.
    fn expected(source: ChangeSource, from: SubscriberStatus) -> &'static [SubscriberStatus] {
        match (source, from) {
            (Cli, Pending) => &[Active, Unsubscribed],
            (Cli, Active) => &[Unsubscribed],
            (Cli, Unsubscribed | Bounced | Complained) => &[],
            (Import, Pending) => &[Active, Unsubscribed, Bounced, Complained],
            (Import, Active) => &[Unsubscribed, Bounced, Complained],
            (Import, Unsubscribed) => &[Bounced, Complained],
            (Import, Bounced | Complained) => &[],
            (Page | OneClick, Pending | Active) => &[Unsubscribed],
            (Page | OneClick, Unsubscribed | Bounced | Complained) => &[],
            (Resubscribe, Unsubscribed) => &[Pending, Active],
            (Resubscribe, _) => &[],
            (Confirm, Pending | Unsubscribed) => &[Active],
            (Confirm, Active | Bounced | Complained) => &[],
            (Bounce, Pending | Active) => &[Bounced],
            (Bounce, Unsubscribed | Bounced | Complained) => &[],
            (Complaint, Pending | Active | Unsubscribed) => &[Complained],
            (Complaint, Bounced | Complained) => &[],
            (Admin, Bounced | Complained) => &[Active],
            (Admin, Pending | Active | Unsubscribed) => &[],
        }
    }

    #[test]
    fn every_source_from_every_status_to_every_status_is_as_the_table_says() {
        for source in ChangeSource::ALL {
            for from in SubscriberStatus::ALL {
                for to in SubscriberStatus::ALL {
                    let verdict = judge(source, from, to);
                    let want_allowed = expected(source, from).contains(&to);
                    match verdict {
                        Verdict::Unchanged => assert_eq!(from, to, "{source} {from}->{to}"),
                        Verdict::Apply(rule) => {
                            assert!(want_allowed, "{source} {from}->{to} should be refused");
                            assert_eq!((rule.source, rule.to), (source, to));
                            assert!(rule.from.contains(&from));
                        }
                        Verdict::Refused => {
                            assert!(!want_allowed, "{source} {from}->{to} should be allowed");
                            assert_ne!(from, to);
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn nothing_a_link_does_lifts_a_bounce_or_a_complaint() {
        for source in [Page, OneClick, Resubscribe, Confirm] {
            for from in [Bounced, Complained] {
                for to in SubscriberStatus::ALL {
                    assert!(
                        !matches!(judge(source, from, to), Verdict::Apply(_)),
                        "{source} lifts {from} to {to}"
                    );
                }
            }
        }
    }

    #[test]
    fn only_resubscribe_and_confirm_carry_conditions() {
        for rule in RULES {
            let want = match rule.source {
                Resubscribe => Condition::RevertsOwnUnsubscribe,
                Confirm => Condition::LinkIssuedAfterLastChange,
                _ => Condition::Always,
            };
            assert_eq!(rule.condition, want, "{rule:?}");
        }
    }

    #[test]
    fn new_people_come_only_with_the_statuses_their_source_may_give() {
        for source in ChangeSource::ALL {
            for status in SubscriberStatus::ALL {
                let want = match source {
                    Cli => matches!(status, Pending | Active),
                    Import => true,
                    Page => status == Pending,
                    _ => false,
                };
                assert_eq!(
                    may_create(source, status),
                    want,
                    "{source} creates {status}"
                );
            }
        }
    }

    const NOW: i64 = 1_800_000_000_000;

    fn last(from: SubscriberStatus, source: ChangeSource, ago_ms: i64) -> LastChange {
        LastChange {
            from: Some(from),
            to: Unsubscribed,
            source,
            at: NOW - ago_ms,
        }
    }

    #[test]
    fn i_changed_my_mind_undoes_only_ones_own_recent_unsubscribe_back_to_where_one_was() {
        let hour = 3_600_000;
        for source in [OneClick, Page] {
            let own = last(Active, source, hour);
            assert_eq!(revert_target(Unsubscribed, Some(&own), NOW), Some(Active));
            let pending = last(Pending, source, hour);
            assert_eq!(
                revert_target(Unsubscribed, Some(&pending), NOW),
                Some(Pending)
            );
            let edge = last(Active, source, REVERT_WINDOW_MS);
            assert_eq!(revert_target(Unsubscribed, Some(&edge), NOW), Some(Active));
            let late = last(Active, source, REVERT_WINDOW_MS + 1);
            assert_eq!(
                revert_target(Unsubscribed, Some(&late), NOW),
                None,
                "after 24 h"
            );
        }
        for source in [Cli, Import, Bounce, Complaint, Admin, Confirm, Resubscribe] {
            let other = last(Active, source, hour);
            assert_eq!(
                revert_target(Unsubscribed, Some(&other), NOW),
                None,
                "{source}"
            );
        }
        // Not unsubscribed now, or the last change was not the unsubscribe.
        let own = last(Active, OneClick, hour);
        for current in [Pending, Active, Bounced, Complained] {
            assert_eq!(revert_target(current, Some(&own), NOW), None, "{current}");
        }
        let bounced_after = LastChange { to: Bounced, ..own };
        assert_eq!(revert_target(Unsubscribed, Some(&bounced_after), NOW), None);
        // An unsubscribe from a status a revert may not restore.
        for from in [Bounced, Complained, Unsubscribed] {
            let odd = last(from, OneClick, hour);
            assert_eq!(revert_target(Unsubscribed, Some(&odd), NOW), None, "{from}");
        }
        let created_unsubscribed = LastChange { from: None, ..own };
        assert_eq!(
            revert_target(Unsubscribed, Some(&created_unsubscribed), NOW),
            None
        );
        assert_eq!(revert_target(Unsubscribed, None, NOW), None);
    }

    #[test]
    fn leaving_adds_to_the_suppression_list_and_only_the_right_hands_lift_it() {
        use SuppressionEffect::{Add, LiftByAdmin, LiftByPerson};
        for source in ChangeSource::ALL {
            assert_eq!(
                suppression_effect(source, Unsubscribed),
                Add(SuppressionReason::Unsubscribed)
            );
            assert_eq!(
                suppression_effect(source, Bounced),
                Add(SuppressionReason::Bounced)
            );
            assert_eq!(
                suppression_effect(source, Complained),
                Add(SuppressionReason::Complained)
            );
        }
        assert_eq!(suppression_effect(Confirm, Active), LiftByPerson);
        assert_eq!(suppression_effect(Resubscribe, Active), LiftByPerson);
        assert_eq!(suppression_effect(Resubscribe, Pending), LiftByPerson);
        assert_eq!(suppression_effect(Admin, Active), LiftByAdmin);
        for source in [Cli, Import, Page, OneClick, Bounce, Complaint] {
            assert_eq!(
                suppression_effect(source, Active),
                SuppressionEffect::None,
                "{source}"
            );
        }
        for reason in SuppressionReason::ALL {
            assert!(suppression_blocks(reason, Cli));
            assert!(suppression_blocks(reason, Import));
            assert_eq!(suppression_blocks(reason, Page), !reason.lifted_by_person());
        }
    }

    #[test]
    fn an_outcome_tells_the_status_after_it() {
        let changed = StatusOutcome::Changed {
            from: Active,
            to: Unsubscribed,
        };
        assert!(changed.changed());
        assert_eq!(changed.status(), Some(Unsubscribed));
        assert_eq!(StatusOutcome::Unchanged(Active).status(), Some(Active));
        let refused = StatusOutcome::Refused { current: Bounced };
        assert!(!refused.changed());
        assert_eq!(refused.status(), Some(Bounced));
        assert_eq!(StatusOutcome::Unknown.status(), None);
    }
}
