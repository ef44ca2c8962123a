//! Work the forms do after they have answered: storing a sign-up and
//! mailing its confirmation, mailing an unsubscribe link. They answer
//! first so that a known and an unknown address take the same time
//! (issue 14), and the page says a mail is on its way; so a stopping
//! server finishes that work before it exits, rather than dropping it.

use std::future::Future;
use std::time::Duration;

use tokio_util::task::TaskTracker;

/// How long a stopping server waits for work still running after its
/// answer (a confirmation mail waits for the SMTP server at most
/// `smtp.command_timeout_secs` per command).
pub const DRAIN: Duration = Duration::from_secs(60);

/// The tasks started after answers; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct AfterAnswer {
    tasks: TaskTracker,
}

impl AfterAnswer {
    /// Runs `work` in the background, tracked.
    pub fn spawn<F>(&self, work: F)
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tasks.spawn(work);
    }

    /// Once no request can come in any more: waits for the work still
    /// running, at most [`DRAIN`].
    pub async fn drain(&self) {
        self.tasks.close();
        if !self.tasks.is_empty() {
            tracing::info!(
                tasks = self.tasks.len(),
                "finishing sign-ups and mails the pages promised"
            );
        }
        if tokio::time::timeout(DRAIN, self.tasks.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                tasks = self.tasks.len(),
                "stopped before sign-ups and mails the pages promised were done"
            );
        }
    }
}
