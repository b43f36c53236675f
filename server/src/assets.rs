//! The browser bundle (`pkg/tessera.js`, its WebAssembly and `tessera.css`),
//! served under names that carry a hash of their content
//! (`/pkg/tessera.3f9a…c1.js`) with `Cache-Control: immutable`: a phone
//! downloads it once per release, and a new release is never mixed with an
//! old cached one. Each file goes out as its precompressed `.br` or `.gz`
//! sibling when the browser accepts that and the site build wrote one
//! (xtask's `compress_site`); otherwise as it is.
//!
//! The three files share one name, `tessera.<hash>`, the hash covering all
//! three: it becomes Leptos's `output_name`, which `HydrationScripts` and the
//! shell's stylesheet link build their URLs from.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::{HeaderValue, header};
use sha2::{Digest, Sha256};
use tower_http::services::ServeFile;
use tower_http::set_header::SetResponseHeaderLayer;

/// What `wasm-bindgen` and cargo-leptos call the bundle.
const OUTPUT_NAME: &str = "tessera";

/// The bundle as found in `<site>/pkg` at startup.
pub struct Bundle {
    /// `tessera.<hash>`, or plain `tessera` when the bundle is missing.
    pub output_name: String,
    /// (URL path, file) for each part.
    files: Vec<(String, PathBuf)>,
}

impl Bundle {
    /// Reads the bundle's files once, to name them by their content. Without
    /// them (a server for the API only), the names stay unhashed and nothing
    /// is routed here.
    pub fn load(site_root: &Path) -> Self {
        let pkg = site_root.join("pkg");
        // Leptos asks for `<name>_bg.wasm` unless cargo-leptos built it (see
        // `HydrationScripts`); the file is the one wasm-bindgen wrote either way.
        let wasm_suffix = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
            ""
        } else {
            "_bg"
        };
        let parts = [
            ("js", pkg.join(format!("{OUTPUT_NAME}.js"))),
            ("wasm", pkg.join(format!("{OUTPUT_NAME}{wasm_suffix}.wasm"))),
            ("css", pkg.join(format!("{OUTPUT_NAME}.css"))),
        ];
        let mut hash = Sha256::new();
        for (_, path) in &parts {
            match std::fs::read(path) {
                Ok(bytes) => hash.update(&bytes),
                Err(e) => {
                    tracing::info!(file = %path.display(), error = %e, "no browser bundle: its names are not hashed");
                    return Self {
                        output_name: OUTPUT_NAME.to_owned(),
                        files: Vec::new(),
                    };
                }
            }
        }
        let output_name = format!("{OUTPUT_NAME}.{}", &hex::encode(hash.finalize())[..16]);
        let files = parts
            .into_iter()
            .map(|(kind, path)| {
                let url = match kind {
                    "wasm" => format!("/pkg/{output_name}{wasm_suffix}.wasm"),
                    _ => format!("/pkg/{output_name}.{kind}"),
                };
                (url, path)
            })
            .collect();
        Self { output_name, files }
    }

    /// The hashed names' routes, each file cached for a year.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        let mut router = Router::new();
        for (url, path) in &self.files {
            router = router.route_service(url, ServeFile::new(path).precompressed_br().precompressed_gzip());
        }
        router.layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        ))
    }
}
