//! The process's one tokio runtime. Its workers flush the Python bridge before they
//! park, which is what batches requests into Python; so it lives beside the bridge,
//! below every layer that spawns on it.

use std::sync::OnceLock;

use tokio::runtime::{Builder, Runtime};

static RUNTIME: OnceLock<Runtime> = OnceLock::new();
static WORKERS: OnceLock<usize> = OnceLock::new();

/// Choose the number of worker threads; only before the runtime first starts.
pub fn configure(workers: usize) -> Result<(), String> {
    let workers = workers.max(1);
    WORKERS.get_or_init(|| workers);
    match RUNTIME.get() {
        Some(_) if WORKERS.get() != Some(&workers) => Err(format!(
            "the runtime already runs with {} workers",
            WORKERS.get().copied().unwrap_or(0)
        )),
        _ if WORKERS.get() != Some(&workers) => Err("the worker count is already set".into()),
        _ => Ok(()),
    }
}

pub fn runtime() -> &'static Runtime {
    RUNTIME.get_or_init(|| {
        let workers = *WORKERS.get_or_init(|| 1);
        let runtime = Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name("bolt-worker")
            .enable_all()
            .on_thread_park(super::bridge::flush_all)
            .build()
            .expect("the tokio runtime could not start");
        runtime.spawn(crate::memory::give_back());
        runtime
    })
}
