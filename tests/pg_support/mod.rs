//! A real PostgreSQL server for tests: the machine's packaged binaries, a temporary data
//! directory owned by `postgres`, a free port and a private socket directory, stopped on drop.
//!
//! Servers never run as root: when the tests run as root every server command goes through
//! `runuser -u postgres`. A machine without the binaries fails the test with the install hint
//! instead of skipping it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const INSTALL_HINT: &str = "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: run `sudo scripts/setup/postgres.sh` (apt-get install postgresql)";

/// The newest `/usr/lib/postgresql/<major>/bin` on this machine.
pub fn bin_dir() -> PathBuf {
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect(INSTALL_HINT)
        .filter_map(Result::ok)
        .filter_map(|e| {
            let major: u32 = e.file_name().to_string_lossy().parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("postgres").exists().then_some((major, bin))
        })
        .collect();
    found.sort();
    found.pop().expect(INSTALL_HINT).1
}

pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() == 0 }
}

/// A command run as the `postgres` user when we are root, else as ourselves.
pub fn as_pg(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("no free port on 127.0.0.1")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// One initdb'd cluster; start and stop it as often as needed.
pub struct Pg {
    pub bin: PathBuf,
    pub dir: tempfile::TempDir,
    pub data: PathBuf,
    pub sock: PathBuf,
    pub port: u16,
    pub major: u32,
    running: bool,
}

impl Pg {
    /// `initdb` into a fresh temporary directory (trust auth for local sockets, password auth
    /// for TCP so the bad-password test has something to fail).
    pub fn init() -> Pg {
        let bin = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("headroom-pg")
            .tempdir()
            .expect("temp dir");
        let data = dir.path().join("data");
        let sock = dir.path().join("sock");
        std::fs::create_dir_all(&sock).unwrap();
        let mut me = Pg {
            major: 0,
            bin,
            data,
            sock,
            port: free_port(),
            dir,
            running: false,
        };
        me.chown();
        let o = as_pg(&me.bin.join("initdb"))
            .args([
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-sync",
                "-D",
            ])
            .arg(&me.data)
            .output()
            .expect(INSTALL_HINT);
        assert!(o.status.success(), "initdb failed: {}", text(&o));
        me.major = std::fs::read_to_string(me.data.join("PG_VERSION"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        me
    }

    /// Hands everything under the temp dir to `postgres` (files written by the test included).
    pub fn chown(&self) {
        if is_root() {
            let o = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(self.dir.path())
                .output()
                .unwrap();
            assert!(o.status.success(), "chown: {}", text(&o));
        }
    }

    /// Writes a file under the temp dir (parents created) and returns its path.
    pub fn write(&self, rel: &str, contents: &str) -> PathBuf {
        let p = self.dir.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(&p, contents).unwrap();
        self.chown();
        p
    }

    /// Starts the server with extra `postgres` options (`-c config_file=…`, `-c work_mem=…`).
    pub fn start(&mut self, extra: &[String]) -> Result<(), String> {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 {}",
            self.port,
            self.sock.display(),
            extra.join(" ")
        );
        let log = self.dir.path().join("server.log");
        let o = as_pg(&self.bin.join("pg_ctl"))
            .arg("-D")
            .arg(&self.data)
            .args(["-w", "-t", "30", "-l"])
            .arg(&log)
            .args(["-o", &opts, "start"])
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            self.running = true;
            Ok(())
        } else {
            let server_log = std::fs::read_to_string(&log).unwrap_or_default();
            Err(format!("{}\n{server_log}", text(&o)))
        }
    }

    pub fn stop(&mut self) {
        if self.running {
            let _ = as_pg(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "fast", "-w", "stop"])
                .output();
            self.running = false;
        }
    }

    /// `postgres -D data <args> -C name`: the value the server would run with (base units),
    /// or its error when it refuses the configuration.
    pub fn show_c(&self, args: &[String], name: &str) -> Result<String, String> {
        let o = as_pg(&self.bin.join("postgres"))
            .arg("-D")
            .arg(&self.data)
            .args(args)
            .args(["-C", name])
            .output()
            .map_err(|e| e.to_string())?;
        if o.status.success() {
            Ok(String::from_utf8_lossy(&o.stdout).trim().to_string())
        } else {
            Err(text(&o))
        }
    }

    /// Runs SQL through psql over the socket; rows as `|`-separated text.
    pub fn psql(&self, sql: &str) -> String {
        let o = Command::new(self.bin.join("psql"))
            .args(["-X", "-A", "-t", "-U", "postgres", "-d", "postgres", "-h"])
            .arg(&self.sock)
            .args(["-p", &self.port.to_string(), "-c", sql])
            .output()
            .expect("psql");
        assert!(o.status.success(), "psql {sql}: {}", text(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    }

    /// A TCP URL to this server.
    pub fn url(&self, user: &str, password: Option<&str>, db: &str) -> String {
        let auth = password.map_or(user.to_string(), |p| format!("{user}:{p}"));
        format!("postgres://{auth}@127.0.0.1:{}/{db}", self.port)
    }
}

impl Drop for Pg {
    fn drop(&mut self) {
        if self.running {
            let _ = as_pg(&self.bin.join("pg_ctl"))
                .arg("-D")
                .arg(&self.data)
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}
