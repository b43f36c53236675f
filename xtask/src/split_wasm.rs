//! `split-wasm INPUT.wasm PKG_DIR`: splits the browser bundle at its lazy
//! routes as `cargo leptos build --split` does, for builds without
//! cargo-leptos (the test site, `build_test_site` in xtask/lib.sh).
//!
//! It writes the route chunks, the `__wasm_split` loader and its manifest
//! into PKG_DIR, and the main module beside INPUT as `<stem>_split.wasm`,
//! for wasm-bindgen (with `--keep-lld-exports`) to turn into
//! `PKG_DIR/tessera.js`. The frontend must be linked with `--emit-relocs`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use wasm_split_cli_support::{Options, transform};

/// The loader's name where Leptos's `HydrationScripts` looks for it.
const LOADER: &str = "./__wasm_split.______________________.js";
/// The manifest `HydrationScripts` reads to preload a route's chunks.
const MANIFEST: &str = "__wasm_split_manifest.json";
/// The JS module wasm-bindgen writes (`--out-name tessera`).
const MAIN_MODULE: &str = "./tessera.js";

fn main() -> ExitCode {
    let args: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    let [input, pkg] = args.as_slice() else {
        eprintln!("usage: split-wasm INPUT.wasm PKG_DIR");
        return ExitCode::from(2);
    };
    match split(input, pkg) {
        Ok(main) => {
            println!("{}", main.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("split-wasm: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Splits `input` into `pkg`; returns the main module's path.
fn split(input: &Path, pkg: &Path) -> Result<PathBuf, Box<dyn std::error::Error>> {
    let wasm = std::fs::read(input).map_err(|e| format!("{}: {e}", input.display()))?;
    let stem = input
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or("the input has no file name")?;
    let main = input.with_file_name(format!("{stem}_split.wasm"));
    let mut options = Options::new(&wasm);
    options.output_dir = pkg;
    options.main_out_path = &main;
    options.main_module = MAIN_MODULE;
    options.link_name = LOADER;
    let split = transform(options).map_err(|e| format!("{e:#}"))?;
    std::fs::write(pkg.join(MANIFEST), serde_json::to_string_pretty(&split.prefetch_map)?)?;
    Ok(main)
}
