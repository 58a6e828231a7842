//! Compiles the C runtime that every Pole program links against; the
//! resulting archive is embedded in the `pole` binary (see `src/link.rs`).

fn main() {
    println!("cargo:rerun-if-changed=runtime/pole_rt.c");
    println!("cargo:rerun-if-changed=runtime/pole_rt.h");
    println!("cargo:rerun-if-changed=runtime/pole_alloc.c");
    println!("cargo:rerun-if-changed=runtime/pole_alloc.h");
    println!("cargo:rerun-if-changed=runtime/pole_num.c");
    println!("cargo:rerun-if-changed=runtime/pole_c.c");
    println!("cargo:rerun-if-changed=runtime/pole_io.c");
    cc::Build::new()
        .file("runtime/pole_rt.c")
        .file("runtime/pole_num.c")
        .file("runtime/pole_c.c")
        .opt_level(2)
        .pic(true)
        .flag_if_supported("-fno-omit-frame-pointer")
        .warnings(true)
        .cargo_metadata(false)
        .compile("pole_rt");
}
