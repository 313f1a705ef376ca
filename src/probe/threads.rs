//! Helper threads for the probes that run alongside the main thread, started on another CPU.
//!
//! Measured on this project's 2-vCPU VMs: a new thread is often queued behind its parent on
//! the parent's CPU, or waits for the idle vCPU to wake, so the /proc scan meant to overlap the
//! local probes ran after them in about half the runs (`headroom check` median 4.5 ms; with the
//! helper steered to the other CPU, 3.8 ms). The steering is a hint for the start only: before
//! joining, the main thread lifts it, so a helper on a CPU that turned busy can come back.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long `join` polls for a helper's result before it sleeps. Sleeping in `join` cost 0.65 ms
/// (median) on these VMs, a quarter of a check: the idle vCPU halts and wakes late, as at spawn.
/// Helpers that only read local files finish within a few hundred microseconds of the main
/// thread; one still waiting on a socket is slept on after this.
const POLL: Duration = Duration::from_millis(2);

/// Where a helper leaves its result; `None` when its work panicked.
struct Slot<T> {
    ready: AtomicBool,
    value: Mutex<Option<Option<T>>>,
    done: Condvar,
}

/// A helper thread and whether it was steered away from the caller's CPU.
pub struct Helper<T> {
    handle: JoinHandle<()>,
    slot: Arc<Slot<T>>,
    steered: bool,
}

/// Starts `f` on a new thread, asking the kernel to run it on a CPU other than the caller's
/// when the process may use more than one.
pub fn spawn<T: Send + 'static>(
    name: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> std::io::Result<Helper<T>> {
    let slot = Arc::new(Slot {
        ready: AtomicBool::new(false),
        value: Mutex::new(None),
        done: Condvar::new(),
    });
    let theirs = Arc::clone(&slot);
    let handle = std::thread::Builder::new()
        .name(name.to_string())
        .spawn(move || {
            let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).ok();
            if let Ok(mut v) = theirs.value.lock() {
                *v = Some(out);
            }
            theirs.ready.store(true, Ordering::Release);
            theirs.done.notify_all();
        })?;
    let steered = affinity::steer_away(&handle);
    Ok(Helper {
        handle,
        slot,
        steered,
    })
}

/// How many CPUs this thread may run on.
pub fn cpus() -> usize {
    affinity::cpus()
}

impl<T> Helper<T> {
    /// Waits for the helper's result; `None` when it panicked. The thread itself is left to
    /// finish exiting on its own (the result is all the caller needs), so the caller never
    /// sleeps on the thread's exit.
    pub fn join(self) -> Option<T> {
        if self.steered {
            affinity::release(&self.handle);
        }
        let start = Instant::now();
        while !self.slot.ready.load(Ordering::Acquire) && start.elapsed() < POLL {
            // Lets the helper run when both share one CPU; returns at once when they do not.
            std::thread::yield_now();
        }
        let mut value = self.slot.value.lock().ok()?;
        while value.is_none() {
            // Ready without a value: the helper could not store it; nothing more will come.
            if self.slot.ready.load(Ordering::Acquire) {
                return None;
            }
            // A bounded wait, so a wake-up missed in that case costs 50 ms, not the run.
            value = self
                .slot
                .done
                .wait_timeout(value, Duration::from_millis(50))
                .ok()?
                .0;
        }
        value.take().flatten()
    }
}

#[cfg(target_os = "linux")]
mod affinity {
    use std::os::unix::thread::JoinHandleExt;
    use std::thread::JoinHandle;

    const SET: usize = std::mem::size_of::<libc::cpu_set_t>();

    fn allowed() -> Option<libc::cpu_set_t> {
        // SAFETY: cpu_set_t is plain bits; sched_getaffinity writes at most SET bytes into it.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            (libc::sched_getaffinity(0, SET, &raw mut set) == 0).then_some(set)
        }
    }

    pub fn cpus() -> usize {
        // SAFETY: plain bits.
        allowed().map_or(1, |set| unsafe { libc::CPU_COUNT(&set) }.max(1) as usize)
    }

    /// True when the helper was restricted to the CPUs other than the caller's.
    pub fn steer_away<T>(h: &JoinHandle<T>) -> bool {
        let Some(mut set) = allowed() else {
            return false;
        };
        // SAFETY: plain bit operations on an initialised set, and a pthread_t that stays valid
        // until the handle is joined (the handle is borrowed, so it is not joined yet).
        unsafe {
            let here = libc::sched_getcpu();
            let Ok(here) = usize::try_from(here) else {
                return false;
            };
            if libc::CPU_COUNT(&set) < 2 || !libc::CPU_ISSET(here, &set) {
                return false;
            }
            libc::CPU_CLR(here, &mut set);
            libc::pthread_setaffinity_np(h.as_pthread_t(), SET, &raw const set) == 0
        }
    }

    /// Gives the helper back every CPU the process may use.
    pub fn release<T>(h: &JoinHandle<T>) {
        if let Some(set) = allowed() {
            // SAFETY: as in `steer_away`; a helper that already exited makes this fail harmlessly
            // (its pthread_t stays valid until joined).
            unsafe {
                libc::pthread_setaffinity_np(h.as_pthread_t(), SET, &raw const set);
            }
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod affinity {
    use std::thread::JoinHandle;
    pub fn cpus() -> usize {
        std::thread::available_parallelism().map_or(1, usize::from)
    }
    pub fn steer_away<T>(_: &JoinHandle<T>) -> bool {
        false
    }
    pub fn release<T>(_: &JoinHandle<T>) {}
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_helper_slower_than_the_poll_is_waited_for() {
        let h = spawn("t", || {
            std::thread::sleep(POLL * 10);
            "late"
        })
        .unwrap();
        assert_eq!(h.join(), Some("late"));
    }

    #[test]
    fn a_helper_returns_its_value_and_a_panic_is_none() {
        let h = spawn("t", || 6 * 7).unwrap();
        assert_eq!(h.join(), Some(42));
        let h = spawn("t", || -> i32 { panic!("boom") }).unwrap();
        assert_eq!(h.join(), None);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_helper_starts_off_the_callers_cpu_and_gets_every_cpu_back() {
        use std::os::unix::thread::JoinHandleExt;
        const SET: usize = std::mem::size_of::<libc::cpu_set_t>();
        // SAFETY (whole test): cpu_set_t is plain bits; every pthread_t used belongs to a thread
        // that is not joined yet.
        unsafe {
            let mut all: libc::cpu_set_t = std::mem::zeroed();
            assert_eq!(libc::sched_getaffinity(0, SET, &raw mut all), 0);
            if libc::CPU_COUNT(&all) < 2 {
                return; // one CPU: nothing to steer to (and `spawn` does not try)
            }
            // Hold this test thread on one CPU so "the caller's CPU" cannot change underneath.
            let here = usize::try_from(libc::sched_getcpu()).unwrap();
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(here, &mut one);
            assert_eq!(libc::sched_setaffinity(0, SET, &raw const one), 0);
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let h = spawn("t", move || rx.recv().is_ok()).unwrap();
            let of_helper = || {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::pthread_getaffinity_np(h.handle.as_pthread_t(), SET, &raw mut set);
                set
            };
            // The caller is held on one CPU, so the process may use one: nothing is steered.
            assert!(!h.steered);
            assert!(libc::CPU_ISSET(here, &of_helper()));
            tx.send(()).unwrap();
            assert_eq!(h.join(), Some(true));

            // With every CPU allowed again, the helper starts elsewhere, then gets them all back.
            assert_eq!(libc::sched_setaffinity(0, SET, &raw const all), 0);
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let h = spawn("t", move || rx.recv().is_ok()).unwrap();
            let of_helper = |h: &Helper<bool>| {
                let mut set: libc::cpu_set_t = std::mem::zeroed();
                libc::pthread_getaffinity_np(h.handle.as_pthread_t(), SET, &raw mut set);
                set
            };
            assert!(h.steered);
            let start = of_helper(&h);
            assert_eq!(libc::CPU_COUNT(&start), libc::CPU_COUNT(&all) - 1);
            affinity::release(&h.handle);
            assert_eq!(libc::CPU_COUNT(&of_helper(&h)), libc::CPU_COUNT(&all));
            tx.send(()).unwrap();
            assert_eq!(h.join(), Some(true));
        }
    }
}
