//! The base URL: checked once at build time and turned into the `…/api/v1/` every path is
//! joined to.

use url::{Host, Url};

use crate::error::Error;

/// Checks the base URL and derives `…/api/v1/` from it.
pub(crate) fn api_base(base_url: &str, allow_insecure_http: bool) -> Result<String, Error> {
    let shown = without_user_info(base_url.trim());
    let bad = |why: &str| Error::configuration(format!("base URL `{shown}` {why}"));
    let mut url = Url::parse(base_url.trim()).map_err(|e| {
        Error::with_source(
            crate::ErrorKind::Configuration {
                message: format!(
                    "base URL `{shown}` is not an absolute URL (expected e.g. https://chat.example.com)"
                ),
            },
            e,
        )
    })?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" if allow_insecure_http => {
            tracing::warn!(
                base_url = %shown,
                "plain http to a host that is not loopback: the auth token and passwords travel in clear"
            );
        }
        "http" => {
            return Err(bad(
                "uses plain http to a non-loopback host; use https, or allow it (the token then \
                 travels in clear) with allow_insecure_http(true), ROCKETCHAT_ALLOW_INSECURE_HTTP=1 \
                 or the CLI's --allow-insecure-http",
            ));
        }
        _ => return Err(bad("must start with http:// or https://")),
    }
    if url.host().is_none() {
        return Err(bad("has no host"));
    }
    if url.query().is_some() {
        return Err(bad("must not have a query string"));
    }
    if url.fragment().is_some() {
        return Err(bad("must not have a fragment"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not embed a user name or password"));
    }
    let mut path = url.path().trim_end_matches('/').to_owned();
    if !path.ends_with("/api/v1") {
        path.push_str("/api/v1");
    }
    path.push('/');
    url.set_path(&path);
    Ok(url.into())
}

/// Hides a `user:password@` part so an error message never repeats a password.
///
/// Everything between the scheme and the **last** `@` is hidden: URL parsers accept forms
/// such as `https:/user:pw@host` (one slash) and passwords with unescaped `/`, `?` or `#`,
/// so looking for the end of the authority first could leave a password showing. A path
/// with an `@` in it is hidden too, which costs nothing.
pub(crate) fn without_user_info(url: &str) -> String {
    let Some(at) = url.rfind('@') else {
        return url.to_owned();
    };
    let scheme = url
        .find(':')
        .filter(|&colon| {
            colon < at
                && colon > 0
                && url[..colon]
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
        })
        .map(|colon| colon + 1 + url[colon + 1..].chars().take_while(|&c| c == '/').count())
        // A scheme is followed by at least one slash; `user:pw@host` has none.
        .filter(|&end| url[..end].ends_with('/'))
        .unwrap_or(0);
    format!("{}***{}", &url[..scheme.min(at)], &url[at..])
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_base_keeps_a_path_prefix() {
        assert_eq!(
            api_base("https://h.example/chat/", false).unwrap(),
            "https://h.example/chat/api/v1/"
        );
        assert_eq!(
            api_base("https://h.example", false).unwrap(),
            "https://h.example/api/v1/"
        );
        assert_eq!(
            api_base("https://h.example/api/v1", false).unwrap(),
            "https://h.example/api/v1/"
        );
    }

    #[test]
    fn user_info_is_hidden() {
        assert_eq!(
            without_user_info("https://u:pw@h.example/x"),
            "https://***@h.example/x"
        );
        assert_eq!(
            without_user_info("https://h.example/a"),
            "https://h.example/a"
        );
        assert_eq!(without_user_info("u:pw@host"), "***@host");
        // Forms a URL parser accepts but where the authority is hard to find.
        assert_eq!(
            without_user_info("https:/u:pw@h.example"),
            "https:/***@h.example"
        );
        assert_eq!(
            without_user_info("https://u:p/w@h.example"),
            "https://***@h.example"
        );
        assert_eq!(
            without_user_info("https://u:p?w#x@h.example"),
            "https://***@h.example"
        );
        for url in ["https:/u:secret@h.example", "https://u:se/cret@h.example/"] {
            let error = api_base(url, false).unwrap_err().to_string();
            assert!(
                !error.contains("secret") && !error.contains("se/cret"),
                "{error}"
            );
        }
    }

    #[test]
    fn plain_http_is_only_for_loopback() {
        assert!(api_base("http://127.0.0.1:3000", false).is_ok());
        assert!(api_base("http://localhost:3000", false).is_ok());
        assert!(api_base("http://[::1]:3000", false).is_ok());
        assert!(api_base("http://chat.example.com", false).is_err());
        assert!(api_base("http://chat.example.com", true).is_ok());
    }
}
