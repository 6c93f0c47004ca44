//! Mirrors journaled events into the tracking schema (`cutover.events`) and signals them with
//! `NOTIFY`, so `cutover watch` can follow a window from another machine. Best effort: the
//! journal file stays the durable record, and a mirror that loses its connection never
//! affects the run.

use crate::connect::Target;
use crate::journal::Entry;
use std::time::Duration;
use tokio::sync::mpsc::{UnboundedSender, unbounded_channel};

/// A handle to the background task that writes events to `cutover.events`.
#[derive(Clone)]
pub struct Mirror {
    tx: UnboundedSender<Entry>,
}

impl Mirror {
    /// Starts the mirror task (it connects on its own; must be called inside a tokio runtime).
    pub fn start(target: Target, run_id: String) -> Mirror {
        let (tx, mut rx) = unbounded_channel::<Entry>();
        // TODO(watch): connect with `target`, write batches for `run_id`, NOTIFY.
        let _ = (target, run_id);
        tokio::spawn(async move { while rx.recv().await.is_some() {} });
        Mirror { tx }
    }

    /// Queues an already-journaled (and scrubbed) entry; never blocks, never fails the run.
    pub fn send(&self, entry: &Entry) {
        let _ = self.tx.send(entry.clone());
    }

    /// Gives the task up to `within` to write what is queued.
    pub async fn close(self, within: Duration) {
        let _ = within;
    }
}
