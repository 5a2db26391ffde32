//! Memory the server no longer uses, given back to the system.
//!
//! mimalloc hands a free page back only once it has stayed free a while (so a page
//! freed and soon needed again is not faulted in again), and it checks only when a
//! thread allocates or frees. A server that goes quiet after a burst of connections
//! would keep the memory they held for good, so a task checks once a second.

use std::time::Duration;

const PERIOD: Duration = Duration::from_secs(1);

/// Run on the runtime for the process's life.
pub async fn give_back() {
    let mut tick = tokio::time::interval(PERIOD);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        // SAFETY: a plain call into the allocator, allowed on any thread at any time.
        unsafe { libmimalloc_sys::mi_collect(false) };
    }
}
