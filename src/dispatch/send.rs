//! The send loop: start due issues, claim batches of deliveries, send each
//! (personalise, build, then the [`Courier`]: sign, wait for the rate
//! limiter, hand to the transport) with `sending.concurrency` in flight,
//! and record outcomes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::{self, StreamExt};
use indicatif::ProgressBar;
use rand::Rng;
use tokio::sync::watch;

use super::faults::{Faults, Verdict, classify};
use super::recorder::Recorder;
use crate::config::Settings;
use crate::domain::{EmailAddress, Mailbox, SubscriberName};
use crate::error::{Error, Result};
use crate::mail::{self, CompiledMessage, IssueHeaders, Outgoing, Personal, TokenKey};
use crate::render::{CompiledIssue, Recipient};
use crate::store::{Claimed, Issue, IssueStatus, Outcome, PausedBy, Store, now_ms};
use crate::transport::rate::RateLimiter;
use crate::transport::{Courier, SendError, Undelivered, at_once};

/// What a run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SendReport {
    pub sent: u64,
    pub failed: u64,
    pub skipped: u64,
    /// Attempts that will be tried again later.
    pub retried: u64,
    /// Issues whose last delivery finished in this run.
    pub finished: Vec<String>,
    /// Issues left paused by the circuit breaker: the mail server stayed
    /// unreachable. The next run resumes them.
    pub waiting_for_server: Vec<String>,
}

/// Everything a send needs, built once.
pub struct Dispatcher {
    store: Store,
    /// Signs, paces and sends; with `[bounces] address` each message's
    /// envelope sender names its delivery (VERP).
    courier: Arc<Courier>,
    limiter: Arc<RateLimiter>,
    tokens: Arc<TokenKey>,
    from: Mailbox,
    reply_to: Mailbox,
    list_id: String,
    list_name: String,
    base_url: String,
    concurrency: usize,
    batch_size: i64,
    max_attempts: i64,
    lease_ms: i64,
    /// Names this process in leases, so a claim can be traced.
    owner: String,
    /// Throttling, a server that is down, problems that need a person.
    faults: Faults,
    retry_base_ms: i64,
    breaker_max_wait: std::time::Duration,
}

/// Counters the progress bar shows.
#[derive(Default)]
struct Tally {
    sent: AtomicU64,
    failed: AtomicU64,
    skipped: AtomicU64,
    retried: AtomicU64,
}

impl Tally {
    /// Counts one outcome; a finished one moves the bar.
    fn count(&self, outcome: &Outcome, progress: &ProgressBar) {
        let counter = match outcome {
            Outcome::Sent { .. } => &self.sent,
            Outcome::Failed { .. } => &self.failed,
            Outcome::Skipped { .. } => &self.skipped,
            Outcome::Retry { .. } | Outcome::Released { .. } => &self.retried,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        if !matches!(outcome, Outcome::Retry { .. } | Outcome::Released { .. }) {
            progress.inc(1);
        }
    }
}

impl Dispatcher {
    pub fn new(settings: &Settings, store: Store) -> Result<Dispatcher> {
        // A hard bounce goes on the suppression list: without its key the
        // send would bounce people in the log only.
        store.suppression_key()?;
        let tokens = TokenKey::new(secrecy::ExposeSecret::expose_secret(
            &settings.secrets.token_key,
        ))
        .map_err(|e| Error::Config(format!("{e} (postbode init writes a random one)")))?;
        let s = &settings.sending;
        Ok(Dispatcher {
            limiter: Arc::new(RateLimiter::new(s, store.clone())),
            store,
            courier: Arc::new(Courier::from_settings(settings)?),
            tokens: Arc::new(tokens),
            from: settings.newsletter.from.clone(),
            reply_to: settings.reply_to(),
            list_id: settings.newsletter.list_id.clone(),
            list_name: settings.newsletter.name.clone(),
            base_url: settings.newsletter.base_url.as_str().to_owned(),
            concurrency: usize::try_from(s.concurrency).unwrap_or(1).max(1),
            batch_size: i64::from(s.batch_size),
            max_attempts: i64::from(s.max_attempts),
            lease_ms: i64::try_from(s.lease_secs.saturating_mul(1000)).unwrap_or(i64::MAX),
            owner: worker_name(),
            faults: Faults::new(s.max_consecutive_failures),
            retry_base_ms: i64::try_from(s.retry_base_secs.saturating_mul(1000))
                .unwrap_or(i64::MAX),
            breaker_max_wait: std::time::Duration::from_secs(s.breaker_max_wait_secs),
        })
    }

    /// The sending kit, for saying where mail goes.
    pub fn courier(&self) -> &Courier {
        &self.courier
    }

    /// Starts due issues and sends everything that is due now, then
    /// returns; with `only`, that issue alone: no other is started,
    /// resumed or sent. Stops claiming when `shutdown` turns true, finishes
    /// what is in flight and records it.
    pub async fn run_until_idle(
        self: &Arc<Self>,
        only: Option<&str>,
        shutdown: &watch::Receiver<bool>,
        progress: &ProgressBar,
    ) -> Result<SendReport> {
        // Issues the circuit breaker paused get another try each run.
        self.store.resume_breaker_paused(only).await?;
        let started = self.store.start_due_issues(now_ms(), only).await?;
        for slug in &started {
            tracing::info!(issue = %slug, "sending started");
        }
        let tally = Tally::default();
        let mut report = SendReport::default();
        for issue in self.store.sending_issues(only).await? {
            if *shutdown.borrow() {
                break;
            }
            let counts = self.store.delivery_counts(issue.id).await?;
            progress.set_length(counts.total().try_into().unwrap_or(0));
            progress.set_position(
                (counts.total() - counts.remaining())
                    .try_into()
                    .unwrap_or(0),
            );
            progress.set_prefix(issue.slug.clone());
            if self.send_issue(&issue, shutdown, progress, &tally).await? {
                report.waiting_for_server.push(issue.slug.clone());
            }
            if self.store.finish_if_done(issue.id).await? {
                tracing::info!(issue = %issue.slug, "issue sent");
                report.finished.push(issue.slug.clone());
            }
        }
        report.sent = tally.sent.load(Ordering::Relaxed);
        report.failed = tally.failed.load(Ordering::Relaxed);
        report.skipped = tally.skipped.load(Ordering::Relaxed);
        report.retried = tally.retried.load(Ordering::Relaxed);
        Ok(report)
    }

    async fn send_issue(
        self: &Arc<Self>,
        issue: &Issue,
        shutdown: &watch::Receiver<bool>,
        progress: &ProgressBar,
        tally: &Tally,
    ) -> Result<bool> {
        let (html, text) = self.store.issue_templates(issue.id).await?;
        let compiled = Arc::new(self.compile_message(issue, &html, &text)?);
        let shared_issue = Arc::new(issue.clone());
        loop {
            // A stop, or a person paused or cancelled it meanwhile.
            if *shutdown.borrow()
                || self.store.issue_status(issue.id).await? != Some(IssueStatus::Sending)
            {
                return Ok(false);
            }
            let claimed = self.claim(issue.id).await?;
            if claimed.is_empty() {
                return Ok(false);
            }
            let (recorder, recording) = Recorder::start(self.store.clone());
            // This batch, then the next ones, as one stream: the next batch
            // is claimed while the last of this one are still in flight,
            // so the pipeline never drains between batches. It ends at an
            // empty claim, or when something calls for a stop between
            // batches (handled after the drain, below).
            let claim_error: Arc<std::sync::Mutex<Option<Error>>> = Arc::default();
            let batches = self.batches(issue.id, claimed, shutdown, &claim_error);
            let mut results = batches
                .boxed()
                .flat_map(stream::iter)
                .map(|c| {
                    // Evaluated as a slot frees up, so a shutdown or halt
                    // stops the rest of the batch from starting.
                    let stop = *shutdown.borrow() || self.faults.stopped();
                    let job = Job {
                        issue: Arc::clone(&shared_issue),
                        compiled: Arc::clone(&compiled),
                        recorder: recorder.clone(),
                        shutdown: shutdown.clone(),
                    };
                    Arc::clone(self).start(c, stop, job)
                })
                .buffer_unordered(self.concurrency);
            while let Some(outcome) = results.next().await {
                let Some(outcome) = outcome else { continue };
                tally.count(&outcome, progress);
            }
            drop(results);
            drop(recorder);
            // A database error while recording stops the send.
            recording
                .await
                .map_err(|e| Error::Failed(format!("the outcome writer stopped: {e}")))??;
            if let Some(e) = claim_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
                return Err(e);
            }
            if self.after_faults(issue, shutdown).await? {
                return Ok(true);
            }
        }
    }

    /// One claimed delivery in a task of its own, so building and signing
    /// (CPU work) spread over every core; the slot stays taken until the
    /// outcome is committed. With `stop` it goes back untried.
    async fn start(self: Arc<Self>, c: Claimed, stop: bool, job: Job) -> Option<Outcome> {
        let id = c.delivery_id;
        if stop {
            let reason = "released untried".to_owned();
            job.recorder
                .record(id, Outcome::Released { reason, at: 0 })
                .await;
            return None;
        }
        let task = tokio::spawn(async move {
            let outcome = self
                .deliver(&job.issue, &job.compiled, c, job.shutdown)
                .await;
            job.recorder.record(id, outcome.clone()).await;
            outcome
        });
        task.await.ok()
    }

    /// The claimed batch, then the next ones, as one stream: the next batch
    /// is claimed while the last of this one are still in flight, so the
    /// pipeline never drains between batches. It ends at an empty claim, or
    /// when something calls for a stop between batches (the caller handles
    /// it after the drain); a claim error is left in `claim_error`.
    fn batches(
        self: &Arc<Self>,
        issue_id: i64,
        claimed: Vec<Claimed>,
        shutdown: &watch::Receiver<bool>,
        claim_error: &Arc<std::sync::Mutex<Option<Error>>>,
    ) -> impl futures_util::Stream<Item = Vec<Claimed>> + use<> {
        stream::unfold(Some(claimed), {
            let (me, shutdown, claim_error) =
                (Arc::clone(self), shutdown.clone(), Arc::clone(claim_error));
            move |batch| {
                let (me, shutdown, claim_error) =
                    (Arc::clone(&me), shutdown.clone(), Arc::clone(&claim_error));
                async move {
                    if let Some(batch) = batch {
                        return Some((batch, None));
                    }
                    let stop = *shutdown.borrow()
                        || me.faults.stopped()
                        || me.faults.needs_person().is_some()
                        || me.faults.server_down_reason().is_some();
                    if stop {
                        return None;
                    }
                    let next = match me.store.issue_status(issue_id).await {
                        Ok(Some(IssueStatus::Sending)) => me.claim(issue_id).await,
                        Ok(_) => return None,
                        Err(e) => Err(e),
                    };
                    match next {
                        Ok(next) if next.is_empty() => None,
                        Ok(next) => Some((next, None)),
                        Err(e) => {
                            *claim_error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            None
                        }
                    }
                }
            }
        })
    }

    /// After a drain: pauses the issue for a person (an error), or, with
    /// the server down, pauses it and probes until the server is back
    /// (then resumes it; false) or the wait is over (true: it stays paused
    /// by the breaker and the next run resumes it).
    async fn after_faults(&self, issue: &Issue, shutdown: &watch::Receiver<bool>) -> Result<bool> {
        if let Some(reason) = self.faults.needs_person() {
            self.store
                .pause_issue(&issue.slug, PausedBy::Person, &reason)
                .await?;
            return Err(Error::Failed(format!(
                "paused {} for a person: {reason}. Nothing else was marked failed; fix it, \
                 then `postbode issue resume {}`.",
                issue.slug, issue.slug
            )));
        }
        if let Some(reason) = self.faults.server_down_reason() {
            let why = format!("circuit breaker: the mail server is unreachable ({reason})");
            self.store
                .pause_issue(&issue.slug, PausedBy::Breaker, &why)
                .await?;
            tracing::warn!(issue = %issue.slug, %reason, "mail server unreachable; paused, probing");
            if !self.wait_for_server(shutdown).await {
                // Stays paused by the breaker; the next run resumes it.
                return Ok(true);
            }
            tracing::info!(issue = %issue.slug, "mail server is back; resuming");
            self.faults.server_back();
            self.store.resume_issue(&issue.slug).await?;
        }
        Ok(false)
    }

    /// Claims the next batch of due deliveries of an issue.
    async fn claim(&self, issue_id: i64) -> Result<Vec<Claimed>> {
        let now = now_ms();
        self.store
            .claim_due_deliveries(
                issue_id,
                &self.owner,
                now,
                now.saturating_add(self.lease_ms),
                self.batch_size,
            )
            .await
    }

    /// Probes the mail server with backoff until it answers (true), or
    /// until `sending.breaker_max_wait_secs` passed or a shutdown (false).
    async fn wait_for_server(&self, shutdown: &watch::Receiver<bool>) -> bool {
        let started = std::time::Instant::now();
        let mut delay = std::time::Duration::from_millis(500);
        let mut shutdown = shutdown.clone();
        loop {
            if started.elapsed() >= self.breaker_max_wait || *shutdown.borrow() {
                return false;
            }
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shutdown.changed() => return false,
            }
            if self.courier.probe().await.is_ok() {
                return true;
            }
            delay = (delay * 2).min(std::time::Duration::from_secs(30));
        }
    }

    /// One delivery, start to finish. Never fails: every problem becomes
    /// an outcome. A shutdown while it waits for its start sends it back
    /// to the queue untried.
    async fn deliver(
        &self,
        issue: &Issue,
        compiled: &CompiledMessage,
        c: Claimed,
        shutdown: watch::Receiver<bool>,
    ) -> Outcome {
        let who = match self.addressee(&c) {
            Ok(who) => who,
            Err(outcome) => return outcome,
        };
        let (letter, message_id) = match self.letter_for(issue, compiled, &c, &who) {
            Ok(letter) => letter,
            Err(reply) => return Outcome::Failed { reply },
        };
        let envelope = self.courier.envelope(&who.to, Some(c.delivery_id));
        let stem = format!("{}-{}", issue.slug, who.id);
        let turn = self.turn(shutdown);
        match self.courier.send(&letter, &envelope, &stem, turn).await {
            Ok(accepted) => {
                self.faults.on_success();
                Outcome::Sent {
                    reply: accepted.reply,
                    message_id,
                    at: now_ms(),
                }
            }
            Err(Undelivered::Unsigned(e)) => Outcome::Failed {
                reply: e.to_string(),
            },
            Err(Undelivered::Held(outcome)) => outcome,
            Err(Undelivered::Refused(e)) => self.refused(&e, &c, who.id).await,
        }
    }

    /// Whom a claimed delivery goes to, or why it does not go at all.
    fn addressee(&self, c: &Claimed) -> Result<Addressee, Outcome> {
        let erased = || Outcome::Skipped {
            reason: "the subscriber was erased".into(),
        };
        let (Some(id), Some(email)) = (c.subscriber_id, c.email.as_deref()) else {
            return Err(erased());
        };
        match c.status.as_deref() {
            Some("active") => {}
            Some(other) => {
                return Err(Outcome::Skipped {
                    reason: format!("the subscriber is {other}"),
                });
            }
            None => return Err(erased()),
        }
        if c.attempts >= self.max_attempts {
            return Err(Outcome::Failed {
                reply: format!("gave up after {} attempts", self.max_attempts),
            });
        }
        let to = EmailAddress::parse(email).map_err(|e| Outcome::Failed {
            reply: format!("stored address is invalid: {e}"),
        })?;
        let name = c
            .name
            .as_deref()
            .and_then(|n| SubscriberName::parse(n).ok());
        Ok(Addressee { id, to, name })
    }

    /// The issue's message compiled once: the shared headers and both
    /// parts encoded and DKIM-canonicalised, finished per recipient by
    /// [`Self::letter_for`] (`mail::compiled`).
    fn compile_message(&self, issue: &Issue, html: &str, text: &str) -> Result<CompiledMessage> {
        let headers = IssueHeaders {
            from: self.from.clone(),
            reply_to: self.reply_to.clone(),
            subject: issue.subject.clone(),
            list_id: self.list_id.clone(),
            list_name: self.list_name.clone(),
            archive_url: format!("{}/archive", self.base_url),
            feedback_id: format!("{}:{}:postbode", issue.slug, issue.list),
        };
        CompiledMessage::compile(headers, CompiledIssue::compile(html, text)?, html, text)
            .map_err(|e| Error::Failed(format!("issue {}: {e}", issue.slug)))
    }

    /// The personalised, unsigned message and its Message-ID; the error
    /// is the reply to record.
    fn letter_for<'c>(
        &self,
        issue: &Issue,
        compiled: &'c CompiledMessage,
        c: &Claimed,
        who: &Addressee,
    ) -> Result<(mail::Letter<'c>, String), String> {
        let unsubscribe_url = format!(
            "{}/u/{}",
            self.base_url,
            self.tokens.unsubscribe_token(who.id, c.link_salt.as_ref())
        );
        let recipient = Recipient {
            email: who.to.as_str().to_owned(),
            name: who.name.as_ref().map(|n| n.as_str().to_owned()),
            attributes: c.attributes.clone(),
            unsubscribe_url: unsubscribe_url.clone(),
        };
        let message_id = mail::message_id(
            &self.tokens,
            &issue.slug,
            who.id,
            self.from.address.domain(),
        );
        let letter = compiled
            .letter(&Personal {
                recipient: &recipient,
                to: &who.to,
                to_name: who.name.as_ref(),
                message_id: &message_id,
                date: jiff::Timestamp::now(),
                unsubscribe_url: &unsubscribe_url,
            })
            .map_err(|e| e.to_string())?;
        Ok((letter, message_id))
    }

    /// This message's turn on the wire: after any throttling pause, and
    /// when the shared rate gives a slot. A stop seen first (or while a
    /// full hourly or daily cap makes it wait, which may be an hour: SIGTERM
    /// must not wait that long) sends it back untried.
    async fn turn(&self, mut shutdown: watch::Receiver<bool>) -> Result<(), Outcome> {
        let untried = || Outcome::Released {
            reason: "released untried".into(),
            at: 0,
        };
        self.faults.wait_if_throttled().await;
        if self.faults.stopped() {
            return Err(untried());
        }
        let stopping = async {
            if shutdown.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let ready = tokio::select! {
            // A stop seen first starts nothing more.
            biased;
            () = stopping => return Err(untried()),
            ready = self.limiter.until_ready() => ready,
        };
        // Not tried, so not counted: it goes back in the queue.
        ready.map_err(|e| Outcome::Released {
            reason: format!("no send slot: {e}"),
            at: now_ms().saturating_add(60_000),
        })
    }

    /// What a refusal means for this delivery (and for the send).
    async fn refused(&self, e: &SendError, c: &Claimed, subscriber_id: i64) -> Outcome {
        let reply = e.reply();
        match classify(e) {
            Verdict::Throttled => {
                let until = self.faults.throttled();
                let wait = i64::try_from(
                    until
                        .saturating_duration_since(std::time::Instant::now())
                        .as_millis(),
                )
                .unwrap_or(0);
                Outcome::Released {
                    reason: reply,
                    at: now_ms().saturating_add(wait),
                }
            }
            Verdict::ServerDown if !self.faults.breaker_exhausted() => {
                self.faults.server_down(reply.clone());
                Outcome::Released {
                    reason: reply,
                    at: 0,
                }
            }
            Verdict::NeedsPerson => {
                self.faults
                    .stop_for_person(format!("the mail server refused postbode itself: {reply}"));
                Outcome::Released {
                    reason: reply,
                    at: 0,
                }
            }
            // Another 4xx; or a server that answers probes but keeps
            // dropping messages (see Faults::breaker_exhausted): this
            // message's problem, so its attempts run out eventually.
            Verdict::RetryLater | Verdict::ServerDown if c.attempts + 1 < self.max_attempts => {
                Outcome::Retry {
                    at: now_ms().saturating_add(backoff_ms(self.retry_base_ms, c.attempts + 1)),
                    reply,
                }
            }
            Verdict::RetryLater | Verdict::ServerDown => Outcome::Failed { reply },
            Verdict::Bounce => {
                if let Err(err) = self.store.mark_bounced(subscriber_id, &reply).await {
                    tracing::warn!(error = %err, "could not mark a bounced subscriber");
                }
                self.faults.on_permanent_failure(&reply);
                Outcome::Failed { reply }
            }
            Verdict::Fail => {
                self.faults.on_permanent_failure(&reply);
                Outcome::Failed { reply }
            }
        }
    }

    /// The message for one recipient, not yet signed.
    fn build(&self, letter: &Letter<'_>) -> Result<Vec<u8>, mail::MailError> {
        let Letter {
            issue,
            subject,
            to,
            to_name,
            message_id,
            unsubscribe_url,
            html,
            text,
        } = *letter;
        let archive_url = format!("{}/archive", self.base_url);
        let feedback_id = format!("{}:{}:postbode", issue.slug, issue.list);
        mail::build(&Outgoing {
            from: &self.from,
            reply_to: &self.reply_to,
            to,
            to_name,
            subject,
            message_id,
            date: jiff::Timestamp::now(),
            list_id: &self.list_id,
            list_name: &self.list_name,
            unsubscribe_url,
            archive_url: &archive_url,
            feedback_id: &feedback_id,
            html,
            text,
        })
    }

    /// `issue test`: one message through the real transport, subject
    /// marked as a test, recorded nowhere. To a subscriber's address it is
    /// their own message (name, attributes, an unsubscribe link that
    /// works); to any other the example values. Returns the server's reply
    /// and the subscriber it was personalised for, if any.
    /// Its envelope sender is the From address even with `[bounces]
    /// address` set: there is no delivery for a VERP tag to name.
    pub async fn send_test(
        &self,
        slug: &str,
        subject: &str,
        compiled: &CompiledIssue,
        to: &EmailAddress,
    ) -> Result<(String, Option<crate::store::Subscriber>)> {
        let subscriber = self.store.find_subscriber(to).await?;
        let unsubscribe_url = match &subscriber {
            Some(s) => {
                let salt = self.store.link_salt(s.id).await?;
                let token = self.tokens.unsubscribe_token(s.id, salt.salt());
                format!("{}/u/{token}", self.base_url)
            }
            None => format!("{}/u/test", self.base_url),
        };
        let body = compiled.personalise(&Recipient {
            email: to.as_str().to_owned(),
            name: subscriber
                .as_ref()
                .and_then(|s| s.name.as_ref())
                .map(|n| n.as_str().to_owned()),
            attributes: subscriber
                .as_ref()
                .map(|s| s.attributes.clone())
                .unwrap_or_default(),
            unsubscribe_url: unsubscribe_url.clone(),
        })?;
        let issue = Issue {
            id: 0,
            slug: slug.to_owned(),
            subject: subject.to_owned(),
            preheader: String::new(),
            issue_date: String::new(),
            list: "test".into(),
            status: crate::store::IssueStatus::Scheduled,
            send_at: 0,
            started_at: None,
            finished_at: None,
            recipients: 0,
            paused_reason: None,
        };
        let stamp = now_ms();
        let message_id = format!("<pb.test.{slug}.{stamp}@{}>", self.from.address.domain());
        let subject = format!("[TEST] {subject}");
        let raw = self
            .build(&Letter {
                issue: &issue,
                subject: &subject,
                to,
                to_name: subscriber.as_ref().and_then(|s| s.name.as_ref()),
                message_id: &message_id,
                unsubscribe_url: &unsubscribe_url,
                html: &body.html,
                text: &body.text,
            })
            .map_err(|e| Error::Input(e.to_string()))?;
        let envelope = self.courier.envelope(to, None);
        let stem = format!("test-{slug}-{stamp}");
        let accepted = self
            .courier
            .send(&raw, &envelope, &stem, at_once())
            .await
            .map_err(|e| match e {
                Undelivered::Unsigned(e) => Error::Input(e.to_string()),
                Undelivered::Held(never) => match never {},
                Undelivered::Refused(e) => {
                    Error::Input(format!("the test message was not accepted: {}", e.reply()))
                }
            })?;
        Ok((accepted.reply, subscriber))
    }
}

/// What every delivery of a batch shares.
struct Job {
    issue: Arc<Issue>,
    compiled: Arc<CompiledMessage>,
    recorder: Recorder,
    shutdown: watch::Receiver<bool>,
}

/// Whom one delivery goes to.
struct Addressee {
    id: i64,
    to: EmailAddress,
    name: Option<SubscriberName>,
}

/// What differs per message.
#[derive(Clone, Copy)]
struct Letter<'a> {
    issue: &'a Issue,
    subject: &'a str,
    to: &'a EmailAddress,
    to_name: Option<&'a SubscriberName>,
    message_id: &'a str,
    unsubscribe_url: &'a str,
    html: &'a str,
    text: &'a str,
}

/// Exponential backoff with jitter: `base`, twice that, four times, ...,
/// at most an hour, ±20% so retries of many recipients spread out.
pub fn backoff_ms(base_ms: i64, attempts: i64) -> i64 {
    let exp = u32::try_from(attempts.clamp(1, 7) - 1).unwrap_or(0);
    let base: i64 = base_ms.saturating_mul(1 << exp).min(3_600_000);
    let jitter = rand::rng().random_range(0.8..1.2);
    (base as f64 * jitter) as i64
}

fn worker_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "host".into());
    let tag: u32 = rand::rng().random();
    format!("{host}-{}-{tag:08x}", std::process::id())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped_at_an_hour() {
        for attempts in 1..20 {
            let ms = backoff_ms(60_000, attempts);
            assert!((48_000..=4_320_000).contains(&ms), "{attempts}: {ms}");
        }
        assert!(backoff_ms(60_000, 3) > backoff_ms(60_000, 1));
    }
}
