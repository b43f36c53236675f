//! The browser bundle: named by its content, cached for good, sent
//! precompressed to browsers that accept it (server/src/assets.rs). The
//! bundle here is a stand-in whose bytes the tests recognise; the Playwright
//! suite loads the real one the same way.

use std::path::Path;

use reqwest::{StatusCode, header};

use crate::helpers::spawn_app_with_site;

/// The wasm's name as Leptos asks for it in this build (see assets.rs).
const WASM_SUFFIX: &str = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
    ""
} else {
    "_bg"
};

/// A site with a bundle and its `.br` and `.gz` siblings (their bytes only
/// need to be recognisable: the server sends them as they are).
fn site(css: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a site directory");
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).expect("pkg/");
    let files = [
        ("tessera.js".to_owned(), "export default function init() {}".to_owned()),
        (format!("tessera{WASM_SUFFIX}.wasm"), "\0asm-stand-in".to_owned()),
        ("tessera.css".to_owned(), css.to_owned()),
    ];
    for (name, content) in files {
        std::fs::write(pkg.join(&name), &content).expect("a bundle file");
        std::fs::write(pkg.join(format!("{name}.br")), format!("br:{content}")).expect("a .br file");
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz:{content}")).expect("a .gz file");
    }
    dir
}

/// The `/pkg/...` URLs the login page links, in order of appearance.
async fn bundle_urls(app: &crate::helpers::TestApp) -> Vec<String> {
    let page = app.get("/").await.text().await.expect("the login page");
    let mut urls = Vec::new();
    let mut rest = page.as_str();
    while let Some(start) = rest.find("\"/pkg/") {
        let tail = &rest[start + 1..];
        let end = tail.find('"').expect("a closing quote");
        if !urls.iter().any(|u| u == &tail[..end]) {
            urls.push(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    urls
}

#[tokio::test]
async fn the_page_links_the_bundle_by_a_hash_of_its_content() {
    let first = site("body { color: black }");
    let app = spawn_app_with_site(first.path()).await;
    let urls = bundle_urls(&app).await;
    let name = urls
        .iter()
        .find_map(|u| u.strip_prefix("/pkg/").and_then(|u| u.strip_suffix(".js")))
        .unwrap_or_else(|| panic!("no script among {urls:?}"))
        .to_owned();
    let hash = name.strip_prefix("tessera.").expect("tessera.<hash>");
    assert!(
        hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{name}"
    );
    for want in [
        format!("/pkg/{name}.js"),
        format!("/pkg/{name}{WASM_SUFFIX}.wasm"),
        format!("/pkg/{name}.css"),
    ] {
        assert!(urls.contains(&want), "{want} not among {urls:?}");
    }

    // Another stylesheet, another name for all three.
    let second = site("body { color: navy }");
    let other = spawn_app_with_site(second.path()).await;
    let other_urls = bundle_urls(&other).await;
    assert!(!other_urls.iter().any(|u| u.contains(&name)), "{other_urls:?}");
}

#[tokio::test]
async fn bundle_files_are_cached_for_good_and_sent_precompressed() {
    let dir = site("body { color: black }");
    let app = spawn_app_with_site(dir.path()).await;
    let urls = bundle_urls(&app).await;
    assert_eq!(urls.len(), 3, "{urls:?}");
    for url in &urls {
        // `tessera.<hash>_bg.wasm` is `tessera_bg.wasm` on disk, and so on.
        let file = Path::new(url)
            .file_name()
            .and_then(|f| f.to_str())
            .expect("a file name");
        let hash = &file["tessera.".len().."tessera.".len() + 16];
        let real = dir.path().join("pkg").join(file.replacen(&format!(".{hash}"), "", 1));
        let raw = std::fs::read_to_string(&real).unwrap_or_else(|e| panic!("{}: {e}", real.display()));
        for (accept, prefix, encoding) in [
            ("br, gzip", "br:", Some("br")),
            ("gzip", "gz:", Some("gzip")),
            ("identity", "", None),
        ] {
            let response = app
                .request(reqwest::Method::GET, url)
                .header(header::ACCEPT_ENCODING, accept)
                .send()
                .await
                .expect("an answer");
            assert_eq!(response.status(), StatusCode::OK, "{url} ({accept})");
            let headers = response.headers().clone();
            assert_eq!(
                headers.get(header::CONTENT_ENCODING).and_then(|v| v.to_str().ok()),
                encoding,
                "{url} ({accept})"
            );
            assert_eq!(
                headers.get(header::CACHE_CONTROL).and_then(|v| v.to_str().ok()),
                Some("public, max-age=31536000, immutable"),
                "{url}"
            );
            let body = response.text().await.expect("a body");
            assert_eq!(body, format!("{prefix}{raw}"), "{url} ({accept})");
        }
    }
}

#[tokio::test]
async fn a_name_from_another_build_is_not_found() {
    let dir = site("body { color: black }");
    let app = spawn_app_with_site(dir.path()).await;
    let response = app.get("/pkg/tessera.0123456789abcdef.js").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
