//! Interrupting an apply (Ctrl-C): a flag the operation checks between steps and races against
//! every request, so the process stops at once and the inventory stays a superset.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use tokio::sync::Notify;

/// A shared "stop now" flag; clones see the same flag. The default is never triggered.
#[derive(Clone, Default)]
pub struct Interrupt(Arc<Inner>);

#[derive(Default)]
struct Inner {
    set: AtomicBool,
    notify: Notify,
}

impl fmt::Debug for Interrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Interrupt({})", self.is_set())
    }
}

impl Interrupt {
    /// Asks every operation that holds a clone to stop.
    pub fn trigger(&self) {
        self.0.set.store(true, Ordering::SeqCst);
        self.0.notify.notify_waiters();
    }

    pub fn is_set(&self) -> bool {
        self.0.set.load(Ordering::SeqCst)
    }

    /// Completes once [`Interrupt::trigger`] has been called (at once if it already was).
    pub async fn wait(&self) {
        loop {
            let notified = self.0.notify.notified();
            tokio::pin!(notified);
            // Registered before the check, so a trigger between the two is not missed.
            notified.as_mut().enable();
            if self.is_set() {
                return;
            }
            notified.await;
        }
    }

    /// Runs `f` unless the interrupt comes first; `None` when interrupted (`f` is dropped, so
    /// a request in flight is abandoned: it may or may not have reached the server).
    pub async fn race<F: Future>(&self, f: F) -> Option<F::Output> {
        if self.is_set() {
            return None;
        }
        tokio::select! {
            biased;
            () = self.wait() => None,
            v = f => Some(v),
        }
    }

    /// Triggers on SIGINT (Ctrl-C) or SIGTERM; a second signal ends the process at once with
    /// exit code 130. The handler is installed before this returns, on the current runtime.
    pub fn on_signals(&self) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            let mut int = signal(SignalKind::interrupt())?;
            let mut term = signal(SignalKind::terminate())?;
            let me = self.clone();
            tokio::spawn(async move {
                for n in 0.. {
                    tokio::select! {
                        _ = int.recv() => {}
                        _ = term.recv() => {}
                    }
                    if n > 0 {
                        eprintln!("interrupted again: exiting now");
                        std::process::exit(130);
                    }
                    eprintln!(
                        "interrupted: stopping (requests in flight are abandoned; \
                         Ctrl-C again to exit at once)"
                    );
                    me.trigger();
                }
            });
        }
        #[cfg(not(unix))]
        {
            let me = self.clone();
            tokio::spawn(async move {
                if tokio::signal::ctrl_c().await.is_ok() {
                    me.trigger();
                }
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn race_stops_on_trigger() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let i = Interrupt::default();
            assert_eq!(i.race(async { 1 }).await, Some(1));
            let j = i.clone();
            let pending = i.race(std::future::pending::<()>());
            let trigger = async move {
                tokio::task::yield_now().await;
                j.trigger();
            };
            let (r, ()) = tokio::join!(pending, trigger);
            assert_eq!(r, None);
            assert!(i.is_set());
            assert_eq!(i.race(async { 2 }).await, None, "stays triggered");
        });
    }
}
