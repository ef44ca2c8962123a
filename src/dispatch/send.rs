//! The send loop: start due issues, claim batches of deliveries, send each
//! (personalise, build, sign, wait for the rate limiter, hand to the
//! transport) with `sending.concurrency` in flight, and record outcomes.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::stream::{self, StreamExt};
use indicatif::ProgressBar;
use rand::Rng;
use tokio::sync::watch;

use super::faults::{Faults, Verdict, classify};
use super::rate::RateLimiter;
use super::recorder::Recorder;
use crate::config::Settings;
use crate::domain::{EmailAddress, Mailbox, SubscriberName};
use crate::error::{Error, Result};
use crate::mail::{self, DkimSigner, Outgoing, TokenKey, VerpAddress};
use crate::render::{CompiledIssue, Recipient};
use crate::store::{Claimed, Issue, IssueStatus, Outcome, PausedBy, Store, now_ms};
use crate::transport::{Envelope, Transport};

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
    transport: Arc<Transport>,
    limiter: Arc<RateLimiter>,
    signer: Option<Arc<DkimSigner>>,
    tokens: Arc<TokenKey>,
    from: Mailbox,
    /// With `[bounces] address`: each message's envelope sender names its
    /// delivery (VERP). `None`: the envelope sender is `from`.
    verp: Option<VerpAddress>,
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

impl Dispatcher {
    pub fn new(settings: &Settings, store: Store) -> Result<Dispatcher> {
        // A hard bounce goes on the suppression list: without its key the
        // send would bounce people in the log only.
        store.suppression_key()?;
        let tokens = TokenKey::new(secrecy::ExposeSecret::expose_secret(
            &settings.secrets.token_key,
        ))
        .map_err(|e| Error::Config(format!("{e} (postbode init writes a random one)")))?;
        let verp = settings
            .bounces
            .address()
            .map(|base| VerpAddress::new(&base, tokens.clone()))
            .transpose()
            .map_err(|e| Error::Config(e.to_string()))?;
        let signer = DkimSigner::from_settings(&settings.dkim)
            .map_err(|e| Error::Config(e.to_string()))?
            .map(Arc::new);
        let s = &settings.sending;
        Ok(Dispatcher {
            limiter: Arc::new(RateLimiter::new(s, store.clone())),
            store,
            transport: Arc::new(
                Transport::from_settings(&settings.smtp)?.with_file_access(&settings.files.group),
            ),
            signer,
            tokens: Arc::new(tokens),
            from: settings.newsletter.from.clone(),
            verp,
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

    pub fn transport(&self) -> &Transport {
        &self.transport
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
        let compiled = Arc::new(CompiledIssue::compile(&html, &text)?);
        let shared_issue = Arc::new(issue.clone());
        loop {
            if *shutdown.borrow() {
                return Ok(false);
            }
            // A person may have paused or cancelled it meanwhile.
            if self.store.issue_status(issue.id).await? != Some(IssueStatus::Sending) {
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
            let batches = stream::unfold(Some(claimed), {
                let (me, shutdown, claim_error) =
                    (Arc::clone(self), shutdown.clone(), Arc::clone(&claim_error));
                let issue_id = issue.id;
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
            });
            let mut results = batches
                .boxed()
                .flat_map(stream::iter)
                .map(|c| {
                    // Evaluated as a slot frees up, so a shutdown or halt
                    // stops the rest of the batch from starting.
                    let stop = *shutdown.borrow() || self.faults.stopped();
                    let (me, compiled, issue, recorder, shutdown) = (
                        Arc::clone(self),
                        Arc::clone(&compiled),
                        Arc::clone(&shared_issue),
                        recorder.clone(),
                        shutdown.clone(),
                    );
                    async move {
                        let id = c.delivery_id;
                        if stop {
                            let reason = "released untried".to_owned();
                            recorder
                                .record(id, Outcome::Released { reason, at: 0 })
                                .await;
                            return None;
                        }
                        // A task of its own, so building and signing (CPU
                        // work) spread over every core. The slot stays taken
                        // until the outcome is committed.
                        let task = tokio::spawn(async move {
                            let outcome = me.deliver(&issue, &compiled, c, shutdown).await;
                            recorder.record(id, outcome.clone()).await;
                            outcome
                        });
                        task.await.ok()
                    }
                })
                .buffer_unordered(self.concurrency);
            while let Some(outcome) = results.next().await {
                let Some(outcome) = outcome else { continue };
                match &outcome {
                    Outcome::Sent { .. } => tally.sent.fetch_add(1, Ordering::Relaxed),
                    Outcome::Failed { .. } => tally.failed.fetch_add(1, Ordering::Relaxed),
                    Outcome::Skipped { .. } => tally.skipped.fetch_add(1, Ordering::Relaxed),
                    Outcome::Retry { .. } | Outcome::Released { .. } => {
                        tally.retried.fetch_add(1, Ordering::Relaxed)
                    }
                };
                if !matches!(outcome, Outcome::Retry { .. } | Outcome::Released { .. }) {
                    progress.inc(1);
                }
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
        }
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
            if self.transport.probe().await.is_ok() {
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
        compiled: &CompiledIssue,
        c: Claimed,
        mut shutdown: watch::Receiver<bool>,
    ) -> Outcome {
        let (Some(subscriber_id), Some(email)) = (c.subscriber_id, c.email.as_deref()) else {
            return Outcome::Skipped {
                reason: "the subscriber was erased".into(),
            };
        };
        match c.status.as_deref() {
            Some("active") => {}
            Some(other) => {
                return Outcome::Skipped {
                    reason: format!("the subscriber is {other}"),
                };
            }
            None => {
                return Outcome::Skipped {
                    reason: "the subscriber was erased".into(),
                };
            }
        }
        if c.attempts >= self.max_attempts {
            return Outcome::Failed {
                reply: format!("gave up after {} attempts", self.max_attempts),
            };
        }
        let to = match EmailAddress::parse(email) {
            Ok(a) => a,
            Err(e) => {
                return Outcome::Failed {
                    reply: format!("stored address is invalid: {e}"),
                };
            }
        };
        let name = c
            .name
            .as_deref()
            .and_then(|n| SubscriberName::parse(n).ok());
        let unsubscribe_url = format!(
            "{}/u/{}",
            self.base_url,
            self.tokens
                .unsubscribe_token(subscriber_id, c.link_salt.as_ref())
        );
        let recipient = Recipient {
            email: to.as_str().to_owned(),
            name: name.as_ref().map(|n| n.as_str().to_owned()),
            attributes: c.attributes.clone(),
            unsubscribe_url: unsubscribe_url.clone(),
        };
        let body = match compiled.personalise(&recipient) {
            Ok(b) => b,
            Err(e) => {
                return Outcome::Failed {
                    reply: e.to_string(),
                };
            }
        };
        let message_id = mail::message_id(
            &self.tokens,
            &issue.slug,
            subscriber_id,
            self.from.address.domain(),
        );
        let letter = Letter {
            issue,
            subject: &issue.subject,
            to: &to,
            to_name: name.as_ref(),
            message_id: &message_id,
            unsubscribe_url: &unsubscribe_url,
            html: &body.html,
            text: &body.text,
        };
        let raw = match self.build(&letter) {
            Ok(raw) => raw,
            Err(e) => {
                return Outcome::Failed {
                    reply: e.to_string(),
                };
            }
        };
        self.faults.wait_if_throttled().await;
        if self.faults.stopped() {
            return Outcome::Released {
                reason: "released untried".into(),
                at: 0,
            };
        }
        // A full hourly or daily cap makes this wait until there is room,
        // which may be an hour: SIGTERM must not wait that long.
        let stopping = async {
            if shutdown.wait_for(|stop| *stop).await.is_err() {
                std::future::pending::<()>().await;
            }
        };
        let ready = tokio::select! {
            // A stop seen first starts nothing more.
            biased;
            () = stopping => {
                return Outcome::Released {
                    reason: "released untried".into(),
                    at: 0,
                };
            }
            ready = self.limiter.until_ready() => ready,
        };
        if let Err(e) = ready {
            // Not tried, so not counted: it goes back in the queue.
            return Outcome::Released {
                reason: format!("no send slot: {e}"),
                at: now_ms().saturating_add(60_000),
            };
        }
        let envelope = Envelope {
            from: match &self.verp {
                Some(verp) => verp.make(c.delivery_id),
                None => self.from.address.as_str().to_owned(),
            },
            to: to.as_str().to_owned(),
        };
        let stem = format!("{}-{subscriber_id}", issue.slug);
        let e = match self.transport.send(&envelope, &raw, &stem).await {
            Ok(accepted) => {
                self.faults.on_success();
                return Outcome::Sent {
                    reply: accepted.reply,
                    message_id,
                    at: now_ms(),
                };
            }
            Err(e) => e,
        };
        let reply = e.reply();
        match classify(&e) {
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

    /// The signed message for one recipient.
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
        let raw = mail::build(&Outgoing {
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
        })?;
        match &self.signer {
            Some(signer) => signer.sign(&raw),
            None => Ok(raw),
        }
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
        let envelope = Envelope {
            from: self.from.address.as_str().to_owned(),
            to: to.as_str().to_owned(),
        };
        let reply = self
            .transport
            .send(&envelope, &raw, &format!("test-{slug}-{stamp}"))
            .await
            .map(|a| a.reply)
            .map_err(|e| {
                Error::Input(format!("the test message was not accepted: {}", e.reply()))
            })?;
        Ok((reply, subscriber))
    }
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
