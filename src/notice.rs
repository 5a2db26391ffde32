//! One line on stderr when the server cuts a client off (a timeout, a flood, running
//! out of descriptors, a body that stops arriving), at most one a second per kind:
//! under attack the same line would otherwise be printed thousands of times a second.
//!
//! These lines come from tokio's threads, where taking the GIL to reach Python's
//! `logging` for every hostile connection would cost more than the attack.

use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Lines of one kind closer together than this are counted, not printed.
const INTERVAL: Duration = Duration::from_secs(1);

/// A kind of line, printed at most once per [`INTERVAL`].
#[derive(Debug)]
pub struct Notice {
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    last: Option<Instant>,
    /// Lines held back since the last one printed.
    held: u64,
}

impl Notice {
    pub const fn new() -> Self {
        Notice {
            state: Mutex::new(State {
                last: None,
                held: 0,
            }),
        }
    }

    /// Print `django-bolt: LINE` unless a line of this kind was printed less than a
    /// second ago; the line printed next says how many were held back.
    pub fn print(&self, line: impl FnOnce() -> String) {
        match self.admit() {
            None => {}
            Some(0) => eprintln!("django-bolt: {}", line()),
            Some(held) => eprintln!(
                "django-bolt: {} ({held} more like it in the last seconds)",
                line()
            ),
        }
    }

    /// Whether a line of this kind may go out now (for lines written elsewhere, such
    /// as Python's `logging`): `Some(held back since the last one)`, or `None` when one
    /// went out less than a second ago (it is then counted).
    pub fn admit(&self) -> Option<u64> {
        let now = Instant::now();
        let mut state = self.state.lock();
        if state.last.is_some_and(|last| now - last < INTERVAL) {
            state.held += 1;
            return None;
        }
        state.last = Some(now);
        Some(std::mem::take(&mut state.held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_within_a_second_are_held_back_and_counted() {
        let notice = Notice::new();
        let mut printed = 0;
        for _ in 0..100 {
            notice.print(|| {
                printed += 1;
                String::new()
            });
        }
        assert_eq!(printed, 1);
        assert_eq!(notice.state.lock().held, 99);
    }
}
