//! Gunicorn's command-line option table, as its `config.py` declares it.
//!
//! The argv parser needs every option Gunicorn knows, not only the ones headroom reports: a flag
//! that takes no value (`--preload`, `-D`) must not swallow the app argument, and an option that
//! takes one must. The table was generated from `gunicorn.config.KNOWN_SETTINGS` of gunicorn
//! 27.0.1 (`scripts/setup/gunicorn.sh` installs it): `cli` flags, `action`, `nargs` and `type`.
//! 21.2.0's table is a subset of it, except that `--proxy-protocol` was a plain flag there.

/// How argparse consumes an option's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `action="store"`: exactly one value (`-w 4`, `-w4`, `--workers=4`).
    Store,
    /// `store_true` / `store_const`: no value (`--preload`, `-D`).
    Flag,
    /// `action="append"`: one value, repeated options accumulate (`-b a -b b`).
    Append,
    /// `nargs="?"`: takes the next argument only when it does not look like an option.
    Optional,
}

/// argparse's `type=` for the option: how a command-line string becomes a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Python `int(s)`: base 10.
    Int,
    /// Gunicorn's `auto_int`: `int(s, 0)` with a leading `0` read as octal.
    AutoInt,
    Str,
}

/// One Gunicorn setting that has command-line flags.
#[derive(Clone, Copy, Debug)]
pub struct Opt {
    pub setting: &'static str,
    pub flags: &'static [&'static str],
    pub kind: Kind,
    pub ty: Ty,
}

/// The option a flag string names exactly, if any.
pub fn exact(flag: &str) -> Option<&'static Opt> {
    OPTIONS.iter().find(|o| o.flags.contains(&flag))
}

/// Every flag string, for argparse's prefix matching (`--timeo` → `--timeout`).
pub fn all_flags() -> impl Iterator<Item = (&'static str, &'static Opt)> {
    OPTIONS
        .iter()
        .flat_map(|o| o.flags.iter().map(move |f| (*f, o)))
}

/// `gunicorn.config.KNOWN_SETTINGS` with a `cli`, sorted by setting name (gunicorn 27.0.1).
pub const OPTIONS: &[Opt] = &[
    Opt {
        setting: "access_log_format",
        flags: &["--access-logformat"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "accesslog",
        flags: &["--access-logfile"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "asgi_disconnect_grace_period",
        flags: &["--asgi-disconnect-grace-period"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "asgi_lifespan",
        flags: &["--asgi-lifespan"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "asgi_loop",
        flags: &["--asgi-loop"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "backlog",
        flags: &["--backlog"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "bind",
        flags: &["-b", "--bind"],
        kind: Kind::Append,
        ty: Ty::Str,
    },
    Opt {
        setting: "ca_certs",
        flags: &["--ca-certs"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "capture_output",
        flags: &["--capture-output"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "casefold_http_method",
        flags: &["--casefold-http-method"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "cert_reqs",
        flags: &["--cert-reqs"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "certfile",
        flags: &["--certfile"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "chdir",
        flags: &["--chdir"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "check_config",
        flags: &["--check-config"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "ciphers",
        flags: &["--ciphers"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "config",
        flags: &["-c", "--config"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "control_socket",
        flags: &["--control-socket"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "control_socket_disable",
        flags: &["--no-control-socket"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "control_socket_mode",
        flags: &["--control-socket-mode"],
        kind: Kind::Store,
        ty: Ty::AutoInt,
    },
    Opt {
        setting: "daemon",
        flags: &["-D", "--daemon"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "dirty_apps",
        flags: &["--dirty-app"],
        kind: Kind::Append,
        ty: Ty::Str,
    },
    Opt {
        setting: "dirty_graceful_timeout",
        flags: &["--dirty-graceful-timeout"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "dirty_threads",
        flags: &["--dirty-threads"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "dirty_timeout",
        flags: &["--dirty-timeout"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "dirty_workers",
        flags: &["--dirty-workers"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "disable_redirect_access_to_syslog",
        flags: &["--disable-redirect-access-to-syslog"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "do_handshake_on_connect",
        flags: &["--do-handshake-on-connect"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "dogstatsd_tags",
        flags: &["--dogstatsd-tags"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "enable_backlog_metric",
        flags: &["--enable-backlog-metric"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "enable_stdio_inheritance",
        flags: &["-R", "--enable-stdio-inheritance"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "errorlog",
        flags: &["--error-logfile", "--log-file"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "forwarded_allow_ips",
        flags: &["--forwarded-allow-ips"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "forwarder_headers",
        flags: &["--forwarder-headers"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "graceful_timeout",
        flags: &["--graceful-timeout"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "group",
        flags: &["-g", "--group"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "header_map",
        flags: &["--header-map"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "http2_cleartext",
        flags: &["--http2-cleartext"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "http2_initial_window_size",
        flags: &["--http2-initial-window-size"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "http2_max_concurrent_streams",
        flags: &["--http2-max-concurrent-streams"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "http2_max_frame_size",
        flags: &["--http2-max-frame-size"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "http2_max_header_list_size",
        flags: &["--http2-max-header-list-size"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "http_parser",
        flags: &["--http-parser"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "http_protocols",
        flags: &["--http-protocols"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "initgroups",
        flags: &["--initgroups"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "keepalive",
        flags: &["--keep-alive"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "keyfile",
        flags: &["--keyfile"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "limit_request_field_size",
        flags: &["--limit-request-field_size"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "limit_request_fields",
        flags: &["--limit-request-fields"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "limit_request_line",
        flags: &["--limit-request-line"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "logconfig",
        flags: &["--log-config"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "logconfig_json",
        flags: &["--log-config-json"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "logger_class",
        flags: &["--logger-class"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "loglevel",
        flags: &["--log-level"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "max_requests",
        flags: &["--max-requests"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "max_requests_jitter",
        flags: &["--max-requests-jitter"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "paste",
        flags: &["--paste", "--paster"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "permit_obsolete_folding",
        flags: &["--permit-obsolete-folding"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "permit_unconventional_http_method",
        flags: &["--permit-unconventional-http-method"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "permit_unconventional_http_version",
        flags: &["--permit-unconventional-http-version"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "pidfile",
        flags: &["-p", "--pid"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "preload_app",
        flags: &["--preload"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "print_config",
        flags: &["--print-config"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "proc_name",
        flags: &["-n", "--name"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "protocol",
        flags: &["--protocol"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "proxy_allow_ips",
        flags: &["--proxy-allow-from"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "proxy_protocol",
        flags: &["--proxy-protocol"],
        kind: Kind::Optional,
        ty: Ty::Str,
    },
    Opt {
        setting: "pythonpath",
        flags: &["--pythonpath"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "raw_env",
        flags: &["-e", "--env"],
        kind: Kind::Append,
        ty: Ty::Str,
    },
    Opt {
        setting: "raw_paste_global_conf",
        flags: &["--paste-global"],
        kind: Kind::Append,
        ty: Ty::Str,
    },
    Opt {
        setting: "reload",
        flags: &["--reload"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "reload_engine",
        flags: &["--reload-engine"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "reload_extra_files",
        flags: &["--reload-extra-file"],
        kind: Kind::Append,
        ty: Ty::Str,
    },
    Opt {
        setting: "reuse_port",
        flags: &["--reuse-port"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "root_path",
        flags: &["--root-path"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "sendfile",
        flags: &["--no-sendfile"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "spew",
        flags: &["--spew"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "ssl_version",
        flags: &["--ssl-version"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "statsd_host",
        flags: &["--statsd-host"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "statsd_prefix",
        flags: &["--statsd-prefix"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "strip_header_spaces",
        flags: &["--strip-header-spaces"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "suppress_ragged_eofs",
        flags: &["--suppress-ragged-eofs"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "syslog",
        flags: &["--log-syslog"],
        kind: Kind::Flag,
        ty: Ty::Str,
    },
    Opt {
        setting: "syslog_addr",
        flags: &["--log-syslog-to"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "syslog_facility",
        flags: &["--log-syslog-facility"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "syslog_prefix",
        flags: &["--log-syslog-prefix"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "threads",
        flags: &["--threads"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "timeout",
        flags: &["-t", "--timeout"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "umask",
        flags: &["-m", "--umask"],
        kind: Kind::Store,
        ty: Ty::AutoInt,
    },
    Opt {
        setting: "user",
        flags: &["-u", "--user"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "uwsgi_allow_ips",
        flags: &["--uwsgi-allow-from"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "websocket_max_message_size",
        flags: &["--websocket-max-message-size"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "worker_class",
        flags: &["-k", "--worker-class"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "worker_connections",
        flags: &["--worker-connections"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
    Opt {
        setting: "worker_tmp_dir",
        flags: &["--worker-tmp-dir"],
        kind: Kind::Store,
        ty: Ty::Str,
    },
    Opt {
        setting: "workers",
        flags: &["-w", "--workers"],
        kind: Kind::Store,
        ty: Ty::Int,
    },
];
