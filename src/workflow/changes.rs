//! Watching only what changed: the high-water marks a watcher keeps between passes, and the
//! kind of pass it runs.
//!
//! What Rocket.Chat guarantees, from its source:
//! - `packages/models/src/models/BaseRaw.ts`: `insertOne`, `insertMany`, `updateOne`,
//!   `updateMany` and `findOneAndUpdate` all call `setUpdatedAt` (only models built with
//!   `preventSetUpdatedAt` skip it; `LivechatContacts` is not one), so every write through the
//!   models layer — the visitor merge, `updateContact`, `resolveContactConflicts` — moves
//!   `_updatedAt`. A write straight to `col` (a migration, a database edit) does not: the
//!   scheduled full pass is for those. A deleted contact leaves the listing instead.
//! - `apps/meteor/app/livechat/server/lib/contacts/getContacts.ts`: the `sort` that
//!   `parseJsonQuery` read is handed as is to `LivechatContacts.findPaginatedContacts`
//!   (default `{name: 1}`), which runs the query with `allowDiskUse: true`; there is no index
//!   on `_updatedAt`, so MongoDB sorts in memory or on disk — slower on a large workspace, but
//!   correct. MongoDB leaves the order of equal keys open, hence `_id` as a second key.
//!
//! So after one full walk, a watcher lists each listing sorted by
//! `{_updatedAt: -1, _id: -1}` (`_id` breaks ties, so offset paging is a total order) and
//! stops below the mark of the previous complete walk, minus an overlap for clock skew
//! between server instances. The mark is the server's clock when that walk *started* (its
//! `Date` header less the round trip), not the newest `_updatedAt` in the data: every write
//! after that start carries a later `_updatedAt`, so nothing is skipped, and neither a contact
//! dated in the future nor thousands written in one second can pin the mark. A contact
//! exactly at the floor is listed again, never dropped. Once the last writes are older than
//! the overlap, an idle pass costs one search call per listing.
//!
//! The walk proves its order as it goes (every fresh item sorts at or below all it has seen);
//! when it cannot — the server ignored the sort, sent no `_updatedAt`, or a page came back
//! out of order — it carries on as a full walk and the pass says why.

use std::collections::HashMap;
use std::fmt;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

/// How far below a mark a walk by change still reads, by default: contacts written within it
/// are read again rather than risk a skip when server clocks disagree.
pub(crate) const CHANGE_OVERLAP: Duration = Duration::from_secs(2);

/// Where a listing stood when a walk started: what the next walk by change starts below.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Newest {
    /// The listing held nothing: every contact it holds later is new.
    Empty,
    /// The server's clock as the walk started (see `scan::mark`).
    At(Timestamp),
    /// The server did not say (no `_updatedAt`): only a full walk is safe.
    Unknown,
}

/// Per listing (`unknown` flag), where the last complete walk started.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Marks(pub(crate) HashMap<bool, Newest>);

impl Marks {
    /// The lowest `_updatedAt` an incremental walk of `listing` must read, or `None` for the
    /// whole listing; `Err(())` when only a full walk is safe.
    pub(crate) fn floor(&self, listing: bool, overlap: Duration) -> Result<Option<Timestamp>, ()> {
        match self.0.get(&listing) {
            Some(Newest::At(at)) => {
                let overlap = jiff::SignedDuration::try_from(overlap).map_err(|_| ())?;
                Ok(Some(at.checked_sub(overlap).unwrap_or(Timestamp::MIN)))
            }
            Some(Newest::Empty) => Ok(None),
            Some(Newest::Unknown) | None => Err(()),
        }
    }

    /// Whether every listing of the run has a usable mark.
    pub(crate) fn covers(&self, listings: &[bool]) -> bool {
        listings
            .iter()
            .all(|l| matches!(self.0.get(l), Some(Newest::At(_) | Newest::Empty)))
    }
}

/// What a walk lists.
#[derive(Clone, Debug)]
pub(crate) enum Scope {
    /// Every contact, by `_id`. With `probe`, the walk first asks for the newest
    /// `_updatedAt` so the next pass can list only changes.
    Full { probe: bool },
    /// Only contacts changed since `marks`, less `overlap`.
    Changed { marks: Marks, overlap: Duration },
}

impl Default for Scope {
    /// Every contact, noting where the walk started, so that the run's later walks (and a
    /// watcher's next pass) can list only what changed.
    fn default() -> Self {
        Self::Full { probe: true }
    }
}

/// Which contacts a watch pass listed, and why.
///
/// ```
/// use rocketchat_omnichannel::workflow::PassKind;
/// assert_eq!(PassKind::Changes.to_string(), "changes only");
/// assert_eq!(PassKind::First.to_string(), "full (first pass)");
/// ```
///
/// In JSON (inside a watch pass's line) it is `"kind": "changes"`, or `"kind": "full"` with
/// `"reason"` (`first`, `scheduled`, `noMark`, `always`, `unprovable`) and, for
/// `unprovable`, `"detail"`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PassKind {
    /// Only contacts written since the previous pass started (see
    /// [`Watch::full_pass_every`](super::Watch::full_pass_every)).
    Changes,
    /// Every contact was listed: the watcher's first pass.
    First,
    /// Every contact was listed: the schedule of full passes came round.
    Scheduled,
    /// Every contact was listed: the previous pass did not finish its walk (a listing
    /// failed, it was stopped, or the server sent no `_updatedAt`), so there was no mark to
    /// list changes from.
    NoMark,
    /// Every contact was listed: incremental listing is switched off.
    Always,
    /// Every contact was listed: the pass began listing changes but could not prove its
    /// order (say, the server ignored the sort), and walked everything instead.
    Unprovable(String),
}

impl PassKind {
    /// Whether the pass listed every contact.
    ///
    /// ```
    /// use rocketchat_omnichannel::workflow::PassKind;
    /// assert!(PassKind::First.is_full() && !PassKind::Changes.is_full());
    /// ```
    pub fn is_full(&self) -> bool {
        !matches!(self, Self::Changes)
    }

    /// The reason's name in JSON (`None` for a pass of changes).
    fn reason(&self) -> Option<&'static str> {
        Some(match self {
            Self::Changes => return None,
            Self::First => "first",
            Self::Scheduled => "scheduled",
            Self::NoMark => "noMark",
            Self::Always => "always",
            Self::Unprovable(_) => "unprovable",
        })
    }
}

impl fmt::Display for PassKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Changes => f.write_str("changes only"),
            Self::First => f.write_str("full (first pass)"),
            Self::Scheduled => f.write_str("full (scheduled)"),
            Self::NoMark => f.write_str("full (the previous pass did not finish its walk)"),
            Self::Always => f.write_str("full (incremental passes are off)"),
            Self::Unprovable(why) => write!(
                f,
                "full (the incremental walk could not prove it saw every change: {why})"
            ),
        }
    }
}

impl Serialize for PassKind {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        match self.reason() {
            None => map.serialize_entry("kind", "changes")?,
            Some(reason) => {
                map.serialize_entry("kind", "full")?;
                map.serialize_entry("reason", reason)?;
            }
        }
        if let Self::Unprovable(why) = self {
            map.serialize_entry("detail", why)?;
        }
        map.end()
    }
}
