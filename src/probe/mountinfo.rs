//! `/proc/self/mountinfo`: which filesystems are mounted where, as this process sees them.
//!
//! The cgroup probe needs it to turn `/proc/self/cgroup` paths into directories (a Docker v1
//! container mounts `root=/docker/<id>` at `/sys/fs/cgroup/memory`, domain.md §4.5), the disk
//! probe needs the filesystem type of `/tmp` and `/dev/shm`, and the machine probe looks for an
//! overlay root. Format: kernel `Documentation/filesystems/proc.rst` §3.5.

use super::Ctx;
use super::procfs::ParseError;
use std::sync::Arc;

/// One mountinfo line, with the fields the probes use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mount {
    /// The path inside the mounted filesystem that appears at `mount_point` (field 4).
    pub root: String,
    pub mount_point: String,
    pub fstype: String,
    pub source: String,
    /// Filesystem-specific options (`rw,memory` for a v1 memory controller).
    pub super_opts: String,
}

impl Mount {
    /// True when the comma-separated super options contain `opt` exactly.
    pub fn has_opt(&self, opt: &str) -> bool {
        self.super_opts.split(',').any(|o| o == opt)
    }
}

/// Parses mountinfo text. Lines that do not have the ` - ` separator are rejected with their line
/// number: a truncated file is not silently half-read.
pub fn parse(text: &str) -> Result<Vec<Mount>, ParseError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = || ParseError::at(i + 1, "malformed mountinfo line");
        let (pre, post) = line.split_once(" - ").ok_or_else(bad)?;
        let mut pre = pre.split(' ');
        let root = pre.nth(3).ok_or_else(bad)?;
        let mount_point = pre.next().ok_or_else(bad)?;
        let mut post = post.split(' ');
        let fstype = post.next().ok_or_else(bad)?;
        let source = post.next().unwrap_or("");
        let super_opts = post.next().unwrap_or("");
        out.push(Mount {
            root: unescape(root),
            mount_point: unescape(mount_point),
            fstype: fstype.to_string(),
            source: unescape(source),
            super_opts: super_opts.to_string(),
        });
    }
    Ok(out)
}

/// Reads and parses `/proc/self/mountinfo` under the host root; the error is a ready reason.
/// Parsed once per run: the cgroup, CPU, disk, pressure and machine probes all want it, and a
/// container host's mountinfo runs to hundreds of lines.
pub fn read(ctx: &Ctx) -> Result<Arc<Vec<Mount>>, String> {
    let parsed = ctx.host.memo("mountinfo", || {
        let text = ctx.host.read("/proc/self/mountinfo")?;
        parse(&text)
            .map(Arc::new)
            .map_err(|e| format!("cannot parse /proc/self/mountinfo: {e}"))
    });
    (*parsed).clone()
}

/// The mount that holds `path`: the longest mount point that prefixes it, the later line winning
/// among equals because a later mount on the same point hides the earlier one.
pub fn mount_of<'a>(mounts: &'a [Mount], path: &str) -> Option<&'a Mount> {
    let mut best: Option<&Mount> = None;
    for m in mounts {
        if is_under(path, &m.mount_point)
            && best.is_none_or(|b| m.mount_point.len() >= b.mount_point.len())
        {
            best = Some(m);
        }
    }
    best
}

/// True when `path` is `dir` or inside it, comparing whole path components.
pub fn is_under(path: &str, dir: &str) -> bool {
    if dir == "/" {
        return path.starts_with('/');
    }
    match path.strip_prefix(dir) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Mountinfo escapes space, tab, newline and backslash as `\ooo` octal.
fn unescape(s: &str) -> String {
    if !s.contains('\\') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && let Some(oct) = s.get(i + 1..i + 4)
            && oct.bytes().all(|c| (b'0'..=b'7').contains(&c))
            && let Ok(v) = u8::from_str_radix(oct, 8)
        {
            out.push(v);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    // From a Docker 20.10 cgroup-v1 container on this project's build host (kernel 6.18).
    const DOCKER_V1: &str = "\
69 45 0:39 / / rw,nodev,noatime master:2 - fuse.fuse-overlayfs fuse-overlayfs rw,user_id=0,group_id=0,default_permissions,allow_other
78 74 0:32 /docker/38a90de05fc7266f0b4f4bf66d736e46ba4277489f5d4f5de68ef2682cb526e4 /sys/fs/cgroup/memory ro,nosuid,nodev,noexec,relatime - cgroup cgroup rw,memory
85 71 0:46 / /dev/shm rw,nosuid,nodev,noexec,relatime - tmpfs shm rw,size=65536k
";

    #[test]
    fn parses_fields_around_optional_tags() {
        let m = parse(DOCKER_V1).unwrap();
        assert_eq!(m.len(), 3);
        assert_eq!(m[0].fstype, "fuse.fuse-overlayfs");
        assert_eq!(
            m[1].root,
            "/docker/38a90de05fc7266f0b4f4bf66d736e46ba4277489f5d4f5de68ef2682cb526e4"
        );
        assert!(m[1].has_opt("memory"));
        assert!(!m[1].has_opt("memsw"));
        assert_eq!(m[2].source, "shm");
    }

    #[test]
    fn longest_mount_point_wins() {
        let m = parse(DOCKER_V1).unwrap();
        assert_eq!(mount_of(&m, "/dev/shm").unwrap().fstype, "tmpfs");
        assert_eq!(mount_of(&m, "/tmp").unwrap().mount_point, "/");
        assert_eq!(mount_of(&m, "/dev/shmx").unwrap().mount_point, "/");
    }

    #[test]
    fn octal_escapes_are_decoded() {
        let m = parse("1 0 0:1 / /mnt/my\\040disk rw - ext4 /dev/sda1 rw\n").unwrap();
        assert_eq!(m[0].mount_point, "/mnt/my disk");
        assert_eq!(unescape("a\\1"), "a\\1");
        assert_eq!(unescape("\\"), "\\");
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(parse("nonsense").is_err());
        assert!(parse("1 2 3 - x").is_err());
        assert!(parse("").unwrap().is_empty());
    }
}
