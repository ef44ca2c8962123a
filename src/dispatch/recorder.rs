//! Writes delivery outcomes with group commit. A delivery waits until its
//! outcome is committed before its concurrency slot frees, so at any moment
//! at most `sending.concurrency` messages are in flight or accepted but
//! unrecorded: the most a crash can make go out twice. Outcomes that
//! arrive while a write is in progress share the next transaction, so the
//! database is not the bottleneck.

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::error::Result;
use crate::store::{Outcome, Store};

/// Outcomes per transaction at most.
const MAX_GROUP: usize = 256;

type Entry = (i64, Outcome, oneshot::Sender<bool>);

/// How long to let outcomes gather before a write. SQLite runs in this
/// process and a write costs microseconds, so none; PostgreSQL's fixed
/// cost per statement (a round trip, planning, a WAL flush) is worth
/// sharing among more outcomes.
fn gather_time(store: &Store) -> Option<std::time::Duration> {
    match store.backend() {
        crate::store::Backend::Sqlite => None,
        crate::store::Backend::Postgres => Some(std::time::Duration::from_millis(1)),
    }
}

/// A handle to the recording task; cheap to clone.
#[derive(Clone)]
pub struct Recorder {
    tx: mpsc::UnboundedSender<Entry>,
}

impl Recorder {
    /// Starts the recording task. It ends when every handle is dropped,
    /// returning the first database error, if any.
    pub fn start(store: Store) -> (Recorder, JoinHandle<Result<()>>) {
        let (tx, mut rx) = mpsc::unbounded_channel::<Entry>();
        let task = tokio::spawn(async move {
            let gather = gather_time(&store);
            while let Some(first) = rx.recv().await {
                let mut group = vec![first];
                if let Some(wait) = gather {
                    tokio::time::sleep(wait).await;
                }
                while group.len() < MAX_GROUP {
                    match rx.try_recv() {
                        Ok(next) => group.push(next),
                        Err(_) => break,
                    }
                }
                let (outcomes, acks): (Vec<(i64, Outcome)>, Vec<oneshot::Sender<bool>>) = group
                    .into_iter()
                    .map(|(id, outcome, ack)| ((id, outcome), ack))
                    .unzip();
                let result = store.record_outcomes(&outcomes).await;
                let ok = result.is_ok();
                for ack in acks {
                    let _ = ack.send(ok);
                }
                result?;
            }
            Ok(())
        });
        (Recorder { tx }, task)
    }

    /// Records one outcome; returns once it is committed (true) or the
    /// write failed (false).
    pub async fn record(&self, delivery_id: i64, outcome: Outcome) -> bool {
        let (ack, done) = oneshot::channel();
        if self.tx.send((delivery_id, outcome, ack)).is_err() {
            return false;
        }
        done.await.unwrap_or(false)
    }
}
