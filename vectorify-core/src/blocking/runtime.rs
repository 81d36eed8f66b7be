//! The blocking client's runtime: one thread that drives the sockets and
//! timers of every call, while each call runs on the thread that made it.

use std::future::Future;
use std::pin::pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll, Wake, Waker};
use std::thread::{self, JoinHandle, Thread};

use tokio::sync::oneshot;

use crate::Error;

/// A Tokio runtime on a thread of its own, stopped when dropped.
pub(super) struct Runtime {
    handle: tokio::runtime::Handle,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Runtime {
    /// Starts the runtime and its thread.
    pub(super) fn start() -> Result<Runtime, Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|error| {
                Error::Config(format!(
                    "the blocking client's runtime could not start: {error}"
                ))
            })?;
        let handle = runtime.handle().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = thread::Builder::new()
            .name("vectorify-blocking".into())
            .spawn(move || {
                // While this waits, the runtime drives the I/O and timers of
                // the calls made on other threads, and runs the connections'
                // tasks.
                runtime.block_on(async {
                    let _ = stopped.await;
                });
                // Whatever is left (an idle connection, a name lookup) is not
                // waited for.
                runtime.shutdown_background();
            })
            .map_err(|error| {
                Error::Config(format!(
                    "the blocking client's runtime thread could not start: {error}"
                ))
            })?;
        Ok(Runtime {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }

    /// Runs `future` to its end on the calling thread, in the context of
    /// this runtime: the future may borrow from the caller and need not be
    /// `Send`, and its sockets and timers are driven by the runtime's
    /// thread. The calling thread sleeps while the future waits.
    pub(super) fn wait<F: Future>(&self, future: F) -> F::Output {
        let _context = self.handle.enter();
        let unpark = Arc::new(Unpark {
            thread: thread::current(),
            woken: AtomicBool::new(false),
        });
        let waker = Waker::from(Arc::clone(&unpark));
        let mut cx = Context::from_waker(&waker);
        // Called from within a task of another Tokio runtime, the future
        // would otherwise draw on that task's budget, which cannot refill
        // while this loop holds the task.
        let mut future = pin!(tokio::task::unconstrained(future));
        loop {
            if let Poll::Ready(output) = future.as_mut().poll(&mut cx) {
                return output;
            }
            // The flag, not the thread's park token, says whether a wake-up
            // came: code run inside the poll (a progress callback) may park
            // and use the token up.
            while !unpark.woken.swap(false, Ordering::AcqRel) {
                thread::park();
            }
        }
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // The runtime's own thread cannot wait for itself.
            if thread.thread().id() != thread::current().id() {
                let _ = thread.join();
            }
        }
    }
}

/// Wakes a waiting call: marks it woken and unparks its thread.
struct Unpark {
    thread: Thread,
    woken: AtomicBool,
}

impl Wake for Unpark {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        self.woken.store(true, Ordering::Release);
        self.thread.unpark();
    }
}
