//! Time budgets, so that one slow or stuck analysis never holds up another document, another
//! request or `shutdown`. A pure function that never returns cannot be stopped, but nothing
//! waits for it past its budget: the request it serves is answered with an error, the log
//! names the file, and its result, if it ever comes, is dropped.
//!
//! Two settings are read from the environment once, when the server starts (never from a
//! workspace, so a repository cannot change them): `VAULTLINK_ANALYSIS_BUDGET_MS`, the budget,
//! and `VAULTLINK_DEBUG_STALL_ANALYSIS`, a debugging aid that makes the parse of every
//! document with that file name never finish, to show the server going on without it.

use std::sync::{Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How long one analysis may take in a release build.
const DEFAULT_BUDGET: Duration = Duration::from_secs(5);

/// Debug builds analyse many times slower; their budget is longer so that the large
/// documents that take a release build a fraction of a second still get their answers.
const DEBUG_BUDGET: Duration = Duration::from_secs(30);

/// How long a feature of one document waits for another document's parse (to read its
/// vault names, say) before going on without it.
pub const PATIENCE: Duration = Duration::from_millis(200);

/// How long pushed diagnostics wait for the next keystroke of a burst: far below the time
/// between two keys a person types, far above the time between two changes a program sends.
pub const SETTLE: Duration = Duration::from_millis(15);

/// How long pushed diagnostics wait at most while changes keep arriving faster than
/// [`SETTLE`].
pub const MOST_SETTLE: Duration = Duration::from_millis(150);

struct Limits {
    budget: Duration,
    stall: Option<String>,
}

static LIMITS: OnceLock<Limits> = OnceLock::new();

fn limits() -> &'static Limits {
    LIMITS.get_or_init(|| Limits {
        budget: if cfg!(debug_assertions) {
            DEBUG_BUDGET
        } else {
            DEFAULT_BUDGET
        },
        stall: None,
    })
}

/// Reads the settings from the environment; the first call wins.
pub fn init_from_env() {
    let budget = std::env::var("VAULTLINK_ANALYSIS_BUDGET_MS")
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|ms| *ms > 0)
        .map(Duration::from_millis);
    let stall = std::env::var("VAULTLINK_DEBUG_STALL_ANALYSIS")
        .ok()
        .filter(|n| !n.is_empty());
    let _ = LIMITS.set(Limits {
        budget: budget.unwrap_or(if cfg!(debug_assertions) {
            DEBUG_BUDGET
        } else {
            DEFAULT_BUDGET
        }),
        stall,
    });
}

/// How long one analysis may take.
pub fn budget() -> Duration {
    limits().budget
}

/// The budget as people read it: `5 s`, `1.5 s`.
pub fn budget_text() -> String {
    let ms = budget().as_millis();
    if ms % 1000 == 0 {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

/// The debugging aid: never returns when `file_name` is the one named in
/// `VAULTLINK_DEBUG_STALL_ANALYSIS`.
pub fn stall_if_asked(file_name: &str) {
    if limits().stall.as_deref() == Some(file_name) {
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}

/// A value computed once, by the first thread that needs it. Other threads wait for it, but
/// never past a limit counted from when the computation began: no lock is held while it
/// runs, and a computation that never ends leaves every later caller free after its wait.
pub struct Slot<T> {
    state: Mutex<State<T>>,
    ready: Condvar,
}

enum State<T> {
    Empty,
    Running(Instant),
    Done(T),
}

impl<T: Clone> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            state: Mutex::new(State::Empty),
            ready: Condvar::new(),
        }
    }
}

/// Puts a slot back to empty if its computation panics, so a later caller can try again.
struct Reset<'a, T>(&'a Slot<T>);

impl<T> Drop for Reset<'_, T> {
    fn drop(&mut self) {
        *self.0.state.lock().unwrap_or_else(PoisonError::into_inner) = State::Empty;
        self.0.ready.notify_all();
    }
}

impl<T: Clone> Slot<T> {
    fn lock(&self) -> MutexGuard<'_, State<T>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value, if it is there already.
    pub fn get(&self) -> Option<T> {
        match &*self.lock() {
            State::Done(v) => Some(v.clone()),
            _ => None,
        }
    }

    /// Whether nobody has started the computation.
    pub fn is_empty(&self) -> bool {
        matches!(&*self.lock(), State::Empty)
    }

    /// The value: computed here with `f` when nobody has begun, else waited for until `wait`
    /// after its computation began. `None` when that computation is still running then.
    pub fn get_or_compute(&self, wait: Duration, f: impl FnOnce() -> T) -> Option<T> {
        let mut state = self.lock();
        if matches!(&*state, State::Empty) {
            *state = State::Running(Instant::now());
            drop(state);
            let reset = Reset(self);
            let value = f();
            std::mem::forget(reset);
            *self.lock() = State::Done(value.clone());
            self.ready.notify_all();
            return Some(value);
        }
        drop(state);
        self.wait(wait)
    }

    /// Waits for the value until `wait` after its computation began (or from now, when it has
    /// not begun): `None` if it is not there by then.
    pub fn wait(&self, wait: Duration) -> Option<T> {
        let mut state = self.lock();
        let mut deadline = None;
        loop {
            let until = match &*state {
                State::Done(v) => return Some(v.clone()),
                State::Running(since) => *since + wait,
                State::Empty => *deadline.get_or_insert_with(|| Instant::now() + wait),
            };
            let now = Instant::now();
            if now >= until {
                return None;
            }
            state = self
                .ready
                .wait_timeout(state, until - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn a_slot_is_computed_once_and_shared() {
        let slot = Slot::default();
        assert_eq!(slot.get_or_compute(PATIENCE, || 1), Some(1));
        assert_eq!(slot.get_or_compute(PATIENCE, || 2), Some(1));
        assert_eq!(slot.get(), Some(1));
    }

    #[test]
    fn waiters_give_up_on_a_computation_that_does_not_end() {
        let slot = Arc::new(Slot::<u32>::default());
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let s = slot.clone();
        let worker = std::thread::spawn(move || {
            s.get_or_compute(PATIENCE, || {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                7
            })
        });
        started_rx.recv().unwrap();
        let asked = Instant::now();
        assert_eq!(slot.get_or_compute(Duration::from_millis(50), || 9), None);
        assert!(asked.elapsed() < Duration::from_secs(2));
        // Once the computation has run past a caller's wait, that caller does not wait.
        std::thread::sleep(Duration::from_millis(60));
        assert_eq!(slot.wait(Duration::from_millis(50)), None);
        release_tx.send(()).unwrap();
        assert_eq!(worker.join().unwrap(), Some(7));
        assert_eq!(slot.wait(Duration::ZERO), Some(7));
    }

    #[test]
    fn a_panicking_computation_leaves_the_slot_to_the_next_caller() {
        let slot = Slot::<u32>::default();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            slot.get_or_compute(PATIENCE, || panic!("boom"))
        }));
        assert!(r.is_err());
        assert!(slot.is_empty());
        assert_eq!(slot.get_or_compute(PATIENCE, || 3), Some(3));
    }
}
