//! Gunicorn error-log forensics: what the log says happened to the workers.
//!
//! The seeds' tickets quote `WORKER TIMEOUT` and `Perhaps out of memory?` lines, and the second
//! is misleading: Gunicorn logs it for every SIGKILL, including the one it sends itself when a
//! timed-out worker ignores SIGABRT (domain.md §0.1, §1.4, §1.5). This module reads a log as a
//! stream (bounded memory: logs of a struggling box can be gigabytes) and tells the two apart:
//! a SIGKILL of a pid that had a `WORKER TIMEOUT` since it booted is timeout escalation; any other
//! SIGKILL is a possible OOM kill, to be confirmed from kernel evidence by other probes.
//! Line formats, all versions (§1.5):
//! `[CRITICAL] WORKER TIMEOUT (pid:N)`, `Worker (pid:N) was sent SIGKILL! Perhaps out of memory?`
//! (21+), `Worker with pid N was terminated due to signal 9` (20.1.0), `Booting worker with pid:
//! N`, `Worker exiting (pid: N)`, `Worker (pid:N) exited with code C`, `Reason: Worker failed to
//! boot.` / `Reason: App failed to load.`

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, Read};

/// Lines longer than this are cut: a Gunicorn line never is, a binary file must not cost memory.
const MAX_LINE: u64 = 64 * 1024;
/// How many recently timed-out pids are remembered for classifying SIGKILLs.
const MAX_TRACKED_PIDS: usize = 4096;
/// How many pids each list in the summary keeps.
const MAX_LISTED_PIDS: usize = 20;

/// What one or more logs show.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogSummary {
    pub lines: u64,
    /// Lines in Gunicorn's own format (`[time] [pid] [LEVEL] …`).
    pub gunicorn_lines: u64,
    pub timeouts: u64,
    pub sigkills: u64,
    pub sigkills_after_timeout: u64,
    pub possible_oom_kills: u64,
    pub boots: u64,
    pub worker_exits: u64,
    pub nonzero_exits: u64,
    pub boot_failures: u64,
    /// Timestamp text of the first and last Gunicorn-format line.
    pub first: Option<String>,
    pub last: Option<String>,
    pub timeout_pids: Vec<i64>,
    pub possible_oom_pids: Vec<i64>,
}

/// Streaming state: the summary plus the pids seen timing out (bounded, oldest forgotten).
#[derive(Debug, Default)]
pub struct Scanner {
    pub summary: LogSummary,
    timed_out: BTreeMap<i64, ()>,
    order: VecDeque<i64>,
}

impl Scanner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a whole stream. Invalid UTF-8 is replaced, over-long lines are cut.
    pub fn read<R: BufRead>(&mut self, mut r: R) -> std::io::Result<()> {
        let mut buf = Vec::new();
        loop {
            buf.clear();
            let n = Read::take(r.by_ref(), MAX_LINE).read_until(b'\n', &mut buf)?;
            if n == 0 {
                return Ok(());
            }
            if buf.last() != Some(&b'\n') && n as u64 == MAX_LINE {
                // Skip the rest of an over-long line.
                let mut sink = Vec::new();
                loop {
                    sink.clear();
                    let m = Read::take(r.by_ref(), MAX_LINE).read_until(b'\n', &mut sink)?;
                    if m == 0 || sink.last() == Some(&b'\n') {
                        break;
                    }
                }
            }
            self.line(&String::from_utf8_lossy(&buf));
        }
    }

    /// Feeds one line.
    pub fn line(&mut self, line: &str) {
        let s = &mut self.summary;
        s.lines += 1;
        if let Some(ts) = timestamp(line) {
            s.gunicorn_lines += 1;
            if s.first.is_none() {
                s.first = Some(ts.to_string());
            }
            s.last = Some(ts.to_string());
        }
        if let Some(pid) = pid_after(line, "WORKER TIMEOUT (pid:") {
            s.timeouts += 1;
            push_pid(&mut s.timeout_pids, pid);
            self.remember(pid);
        } else if let Some(pid) =
            pid_after(line, "Worker (pid:").filter(|_| line.contains("was sent SIGKILL"))
        {
            self.sigkill(pid);
        } else if let Some(pid) = pid_after(line, "Worker with pid ")
            .filter(|_| line.contains("terminated due to signal 9"))
        {
            self.sigkill(pid);
        } else if let Some(pid) = pid_after(line, "Booting worker with pid: ") {
            s.boots += 1;
            // A new worker with a reused pid starts with a clean record.
            if self.timed_out.remove(&pid).is_some() {
                self.order.retain(|p| *p != pid);
            }
        } else if pid_after(line, "Worker exiting (pid: ").is_some() {
            s.worker_exits += 1;
        } else if line.contains(") exited with code ") && line.contains("Worker (pid:") {
            s.nonzero_exits += 1;
        } else if line.contains("Reason: Worker failed to boot.")
            || line.contains("Reason: App failed to load.")
        {
            s.boot_failures += 1;
        }
    }

    fn remember(&mut self, pid: i64) {
        if self.timed_out.insert(pid, ()).is_none() {
            self.order.push_back(pid);
            if self.order.len() > MAX_TRACKED_PIDS
                && let Some(old) = self.order.pop_front()
            {
                self.timed_out.remove(&old);
            }
        }
    }

    fn sigkill(&mut self, pid: i64) {
        let s = &mut self.summary;
        s.sigkills += 1;
        if self.timed_out.remove(&pid).is_some() {
            self.order.retain(|p| *p != pid);
            s.sigkills_after_timeout += 1;
        } else {
            s.possible_oom_kills += 1;
            push_pid(&mut s.possible_oom_pids, pid);
        }
    }
}

/// Summarises log text (for tests and small inputs).
pub fn parse(text: &str) -> LogSummary {
    let mut sc = Scanner::new();
    for l in text.lines() {
        sc.line(l);
    }
    sc.summary
}

fn push_pid(v: &mut Vec<i64>, pid: i64) {
    if v.len() < MAX_LISTED_PIDS && !v.contains(&pid) {
        v.push(pid);
    }
}

/// The number right after `marker`.
fn pid_after(line: &str, marker: &str) -> Option<i64> {
    let at = line.find(marker)? + marker.len();
    let rest = line.get(at..)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The `YYYY-MM-DD HH:MM:SS +ZZZZ` inside Gunicorn's `[…] [pid] [LEVEL]` prefix, wherever the
/// line starts (Docker and journald add their own prefixes).
fn timestamp(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let mut from = 0;
    while let Some(off) = line.get(from..)?.find('[') {
        let start = from + off + 1;
        let end = line.get(start..)?.find(']').map(|e| start + e)?;
        let inner = line.get(start..end)?;
        let ib = inner.as_bytes();
        let looks = ib.len() >= 19
            && ib[..4].iter().all(u8::is_ascii_digit)
            && ib[4] == b'-'
            && ib[7] == b'-'
            && ib[10] == b' '
            && ib[13] == b':'
            && ib[16] == b':';
        let followed = b.get(end + 1) == Some(&b' ') && b.get(end + 2) == Some(&b'[');
        if looks && followed {
            return Some(inner);
        }
        from = start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOG: &str = "\
[2026-11-23 18:32:40 +0000] [16965] [INFO] Starting gunicorn 23.0.0
[2026-11-23 18:32:40 +0000] [17000] [INFO] Booting worker with pid: 17000
[2026-11-23 18:32:41 +0000] [17001] [INFO] Booting worker with pid: 17001
[2026-11-23 18:32:51 +0000] [16965] [CRITICAL] WORKER TIMEOUT (pid:17000)
[2026-11-23 18:32:52 +0000] [16965] [ERROR] Worker (pid:17000) was sent SIGKILL! Perhaps out of memory?
[2026-11-23 18:32:52 +0000] [17138] [INFO] Booting worker with pid: 17138
[2026-11-23 18:40:00 +0000] [16965] [ERROR] Worker (pid:17001) was sent SIGKILL! Perhaps out of memory?
[2026-11-23 18:40:00 +0000] [17200] [INFO] Booting worker with pid: 17200
web-1  | [2026-11-23 18:41:00 +0000] [16965] [WARNING] Worker with pid 17138 was terminated due to signal 9
";

    #[test]
    fn tells_escalation_from_possible_oom() {
        let s = parse(LOG);
        assert_eq!(s.timeouts, 1);
        assert_eq!(s.sigkills, 3);
        assert_eq!(s.sigkills_after_timeout, 1);
        assert_eq!(s.possible_oom_kills, 2);
        assert_eq!(s.possible_oom_pids, [17001, 17138]);
        assert_eq!(s.boots, 4);
        assert_eq!(s.first.as_deref(), Some("2026-11-23 18:32:40 +0000"));
        assert_eq!(s.last.as_deref(), Some("2026-11-23 18:41:00 +0000"));
    }

    #[test]
    fn pid_reuse_resets_the_record() {
        let s = parse(
            "[2026-01-01 00:00:00 +0000] [1] [CRITICAL] WORKER TIMEOUT (pid:5)\n\
             [2026-01-01 00:00:01 +0000] [5] [INFO] Booting worker with pid: 5\n\
             [2026-01-01 00:00:09 +0000] [1] [ERROR] Worker (pid:5) was sent SIGKILL! Perhaps out of memory?\n",
        );
        assert_eq!(s.sigkills_after_timeout, 0);
        assert_eq!(s.possible_oom_kills, 1);
    }

    #[test]
    fn streams_long_and_binary_lines() {
        let mut data = vec![b'x'; 200_000];
        data.extend_from_slice(b"\n\xff\xfe WORKER TIMEOUT (pid:77)\n");
        let mut sc = Scanner::new();
        sc.read(std::io::Cursor::new(data))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(sc.summary.timeouts, 1);
        assert_eq!(sc.summary.lines, 2);
    }
}
