//! What a `User-Agent` says about the browser behind a session, in words a
//! user recognises ("Firefox 120 on Windows"), for the list of their own
//! sessions. Only the browser family, its major version and the operating
//! system are read: enough to tell one's phone from one's laptop, and no
//! more than the header already shows.
//!
//! ```
//! use authgate::device::describe;
//! let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
//!              (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86";
//! assert_eq!(describe(Some(agent)), "Edge 131 on Windows");
//! assert_eq!(describe(None), "Unknown browser");
//! ```

/// Browser families, most specific first: Edge, Opera and Samsung's browser
/// also say "Chrome", and Chrome also says "Safari".
const BROWSERS: &[(&str, &str)] = &[
    ("Edg/", "Edge"),
    ("EdgA/", "Edge"),
    ("EdgiOS/", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser/", "Samsung Internet"),
    ("Firefox/", "Firefox"),
    ("FxiOS/", "Firefox"),
    ("CriOS/", "Chrome"),
    ("HeadlessChrome/", "Headless Chrome"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
];

/// Operating systems, most specific first: Android also says "Linux", and
/// an iPhone says "like Mac OS X".
const SYSTEMS: &[(&str, &str)] = &[
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("iPod", "iOS"),
    ("Android", "Android"),
    ("CrOS", "ChromeOS"),
    ("Windows", "Windows"),
    ("Macintosh", "macOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
];

/// "Browser version on system", as much of it as `user_agent` tells;
/// "Unknown browser" for none or one that names no known browser.
pub fn describe(user_agent: Option<&str>) -> String {
    let Some(agent) = user_agent.filter(|a| !a.trim().is_empty()) else {
        return "Unknown browser".to_string();
    };
    let browser = BROWSERS
        .iter()
        .find_map(|(token, name)| version_after(agent, token).map(|v| (*name, v)))
        .or_else(|| {
            // Safari names its version in `Version/`, beside `Safari/`.
            agent.contains("Safari/").then(|| {
                (
                    "Safari",
                    version_after(agent, "Version/").unwrap_or_default(),
                )
            })
        });
    let system = SYSTEMS
        .iter()
        .find(|(token, _)| agent.contains(token))
        .map(|(_, name)| *name);
    let browser = match browser {
        Some((name, version)) if version.is_empty() => name.to_string(),
        Some((name, version)) => format!("{name} {version}"),
        None => "Unknown browser".to_string(),
    };
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser,
    }
}

/// The major version after `token` (`Firefox/120.0` → `120`), if `token`
/// is there; an empty string if no digits follow it.
fn version_after(agent: &str, token: &str) -> Option<String> {
    let at = agent.find(token)? + token.len();
    Some(
        agent[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .take(6)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::describe;

    #[test]
    fn real_agents_read_as_their_browser_and_system() {
        for (agent, expected) in [
            (
                "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
                "Firefox 120 on Linux",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
                "Safari 17 on macOS",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
                "Safari 17 on iOS",
            ),
            (
                "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
                "Chrome 131 on Android",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 \
                 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 OPR/115.0.0.0",
                "Opera 115 on Windows",
            ),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 HeadlessChrome/156.0.0.0 Safari/537.36",
                "Headless Chrome 156 on Linux",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 \
                 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
                "Chrome 120 on iPadOS",
            ),
            ("curl/8.5.0", "Unknown browser"),
            ("Firefox/", "Firefox"),
            ("   ", "Unknown browser"),
        ] {
            assert_eq!(describe(Some(agent)), expected, "{agent}");
        }
    }
}
