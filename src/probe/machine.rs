//! Where headroom runs: a container (and which runtime), a virtual machine (and which
//! hypervisor) or bare metal; plus the OS, kernel and uptime.
//!
//! No single signal is definitive (domain.md §3.4), so they are tried from the most explicit
//! (`/.dockerenv`, `/run/.containerenv`, `container=`) to the most circumstantial (cgroup paths,
//! an overlay root), and the fact's source names the one that decided.

use super::Ctx;
use super::cgroup;
use super::mountinfo;
use super::procfs::{ParseError, quote};
use crate::facts::Facts;
use crate::facts::registry::{FactSpec, boolean, secs, string};

pub const FACTS: &[FactSpec] = &[
    string(
        "machine.kind",
        "container, vm or bare-metal (a container on a VM is \"container\")",
    ),
    boolean("machine.container", "True when running inside a container"),
    string(
        "machine.container_runtime",
        "docker, podman, lxc, kubernetes, containerd, another `container=` value, unknown, or none",
    ),
    string(
        "machine.virtualization",
        "none, or the hypervisor (kvm, qemu, vmware, virtualbox, hyperv, xen, amazon, google, …; unknown when only the CPU flag says so)",
    ),
    string("machine.os", "PRETTY_NAME from /etc/os-release"),
    string(
        "machine.kernel",
        "Kernel release (/proc/sys/kernel/osrelease)",
    ),
    secs("machine.uptime", "Seconds since boot (/proc/uptime)"),
];

/// The container runtime named by a cgroup path, if any.
pub fn runtime_from_cgroup_path(path: &str) -> Option<&'static str> {
    // Kubernetes first: its pods also contain docker/containerd segments.
    if path.contains("/kubepods") {
        Some("kubernetes")
    } else if path.contains("/docker/") || path.contains("/docker-") || path.ends_with("/docker") {
        Some("docker")
    } else if path.contains("libpod") {
        Some("podman")
    } else if path.contains("/lxc/") || path.contains("/lxc.payload") {
        Some("lxc")
    } else if path.contains("/containerd") || path.contains("cri-containerd") {
        Some("containerd")
    } else {
        None
    }
}

/// Detects a container; returns (runtime, the signal that decided).
///
/// `/.dockerenv` alone is not trusted when `/` is a whole block device (mountinfo root `/`,
/// source `/dev/…`, not an overlay): that is a VM or machine booted from a disk image that was
/// built with Docker, which leaves the file behind (this project's build host is one). Docker's
/// own roots are overlays, or subvolumes/directories whose mountinfo root is not `/`.
pub fn detect_container(ctx: &Ctx) -> Option<(String, String)> {
    let mounts = mountinfo::read(ctx).ok();
    let root = mounts.as_deref().and_then(|m| mountinfo::mount_of(m, "/"));
    let whole_disk_root =
        root.filter(|r| r.root == "/" && r.source.starts_with("/dev/") && !is_overlay(&r.fstype));
    match whole_disk_root {
        _ if !ctx.host.exists("/.dockerenv") => {}
        None => return Some(("docker".into(), "/.dockerenv exists".into())),
        Some(_) => {}
    }
    if ctx.host.exists("/run/.containerenv") {
        return Some(("podman".into(), "/run/.containerenv exists".into()));
    }
    if let Some(v) = ctx.host.env("container").filter(|v| !v.is_empty()) {
        let rt = match v {
            "podman" | "oci" => "podman",
            "lxc" | "lxc-libvirt" => "lxc",
            "docker" => "docker",
            other => other,
        };
        return Some((rt.into(), format!("environment container={v}")));
    }
    if ctx.host.env("KUBERNETES_SERVICE_HOST").is_some() {
        return Some((
            "kubernetes".into(),
            "environment KUBERNETES_SERVICE_HOST".into(),
        ));
    }
    for file in ["/proc/1/cgroup", "/proc/self/cgroup"] {
        if let Ok(pc) = ctx.host.read(file).map(|t| cgroup::parse_proc_cgroup(&t)) {
            let Ok(pc) = pc else { continue };
            let paths = pc
                .v1
                .iter()
                .map(|(_, p)| p.as_str())
                .chain(pc.unified.as_deref());
            for p in paths {
                if let Some(rt) = runtime_from_cgroup_path(p) {
                    return Some((rt.into(), format!("{file} path {p}")));
                }
            }
        }
    }
    let root = root.filter(|r| is_overlay(&r.fstype))?;
    // The overlay's upperdir names the storage it belongs to.
    let rt = if root.super_opts.contains("/var/lib/docker/") {
        "docker"
    } else if root.super_opts.contains("/containers/storage/") {
        "podman"
    } else if root.super_opts.contains("containerd") {
        "containerd"
    } else {
        "unknown"
    };
    Some((
        rt.into(),
        format!("/ is {} (/proc/self/mountinfo)", root.fstype),
    ))
}

fn is_overlay(fstype: &str) -> bool {
    fstype == "overlay" || fstype.ends_with("overlayfs")
}

/// Why a `/.dockerenv` was not believed, for the "not a container" source.
fn ignored_dockerenv(ctx: &Ctx) -> Option<String> {
    if !ctx.host.exists("/.dockerenv") {
        return None;
    }
    let mounts = mountinfo::read(ctx).ok()?;
    let r = mountinfo::mount_of(&mounts, "/")?;
    Some(format!(
        "/.dockerenv exists but / is the whole device {} ({}), so it is a leftover of the image build",
        r.source, r.fstype
    ))
}

/// Maps DMI `sys_vendor` / `product_name` to a hypervisor name.
pub fn hypervisor_from_dmi(vendor: &str, product: &str) -> Option<&'static str> {
    let v = vendor.trim();
    let p = product.trim();
    let table: &[(&str, &str)] = &[
        ("QEMU", "qemu"),
        ("KVM", "kvm"),
        ("VMware", "vmware"),
        ("innotek", "virtualbox"),
        ("Xen", "xen"),
        ("Amazon EC2", "amazon"),
        ("Google", "google"),
        ("DigitalOcean", "kvm"),
        ("Hetzner", "kvm"),
        ("OpenStack", "kvm"),
        ("Parallels", "parallels"),
        ("Bochs", "bochs"),
    ];
    for (needle, name) in table {
        if v.contains(needle) || p.contains(needle) {
            return Some(name);
        }
    }
    if v.contains("Microsoft") && p.contains("Virtual Machine") {
        return Some("hyperv");
    }
    None
}

/// The `hypervisor` CPU flag: set by every mainstream hypervisor, absent on bare metal.
pub fn cpuinfo_has_hypervisor_flag(text: &str) -> bool {
    text.lines()
        .filter(|l| l.starts_with("flags"))
        .any(|l| l.split_whitespace().any(|f| f == "hypervisor"))
}

fn detect_vm(ctx: &Ctx) -> Result<(String, String), String> {
    let vendor = ctx.host.read("/sys/class/dmi/id/sys_vendor");
    let product = ctx.host.read("/sys/class/dmi/id/product_name");
    if let (Ok(v), p) = (&vendor, &product) {
        let p = p.as_deref().unwrap_or("");
        if let Some(h) = hypervisor_from_dmi(v, p) {
            return Ok((
                h.into(),
                format!("/sys/class/dmi/id sys_vendor {:?}", v.trim()),
            ));
        }
    }
    match ctx.host.read("/proc/cpuinfo") {
        Ok(t) if cpuinfo_has_hypervisor_flag(&t) => Ok((
            "unknown".into(),
            "/proc/cpuinfo hypervisor flag (no DMI vendor names it)".into(),
        )),
        Ok(_) => Ok(("none".into(), "no hypervisor flag in /proc/cpuinfo".into())),
        Err(e) if vendor.is_ok() => {
            Ok(("none".into(), format!("DMI vendor not a hypervisor; {e}")))
        }
        Err(e) => Err(e),
    }
}

/// `PRETTY_NAME` from os-release (shell-style `KEY="value"` lines).
pub fn parse_os_release(text: &str) -> Result<String, ParseError> {
    for line in text.lines() {
        if let Some(v) = line.trim().strip_prefix("PRETTY_NAME=") {
            let v = v.trim();
            let v = v
                .strip_prefix('"')
                .and_then(|s| s.strip_suffix('"'))
                .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
                .unwrap_or(v);
            return Ok(v.replace("\\\"", "\""));
        }
    }
    Err(ParseError::new("no PRETTY_NAME line"))
}

/// Seconds since boot: the first number of `/proc/uptime`.
pub fn parse_uptime(text: &str) -> Result<f64, ParseError> {
    text.split_whitespace()
        .next()
        .and_then(|v| v.parse::<f64>().ok())
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| ParseError::new(format!("not an uptime: {}", quote(text))))
}

pub fn collect(ctx: &Ctx, facts: &mut Facts) {
    let container = detect_container(ctx);
    let vm = detect_vm(ctx);
    match &container {
        Some((rt, src)) => {
            facts.set("machine.container", true, src.as_str());
            facts.set("machine.container_runtime", rt.as_str(), src.as_str());
            facts.set("machine.kind", "container", src.as_str());
        }
        None => {
            let src = ignored_dockerenv(ctx).unwrap_or_else(|| {
                "no container signal (/.dockerenv, /run/.containerenv, container=, cgroup paths, overlay root)".to_string()
            });
            facts.set("machine.container", false, src.as_str());
            facts.set("machine.container_runtime", "none", src.as_str());
        }
    }
    match &vm {
        Ok((h, src)) => {
            facts.set("machine.virtualization", h.as_str(), src.as_str());
            if container.is_none() {
                let kind = if h == "none" { "bare-metal" } else { "vm" };
                facts.set("machine.kind", kind, src.as_str());
            }
        }
        Err(r) => {
            facts.unknown("machine.virtualization", r.clone());
            if container.is_none() {
                facts.unknown("machine.kind", r.clone());
            }
        }
    }
    let os = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find(|p| ctx.host.exists(p))
        .map_or_else(
            || Err("no /etc/os-release or /usr/lib/os-release".to_string()),
            |p| {
                ctx.host
                    .read(p)
                    .and_then(|t| parse_os_release(&t).map_err(|e| format!("{p}: {e}")))
                    .map(|v| (v, format!("{p} PRETTY_NAME")))
            },
        );
    match os {
        Ok((v, src)) => facts.set("machine.os", v, src),
        Err(r) => facts.unknown("machine.os", r),
    }
    match ctx.host.read("/proc/sys/kernel/osrelease") {
        Ok(t) if !t.trim().is_empty() => {
            facts.set("machine.kernel", t.trim(), "/proc/sys/kernel/osrelease");
        }
        Ok(_) => facts.unknown("machine.kernel", "/proc/sys/kernel/osrelease is empty"),
        Err(r) => facts.unknown("machine.kernel", r),
    }
    match ctx
        .host
        .read("/proc/uptime")
        .and_then(|t| parse_uptime(&t).map_err(|e| format!("cannot parse /proc/uptime: {e}")))
    {
        Ok(v) => facts.set("machine.uptime", v, "/proc/uptime"),
        Err(r) => facts.unknown("machine.uptime", r),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_paths_name_runtimes() {
        assert_eq!(runtime_from_cgroup_path("/docker/58c0aa"), Some("docker"));
        assert_eq!(
            runtime_from_cgroup_path("/system.slice/docker-58c0.scope"),
            Some("docker")
        );
        assert_eq!(
            runtime_from_cgroup_path("/kubepods/burstable/pod1/docker-58c0.scope"),
            Some("kubernetes")
        );
        assert_eq!(
            runtime_from_cgroup_path("/machine.slice/libpod-1.scope"),
            Some("podman")
        );
        assert_eq!(runtime_from_cgroup_path("/lxc/web"), Some("lxc"));
        // The build host's own sandbox cgroup is not a container runtime's.
        assert_eq!(runtime_from_cgroup_path("/process_api/025a5849"), None);
        assert_eq!(
            runtime_from_cgroup_path("/user.slice/user-1000.slice"),
            None
        );
    }

    #[test]
    fn overlay_root_without_markers_is_a_container() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("proc/self")).unwrap();
        std::fs::write(
            dir.path().join("proc/self/mountinfo"),
            "598 511 0:52 / / rw - overlay overlay rw,lowerdir=/l,upperdir=/var/lib/containers/storage/overlay/ab/diff,workdir=/w\n",
        )
        .unwrap();
        let ctx = Ctx {
            host: super::super::Host::fixture(dir.path()),
            inputs: super::super::Inputs::default(),
        };
        let got = detect_container(&ctx).map(|(rt, _)| rt);
        assert_eq!(got.as_deref(), Some("podman"));
    }

    #[test]
    fn dmi_vendors() {
        assert_eq!(
            hypervisor_from_dmi("QEMU\n", "Standard PC (Q35 + ICH9, 2009)"),
            Some("qemu")
        );
        assert_eq!(
            hypervisor_from_dmi("Microsoft Corporation", "Virtual Machine"),
            Some("hyperv")
        );
        assert_eq!(hypervisor_from_dmi("Dell Inc.", "PowerEdge R640"), None);
        assert_eq!(
            hypervisor_from_dmi("Microsoft Corporation", "Surface Pro"),
            None
        );
    }

    #[test]
    fn os_release_quoting() {
        let t = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n";
        assert_eq!(
            parse_os_release(t).unwrap(),
            "Debian GNU/Linux 12 (bookworm)"
        );
        assert_eq!(parse_os_release("PRETTY_NAME=Alpine").unwrap(), "Alpine");
        assert!(parse_os_release("").is_err());
    }

    #[test]
    fn uptime_and_flags() {
        assert_eq!(parse_uptime("617.92 809.40\n").unwrap(), 617.92);
        assert!(parse_uptime("soon").is_err());
        assert!(cpuinfo_has_hypervisor_flag(
            "flags\t\t: fpu vme hypervisor lahf_lm\n"
        ));
        assert!(!cpuinfo_has_hypervisor_flag("flags\t\t: fpu vme\n"));
    }
}
