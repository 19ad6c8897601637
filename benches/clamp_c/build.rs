//! Builds the C baseline at -O2, as a classic media server would ship it.

fn main() {
    println!("cargo:rerun-if-changed=src/clamp.c");
    cc::Build::new()
        .file("src/clamp.c")
        .opt_level(2)
        .warnings(true)
        .compile("clamp");
}
