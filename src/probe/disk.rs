//! Disk and shared-memory space: free and total bytes on `/`, the Docker data root and
//! `/dev/shm`, and the filesystem types of `/tmp` and `/dev/shm`.
//!
//! PostgreSQL's parallel queries fail with "could not resize shared memory segment" when
//! `/dev/shm` is Docker's default 64 MiB (domain.md §0.7), and Gunicorn's heartbeat files belong
//! on a tmpfs, not an overlay (domain.md §1.6). Sizes come from statvfs(3), which describes the
//! running machine, so it is only called when the host is live; a fixture tree may provide
//! `<root>/statvfs.json` (`{"/": {"total": .., "free": ..}}`) instead.

use super::Ctx;
use super::mountinfo;
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, bytes, string};
use std::collections::BTreeMap;

pub const FACTS: &[FactSpec] = &[
    bytes(
        "disk.root_free",
        "Bytes available to unprivileged users on the filesystem holding /",
    ),
    bytes("disk.root_total", "Size of the filesystem holding /"),
    bytes(
        "disk.docker_free",
        "Bytes available on the filesystem holding the Docker data root (/var/lib/docker or daemon.json data-root)",
    ),
    bytes(
        "disk.shm_total",
        "Size of /dev/shm (Docker's default for a container is 64 MiB)",
    ),
    bytes("disk.shm_free", "Bytes free in /dev/shm"),
    string(
        "disk.tmp_fstype",
        "Filesystem type of /tmp (from /proc/self/mountinfo)",
    ),
    string(
        "disk.shm_fstype",
        "Filesystem type of /dev/shm (from /proc/self/mountinfo)",
    ),
];

/// Total and free bytes of one filesystem.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Space {
    pub total: i64,
    pub free: i64,
}

/// statvfs(3) on the live machine. `f_bavail` (not `f_bfree`): the space a non-root service
/// such as PostgreSQL can actually write.
fn statvfs_live(path: &str) -> Result<Space, String> {
    let c = std::ffi::CString::new(path).map_err(|_| format!("bad path {path}"))?;
    // SAFETY: `c` is a valid NUL-terminated string and `st` a properly sized out-parameter.
    let mut st: libc::statvfs = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::statvfs(c.as_ptr(), &raw mut st) };
    if rc != 0 {
        let e = std::io::Error::last_os_error();
        return Err(format!("statvfs {path}: {}", super::host::describe(&e)));
    }
    let frsize = i64::try_from(st.f_frsize).unwrap_or(i64::MAX);
    let to = |blocks: u64| {
        i64::try_from(blocks)
            .unwrap_or(i64::MAX)
            .saturating_mul(frsize)
    };
    #[allow(clippy::useless_conversion)]
    Ok(Space {
        total: to(u64::from(st.f_blocks)),
        free: to(u64::from(st.f_bavail)),
    })
}

/// Parses the fixture stand-in for statvfs.
pub fn parse_statvfs_json(text: &str) -> Result<BTreeMap<String, Space>, String> {
    serde_json::from_str(text).map_err(|e| format!("cannot parse statvfs.json: {e}"))
}

/// Measures `path`: statvfs when live, the fixture's statvfs.json otherwise.
fn space(
    ctx: &Ctx,
    fixture: &Option<Result<BTreeMap<String, Space>, String>>,
    path: &str,
) -> Result<Space, String> {
    if ctx.host.live {
        return statvfs_live(&ctx.host.path(path).to_string_lossy());
    }
    match fixture {
        Some(Ok(map)) => map
            .get(path)
            .copied()
            .ok_or_else(|| format!("statvfs.json has no entry for {path}")),
        Some(Err(e)) => Err(e.clone()),
        None => Err("not measurable in a fixture tree".to_string()),
    }
}

/// The Docker data root: `data-root` in `/etc/docker/daemon.json` when set, else the default.
fn docker_root(ctx: &Ctx) -> (String, String) {
    if let Ok(text) = ctx.host.read("/etc/docker/daemon.json")
        && let Ok(v) = serde_json::from_str::<serde_json::Value>(&text)
        && let Some(r) = v.get("data-root").and_then(|r| r.as_str())
    {
        return (
            r.to_string(),
            "/etc/docker/daemon.json data-root".to_string(),
        );
    }
    (
        "/var/lib/docker".to_string(),
        "default data root".to_string(),
    )
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let fixture = if ctx.host.live {
        None
    } else {
        let p = ctx.host.root.join("statvfs.json");
        p.exists().then(|| {
            super::host::read_text(&p)
                .map_err(|e| format!("cannot read statvfs.json: {e}"))
                .and_then(|t| parse_statvfs_json(&t))
        })
    };
    match space(ctx, &fixture, "/") {
        Ok(s) => {
            facts.set("disk.root_free", s.free, "statvfs /");
            facts.set("disk.root_total", s.total, "statvfs /");
        }
        Err(r) => {
            facts.unknown("disk.root_free", r.clone());
            facts.unknown("disk.root_total", r);
        }
    }
    let (droot, why) = docker_root(ctx);
    if ctx.host.path(&droot).is_dir() {
        match space(ctx, &fixture, &droot) {
            Ok(s) => facts.set(
                "disk.docker_free",
                s.free,
                format!("statvfs {droot} ({why})"),
            ),
            Err(r) => facts.unknown("disk.docker_free", r),
        }
    } else {
        facts.unknown(
            "disk.docker_free",
            format!("no Docker data root at {droot} ({why})"),
        );
    }
    if ctx.host.path("/dev/shm").is_dir() {
        match space(ctx, &fixture, "/dev/shm") {
            Ok(s) => {
                facts.set("disk.shm_total", s.total, "statvfs /dev/shm");
                facts.set("disk.shm_free", s.free, "statvfs /dev/shm");
            }
            Err(r) => {
                facts.unknown("disk.shm_total", r.clone());
                facts.unknown("disk.shm_free", r);
            }
        }
    } else {
        facts.unknown("disk.shm_total", "no /dev/shm");
        facts.unknown("disk.shm_free", "no /dev/shm");
    }
    match mountinfo::read(ctx) {
        Ok(mounts) => {
            for (fact, path) in [("disk.tmp_fstype", "/tmp"), ("disk.shm_fstype", "/dev/shm")] {
                match mountinfo::mount_of(&mounts, path) {
                    Some(m) => facts.set(
                        fact,
                        m.fstype.as_str(),
                        format!("/proc/self/mountinfo (mounted at {})", m.mount_point),
                    ),
                    None => facts.unknown(fact, format!("no mount holds {path}")),
                }
            }
        }
        Err(r) => {
            facts.unknown("disk.tmp_fstype", r.clone());
            facts.unknown("disk.shm_fstype", r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statvfs_json_shape() {
        let m = parse_statvfs_json(r#"{"/": {"total": 100, "free": 40}}"#).unwrap();
        assert_eq!(
            m["/"],
            Space {
                total: 100,
                free: 40
            }
        );
        assert!(parse_statvfs_json("[").is_err());
        assert!(parse_statvfs_json(r#"{"/": {"total": "big"}}"#).is_err());
    }

    #[test]
    fn live_statvfs_of_root_is_sane() {
        let s = statvfs_live("/").unwrap();
        assert!(s.total > 0 && s.free >= 0 && s.free <= s.total, "{s:?}");
        assert!(
            statvfs_live("/no/such/dir")
                .unwrap_err()
                .contains("no such file")
        );
    }
}
