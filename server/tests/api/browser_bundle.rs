//! The browser bundle: served under a prefix named by its content, cached
//! for good, sent precompressed to browsers that accept it
//! (server/src/assets.rs). The
//! bundle here is a stand-in whose bytes the tests recognise; the Playwright
//! suite loads the real one the same way.

use reqwest::{StatusCode, header};

use crate::helpers::spawn_app_with_site;

/// The wasm's name as Leptos asks for it in this build (see assets.rs).
const WASM_SUFFIX: &str = if option_env!("LEPTOS_OUTPUT_NAME").is_some() {
    ""
} else {
    "_bg"
};

/// A site with a bundle, a route chunk and their `.br` and `.gz` siblings
/// (their bytes only need to be recognisable: the server sends them as
/// they are).
fn site(css: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a site directory");
    let pkg = dir.path().join("pkg");
    std::fs::create_dir(&pkg).expect("pkg/");
    for (name, content) in bundle_files(css) {
        std::fs::write(pkg.join(&name), &content).expect("a bundle file");
        std::fs::write(pkg.join(format!("{name}.br")), format!("br:{content}")).expect("a .br file");
        std::fs::write(pkg.join(format!("{name}.gz")), format!("gz:{content}")).expect("a .gz file");
    }
    dir
}

fn bundle_files(css: &str) -> [(String, String); 4] {
    [
        ("tessera.js".to_owned(), "export default function init() {}".to_owned()),
        (format!("tessera{WASM_SUFFIX}.wasm"), "\0asm-stand-in".to_owned()),
        ("chunk_12.wasm".to_owned(), "\0asm-chunk-stand-in".to_owned()),
        ("tessera.css".to_owned(), css.to_owned()),
    ]
}

/// The bundle URLs (`/bundle/...`) the login page links, in order of
/// appearance.
async fn bundle_urls(app: &crate::helpers::TestApp) -> Vec<String> {
    let page = app.get("/").await.text().await.expect("the login page");
    let mut urls = Vec::new();
    let mut rest = page.as_str();
    while let Some(start) = rest.find("\"/bundle/") {
        let tail = &rest[start + 1..];
        let end = tail.find('"').expect("a closing quote");
        // The hydration script's `root` argument, `"/bundle/<hash>"`, is no URL.
        if tail[..end].contains("/pkg/") && !urls.iter().any(|u| u == &tail[..end]) {
            urls.push(tail[..end].to_owned());
        }
        rest = &tail[end..];
    }
    urls
}

/// `/bundle/<hash>/pkg` of the page's links, checked to be one prefix.
fn prefix_of(urls: &[String]) -> String {
    let prefix = urls
        .first()
        .and_then(|u| u.rsplit_once('/'))
        .map(|(dir, _)| dir.to_owned())
        .unwrap_or_else(|| panic!("no bundle URL among {urls:?}"));
    assert!(urls.iter().all(|u| u.starts_with(&format!("{prefix}/"))), "{urls:?}");
    prefix
}

#[tokio::test]
async fn the_page_links_the_bundle_under_a_hash_of_its_content() {
    let first = site("body { color: black }");
    let app = spawn_app_with_site(first.path()).await;
    let urls = bundle_urls(&app).await;
    let prefix = prefix_of(&urls);
    let hash = prefix
        .strip_prefix("/bundle/")
        .and_then(|p| p.strip_suffix("/pkg"))
        .unwrap_or_else(|| panic!("{prefix}"));
    assert!(
        hash.len() == 16 && hash.bytes().all(|b| b.is_ascii_hexdigit()),
        "{prefix}"
    );
    for want in [
        format!("{prefix}/tessera.js"),
        format!("{prefix}/tessera{WASM_SUFFIX}.wasm"),
        format!("{prefix}/tessera.css"),
    ] {
        assert!(urls.contains(&want), "{want} not among {urls:?}");
    }

    // Another stylesheet, another prefix for every file.
    let second = site("body { color: navy }");
    let other = spawn_app_with_site(second.path()).await;
    let other_prefix = prefix_of(&bundle_urls(&other).await);
    assert_ne!(other_prefix, prefix);
}

#[tokio::test]
async fn bundle_files_are_cached_for_good_and_sent_precompressed() {
    let dir = site("body { color: black }");
    let app = spawn_app_with_site(dir.path()).await;
    let prefix = prefix_of(&bundle_urls(&app).await);
    // A route chunk too: the loader fetches it relative to tessera.js.
    for (name, raw) in bundle_files("body { color: black }") {
        let url = format!("{prefix}/{name}");
        for (accept, sent, encoding) in [
            ("br, gzip", "br:", Some("br")),
            ("gzip", "gz:", Some("gzip")),
            ("identity", "", None),
        ] {
            let response = app
                .request(reqwest::Method::GET, &url)
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
            assert_eq!(body, format!("{sent}{raw}"), "{url} ({accept})");
        }
    }
}

#[tokio::test]
async fn another_builds_prefix_or_a_missing_file_is_not_found_and_not_cached() {
    let dir = site("body { color: black }");
    let app = spawn_app_with_site(dir.path()).await;
    let prefix = prefix_of(&bundle_urls(&app).await);
    for url in [
        "/bundle/0123456789abcdef/pkg/tessera.js".to_owned(),
        format!("{prefix}/chunk_13.wasm"),
    ] {
        let response = app.get(&url).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{url}");
        let cache = response.headers().get(header::CACHE_CONTROL);
        assert!(
            cache.is_none_or(|v| !v.to_str().unwrap_or_default().contains("immutable")),
            "{url}: {cache:?}"
        );
    }
}
