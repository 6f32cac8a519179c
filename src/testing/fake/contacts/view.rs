//! The ordered views a search walks.

use std::cmp::Ordering;

use super::slot::Slot;

/// Which ordered view a search walks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum View {
    /// `{name: 1}` (the default) or `{name: -1}`.
    Name = 0,
    /// `{_id: 1}` or `{_id: -1}`.
    Id = 1,
    /// `{_updatedAt: 1, _id: 1}` or `{_updatedAt: -1, _id: -1}`: what a watcher listing
    /// changes asks for, on every pass.
    Updated = 2,
}

impl View {
    pub(super) const ALL: [Self; 3] = [Self::Name, Self::Id, Self::Updated];

    /// The order of the view (every one ends on `_id`, so it is total).
    pub(super) fn order(self) -> fn(&Slot, &Slot) -> Ordering {
        match self {
            Self::Name => Slot::by_name,
            Self::Id => Slot::by_id,
            Self::Updated => Slot::by_updated,
        }
    }
}
