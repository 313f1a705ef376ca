//! The `headroom` binary: parse arguments, run, map the outcome to an exit status.

use clap::Parser;
use std::io::{IsTerminal, Write};

fn main() {
    let cli = headroom::cli::Cli::parse();
    // Colour only for a person at a terminal; `colored` already honours NO_COLOR/CLICOLOR.
    if !std::io::stdout().is_terminal()
        || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
    {
        colored::control::set_override(false);
    }
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut err = std::io::stderr();
    let code = match headroom::app::run(cli, &mut out, &mut err) {
        Ok(code) => code,
        // `headroom check | head -1`: the reader left; that is not our failure (ripgrep does the same).
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            headroom::app::ERROR
        }
    };
    let _ = out.flush();
    std::process::exit(code);
}
