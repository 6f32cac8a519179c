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
use std::time::Instant;

use futures_core::Stream;
use jiff::Timestamp;

use super::changes::Newest;
use super::pacing::{DeadlinePassed, Pacer, paced};
use crate::models::{Contact, ContactId};
use crate::omnichannel::contacts::search::SEARCH_PATH;
use crate::omnichannel::contacts::{Page, SearchContacts, SearchContactsError, SortOrder};
use crate::response::Observed;
use tokio_util::sync::CancellationToken;

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
    /// A listed contact, and when its page arrived (its data is as old as that).
    Contact(Box<Contact>, std::time::Instant),
    /// The listing failed; the walk ends after this.
    Failed(SearchContactsError),
    /// The walk ended before the last page (deadline, stop signal, too many steps back).
    Incomplete,
    /// Where the listing stood as the walk started (from a probe, or from the first page of
    /// a walk by change): the server's clock, unless the listing was empty.
    Newest { listing: bool, newest: Newest },
    /// A walk by change could not prove its order and goes on as a full walk by `_id`.
    Unprovable(String),
    /// How many contacts the listing holds, as the server counted them for a page of it
    /// (what a full walk of it will list, give or take concurrent writes).
    Total { listing: bool, total: usize },
}

/// How a walk orders the listing.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Order {
    /// `_id` ascending, every contact; with `probe`, first ask for the newest `_updatedAt`.
    ById { probe: bool },
    /// `{_updatedAt: -1, _id: -1}` down to `floor` (`None`: the whole listing).
    Changed { floor: Option<Timestamp> },
}

/// A contact's place in the `{_updatedAt: -1, _id: -1}` order; a missing `_updatedAt` sorts
/// lowest (MongoDB's rule for missing fields).
type Key = (Option<Timestamp>, ContactId);

fn key(contact: &Contact) -> Key {
    (contact.updated_at, contact.id.clone())
}

struct Walk {
    search: SearchContacts,
    listing: bool,
    pacer: Arc<Pacer>,
    stop: Option<CancellationToken>,
    order: Order,
    offset: usize,
    seen: HashSet<ContactId>,
    /// The lowest key a walk by change has yielded, which every fresh item must not pass.
    lowest: Option<Key>,
    newest_noted: bool,
    buffered: std::vec::IntoIter<Contact>,
    /// When the buffered page arrived.
    fetched_at: std::time::Instant,
    /// Items to yield before the next contact (marks, the reason for a fallback).
    notes: Vec<ScanItem>,
    step_backs: usize,
    done: bool,
}

/// Walks every contact `search` matches in the listing `listing` (its `unknown` flag), in
/// `order`.
pub(crate) fn scan(
    search: SearchContacts,
    listing: bool,
    pacer: Arc<Pacer>,
    stop: Option<CancellationToken>,
    order: Order,
) -> impl Stream<Item = ScanItem> + Send + 'static {
    let walk = Walk {
        search: sorted(search, order),
        listing,
        pacer,
        stop,
        order,
        offset: 0,
        seen: HashSet::new(),
        lowest: None,
        newest_noted: false,
        buffered: Vec::new().into_iter(),
        fetched_at: std::time::Instant::now(),
        notes: Vec::new(),
        step_backs: 0,
        done: false,
    };
    futures_util::stream::unfold(walk, |mut walk| async move {
        walk.next().await.map(|item| (item, walk))
    })
}

fn sorted(search: SearchContacts, order: Order) -> SearchContacts {
    let search = search.count(PAGE_SIZE);
    match order {
        Order::ById { .. } => search.sort_by("_id", SortOrder::Ascending),
        Order::Changed { .. } => search
            .sort_by("_updatedAt", SortOrder::Descending)
            .then_sort_by("_id", SortOrder::Descending),
    }
}

impl Walk {
    async fn next(&mut self) -> Option<ScanItem> {
        loop {
            if !self.notes.is_empty() {
                return Some(self.notes.remove(0));
            }
            if let Some(contact) = self.buffered.next() {
                return Some(ScanItem::Contact(Box::new(contact), self.fetched_at));
            }
            if self.done {
                return None;
            }
            if self
                .stop
                .as_ref()
                .is_some_and(CancellationToken::is_cancelled)
            {
                self.done = true;
                return Some(ScanItem::Incomplete);
            }
            if let Order::ById { probe: true } = self.order {
                self.order = Order::ById { probe: false };
                match self.probe().await {
                    Ok(newest) => {
                        let listing = self.listing;
                        return Some(ScanItem::Newest { listing, newest });
                    }
                    Err(item) => {
                        self.done = true;
                        return Some(item);
                    }
                }
            }
            let fetched = fetch(&self.search, &self.pacer, self.offset).await;
            let (page, clock, fetched_at) = match fetched {
                Ok(Fetched {
                    page: Ok(page),
                    clock,
                    sent,
                }) => (page, clock, sent),
                Ok(Fetched {
                    page: Err(error), ..
                }) => {
                    self.done = true;
                    return Some(ScanItem::Failed(error));
                }
                Err(DeadlinePassed) => {
                    self.done = true;
                    return Some(ScanItem::Incomplete);
                }
            };
            let on_seen_ground = self.offset == 0
                || page
                    .items
                    .first()
                    .is_some_and(|first| self.seen.contains(&first.id));
            if !on_seen_ground {
                // Contacts before this page were deleted (or one was created exactly here):
                // items we have not seen may have slid below the offset. Step back.
                self.step_backs += 1;
                if self.step_backs > MAX_STEP_BACKS {
                    self.done = true;
                    return Some(ScanItem::Incomplete);
                }
                self.offset = self.offset.saturating_sub(PAGE_SIZE / 2);
                continue;
            }
            if self.offset == 0 && matches!(self.order, Order::ById { .. }) {
                self.notes.push(ScanItem::Total {
                    listing: self.listing,
                    total: page.total,
                });
            }
            let received = page.items.len();
            let next = self.offset.saturating_add(received);
            self.done = received == 0 || next >= page.total;
            let items = match self.order {
                Order::Changed { floor } => match self.changed(page.items, floor, clock) {
                    Ok(items) => items,
                    Err(why) => {
                        // Carry on as a full walk; what was yielded stays seen.
                        tracing::info!(reason = %why, "listing changes fell back to a full walk");
                        self.order = Order::ById { probe: false };
                        self.search = sorted(self.search.clone(), self.order);
                        self.offset = 0;
                        self.done = false;
                        self.notes.push(ScanItem::Unprovable(why));
                        continue;
                    }
                },
                Order::ById { .. } => page.items,
            };
            self.offset = next.saturating_sub(OVERLAP).max(self.offset + 1);
            let fresh: Vec<Contact> = items
                .into_iter()
                .filter(|contact| self.seen.insert(contact.id.clone()))
                .collect();
            self.buffered = fresh.into_iter();
            self.fetched_at = fetched_at;
        }
    }

    /// The newest `_updatedAt` of the listing, from a one-item page sorted by it; the
    /// listing's total goes to the notes.
    async fn probe(&mut self) -> Result<Newest, ScanItem> {
        let (newest, total) = probe(&self.search, &self.pacer).await?;
        self.notes.push(ScanItem::Total {
            listing: self.listing,
            total,
        });
        Ok(newest)
    }

    /// Checks one page of a walk by change and keeps what is at or above `floor`; ends the
    /// walk at the first item below it. `Err` says why the order cannot be trusted.
    fn changed(
        &mut self,
        items: Vec<Contact>,
        floor: Option<Timestamp>,
        clock: Option<Timestamp>,
    ) -> Result<Vec<Contact>, String> {
        if self.offset == 0 && !self.newest_noted {
            self.newest_noted = true;
            let newest = match items.first() {
                None => Newest::Empty,
                Some(first) => match first.updated_at {
                    Some(at) => Newest::At(at),
                    None => return Err("the server sent no `_updatedAt`".into()),
                },
            };
            self.notes.push(ScanItem::Newest {
                listing: self.listing,
                newest: mark(newest, clock),
            });
        }
        if items.windows(2).any(|pair| key(&pair[0]) < key(&pair[1])) {
            return Err(if self.offset == 0 {
                "the server ignored the sort by `_updatedAt`".into()
            } else {
                format!("the page at offset {} came back out of order", self.offset)
            });
        }
        let mut kept = Vec::with_capacity(items.len());
        for contact in items {
            let key = key(&contact);
            let fresh = !self.seen.contains(&contact.id);
            if fresh && self.lowest.as_ref().is_some_and(|lowest| key > *lowest) {
                return Err(format!(
                    "contact {} sorted above contacts listed before it",
                    contact.id
                ));
            }
            if below(floor, key.0) {
                self.done = true;
                break;
            }
            if fresh {
                self.lowest = Some(key);
            }
            kept.push(contact);
        }
        Ok(kept)
    }
}

/// A one-item page of a listing sorted by `_updatedAt` descending: where the listing stands
/// (see [`mark`]) and its total, for one call.
pub(crate) async fn probe(
    search: &SearchContacts,
    pacer: &Pacer,
) -> Result<(Newest, usize), ScanItem> {
    let probe = sorted(search.clone(), Order::Changed { floor: None }).count(1);
    match fetch(&probe, pacer, 0).await {
        Ok(Fetched {
            page: Ok(page),
            clock,
            ..
        }) => Ok((
            mark(
                match page.items.first() {
                    None => Newest::Empty,
                    Some(contact) => contact.updated_at.map_or(Newest::Unknown, Newest::At),
                },
                clock,
            ),
            page.total,
        )),
        Ok(Fetched {
            page: Err(error), ..
        }) => Err(ScanItem::Failed(error)),
        Err(DeadlinePassed) => Err(ScanItem::Incomplete),
    }
}

/// One page, paced, with 429s waited out; with the server's clock as it answered, and when
/// the request that got the page was sent.
async fn fetch(
    search: &SearchContacts,
    pacer: &Pacer,
    offset: usize,
) -> Result<Fetched, DeadlinePassed> {
    // Of the attempt whose answer is kept (a 429 waited out is not).
    let attempt = std::sync::Mutex::new((None, Instant::now()));
    let page = paced(pacer, SEARCH_PATH, || async {
        let sent = Instant::now();
        let (page, observed) = search.page_observed(offset).await;
        // The server's clock when the request went out, at the latest: its `Date` (stamped
        // once the query had run, in whole seconds rounded down) less the round trip. A
        // write made while a slow page was being computed is then above the mark.
        let round_trip = jiff::SignedDuration::try_from(sent.elapsed()).ok();
        let clock = match observed {
            Observed::Answer { server_time, .. } => server_time
                .zip(round_trip)
                .and_then(|(at, trip)| at.checked_sub(trip).ok()),
            Observed::NoAnswer => None,
        };
        *attempt
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = (clock, sent);
        (page, observed)
    })
    .await?;
    let (clock, sent) = attempt
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok(Fetched { page, clock, sent })
}

/// A page as [`fetch`] got it.
struct Fetched {
    page: Result<Page<Contact>, SearchContactsError>,
    /// The server's clock when it answered.
    clock: Option<Timestamp>,
    /// When the request was sent: the page shows the contacts as they were at some moment
    /// after this, so a copy's age counts from here (a slow answer is no fresher).
    sent: Instant,
}

/// Whether a contact written at `at` lies below a walk's `floor`, where the walk stops: a
/// contact written exactly at the floor is read again, never dropped.
fn below(floor: Option<Timestamp>, at: Option<Timestamp>) -> bool {
    match (floor, at) {
        (None, _) => false,
        (Some(floor), Some(at)) => at < floor,
        (Some(_), None) => true,
    }
}

/// The mark a walk by change starts below: the server's clock when the listing's newest write
/// was read, not that write's own `_updatedAt`. Every later write carries a later
/// `_updatedAt` (less the overlap for instances whose clocks differ), so nothing is skipped;
/// and a mark from the clock is not fooled by the data: one contact dated in the future (a
/// fast instance, an import, a database edit) would otherwise blind every later pass, and a
/// bulk import whose thousands of contacts share one second would be listed again on every
/// idle pass. Without a `Date` header, the newest write bounded by this machine's clock.
fn mark(newest: Newest, server_time: Option<Timestamp>) -> Newest {
    match (newest, server_time) {
        (Newest::At(_), Some(now)) => Newest::At(now),
        (Newest::At(at), None) => Newest::At(at.min(Timestamp::now())),
        (other, _) => other,
    }
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
    ///
    /// let fake = FakeRocketChat::builder().demo_data().start().await?;
    /// let client = fake.client_for(&DemoData::AGENT_ID.into())?;
    /// let conflicted: Vec<_> = client.conflicted_contacts(None).try_collect().await?;
    /// assert_eq!(conflicted.len(), 3);
    /// # Ok(()) }
    /// ```
    pub fn conflicted_contacts(
        &self,
        unknown: Option<bool>,
    ) -> impl Stream<Item = Result<Contact, SearchContactsError>> + Send + 'static {
        use futures_util::StreamExt;
        let pacer = Arc::new(Pacer::new(true, None));
        let client = self.clone();
        futures_util::stream::iter(super::resolve_all::listings(unknown))
            .flat_map(move |unknown| {
                scan(
                    client.search_contacts().unknown(unknown),
                    unknown,
                    Arc::clone(&pacer),
                    None,
                    Order::ById { probe: false },
                )
            })
            .filter_map(|item| {
                std::future::ready(match item {
                    ScanItem::Contact(contact, _) if contact.has_conflicts() => Some(Ok(*contact)),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mark_follows_the_servers_clock_not_the_data() {
        let now: Timestamp = "2026-12-06T10:00:00Z".parse().unwrap();
        let future: Timestamp = "2026-12-06T10:10:00Z".parse().unwrap();
        let old: Timestamp = "2026-12-01T10:00:00Z".parse().unwrap();
        // One contact dated ahead cannot carry the mark into the future.
        assert_eq!(mark(Newest::At(future), Some(now)), Newest::At(now));
        // A bulk write long ago does not hold the mark back either.
        assert_eq!(mark(Newest::At(old), Some(now)), Newest::At(now));
        // Without a `Date` header, the data bounded by this machine's clock.
        assert_eq!(mark(Newest::At(old), None), Newest::At(old));
        assert!(
            matches!(mark(Newest::At(Timestamp::MAX), None), Newest::At(at) if at < Timestamp::MAX)
        );
        assert_eq!(mark(Newest::Empty, Some(now)), Newest::Empty);
        assert_eq!(mark(Newest::Unknown, Some(now)), Newest::Unknown);
    }

    #[test]
    fn a_contact_exactly_at_the_floor_is_read_again() {
        let floor: Timestamp = "2026-12-06T10:00:00Z".parse().unwrap();
        let just_below = floor - jiff::SignedDuration::from_millis(1);
        assert!(!below(Some(floor), Some(floor)));
        assert!(below(Some(floor), Some(just_below)));
        assert!(!below(None, Some(just_below)));
        assert!(
            below(Some(floor), None),
            "no `_updatedAt`: cannot be placed"
        );
    }
}
