//! The browser bundle: the site's `pkg/` (`tessera.js`, its WebAssembly, the
//! route chunks a split build writes with their `__wasm_split` loader, and
//! `tessera.css`), served under a path that carries a hash of all of it
//! (`/bundle/3f9a…c1/pkg/tessera.js`) with `Cache-Control: immutable`: a
//! phone downloads each file once per release, and a new release is never
//! mixed with an old cached one. Each file goes out as its precompressed
//! `.br` or `.gz` sibling when the browser accepts that and the site build
//! wrote one (xtask's `compress_site`); otherwise as it is.
//!
//! The hash goes in front of `pkg/` rather than into each file name because
//! the files name each other (the loader imports `./tessera.js` and fetches
//! `./chunk_12.wasm`): one directory keeps those references whole. The
//! prefix becomes `HydrationScripts`'s `root`, which also prefixes the
//! chunks the server tells the browser to preload.

use std::path::{Path, PathBuf};

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use sha2::{Digest, Sha256};
use tower_http::services::ServeDir;

/// The file every bundle has: wasm-bindgen's JS for `--out-name tessera`.
const ENTRY: &str = "tessera.js";

/// The bundle as found in `<site>/pkg` at startup.
pub struct Bundle {
    /// `/bundle/<hash>`, or `""` when there is no bundle (the pages then
    /// link plain `/pkg/`, which serves nothing).
    pub root: String,
    /// The directory served under `<root>/pkg`.
    pkg: PathBuf,
}

impl Bundle {
    /// Reads the bundle's files once, to name them by their content.
    /// Without them (a server for the API only) nothing is routed here.
    pub fn load(site_root: &Path) -> Self {
        let pkg = site_root.join("pkg");
        match content_hash(&pkg) {
            Ok(hash) => Self {
                root: format!("/bundle/{hash}"),
                pkg,
            },
            Err(e) => {
                tracing::info!(dir = %pkg.display(), error = %e, "no browser bundle");
                Self {
                    root: String::new(),
                    pkg,
                }
            }
        }
    }

    /// `<root>/pkg/*`, each file cached for a year.
    pub fn routes<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        if self.root.is_empty() {
            return Router::new();
        }
        let files = ServeDir::new(&self.pkg)
            .precompressed_br()
            .precompressed_gzip()
            .append_index_html_on_directories(false);
        Router::new()
            .nest_service(&format!("{}/pkg", self.root), files)
            .layer(axum::middleware::map_response(cache_for_good))
    }
}

/// Immutable, for the files found: a 404 must not be cached for a year.
async fn cache_for_good(mut response: Response) -> Response {
    if response.status().is_success() {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=31536000, immutable"),
        );
    }
    response
}

/// The first 16 hex digits of a SHA-256 over every file's name and content
/// (the `.br` and `.gz` siblings left out: they follow from the rest).
fn content_hash(pkg: &Path) -> std::io::Result<String> {
    std::fs::metadata(pkg.join(ENTRY))?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(pkg)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_file() && !name.ends_with(".br") && !name.ends_with(".gz") {
            names.push(name);
        }
    }
    names.sort();
    let mut hash = Sha256::new();
    for name in names {
        hash.update(name.as_bytes());
        hash.update([0]);
        hash.update(std::fs::read(pkg.join(&name))?);
    }
    Ok(hex::encode(hash.finalize())[..16].to_owned())
}
