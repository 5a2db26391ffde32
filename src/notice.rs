//! Lines on stderr about what the server did to a misbehaving client. Each kind of
//! line is printed at most once a second, with a count of the ones held back, so an
//! attack of thousands of connections cannot flood the log.

use std::sync::Mutex;
use std::time::{Duration, Instant};

const INTERVAL: Duration = Duration::from_secs(1);

/// One kind of line; keep one in a `static` per call site.
pub struct Throttle {
    /// When a line was last printed, and how many were held back since.
    state: Mutex<Option<(Instant, u64)>>,
}

impl Throttle {
    pub const fn new() -> Self {
        Throttle {
            state: Mutex::new(None),
        }
    }

    /// Print `line()` unless a line of this kind went out less than a second ago.
    pub fn say(&self, line: impl FnOnce() -> String) {
        let now = Instant::now();
        let held_back = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((last, held)) = state.as_mut() {
                if now.duration_since(*last) < INTERVAL {
                    *held += 1;
                    return;
                }
            }
            let held_back = state.map_or(0, |(_, held)| held);
            *state = Some((now, 0));
            held_back
        };
        match held_back {
            0 => eprintln!("django-bolt: {}", line()),
            n => eprintln!("django-bolt: {} (and {n} more like it before)", line()),
        }
    }
}
