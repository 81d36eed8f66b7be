//! Lists: the API's paginator, one page at a time or followed to its end as
//! a stream of pages or of entries.

use std::collections::VecDeque;
use std::fmt;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::stream::{self, Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::fields;
use crate::{Client, Error};

/// One page of a list, as the API's paginator sends it: the entries, where
/// the page sits, and the links to its neighbours.
///
/// ```
/// use vectorify_core::api::{Chat, Page};
///
/// let page: Page<Chat> = serde_json::from_str(r#"{
///     "data": [{"id": "7", "name": "Invoices in draft"}],
///     "meta": {"current_page": 1, "last_page": 3, "per_page": 15, "total": 31},
///     "links": {"next": "https://api.vectorify.ai/v1/chats?page=2"}
/// }"#)?;
/// assert_eq!(page.data[0].id.as_str(), "7");
/// assert!(page.has_next());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>"))]
#[non_exhaustive]
pub struct Page<T> {
    /// The page's entries, in the API's order.
    #[serde(default = "Vec::new", deserialize_with = "fields::or_default")]
    pub data: Vec<T>,
    /// Where the page sits in the list.
    #[serde(default, deserialize_with = "fields::or_default")]
    pub meta: PageMeta,
    /// The addresses of the pages around it.
    #[serde(default, deserialize_with = "fields::or_default")]
    pub links: PageLinks,
}

impl<T> Page<T> {
    /// Whether another page follows: the paginator links one, or says this
    /// page is not the last. An empty page is always the end, so that a
    /// paginator that keeps promising more cannot make a stream endless.
    pub fn has_next(&self) -> bool {
        if self.data.is_empty() {
            return false;
        }
        let before_last = match (self.meta.current_page, self.meta.last_page) {
            (Some(current), Some(last)) => current < last,
            _ => false,
        };
        before_last || self.links.next.is_some()
    }
}

/// Where a [`Page`] sits in its list: Laravel's paginator `meta`. Every
/// field is `None` when the API leaves it out.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct PageMeta {
    /// This page's number, counting from 1.
    #[serde(default, deserialize_with = "fields::number")]
    pub current_page: Option<u64>,
    /// The last page's number.
    #[serde(default, deserialize_with = "fields::number")]
    pub last_page: Option<u64>,
    /// Entries per page.
    #[serde(default, deserialize_with = "fields::number")]
    pub per_page: Option<u64>,
    /// Entries in the whole list.
    #[serde(default, deserialize_with = "fields::number")]
    pub total: Option<u64>,
    /// The position of the page's first entry in the list, counting from 1.
    #[serde(default, deserialize_with = "fields::number")]
    pub from: Option<u64>,
    /// The position of the page's last entry.
    #[serde(default, deserialize_with = "fields::number")]
    pub to: Option<u64>,
    /// The fields this library does not read, as the API sent them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The addresses of the pages around a [`Page`]: Laravel's paginator
/// `links`. The client asks for the next page by number rather than by
/// following these, so that the key only ever goes to the configured base
/// URL.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct PageLinks {
    /// The first page.
    #[serde(default, deserialize_with = "fields::text")]
    pub first: Option<String>,
    /// The last page.
    #[serde(default, deserialize_with = "fields::text")]
    pub last: Option<String>,
    /// The page before, if any.
    #[serde(default, deserialize_with = "fields::text")]
    pub prev: Option<String>,
    /// The page after, if any.
    #[serde(default, deserialize_with = "fields::text")]
    pub next: Option<String>,
    /// The fields this library does not read, as the API sent them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A list of the API ([`Client::upsert_history`], [`Client::chats`]), to
/// read one page at a time or to the end.
///
/// Lists run newest first; entries added while a list is read shift the
/// later pages, so an entry may then show up twice.
///
/// ```no_run
/// use futures_util::TryStreamExt;
/// # async fn run(client: vectorify_core::Client) -> Result<(), vectorify_core::Error> {
/// // Every chat, page after page.
/// let mut chats = client.chats().per_page(50).items();
/// while let Some(chat) = chats.try_next().await? {
///     println!("{} {:?}", chat.id, chat.name);
/// }
///
/// // Or one page.
/// let page = client.upsert_history().page(1).await?;
/// println!("{:?} upserts in all", page.meta.total);
/// # Ok(())
/// # }
/// ```
#[must_use = "a list is read with `page`, `pages` or `items`"]
pub struct Listing<T> {
    client: Client,
    path: &'static str,
    per_page: Option<u32>,
    first_page: u64,
    entries: PhantomData<fn() -> T>,
}

impl<T> Clone for Listing<T> {
    fn clone(&self) -> Self {
        Listing {
            client: self.client.clone(),
            path: self.path,
            per_page: self.per_page,
            first_page: self.first_page,
            entries: PhantomData,
        }
    }
}

impl<T> fmt::Debug for Listing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Listing")
            .field("path", &self.path)
            .field("per_page", &self.per_page)
            .field("first_page", &self.first_page)
            .finish_non_exhaustive()
    }
}

impl<T> Listing<T>
where
    T: DeserializeOwned + Send + 'static,
{
    pub(crate) fn new(client: Client, path: &'static str) -> Self {
        Listing {
            client,
            path,
            per_page: None,
            first_page: 1,
            entries: PhantomData,
        }
    }

    /// Asks for pages of this many entries (`?per_page=`); the API's own
    /// default (15) unless set. The API may serve fewer.
    pub fn per_page(mut self, entries: u32) -> Self {
        self.per_page = Some(entries);
        self
    }

    /// Starts [`pages`](Self::pages) and [`items`](Self::items) at this page
    /// rather than the first; pages count from 1.
    pub fn from_page(mut self, page: u64) -> Self {
        self.first_page = page.max(1);
        self
    }

    /// One page, counting from 1.
    pub async fn page(&self, number: u64) -> Result<Page<T>, Error> {
        let mut pairs = vec![("page", number.max(1).to_string())];
        if let Some(per_page) = self.per_page {
            pairs.push(("per_page", per_page.to_string()));
        }
        self.client.get_list(&[self.path], &pairs).await
    }

    /// The pages from the first (or [`from_page`](Self::from_page)) to the
    /// last, each asked for once the one before has been taken. A failed
    /// page (after the client's retries) is the stream's last item.
    pub fn pages(self) -> Pages<T> {
        let pages = stream::unfold(Some(self.first_page), move |next| {
            let listing = self.clone();
            async move {
                let number = next?;
                match listing.page(number).await {
                    Ok(page) => {
                        let next = page.has_next().then(|| number.saturating_add(1));
                        Some((Ok(page), next))
                    }
                    Err(error) => Some((Err(error), None)),
                }
            }
        });
        Pages {
            pages: Box::pin(pages),
        }
    }

    /// The entries of every page, in order: [`pages`](Self::pages),
    /// flattened.
    pub fn items(self) -> Items<T> {
        Items {
            pages: Some(self.pages()),
            entries: VecDeque::new(),
        }
    }
}

type PageStream<T> = Pin<Box<dyn Stream<Item = Result<Page<T>, Error>> + Send>>;

/// The pages of a list, made by [`Listing::pages`]: a [`Stream`] that asks
/// for each page as the one before is taken.
#[must_use = "a stream does nothing unless polled"]
pub struct Pages<T> {
    pages: PageStream<T>,
}

impl<T> Pages<T> {
    /// The next page; `None` after the last one, or after an error.
    ///
    /// The same as [`StreamExt::next`](futures_util::StreamExt::next),
    /// without needing the trait in scope.
    pub async fn next(&mut self) -> Option<Result<Page<T>, Error>> {
        self.pages.next().await
    }
}

impl<T> Stream for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.pages.as_mut().poll_next(cx)
    }
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pages").finish_non_exhaustive()
    }
}

/// The entries of a list across its pages, made by [`Listing::items`]: a
/// [`Stream`] that asks for the next page when the entries of the one before
/// are used up. An error (after the client's retries) is its last item.
#[must_use = "a stream does nothing unless polled"]
pub struct Items<T> {
    pages: Option<Pages<T>>,
    entries: VecDeque<T>,
}

impl<T> Items<T> {
    /// The next entry; `None` after the last one, or after an error.
    ///
    /// The same as [`StreamExt::next`](futures_util::StreamExt::next),
    /// without needing the trait in scope.
    pub async fn next(&mut self) -> Option<Result<T, Error>> {
        StreamExt::next(self).await
    }
}

// The entries are only moved, never pinned.
impl<T> Unpin for Items<T> {}

impl<T> Stream for Items<T> {
    type Item = Result<T, Error>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            if let Some(entry) = this.entries.pop_front() {
                return Poll::Ready(Some(Ok(entry)));
            }
            let Some(pages) = this.pages.as_mut() else {
                return Poll::Ready(None);
            };
            match Pin::new(pages).poll_next(cx) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(Ok(page))) => this.entries.extend(page.data),
                Poll::Ready(Some(Err(error))) => {
                    this.pages = None;
                    return Poll::Ready(Some(Err(error)));
                }
                Poll::Ready(None) => this.pages = None,
            }
        }
    }
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Items")
            .field("buffered", &self.entries.len())
            .field("done", &self.pages.is_none())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(json: &str) -> Page<u32> {
        match serde_json::from_str(json) {
            Ok(page) => page,
            Err(error) => panic!("{json} did not read: {error}"),
        }
    }

    #[test]
    fn the_next_page_is_known_from_meta_or_links() {
        assert!(page(r#"{"data":[1],"meta":{"current_page":1,"last_page":2}}"#).has_next());
        assert!(page(r#"{"data":[1],"links":{"next":"?page=2"}}"#).has_next());
        assert!(
            !page(r#"{"data":[1],"meta":{"current_page":2,"last_page":2},"links":{"next":null}}"#)
                .has_next()
        );
        assert!(!page(r#"{"data":[1]}"#).has_next());
    }

    #[test]
    fn an_empty_page_ends_the_list() {
        assert!(!page(r#"{"data":[],"meta":{"current_page":1,"last_page":9}}"#).has_next());
        assert!(!page(r#"{"data":null,"links":{"next":"?page=2"}}"#).has_next());
    }

    #[test]
    fn meta_numbers_may_be_text() {
        let page = page(r#"{"data":[],"meta":{"per_page":"50","total":3,"path":"/v1/chats"}}"#);
        assert_eq!(page.meta.per_page, Some(50));
        assert_eq!(page.meta.extra.get("path"), Some(&Value::from("/v1/chats")));
    }
}
