//! The builder daemon. A stub until the builder issue: it only reports its version.

fn main() {
    println!("kojid (koji-rs) {}: the builder daemon is not implemented yet", env!("CARGO_PKG_VERSION"));
}
