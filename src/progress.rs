//! Progress of long steps, reported to an observer the caller chooses. The library draws nothing
//! itself: the command line implements [`Progress`] with a terminal progress bar, tests and
//! batch callers pass [`Silent`].

/// An observer of long-running steps. Steps run one after another; units of one step may be
/// reported from several threads at once.
pub trait Progress: Sync {
    /// A step named `step` with `total` units of work begins.
    fn start(&self, step: &str, total: u64) {
        let _ = (step, total);
    }

    /// `n` more units of the current step are done.
    fn advance(&self, n: u64) {
        let _ = n;
    }

    /// The current step is done.
    fn finish(&self) {}
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Mutex;

    /// Records every step and the units reported for it.
    #[derive(Default)]
    pub(crate) struct Recorder {
        pub steps: Mutex<Vec<(String, u64)>>,
        pub done: AtomicU64,
    }

    impl Progress for Recorder {
        fn start(&self, step: &str, total: u64) {
            self.steps.lock().unwrap().push((step.to_string(), total));
        }
        fn advance(&self, n: u64) {
            self.done.fetch_add(n, Ordering::Relaxed);
        }
    }

    #[test]
    fn silent_accepts_everything() {
        Silent.start("x", 3);
        Silent.advance(3);
        Silent.finish();
        let r = Recorder::default();
        r.start("y", 2);
        r.advance(2);
        assert_eq!(r.done.load(Ordering::Relaxed), 2);
        assert_eq!(r.steps.lock().unwrap()[0], ("y".to_string(), 2));
    }
}
