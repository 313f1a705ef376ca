//! What the Docker daemons themselves cost: `dockerd`, `containerd` and one
//! `containerd-shim-runc-v2` per running container, read from `/proc/<pid>/smaps_rollup` (Pss)
//! or, where that is not readable, `/proc/<pid>/status` (VmRSS).
//!
//! PSS splits shared pages between the processes sharing them, so the shims (one binary mapped
//! many times) are not counted once per copy; VmRSS would overstate them.
//!
//! domain.md §3.1 measured ≈ 72–80 MB for an idle dockerd, ≈ 37–40 MB for containerd and
//! ≈ 12–13 MB per shim on Debian 12; this reads the real figures so the memory budget does not
//! rest on an estimate. Inside a container (or with `hidepid`), the daemons are not visible and the
//! facts are unknown with that reason.

use crate::probe::Host;

/// The daemons found and their resident memory.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Daemons {
    /// (comm, pid, bytes): Pss when readable, else VmRSS.
    pub processes: Vec<(String, u32, i64)>,
    /// True when every figure is Pss.
    pub all_pss: bool,
}

impl Daemons {
    pub fn total_rss(&self) -> i64 {
        self.processes.iter().map(|p| p.2).sum()
    }

    pub fn shim_count(&self) -> usize {
        self.processes.iter().filter(|p| is_shim(&p.0)).count()
    }

    pub fn has_dockerd(&self) -> bool {
        self.processes.iter().any(|p| p.0 == "dockerd")
    }
}

/// `containerd-shim-runc-v2` is cut to 15 characters in `comm` ("containerd-shim").
fn is_shim(comm: &str) -> bool {
    comm.starts_with("containerd-shim")
}

fn is_daemon(comm: &str) -> bool {
    comm == "dockerd" || comm == "containerd" || is_shim(comm)
}

/// `VmRSS:   75432 kB` → bytes (the kernel's kB are KiB). None for kernel threads.
pub fn parse_vmrss(status: &str) -> Option<i64> {
    status.lines().find_map(|l| {
        let rest = l.strip_prefix("VmRSS:")?;
        let kb: i64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        kb.checked_mul(1024)
    })
}

/// `Pss:   71234 kB` in `smaps_rollup` → bytes.
pub fn parse_pss(smaps_rollup: &str) -> Option<i64> {
    smaps_rollup.lines().find_map(|l| {
        let rest = l.strip_prefix("Pss:")?;
        let kb: i64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        kb.checked_mul(1024)
    })
}

/// Scans `/proc` under the host's root.
pub fn read(host: &Host) -> Result<Daemons, String> {
    let dir = std::fs::read_dir(host.path("/proc"))
        .map_err(|e| format!("cannot list /proc: {}", crate::probe::host::describe(&e)))?;
    let mut out = Daemons {
        all_pss: true,
        ..Daemons::default()
    };
    for entry in dir.flatten() {
        let name = entry.file_name();
        let Some(pid) = name.to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let Ok(comm) = host.read(&format!("/proc/{pid}/comm")) else {
            continue;
        };
        let comm = comm.trim().to_string();
        if !is_daemon(&comm) {
            continue;
        }
        // A process that exits between the reads is simply not counted.
        let pss = host
            .read(&format!("/proc/{pid}/smaps_rollup"))
            .ok()
            .as_deref()
            .and_then(parse_pss);
        let mem = pss.or_else(|| {
            out.all_pss = false;
            host.read(&format!("/proc/{pid}/status"))
                .ok()
                .as_deref()
                .and_then(parse_vmrss)
        });
        if let Some(m) = mem {
            out.processes.push((comm, pid, m));
        }
    }
    out.processes.sort_by_key(|p| p.1);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vmrss_is_kib() {
        assert_eq!(
            parse_vmrss("Name:\tdockerd\nVmRSS:\t   75432 kB\n"),
            Some(75432 * 1024)
        );
        assert_eq!(parse_vmrss("Name:\tkthreadd\n"), None);
        assert_eq!(parse_vmrss("VmRSS: lots kB"), None);
    }

    #[test]
    fn pss_from_smaps_rollup() {
        let t = "55d0-7ffd ---p 00000000 00:00 0 [rollup]\nRss:  80000 kB\nPss:  71234 kB\nPss_Anon: 60000 kB\n";
        assert_eq!(parse_pss(t), Some(71234 * 1024));
        assert_eq!(parse_pss("Rss: 1 kB\n"), None);
    }

    #[test]
    fn reads_a_fixture_proc() {
        let dir = tempfile::tempdir().unwrap();
        let p = |pid: u32, comm: &str, kb: i64| {
            let d = dir.path().join(format!("proc/{pid}"));
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join("comm"), format!("{comm}\n")).unwrap();
            std::fs::write(
                d.join("status"),
                format!("Name:\t{comm}\nVmRSS:\t{kb} kB\n"),
            )
            .unwrap();
        };
        p(10, "dockerd", 76000);
        p(11, "containerd", 38000);
        p(12, "containerd-shim", 12500);
        p(13, "bash", 4000);
        std::fs::create_dir_all(dir.path().join("proc/self")).unwrap();
        let d = read(&Host::fixture(dir.path())).unwrap();
        assert_eq!(d.processes.len(), 3);
        assert_eq!(d.shim_count(), 1);
        assert_eq!(d.total_rss(), (76000 + 38000 + 12500) * 1024);
        assert!(d.has_dockerd());
        assert!(!d.all_pss);
        // With smaps_rollup readable, Pss wins over VmRSS.
        std::fs::write(
            dir.path().join("proc/10/smaps_rollup"),
            "Rss: 76000 kB\nPss: 70000 kB\n",
        )
        .unwrap();
        let d = read(&Host::fixture(dir.path())).unwrap();
        assert_eq!(d.total_rss(), (70000 + 38000 + 12500) * 1024);
    }
}
