//! Shared by the Docker tests: the one-file test image, built here because no registry is
//! reachable. `tests/fixtures/docker/memhog.c` is compiled with `gcc -static` and
//! `docker import`ed as the image's whole root filesystem.

use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

pub const IMAGE: &str = "headroom-compose-memhog:test";

/// Runs a command that must succeed; a missing program fails with what to install.
pub fn run(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap_or_else(|e| {
        panic!(
            "cannot run {:?}: {e}; install it with scripts/setup/docker.sh",
            cmd.get_program()
        )
    });
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

pub fn docker(args: &[&str]) -> String {
    run(Command::new("docker").args(args))
}

/// Builds and imports the test image once per test binary (reused across runs).
pub fn image() -> &'static str {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let have = Command::new("docker")
            .args(["image", "inspect", IMAGE])
            .output()
            .is_ok_and(|o| o.status.success());
        if have {
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/docker/memhog.c");
        let bin = dir.path().join("memhog");
        run(Command::new("gcc")
            .args(["-static", "-O2", "-o"])
            .arg(&bin)
            .arg(&src));
        let tar = dir.path().join("rootfs.tar");
        run(Command::new("tar")
            .arg("-C")
            .arg(dir.path())
            .arg("-cf")
            .arg(&tar)
            .arg("memhog"));
        docker(&["import", &tar.to_string_lossy(), IMAGE]);
    });
    IMAGE
}
