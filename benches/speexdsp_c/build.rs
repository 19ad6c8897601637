//! Builds the shim over the system's speexdsp (Debian: `libspeexdsp-dev`)
//! and links the library, as a PBX links it.

fn main() {
    println!("cargo:rerun-if-changed=src/shim.c");
    cc::Build::new()
        .file("src/shim.c")
        .opt_level(2)
        .warnings(true)
        .compile("speexdsp_shim");
    println!("cargo:rustc-link-lib=speexdsp");
}
