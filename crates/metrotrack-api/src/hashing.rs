//! Bounded password hashing: every Argon2 computation of the server (a sign-in's check)
//! runs on one of a few threads of its own, about one per core, behind a short queue.
//! A request that finds the queue full is answered 503 with `Retry-After` at once rather
//! than waiting: anyone can send failing sign-ins without an account, and each check
//! takes the memory Argon2 is told to use ([`crate::auth::ARGON2_MEMORY_KIB`]), so
//! unbounded checks let anyone push the server to gigabytes.
//!
//! Dedicated threads (rather than tokio's blocking pool, up to 512 threads) also keep
//! the allocator's memory bounded: each thread reuses its own arena, so the peak stays
//! near `threads × Argon2 memory` however many requests arrive.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The hashing threads and their queue.
#[derive(Debug)]
pub(crate) struct HashPool {
    jobs: SyncSender<Job>,
}

/// The queue is full: try again in a moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

impl HashPool {
    /// `threads` hashing threads (at least 1) and up to `queue` checks waiting for one.
    /// The threads end when the pool is dropped.
    pub(crate) fn new(threads: usize, queue: usize) -> Self {
        let threads = threads.max(1);
        let (jobs, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..threads {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("metrotrack-hash-{i}"))
                .spawn(move || work(&receiver));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "could not start a password-hashing thread");
            }
        }
        Self { jobs }
    }

    /// A pool sized to the machine: one thread per core, and a queue of 16 per thread.
    pub(crate) fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        Self::new(cores, 16 * cores)
    }

    /// Runs `f` on a hashing thread and waits for its result, or answers [`Busy`] at
    /// once when the queue is full. A caller that stops waiting (a client gone) leaves
    /// the job to finish: the thread count, not the callers, bounds the work.
    pub(crate) async fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        match self.jobs.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => return Err(Busy),
        }
        rx.await.map_err(|_| Busy)
    }
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        // Hold the lock only to take the next job.
        let job = match receiver.lock() {
            Ok(r) => r.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(),
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_answers_busy_at_once_and_the_rest_complete() {
        let pool = Arc::new(HashPool::new(1, 2));
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(Mutex::new(hold));
        // One job holds the only thread; two wait in the queue; a fourth is refused.
        let mut waiting = Vec::new();
        for i in 0..3 {
            let pool = pool.clone();
            let hold = hold.clone();
            waiting.push(tokio::spawn(async move {
                pool.run(move || {
                    if i == 0 {
                        let _ = hold.lock().map(|h| h.recv());
                    }
                    i
                })
                .await
            }));
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(pool.run(|| 99).await, Err(Busy));
        release.send(()).expect("release");
        let mut done = Vec::new();
        for w in waiting {
            done.push(w.await.expect("join"));
        }
        assert_eq!(done, vec![Ok(0), Ok(1), Ok(2)]);
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }
}
