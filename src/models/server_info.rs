//! What `GET /api/info` answers: the server's version, and how it compares.

use serde::Deserialize;

/// What `GET /api/info` reveals. The route needs no login; Rocket.Chat
/// (`apps/meteor/app/api/server/lib/getServerInfo.ts`) sends only `major.minor` to
/// anonymous callers and to users without the `view-statistics` permission, and the full
/// version to users with it.
///
/// ```
/// use rocketchat_omnichannel::ServerInfo;
///
/// let info: ServerInfo = serde_json::from_str(r#"{"version":"7.7","success":true}"#)?;
/// assert_eq!(info.version.as_deref(), Some("7.7"));
/// assert_eq!(info.is_at_least("7.2.0"), Some(true));
/// assert_eq!(info.is_at_least("7.7.0"), Some(true));
/// assert_eq!(info.is_at_least("7.7.2"), None); // the patch level is not revealed
/// assert_eq!(info.is_at_least("7.11.0"), Some(false));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ServerInfo {
    /// The version as sent (`"7.7"`, or `"7.7.1"` for users with `view-statistics`);
    /// `None` when the server does not reveal it.
    #[serde(default)]
    pub version: Option<String>,
    /// Everything else in the answer (`info`, `minimumClientVersions`, …).
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl ServerInfo {
    /// Whether the server's version is at least `minimum` (`"7.7.0"`). `None` when the
    /// server hides its version or reveals too little to tell (only `major.minor` against
    /// a minimum with a non-zero patch level on the same minor), or when either version
    /// does not parse.
    ///
    /// ```
    /// # let info: rocketchat_omnichannel::ServerInfo = serde_json::from_str(r#"{"version":"7.6.3"}"#).unwrap();
    /// assert_eq!(info.is_at_least("7.7.0"), Some(false));
    /// ```
    pub fn is_at_least(&self, minimum: &str) -> Option<bool> {
        let have = parse(self.version.as_deref()?)?;
        let want = parse(minimum)?;
        let have_minor = (have.0, have.1);
        let want_minor = (want.0, want.1);
        if have_minor != want_minor {
            return Some(have_minor > want_minor);
        }
        match (have.2, want.2.unwrap_or(0)) {
            (Some(patch), wanted) => Some(patch >= wanted),
            (None, 0) => Some(true),
            (None, _) => None,
        }
    }
}

/// `"7.7.1"` → `(7, 7, Some(1))`; `"7.7"` → `(7, 7, None)`; a suffix such as `-rc.1` is
/// ignored.
fn parse(version: &str) -> Option<(u32, u32, Option<u32>)> {
    let core = version.trim().split(['-', '+']).next()?;
    let mut parts = core.split('.');
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let patch = match parts.next() {
        Some(p) => Some(p.parse().ok()?),
        None => None,
    };
    Some((major, minor, patch))
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 5_000, failure_persistence: None, ..Default::default() })]

        /// Any version text a server or proxy may send, any Unicode, and any bytes as an
        /// `/api/info` body: no panic; a comparison with itself never says "older".
        #[test]
        fn any_version_or_body_is_read_without_panic(
            version in proptest::prop_oneof!["\\PC{0,20}", "[0-9.+-]{0,20}", "[0-9]{1,12}\\.[0-9]{1,12}(\\.[0-9]{1,12})?"],
            minimum in "[0-9.]{0,12}",
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..64),
        ) {
            let info = info(&version);
            let _ = info.is_at_least(&minimum);
            if parse(&version).is_some_and(|(_, _, patch)| patch.is_some()) {
                proptest::prop_assert_eq!(info.is_at_least(&version), Some(true), "{}", version);
            }
            let _ = serde_json::from_slice::<ServerInfo>(&body);
            let wrapped = serde_json::json!({"version": version, "success": true}).to_string();
            let decoded: ServerInfo = serde_json::from_str(&wrapped).unwrap();
            proptest::prop_assert_eq!(decoded.version.as_deref(), Some(version.as_str()));
        }
    }

    fn info(version: &str) -> ServerInfo {
        ServerInfo {
            version: Some(version.into()),
            ..ServerInfo::default()
        }
    }

    #[test]
    fn compares_versions() {
        assert_eq!(info("7.10.2").is_at_least("7.7.0"), Some(true));
        assert_eq!(info("6.13.0").is_at_least("7.0.0"), Some(false));
        assert_eq!(info("7.7.0-rc.2").is_at_least("7.7.0"), Some(true));
        assert_eq!(info("garbage").is_at_least("7.7.0"), None);
        assert_eq!(ServerInfo::default().is_at_least("7.7.0"), None);
    }
}
