//! The fleet pattern, run for real: Ansible (ansible-core from PyPI) runs scripts/fleet/headroom.yml
//! against two inventory hosts (both this machine, over the local connection), copies the
//! binary, runs `check --format json` on each, gathers the results, and writes the textfile
//! collector's metrics, which Python's prometheus_client parses.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

#[test]
fn the_playbook_gathers_one_result_per_host() {
    let venv = root().join(".test-env/venv-tools/bin");
    let playbook = venv.join("ansible-playbook");
    assert!(
        playbook.exists(),
        "missing {}: run scripts/setup/python-tools.sh",
        playbook.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let inv = tmp.path().join("inventory.ini");
    std::fs::write(
        &inv,
        "[vps]\nhost-a ansible_connection=local\nhost-b ansible_connection=local\n\n[vps:vars]\nansible_python_interpreter=/usr/bin/python3\n",
    )
    .unwrap();
    let results = tmp.path().join("results");
    let textfile = tmp.path().join("textfile");
    std::fs::create_dir_all(&results).unwrap();
    std::fs::create_dir_all(&textfile).unwrap();
    let o = Command::new(&playbook)
        .arg("-i")
        .arg(&inv)
        .arg(root().join("scripts/fleet/headroom.yml"))
        .arg("-e")
        .arg(format!(
            "headroom_binary={}",
            env!("CARGO_BIN_EXE_headroom")
        ))
        .arg("-e")
        .arg(format!("headroom_dest={}/headroom", tmp.path().display()))
        .arg("-e")
        .arg(format!("results_dir={}", results.display()))
        .arg("-e")
        .arg(format!("headroom_textfile_dir={}", textfile.display()))
        .arg("-e")
        .arg("headroom_args='--only memory,swap,cpu,disk'")
        .env("ANSIBLE_LOCAL_TEMP", tmp.path().join("ansible-tmp"))
        .env("ANSIBLE_REMOTE_TEMP", tmp.path().join("ansible-remote"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env(
            "PATH",
            format!(
                "{}:{}",
                venv.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .output()
        .unwrap();
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "ansible-playbook failed:\n{log}");
    for host in ["host-a", "host-b"] {
        let text = std::fs::read_to_string(results.join(format!("{host}.json")))
            .unwrap_or_else(|e| panic!("no result for {host}: {e}\n{log}"));
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["schema"], 1);
        assert!(
            v["findings"].as_array().is_some_and(|f| !f.is_empty()),
            "{text}"
        );
    }
    let prom = textfile.join("headroom.prom");
    let check = Command::new(venv.join("python"))
        .arg("-c")
        .arg("import sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\nn=sum(1 for f in p(open(sys.argv[1]).read()) for s in f.samples)\nassert n > 10, n\nprint(n)")
        .arg(&prom)
        .output()
        .unwrap();
    assert!(
        check.status.success(),
        "textfile metrics do not parse: {}",
        String::from_utf8_lossy(&check.stderr)
    );
    // Nothing half-written is left behind.
    let left: Vec<_> = std::fs::read_dir(&textfile)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.file_name())
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
}
