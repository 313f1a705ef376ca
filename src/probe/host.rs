//! The machine probes look at: a root directory, an environment, a working directory, a timeout.
//!
//! In production the root is `/` and the environment is the process's own. Tests build a `Host`
//! over `tests/fixtures/hosts/<name>/` and a fixed environment, so every probe can be exercised on
//! trees one machine cannot show (cgroup v1, v2, hybrid, a 512 MiB container, unreadable files).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

/// Files read during one run, shared by every probe: mountinfo, meminfo and the cgroup files are
/// wanted by several groups, and a run must not read them five times.
pub type ReadCache = Arc<Mutex<BTreeMap<String, Result<String, String>>>>;

/// Parsed inputs several probes share (the Compose project), computed once per run.
pub type Memo = Arc<Mutex<BTreeMap<&'static str, Arc<dyn std::any::Any + Send + Sync>>>>;

/// Files above this size are not read whole: no probe needs more, and a runaway file must not
/// cost a struggling machine its memory.
pub const MAX_READ: u64 = 4 * 1024 * 1024;

#[derive(Clone, Debug)]
pub struct Host {
    /// Where absolute paths such as `/proc/meminfo` are looked up.
    pub root: PathBuf,
    /// The environment the checked stack would see (Gunicorn and Compose read variables).
    pub env: BTreeMap<String, String>,
    /// The directory Gunicorn and Compose would resolve relative paths against.
    pub cwd: PathBuf,
    /// The bound on every network probe (connect, request and answer together).
    pub timeout: Duration,
    /// True when `root` is the real `/`: only then may probes use syscalls (statfs, affinity)
    /// that describe the running process rather than files under the root.
    pub live: bool,
    /// What `read` already read in this run.
    pub cache: ReadCache,
    /// What `memo` already computed in this run.
    pub memo: Memo,
}

impl Host {
    /// This machine, as the running process sees it.
    pub fn live(timeout: Duration) -> Self {
        Self {
            root: PathBuf::from("/"),
            env: std::env::vars().collect(),
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
            timeout,
            live: true,
            cache: ReadCache::default(),
            memo: Memo::default(),
        }
    }

    /// A fixture tree standing in for `/`, with an empty environment.
    pub fn fixture(root: impl Into<PathBuf>) -> Self {
        let root = root.into();
        Self {
            cwd: root.clone(),
            root,
            env: BTreeMap::new(),
            timeout: Duration::from_secs(2),
            live: false,
            cache: ReadCache::default(),
            memo: Memo::default(),
        }
    }

    /// `/proc/meminfo` → `<root>/proc/meminfo`.
    pub fn path(&self, abs: &str) -> PathBuf {
        self.root.join(abs.trim_start_matches('/'))
    }

    /// Reads a file under the root as text. The error is a reason fit for an unknown fact:
    /// it names the path as the user knows it (without the fixture root) and the cause.
    pub fn read(&self, abs: &str) -> Result<String, String> {
        if let Ok(cache) = self.cache.lock()
            && let Some(hit) = cache.get(abs)
        {
            return hit.clone();
        }
        let r = self.read_fresh(abs);
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(abs.to_string(), r.clone());
        }
        r
    }

    /// Reads a file without keeping it in the run's cache: for the one-off per-process files of
    /// the `/proc` scan, which no other probe wants.
    pub fn read_fresh(&self, abs: &str) -> Result<String, String> {
        read_text(&self.path(abs)).map_err(|e| format!("cannot read {abs}: {e}"))
    }

    /// Computes `f` once per run under `key` and shares the result between probes (and threads):
    /// a second caller while the first is computing waits for its result rather than doing the
    /// work again (probe groups run on several threads).
    pub fn memo<T: std::any::Any + Send + Sync>(
        &self,
        key: &'static str,
        f: impl FnOnce() -> T,
    ) -> Arc<T> {
        let cell = self.memo.lock().ok().and_then(|mut m| {
            let any = m
                .entry(key)
                .or_insert_with(|| Arc::new(OnceLock::<Arc<T>>::new()));
            Arc::clone(any).downcast::<OnceLock<Arc<T>>>().ok()
        });
        match cell {
            Some(cell) => Arc::clone(cell.get_or_init(|| Arc::new(f()))),
            // A poisoned lock, or another type under the same key: compute without sharing.
            None => Arc::new(f()),
        }
    }

    /// True when the path exists under the root.
    pub fn exists(&self, abs: &str) -> bool {
        self.path(abs).exists()
    }

    pub fn env(&self, name: &str) -> Option<&str> {
        self.env.get(name).map(String::as_str)
    }
}

/// Reads at most [`MAX_READ`] bytes of a file as text, replacing invalid UTF-8 rather than
/// failing: `/proc` files are ASCII and a stray byte must not hide the rest.
pub fn read_text(path: &Path) -> Result<String, String> {
    let mut f = std::fs::File::open(path).map_err(|e| describe(&e))?;
    // `/proc` and cgroup files report size 0, so read_to_end would start with a 32-byte probe
    // and double from there: four reads for a 300-byte stat file. One page up front makes most
    // of them one read plus the read that sees the end.
    // The first read goes into this thread's page, zeroed once: a zeroed page per file was an
    // eighth of a check's instructions.
    thread_local! {
        static PAGE: std::cell::RefCell<Vec<u8>> = std::cell::RefCell::new(vec![0; 4096]);
    }
    let mut buf = PAGE.with_borrow_mut(|page| -> Result<Vec<u8>, String> {
        loop {
            match f.read(page) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(describe(&e)),
                Ok(n) => return Ok(page.get(..n).unwrap_or_default().to_vec()),
            }
        }
    })?;
    let first = buf.len();
    // A file the kernel renders in one piece returns all of it to the first read when it fits:
    // the read that would see the end is skipped (a hundred system calls a check, most of them
    // in the /proc scan). Files rendered record by record (mountinfo, vmstat, maps) may return
    // a short read before their end, so they are read on as before.
    if first == 4096 || !whole_at_once(path) {
        (&mut f)
            .take(MAX_READ - first as u64)
            .read_to_end(&mut buf)
            .map_err(|e| describe(&e))?;
    }
    Ok(match String::from_utf8(buf) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

/// True for the files headroom reads that the kernel renders with a single `show` call (procfs
/// `single_open`, sysctl values, sysfs and cgroup attributes), by name: a read shorter than the
/// buffer has seen the whole file. The same holds for the regular files of fixture trees.
fn whole_at_once(path: &Path) -> bool {
    const SINGLE: &[&str] = &[
        "comm",
        "stat",
        "statm",
        "status",
        "cmdline",
        "loadavg",
        "uptime",
        "meminfo",
        "cgroup",
        "osrelease",
        "online",
        "memory",
        "cpu",
        "io",
    ];
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    let under = |dir: &str| path.to_str().is_some_and(|p| p.contains(dir));
    SINGLE.contains(&name)
        || under("/proc/sys/")
        || (under("/sys/fs/cgroup/")
            && ["memory.", "cpu.", "cpuset.", "pids.", "cfs_", "memsw."]
                .iter()
                .any(|p| name.starts_with(p)))
        || under("/sys/class/dmi/")
        || under("/sys/devices/system/cpu/")
}

/// An io::Error in the words a user expects ("permission denied", "no such file").
pub fn describe(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_string(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        _ => {
            let s = e.to_string();
            // Drop the " (os error N)" tail: it helps nobody reading a report.
            s.split(" (os error").next().unwrap_or(&s).to_lowercase()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_read_whole_whatever_their_size_and_kind() {
        let dir = tempfile::tempdir().unwrap();
        // Regular files (fixture trees): shorter than, exactly, and longer than the first read.
        for len in [0, 100, 4095, 4096, 4097, 10_000] {
            let text: String = (0..len)
                .map(|i| char::from(b'a' + (i % 26) as u8))
                .collect();
            for name in ["stat", "mountinfo"] {
                let p = dir.path().join(name);
                std::fs::write(&p, &text).unwrap();
                assert_eq!(read_text(&p).unwrap(), text, "{name}, {len} bytes");
            }
        }
        // Live kernel files: rendered in one piece, or record by record (mountinfo, vmstat,
        // maps); each must come back whole.
        for p in [
            "/proc/self/mountinfo",
            "/proc/self/cgroup",
            "/proc/sys/kernel/osrelease",
        ] {
            let want = std::fs::read_to_string(p).unwrap();
            assert_eq!(read_text(Path::new(p)).unwrap(), want, "{p}");
        }
        for p in ["/proc/vmstat", "/proc/self/status", "/proc/meminfo"] {
            let want = std::fs::read_to_string(p).unwrap();
            let got = read_text(Path::new(p)).unwrap();
            // Values move between two reads; the lines (names) do not.
            let names = |t: &str| -> Vec<String> {
                t.lines()
                    .map(|l| l.split([' ', ':', '\t']).next().unwrap_or("").to_string())
                    .collect()
            };
            assert_eq!(names(&got), names(&want), "{p}");
        }
    }
}
