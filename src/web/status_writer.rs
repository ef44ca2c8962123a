//! One task writes the pages' unsubscribes, with group commit: a handler
//! sends its change over a channel and waits; the task takes whatever is
//! waiting (up to [`MAX_BATCH`]), applies it all in one transaction
//! ([`Store::set_statuses_by_id`]) and then answers each handler. The
//! answer goes out only after the commit, so nothing is acknowledged and
//! then lost.
//!
//! Why: SQLite commits one transaction at a time, so one per unsubscribe
//! caps first-time one-click unsubscribes at a couple of thousand per
//! second; one commit per burst does not.

use tokio::sync::{mpsc, oneshot};

use crate::domain::StatusOutcome;
use crate::error::{Error, Result};
use crate::store::StatusRequest;
use crate::store::Store;

/// Most changes in one transaction: bounds how long one commit holds the
/// write lock (the send loop writes to the same database).
pub const MAX_BATCH: usize = 512;
/// Changes waiting at most; beyond it handlers wait to hand theirs over.
const QUEUE: usize = 4096;

type Answer = std::result::Result<StatusOutcome, String>;

struct Job {
    request: StatusRequest,
    done: oneshot::Sender<Answer>,
}

/// The handle handlers use; cheap to clone. The task stops when the last
/// handle is dropped.
#[derive(Clone, Debug)]
pub struct StatusWriter {
    jobs: mpsc::Sender<Job>,
}

impl StatusWriter {
    /// Starts the writer task on the current tokio runtime.
    pub fn start(store: Store) -> Result<StatusWriter> {
        let runtime = tokio::runtime::Handle::try_current()
            .map_err(|e| Error::Failed(format!("the status writer needs a tokio runtime: {e}")))?;
        let (jobs, queue) = mpsc::channel(QUEUE);
        runtime.spawn(run(store, queue));
        Ok(StatusWriter { jobs })
    }

    /// Applies `request` (in a batch with whatever else is waiting) and
    /// returns once it is committed; answers like
    /// [`Store::set_status_by_id`].
    pub async fn set_status(&self, request: StatusRequest) -> Result<StatusOutcome> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job { request, done })
            .await
            .map_err(|_| Error::Failed("the status writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Failed("the status writer stopped before answering".into()))?
            .map_err(Error::Failed)
    }
}

async fn run(store: Store, mut queue: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let requests: Vec<StatusRequest> = batch.iter().map(|job| job.request.clone()).collect();
        match store.set_statuses_by_id(&requests).await {
            Ok(answers) => {
                tracing::debug!(changes = answers.len(), "status writer: batch committed");
                for (job, answer) in batch.drain(..).zip(answers) {
                    // The handler may have given up (timeout); the change
                    // stands all the same.
                    let _ = job.done.send(Ok(answer));
                }
            }
            Err(error) => {
                tracing::error!(%error, changes = requests.len(), "status writer: batch failed, nothing applied");
                let reason = error.to_string();
                for job in batch.drain(..) {
                    let _ = job.done.send(Err(reason.clone()));
                }
            }
        }
    }
}
