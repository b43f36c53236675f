//! A browser's User-Agent in words ("Firefox 128 on Windows 10"), so a person
//! reading the security log can tell their own logins from someone else's.
//! The parsing is woothee's (the woothee project's shared rules and test
//! set); what is no browser it knows is shown as its first product token.

use woothee::parser::Parser;

const UNKNOWN: &str = "UNKNOWN";

/// `Chrome 120 on Android 14 (phone)`; `None` for an empty user agent.
pub fn describe(user_agent: &str) -> Option<String> {
    let user_agent = user_agent.trim();
    if user_agent.is_empty() {
        return None;
    }
    // Browsers and devices; an HTTP library or a robot reads better as its own token.
    let Some(found) = Parser::new()
        .parse(user_agent)
        .filter(|r| r.name != UNKNOWN && matches!(r.category, "pc" | "smartphone" | "mobilephone" | "appliance"))
    else {
        return Some(first_product(user_agent));
    };
    let major = found
        .version
        .split('.')
        .next()
        .filter(|v| !v.is_empty() && *v != UNKNOWN);
    let browser = match major {
        Some(major) => format!("{} {major}", found.name),
        None => found.name.to_owned(),
    };
    let os = match (found.os, found.os_version.as_ref()) {
        (UNKNOWN, _) => None,
        // Windows names carry their version ("Windows 10"); Apple's and
        // Android's come apart.
        (os @ ("Android" | "iPhone" | "iPad" | "iOS"), version) if version != UNKNOWN && !version.is_empty() => {
            let major = version.split(['.', '_']).next().unwrap_or(version);
            Some(format!("{os} {major}"))
        }
        (os, _) => Some(os.to_owned()),
    };
    let kind = matches!(found.category, "smartphone" | "mobilephone").then_some("phone");
    Some(match (os, kind) {
        (Some(os), Some(kind)) => format!("{browser} on {os} ({kind})"),
        (Some(os), None) => format!("{browser} on {os}"),
        (None, Some(kind)) => format!("{browser} ({kind})"),
        (None, None) => browser,
    })
}

/// `curl/8.5.0 (x86_64)` → `curl 8.5.0`.
fn first_product(user_agent: &str) -> String {
    let token = user_agent.split_whitespace().next().unwrap_or(user_agent);
    match token.split_once('/') {
        Some((name, version)) if !name.is_empty() && !version.is_empty() => format!("{name} {version}"),
        _ => token.chars().take(40).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn common_browsers_read_as_browser_system_and_kind() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0",
                "Firefox 128 on Windows 10",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/120.0.6099.144 Mobile Safari/537.36",
                "Chrome 120 on Android 14 (phone)",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
                "Safari 17 on iPhone 17 (phone)",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
                "Chrome 131 on Linux",
            ),
        ];
        for (agent, expected) in cases {
            assert_eq!(describe(agent).as_deref(), Some(expected), "{agent}");
        }
    }

    #[test]
    fn unknown_agents_show_their_first_product_and_empty_ones_nothing() {
        assert_eq!(describe("curl/8.5.0").as_deref(), Some("curl 8.5.0"));
        assert_eq!(
            describe("Googlebot/2.1 (+http://www.google.com/bot.html)").as_deref(),
            Some("Googlebot 2.1")
        );
        assert_eq!(describe("Thunderbird/mailbox").as_deref(), Some("Thunderbird mailbox"));
        assert_eq!(describe("  ").as_deref(), None);
        assert_eq!(describe("").as_deref(), None);
    }
}
