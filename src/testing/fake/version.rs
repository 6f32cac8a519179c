//! Version profiles: which Rocket.Chat release the fake plays, and every behaviour that
//! depends on it. Each switch names the release it comes from and the source that says so;
//! where the exact release is not known the estimate is marked as one.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A Rocket.Chat release number, `major.minor.patch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Version {
    major: u16,
    minor: u16,
    patch: u16,
}

impl Version {
    pub(crate) const fn new(major: u16, minor: u16, patch: u16) -> Self {
        Self {
            major,
            minor,
            patch,
        }
    }

    pub(crate) fn major(self) -> u16 {
        self.major
    }

    pub(crate) fn minor(self) -> u16 {
        self.minor
    }

    pub(crate) fn patch(self) -> u16 {
        self.patch
    }

    /// The release the fake plays when none is chosen: the newest behaviour it knows.
    pub(crate) const NEWEST: Self = Self::new(8, 8, 0);

    /// The oldest release with the contact model these routes serve (7.0.0; the docs say
    /// 6.1.0, but `ILivechatContact` shipped with 7.0).
    pub(crate) const OLDEST: Self = Self::new(7, 0, 0);
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major, self.minor, self.patch)
    }
}

/// A Rocket.Chat version the fake cannot play: not a version, or older than 7.0.0.
///
/// ```
/// use rocketchat_omnichannel::testing::FakeRocketChat;
/// let error = FakeRocketChat::builder().version("6.5.0").unwrap_err();
/// assert!(error.to_string().contains("6.5.0"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct VersionError(String);

impl FromStr for Version {
    type Err = VersionError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || VersionError(format!("`{text}` is not a version such as 7.7.0"));
        let mut parts = text.trim().splitn(3, '.');
        let mut next = || -> Result<u16, VersionError> {
            match parts.next() {
                None => Ok(0),
                Some(part) => part.parse().map_err(|_| bad()),
            }
        };
        let version = Self::new(next()?, next()?, next()?);
        if version.cmp(&Self::OLDEST) == Ordering::Less {
            return Err(VersionError(format!(
                "{version} predates the contact routes (the fake plays {} and later)",
                Self::OLDEST
            )));
        }
        Ok(version)
    }
}

/// The behaviours that change between releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Profile {
    pub(crate) version: Version,
}

impl Default for Profile {
    fn default() -> Self {
        Self {
            version: Version::NEWEST,
        }
    }
}

impl Profile {
    fn since(&self, major: u16, minor: u16, patch: u16) -> bool {
        self.version >= Version::new(major, minor, patch)
    }

    /// The release in which a route first answered, or `None` for routes every profile has.
    ///
    /// - `contacts.checkExistence`: 7.2.0; `contacts.conflicts`: 7.7.0 (facts document §8,
    ///   from the routes' changesets in `apps/meteor/app/livechat/server/api/v1/contact.ts`).
    /// - `contacts.delete`: 7.11.0 (PR #36589).
    /// - `contacts.channels`: not in 7.0.0's `@rocket.chat/rest-typings`, in 7.9.8's; no
    ///   package in between is published, so the fake adds it at 7.1.0 (unconfirmed).
    pub(crate) fn route_since(route: &str) -> Option<Version> {
        match route {
            "omnichannel/contacts.channels" => Some(Version::new(7, 1, 0)),
            "omnichannel/contacts.checkExistence" => Some(Version::new(7, 2, 0)),
            "omnichannel/contacts.conflicts" => Some(Version::new(7, 7, 0)),
            "omnichannel/contacts.delete" => Some(Version::new(7, 11, 0)),
            _ => None,
        }
    }

    /// Whether this release has the route.
    pub(crate) fn has_route(&self, route: &str) -> bool {
        Self::route_since(route).is_none_or(|since| self.version >= since)
    }

    /// `contactManager: ""` on `contacts.update` clears the manager. Before PR #38265
    /// ("fix: unable to clear contact manager field", merged 2026-01-28) an empty string was
    /// ignored. The first release with the fix is not stated anywhere we could read; the
    /// best estimate is 8.1.0.
    pub(crate) fn empty_manager_clears(&self) -> bool {
        self.since(8, 1, 0)
    }

    /// `contacts.search` sends `contactManager` as `{_id, name, username}` (left out when the
    /// user is gone), from `getContacts.ts` returning `ILivechatContactWithManagerData`;
    /// before, the bare id string. The published `@rocket.chat/rest-typings` declare that type
    /// in 7.9.8 but not in 7.0.0 (no release in between is published); the first release is
    /// not known, and the fake switches at 7.9.0, which may be later than the real change.
    pub(crate) fn search_expands_manager(&self) -> bool {
        self.since(7, 9, 0)
    }

    /// 7.x checked a request against its schema before the user's permissions
    /// (`ApiClass.ts` at e5433893 and 019378e3); from 8.0 the permissions middleware runs
    /// before the action validates (2e2355e7). The first 8.x release with the middleware is
    /// assumed to be 8.0.0 (unconfirmed).
    pub(crate) fn validates_before_permissions(&self) -> bool {
        !self.since(8, 0, 0)
    }

    /// `contacts.delete` answers its own error, 400, for an unknown contact
    /// (`error-contact-not-found`) and for one with open rooms
    /// (`error-contact-has-open-rooms`): the route as moved to
    /// `apps/meteor/server/api/v1/omnichannel/contact.ts` (4dda5476) passes
    /// `error.message` to `API.v1.failure`. Before, 404 for the first and 400
    /// `error-invalid-contact` for the second (`app/livechat/server/api/v1/contact.ts`). The
    /// release that moved it is not known; the fake plays it from 8.8.0, its newest.
    pub(crate) fn delete_fails_with_its_own_error(&self) -> bool {
        self.since(8, 8, 0)
    }

    /// `livechat/visitors.info` leaves the visitor's token out: PR #40501 ("fix: remove
    /// visitor token from visitors.info endpoint"), in 8.5.0 and backported to 8.4.2, 8.3.4,
    /// 8.2.4, 8.1.5, 8.0.6, 7.13.8 and 7.10.12 (as the PR lists them; the tags unchecked).
    pub(crate) fn hides_visitor_token(&self) -> bool {
        let v = self.version;
        let backported = |(major, minor, patch): (u16, u16, u16)| {
            v.major() == major && v.minor() == minor && v.patch() >= patch
        };
        self.since(8, 5, 0)
            || [
                (8, 4, 2),
                (8, 3, 4),
                (8, 2, 4),
                (8, 1, 5),
                (8, 0, 6),
                (7, 13, 8),
                (7, 10, 12),
            ]
            .into_iter()
            .any(backported)
    }

    /// From the "breaking changes" release (9.0.0 in the newest router code,
    /// `apps/meteor/app/api/server/api.ts`), a 401 is `{success, error}` only and a 403 ends in
    /// `[error-forbidden]`; before, the compat 401 carries `status` and `message` and the 403
    /// ends in `[error-unauthorized]`.
    pub(crate) fn new_auth_bodies(&self) -> bool {
        self.since(9, 0, 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_and_order() {
        assert_eq!("7.7.0".parse::<Version>().unwrap(), Version::new(7, 7, 0));
        assert_eq!("7.11".parse::<Version>().unwrap(), Version::new(7, 11, 0));
        assert!("6.9.0".parse::<Version>().is_err());
        assert!("seven".parse::<Version>().is_err());
        let old = Profile {
            version: Version::new(7, 6, 0),
        };
        assert!(!old.has_route("omnichannel/contacts.conflicts"));
        assert!(old.has_route("omnichannel/contacts.get"));
        assert!(Profile::default().has_route("omnichannel/contacts.delete"));
    }
}
