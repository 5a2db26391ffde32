//! Results from the loop thread handed to tokio in batches.
//!
//! A oneshot completed on the loop thread wakes its task from outside the runtime: each
//! wake is a push into tokio's shared inject queue, and a worker takes those in chunks,
//! running the connection tasks they woke between chunks. An HTTP/2 connection then
//! writes the answers of one Python batch in several syscalls, and its client answers
//! each with a packet of its own. The loop thread instead leaves each result here, and
//! one task on the runtime completes them all: the tasks they wake land in the worker's
//! own queue, in order, ahead of every connection that will write their answers.

use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::{oneshot, Notify};

use super::runtime::runtime;

pub struct Courier<T> {
    queue: Mutex<Vec<(oneshot::Sender<T>, T)>>,
    queued: Notify,
}

impl<T: Send + 'static> Courier<T> {
    /// A courier with its task running on the runtime for the life of the process.
    pub fn start() -> Arc<Self> {
        let courier = Arc::new(Courier {
            queue: Mutex::new(Vec::new()),
            queued: Notify::new(),
        });
        runtime().spawn(courier.clone().deliver());
        courier
    }

    /// Complete `to` with `value` on the runtime, with the others queued meanwhile.
    /// A receiver gone by then is not told (as with `oneshot::Sender::send`).
    pub fn send(&self, to: oneshot::Sender<T>, value: T) {
        self.queue.lock().push((to, value));
        // Without a waiting task this stores one permit: repeated calls cost an atomic.
        self.queued.notify_one();
    }

    async fn deliver(self: Arc<Self>) {
        let mut batch = Vec::new();
        loop {
            self.queued.notified().await;
            std::mem::swap(&mut *self.queue.lock(), &mut batch);
            for (to, value) in batch.drain(..) {
                let _ = to.send(value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_sent_from_other_threads_reach_their_receivers() {
        let courier = Courier::start();
        let receivers: Vec<_> = (0..1000)
            .map(|n| {
                let (to, from) = oneshot::channel();
                (n, to, from)
            })
            .map(|(n, to, from)| {
                let sender = courier.clone();
                std::thread::spawn(move || sender.send(to, n))
                    .join()
                    .unwrap();
                from
            })
            .collect();
        let received = runtime().block_on(async {
            let mut all = Vec::new();
            for from in receivers {
                all.push(from.await.unwrap());
            }
            all
        });
        assert_eq!(received, (0..1000).collect::<Vec<_>>());
    }

    #[test]
    fn a_receiver_already_gone_does_not_stop_the_others() {
        let courier = Courier::start();
        let (gone, dropped) = oneshot::channel();
        drop(dropped);
        let (to, from) = oneshot::channel();
        courier.send(gone, 1);
        courier.send(to, 2);
        assert_eq!(runtime().block_on(from).unwrap(), 2);
    }
}
