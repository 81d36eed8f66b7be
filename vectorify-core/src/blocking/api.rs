//! Questions, the history of upserts and chats with the blocking client:
//! the methods of [`crate::api`], returning their results, and its lists as
//! iterators.

use std::fmt;

use serde::de::DeserializeOwned;

use super::Client;
use crate::api::{self, ChatId, MessageId, Page, UpsertId};
use crate::{Chat, ChatMessage, Error, Question, Upsert};

impl Client {
    /// Asks a question about the data and returns the answer; as
    /// [`Client::query`](crate::Client::query).
    ///
    /// ```no_run
    /// use vectorify_core::Question;
    ///
    /// # fn ask(client: &vectorify_core::blocking::Client) -> Result<(), vectorify_core::Error> {
    /// let answer = client.query(&Question::new("how many invoices are in draft status?"))?;
    /// println!("{}", answer.text);
    /// # Ok(())
    /// # }
    /// ```
    pub fn query(&self, question: &Question) -> Result<ChatMessage, Error> {
        self.wait(self.client().query(question))
    }

    /// The upserts the API has received, newest first, page by page; as
    /// [`Client::upsert_history`](crate::Client::upsert_history).
    ///
    /// ```no_run
    /// # fn history(client: &vectorify_core::blocking::Client) -> Result<(), vectorify_core::Error> {
    /// for upsert in client.upsert_history().items() {
    ///     let upsert = upsert?;
    ///     println!("{} {:?} {:?}", upsert.id, upsert.collection, upsert.status);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn upsert_history(&self) -> Listing<Upsert> {
        Listing {
            listing: self.client().upsert_history(),
            client: self.clone(),
        }
    }

    /// One upsert of the history; as
    /// [`Client::fetch_upsert`](crate::Client::fetch_upsert).
    pub fn fetch_upsert(&self, id: impl Into<UpsertId>) -> Result<Upsert, Error> {
        self.wait(self.client().fetch_upsert(id))
    }

    /// Opens a chat with a first question; as
    /// [`Client::create_chat`](crate::Client::create_chat).
    pub fn create_chat(&self, question: &Question) -> Result<Chat, Error> {
        self.wait(self.client().create_chat(question))
    }

    /// The chats of the project, newest first, page by page; as
    /// [`Client::chats`](crate::Client::chats).
    pub fn chats(&self) -> Listing<Chat> {
        Listing {
            listing: self.client().chats(),
            client: self.clone(),
        }
    }

    /// One chat with its messages; as [`Client::chat`](crate::Client::chat).
    pub fn chat(&self, chat: impl Into<ChatId>) -> Result<Chat, Error> {
        self.wait(self.client().chat(chat))
    }

    /// Asks a follow-up question in a chat and returns the answer; as
    /// [`Client::send_message`](crate::Client::send_message).
    pub fn send_message(&self, chat: impl Into<ChatId>, text: &str) -> Result<ChatMessage, Error> {
        self.wait(self.client().send_message(chat, text))
    }

    /// One message of a chat; as
    /// [`Client::chat_message`](crate::Client::chat_message).
    pub fn chat_message(
        &self,
        chat: impl Into<ChatId>,
        message: impl Into<MessageId>,
    ) -> Result<ChatMessage, Error> {
        self.wait(self.client().chat_message(chat, message))
    }

    /// Gives feedback on a chat; as
    /// [`Client::chat_feedback`](crate::Client::chat_feedback).
    pub fn chat_feedback(&self, chat: impl Into<ChatId>, feedback: &str) -> Result<Chat, Error> {
        self.wait(self.client().chat_feedback(chat, feedback))
    }

    /// Gives feedback on one message of a chat; as
    /// [`Client::message_feedback`](crate::Client::message_feedback).
    pub fn message_feedback(
        &self,
        chat: impl Into<ChatId>,
        message: impl Into<MessageId>,
        feedback: &str,
    ) -> Result<ChatMessage, Error> {
        self.wait(self.client().message_feedback(chat, message, feedback))
    }
}

/// A list of the API, to read one page at a time or to the end; as
/// [`api::Listing`], with iterators.
#[must_use = "a list is read with `page`, `pages` or `items`"]
pub struct Listing<T> {
    listing: api::Listing<T>,
    client: Client,
}

impl<T> Listing<T>
where
    T: DeserializeOwned + Send + 'static,
{
    /// Asks for pages of this many entries; see [`api::Listing::per_page`].
    pub fn per_page(mut self, entries: u32) -> Self {
        self.listing = self.listing.per_page(entries);
        self
    }

    /// Starts [`pages`](Self::pages) and [`items`](Self::items) at this
    /// page; see [`api::Listing::from_page`].
    pub fn from_page(mut self, page: u64) -> Self {
        self.listing = self.listing.from_page(page);
        self
    }

    /// One page, counting from 1.
    pub fn page(&self, number: u64) -> Result<Page<T>, Error> {
        self.client.wait(self.listing.page(number))
    }

    /// The pages to the last, each asked for when the iterator is advanced.
    /// A failed page is the iterator's last item.
    pub fn pages(self) -> Pages<T> {
        Pages {
            pages: self.listing.pages(),
            client: self.client,
        }
    }

    /// The entries of every page, in order, each page asked for when the
    /// entries of the one before are used up. An error is the iterator's
    /// last item.
    pub fn items(self) -> Items<T> {
        Items {
            items: self.listing.items(),
            client: self.client,
        }
    }
}

impl<T> fmt::Debug for Listing<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.listing, f)
    }
}

/// The pages of a list, made by [`Listing::pages`].
#[must_use = "an iterator does nothing unless advanced"]
pub struct Pages<T> {
    pages: api::Pages<T>,
    client: Client,
}

impl<T> Iterator for Pages<T> {
    type Item = Result<Page<T>, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.client.wait(self.pages.next())
    }
}

impl<T> fmt::Debug for Pages<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.pages, f)
    }
}

/// The entries of a list across its pages, made by [`Listing::items`].
#[must_use = "an iterator does nothing unless advanced"]
pub struct Items<T> {
    items: api::Items<T>,
    client: Client,
}

impl<T> Iterator for Items<T> {
    type Item = Result<T, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        self.client.wait(self.items.next())
    }
}

impl<T> fmt::Debug for Items<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.items, f)
    }
}
