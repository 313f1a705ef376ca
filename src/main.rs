//! The `headroom` binary: parse arguments, run, map the outcome to an exit status.

fn main() {
    println!("headroom {}", env!("CARGO_PKG_VERSION"));
}
