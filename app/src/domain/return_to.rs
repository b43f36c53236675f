//! Where a login goes on to: the page that was asked for before the login
//! page (`/?next=/admin`), if it is a path on this site. Anything a browser
//! could read as another site is refused, so the login page is no open
//! redirect (OWASP ASVS 5.0 V3.7).

/// The longest `next` kept.
const MAX_LEN: usize = 512;

/// `next` if it is a path on this site: starts with one `/`, and has no
/// backslash, control character or whitespace (browsers read `/\host` and
/// `/<tab>/host` as `//host`, another site).
pub fn return_path(next: &str) -> Option<&str> {
    let ok = next.len() <= MAX_LEN
        && next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace());
    ok.then_some(next)
}

/// A login page's address that leads on to `path` (its query too) afterwards.
pub fn login_leading_to(login: &str, path: &str) -> String {
    match return_path(path) {
        Some(next) if next != login => {
            let encoded: String = next
                .bytes()
                .map(|b| match b {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                        (b as char).to_string()
                    }
                    _ => format!("%{b:02X}"),
                })
                .collect();
            format!("{login}?next={encoded}")
        }
        _ => login.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for ok in [
            "/admin",
            "/packages",
            "/webmail/account",
            "/account?tab=x",
            "/%2F%2Fexample.com",
        ] {
            assert_eq!(return_path(ok), Some(ok), "{ok}");
        }
        for refused in [
            "",
            "admin",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "https://evil.example/",
            "javascript:alert(1)",
            " /admin",
        ] {
            assert_eq!(return_path(refused), None, "{refused:?}");
        }
        assert_eq!(return_path(&format!("/{}", "a".repeat(600))), None);
    }

    #[test]
    fn a_login_page_carries_where_to_go_on_to() {
        assert_eq!(login_leading_to("/", "/admin"), "/?next=/admin");
        assert_eq!(login_leading_to("/", "/account?x=1&y"), "/?next=/account%3Fx%3D1%26y");
        assert_eq!(login_leading_to("/webmail", "/webmail"), "/webmail");
        assert_eq!(login_leading_to("/", "//evil.example"), "/");
    }
}
