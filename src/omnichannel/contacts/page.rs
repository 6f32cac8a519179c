//! Paginated answers (`contacts.search`, `contacts.history`) and the stream that walks them.

use std::future::Future;

use futures_core::Stream;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One page of a paginated answer.
///
/// ```
/// use rocketchat_omnichannel::omnichannel::contacts::Page;
/// let page: Page<u32> = Page::new(vec![1, 2], 0, 5);
/// assert!(page.has_more());
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Page<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// How many items this page holds.
    pub count: usize,
    /// The offset of the first item.
    pub offset: usize,
    /// How many items match in all.
    pub total: usize,
}

impl<T> Page<T> {
    /// A page, for tests and mocks.
    ///
    /// ```
    /// let page = rocketchat_omnichannel::omnichannel::contacts::Page::new(vec!["a"], 10, 11);
    /// assert_eq!(page.count, 1);
    /// ```
    pub fn new(items: Vec<T>, offset: usize, total: usize) -> Self {
        Self {
            count: items.len(),
            items,
            offset,
            total,
        }
    }

    /// Whether items remain after this page.
    ///
    /// ```
    /// let page = rocketchat_omnichannel::omnichannel::contacts::Page::new(vec!["a"], 0, 1);
    /// assert!(!page.has_more());
    /// ```
    pub fn has_more(&self) -> bool {
        !self.items.is_empty() && self.offset + self.items.len() < self.total
    }
}

/// The page size of streams when the caller did not choose one.
pub(crate) const DEFAULT_STREAM_PAGE: usize = 50;

/// Sort direction.
///
/// ```
/// use rocketchat_omnichannel::omnichannel::contacts::SortOrder;
/// let order = SortOrder::Descending;
/// # let _ = order;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortOrder {
    /// A to Z, oldest first.
    Ascending,
    /// Z to A, newest first.
    Descending,
}

impl SortOrder {
    pub(crate) fn as_number(self) -> i8 {
        match self {
            Self::Ascending => 1,
            Self::Descending => -1,
        }
    }
}

/// The paging options of the paginated routes.
#[derive(Clone, Debug, Default)]
pub(crate) struct Paging {
    pub(crate) count: Option<usize>,
    pub(crate) offset: usize,
    /// Sort keys in priority order (a JSON object's key order is its priority on the
    /// server, so it is written out by hand, never through a map that sorts its keys).
    pub(crate) sort: Vec<(String, SortOrder)>,
}

impl Paging {
    /// The page size as asked; checked by [`Paging::check`] when the request is sent.
    pub(crate) fn set_count(&mut self, count: usize) {
        self.count = Some(count);
    }

    /// Refuses a page size of 0, which Rocket.Chat's `getPaginationItems`
    /// (`apps/meteor/app/api/server/helpers/getPaginationItems.ts`) would quietly read as
    /// its default (50), or as "everything" where `API_Allow_Infinite_Count` is on.
    pub(crate) fn check(&self) -> Result<(), Error> {
        match self.count {
            Some(0) => Err(Error::validation(
                "count 0 asks for no items: ask for at least 1 (the server would read 0 as its default page size)",
            )),
            _ => Ok(()),
        }
    }

    /// Adds `count`, `offset` (when not 0) and `sort` (a JSON object, as the server wants it).
    pub(crate) fn append(
        &self,
        query: &mut url::form_urlencoded::Serializer<'_, String>,
        offset: usize,
    ) {
        if let Some(count) = self.count {
            query.append_pair("count", &count.to_string());
        }
        if offset > 0 {
            query.append_pair("offset", &offset.to_string());
        }
        if !self.sort.is_empty() {
            let keys: Vec<String> = self
                .sort
                .iter()
                .map(|(field, order)| {
                    format!(
                        "{}:{}",
                        serde_json::Value::from(field.as_str()),
                        order.as_number()
                    )
                })
                .collect();
            query.append_pair("sort", &format!("{{{}}}", keys.join(",")));
        }
    }
}

/// The paging setters (`count`, `offset`, `sort_by`) of a paginated route's builder, which
/// keeps them in a `paging: Paging` field. `$start` is the expression that starts the builder
/// in the doc examples, `$sort_field` a field the route sorts by.
macro_rules! paging_setters {
    ($start:literal, $sort_field:literal) => {
        #[doc = "Page size, sent as given. The server caps it at its `API_Upper_Count_Limit`"]
        #[doc = "(100 by default), so a page may hold fewer: its `count` says how many came."]
        #[doc = "0 is refused when the request is sent."]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {"]
        #[doc = concat!("client.", $start, ".count(100).await?;")]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
        pub fn count(mut self, count: usize) -> Self {
            self.paging.set_count(count);
            self
        }

        #[doc = "Where the page starts."]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {"]
        #[doc = concat!("client.", $start, ".offset(50).await?;")]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
        pub fn offset(mut self, offset: usize) -> Self {
            self.paging.offset = offset;
            self
        }

        #[doc = concat!("Sorts by a field (`", $sort_field, "`, …).")]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {"]
        #[doc = "use rocketchat_omnichannel::omnichannel::contacts::SortOrder;"]
        #[doc = concat!("client.", $start, ".sort_by(\"", $sort_field, "\", SortOrder::Descending).await?;")]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
        pub fn sort_by(mut self, field: impl Into<String>, order: SortOrder) -> Self {
            self.paging.sort = vec![(field.into(), order)];
            self
        }

        #[doc = "Breaks ties of the sort so far by another field: `sort_by(\"_updatedAt\", Descending).then_sort_by(\"_id\", Descending)`"]
        #[doc = "sends `{\"_updatedAt\":-1,\"_id\":-1}`, a total order that offset paging can walk without"]
        #[doc = "equal values trading places between pages (MongoDB leaves the order of ties open)."]
        #[doc = ""]
        #[doc = "```no_run"]
        #[doc = "# async fn run(client: rocketchat_omnichannel::Client) -> Result<(), rocketchat_omnichannel::Error> {"]
        #[doc = "use rocketchat_omnichannel::omnichannel::contacts::SortOrder;"]
        #[doc = concat!("client.", $start, ".sort_by(\"_updatedAt\", SortOrder::Descending).then_sort_by(\"_id\", SortOrder::Descending).await?;")]
        #[doc = "# Ok(()) }"]
        #[doc = "```"]
        pub fn then_sort_by(mut self, field: impl Into<String>, order: SortOrder) -> Self {
            self.paging.sort.push((field.into(), order));
            self
        }
    };
}
pub(crate) use paging_setters;

/// Walks pages from `start`, yielding items one by one; an error ends the stream after being
/// yielded.
///
/// The next offset is the offset *asked for* plus the items received, never the server's
/// echo: Rocket.Chat's `count` is the requested page size (not the number of items), and an
/// echoed offset could be wrong. The walk ends when `total` is reached or a page comes back
/// empty; a page shorter than asked for does not end it while `total` says more remain.
pub(crate) fn paginate<T, E, F, Fut>(start: usize, fetch: F) -> impl Stream<Item = Result<T, E>>
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = Result<Page<T>, E>>,
{
    struct Walk<T, F> {
        fetch: F,
        next_offset: usize,
        buffered: std::vec::IntoIter<T>,
        done: bool,
    }
    let walk = Walk {
        fetch,
        next_offset: start,
        buffered: Vec::new().into_iter(),
        done: false,
    };
    futures_util::stream::unfold(walk, |mut walk| async move {
        loop {
            if let Some(item) = walk.buffered.next() {
                return Some((Ok(item), walk));
            }
            if walk.done {
                return None;
            }
            let requested = walk.next_offset;
            match (walk.fetch)(requested).await {
                Ok(page) => {
                    walk.next_offset = requested.saturating_add(page.items.len());
                    walk.done = page.items.is_empty() || walk.next_offset >= page.total;
                    walk.buffered = page.items.into_iter();
                }
                Err(error) => {
                    walk.done = true;
                    return Some((Err(error), walk));
                }
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::StreamExt;

    #[tokio::test]
    async fn walks_until_total_and_stops_on_error() {
        let items: Vec<u32> = (0..7).collect();
        let stream = paginate(0, |offset| {
            let page = Page::new(
                items.iter().skip(offset).take(3).copied().collect(),
                offset,
                7,
            );
            async move { Ok::<_, ()>(page) }
        });
        assert_eq!(stream.map(Result::unwrap).collect::<Vec<_>>().await, items);

        let mut calls = 0;
        let failing = paginate(0, |offset| {
            calls += 1;
            let outcome = if offset == 0 {
                Ok(Page::new(vec![1u32], 0, 5))
            } else {
                Err("boom")
            };
            async move { outcome }
        });
        let collected: Vec<_> = failing.collect().await;
        assert_eq!(collected, [Ok(1), Err("boom")]);
    }

    #[tokio::test]
    async fn next_offsets_come_from_the_request_not_the_echo() {
        // The server echoes a wrong offset and a short page; the walk still asks 0, 2, 5.
        let items: Vec<u32> = (0..7).collect();
        let mut asked = Vec::new();
        let stream = paginate(0, |offset| {
            asked.push(offset);
            let take = if offset == 0 { 2 } else { 3 };
            let page = Page::new(
                items.iter().skip(offset).take(take).copied().collect(),
                999,
                7,
            );
            async move { Ok::<_, ()>(page) }
        });
        let got: Vec<u32> = stream.map(Result::unwrap).collect().await;
        assert_eq!(got, items);
        assert_eq!(asked, [0, 2, 5]);
    }

    #[tokio::test]
    async fn an_empty_page_ends_the_walk_even_if_total_lies() {
        let stream = paginate(0, |offset| async move {
            Ok::<_, ()>(Page::<u32>::new(Vec::new(), offset, 50))
        });
        assert_eq!(stream.collect::<Vec<_>>().await.len(), 0);
    }
}
