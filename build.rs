//! Rebuilds the crate when a file is added to `emails/` or
//! `examples/subscribers.csv` changes: `include_dir!` (src/starter.rs)
//! tracks the files it embedded, but not a new one, such as a page
//! template added beside them.

fn main() {
    println!("cargo:rerun-if-changed=emails");
    println!("cargo:rerun-if-changed=examples/subscribers.csv");
}
