//! One complete walk over the contacts, in an order no write can disturb.
//!
//! `contacts.search` pages by offset. Under its default `{name: 1}` order, renaming a contact
//! (which resolving a name conflict does) moves it past the walk or back over it, so a run
//! skips contacts. The scan sorts by `_id` instead, which no write changes, so the run's own
//! renames never move anything. Two kinds of writes still change what a listing holds, and
//! are handled below: a resolve sets `unknown: false`, which takes the contact out of the
//! `unknown=true` listing (for that listing the run's own writes act like deletions); and
//! other clients can still create contacts (a new id may land
//! before the walk's position and shift the rest forward) or delete them (shifting the rest
//! back, which would skip items). Shifts forward only repeat items, which the scan drops by
//! id. Shifts back are caught: each page is asked for a few items early, and must begin with
//! a contact already seen; when it does not, something before it was deleted, and the scan
//! steps back until it finds seen ground. Every contact that exists for the whole walk is
//! therefore yielded, once. The number of step-backs per walk is bounded so a walk always
//! ends; a walk that runs out of them says it is incomplete rather than claim it saw all.
//!
//! Memory: the ids seen (not the contacts) are kept for the walk's duration.

use std::collections::HashSet;
use std::sync::Arc;

use futures_core::Stream;

use super::pacing::{DeadlinePassed, Pacer, paced};
use super::stop::StopSignal;
use crate::models::{Contact, ContactId};
use crate::omnichannel::contacts::search::SEARCH_PATH;
use crate::omnichannel::contacts::{Page, SearchContacts, SearchContactsError, SortOrder};

/// Contacts per page: the most Rocket.Chat returns by default.
pub(crate) const PAGE_SIZE: usize = 100;
/// Items each page re-reads from the previous one, absorbing that many deletions without a
/// step back.
const OVERLAP: usize = 5;
/// Steps back allowed in one walk; past this the walk ends and says it is incomplete.
const MAX_STEP_BACKS: usize = 1000;

/// What a walk yields.
#[derive(Debug)]
pub(crate) enum ScanItem {
    Contact(Box<Contact>),
    /// The listing failed; the walk ends after this.
    Failed(SearchContactsError),
    /// The walk ended before the last page (deadline, stop signal, too many steps back).
    Incomplete,
}

struct Walk {
    search: SearchContacts,
    pacer: Arc<Pacer>,
    stop: Option<StopSignal>,
    offset: usize,
    seen: HashSet<ContactId>,
    buffered: std::vec::IntoIter<Contact>,
    step_backs: usize,
    done: bool,
}

/// Walks every contact `search` matches, sorted by `_id`.
pub(crate) fn scan(
    search: SearchContacts,
    pacer: Arc<Pacer>,
    stop: Option<StopSignal>,
) -> impl Stream<Item = ScanItem> + Send + 'static {
    let walk = Walk {
        search: search.count(PAGE_SIZE).sort_by("_id", SortOrder::Ascending),
        pacer,
        stop,
        offset: 0,
        seen: HashSet::new(),
        buffered: Vec::new().into_iter(),
        step_backs: 0,
        done: false,
    };
    futures_util::stream::unfold(walk, |mut walk| async move {
        loop {
            if let Some(contact) = walk.buffered.next() {
                return Some((ScanItem::Contact(Box::new(contact)), walk));
            }
            if walk.done {
                return None;
            }
            if walk.stop.as_ref().is_some_and(StopSignal::is_stopped) {
                walk.done = true;
                return Some((ScanItem::Incomplete, walk));
            }
            let page = match fetch(&walk.search, &walk.pacer, walk.offset).await {
                Ok(Ok(page)) => page,
                Ok(Err(error)) => {
                    walk.done = true;
                    return Some((ScanItem::Failed(error), walk));
                }
                Err(DeadlinePassed) => {
                    walk.done = true;
                    return Some((ScanItem::Incomplete, walk));
                }
            };
            let on_seen_ground = walk.offset == 0
                || page
                    .items
                    .first()
                    .is_some_and(|first| walk.seen.contains(&first.id));
            if !on_seen_ground {
                // Contacts before this page were deleted (or one was created exactly here):
                // items we have not seen may have slid below the offset. Step back.
                walk.step_backs += 1;
                if walk.step_backs > MAX_STEP_BACKS {
                    walk.done = true;
                    return Some((ScanItem::Incomplete, walk));
                }
                walk.offset = walk.offset.saturating_sub(PAGE_SIZE / 2);
                continue;
            }
            let received = page.items.len();
            let next = walk.offset.saturating_add(received);
            walk.done = received == 0 || next >= page.total;
            walk.offset = next.saturating_sub(OVERLAP).max(walk.offset + 1);
            let fresh: Vec<Contact> = page
                .items
                .into_iter()
                .filter(|contact| walk.seen.insert(contact.id.clone()))
                .collect();
            walk.buffered = fresh.into_iter();
        }
    })
}

/// One page, paced, with 429s waited out.
async fn fetch(
    search: &SearchContacts,
    pacer: &Pacer,
    offset: usize,
) -> Result<Result<Page<Contact>, SearchContactsError>, DeadlinePassed> {
    paced(pacer, SEARCH_PATH, || search.page_observed(offset)).await
}

impl crate::Client {
    /// Every contact that has conflicts, listed as [`Client::resolve_all`](crate::Client::resolve_all)
    /// lists them: sorted by `_id` so concurrent renames cannot hide any, paced by the
    /// server's rate-limit headers, with 429s waited out. An error ends the stream after
    /// being yielded.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// use futures_util::TryStreamExt;
    /// use rocketchat_omnichannel::testing::{DemoData, FakeRocketChat};
    /// use rocketchat_omnichannel::workflow::UnknownContacts;
    ///
    /// let fake = FakeRocketChat::builder().demo_data().start().await?;
    /// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
    /// let conflicted: Vec<_> = client.conflicted_contacts(UnknownContacts::Include).try_collect().await?;
    /// assert_eq!(conflicted.len(), 3);
    /// # Ok(()) }
    /// ```
    pub fn conflicted_contacts(
        &self,
        unknown: super::UnknownContacts,
    ) -> impl Stream<Item = Result<Contact, SearchContactsError>> + Send + 'static {
        use futures_util::StreamExt;
        let pacer = Arc::new(Pacer::new(true, None));
        let client = self.clone();
        futures_util::stream::iter(unknown.listings())
            .flat_map(move |unknown| {
                scan(
                    client.search_contacts().unknown(unknown),
                    Arc::clone(&pacer),
                    None,
                )
            })
            .filter_map(|item| {
                std::future::ready(match item {
                    ScanItem::Contact(contact) if contact.has_conflicts() => Some(Ok(*contact)),
                    ScanItem::Failed(error) => Some(Err(error)),
                    _ => None,
                })
            })
            .scan(false, |failed, item| {
                // Stop after the first error, as the other streams do.
                if *failed {
                    return std::future::ready(None);
                }
                *failed = item.is_err();
                std::future::ready(Some(item))
            })
    }
}
