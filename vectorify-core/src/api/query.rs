//! Questions: what is asked, of which collections, for which tenant and by
//! whom, and [`Client::query`], which asks it.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::chats::ChatMessage;
use super::fields;
use super::request::Retry;
use crate::{Client, Error, Tenant, Vectorify};

/// A question about the data, as [`Client::query`] and
/// [`Client::create_chat`] send it: `{"text": ..., "collections": [...],
/// "tenant": ..., "identifier": {...}}`, with what is not set left out.
///
/// Name the collections by their types, so that a renamed collection cannot
/// drift from the questions asked of it:
///
/// ```
/// use vectorify_core::{Identifier, Question, Vectorify};
///
/// #[derive(Vectorify)]
/// #[vectorify(collection = "invoices")]
/// struct Invoice {
///     #[vectorify(id)]
///     id: u64,
///     amount: String,
/// }
///
/// let question = Question::new("how many invoices are in draft status?")
///     .collection::<Invoice>()
///     .tenant(987)
///     .identifier(Identifier::new().id("123").name("John Doe").email("john@example.com"));
/// assert_eq!(
///     serde_json::to_string(&question)?,
///     r#"{"text":"how many invoices are in draft status?","collections":["invoices"],"tenant":987,"identifier":{"id":"123","name":"John Doe","email":"john@example.com"}}"#,
/// );
///
/// // Only the text is required.
/// assert_eq!(
///     serde_json::to_string(&Question::new("what is overdue?"))?,
///     r#"{"text":"what is overdue?"}"#,
/// );
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Question {
    text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    collections: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<Tenant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    identifier: Option<Identifier>,
}

impl Question {
    /// A question with this text, of every collection, for no tenant in
    /// particular.
    pub fn new(text: impl Into<String>) -> Self {
        Question {
            text: text.into(),
            collections: None,
            tenant: None,
            identifier: None,
        }
    }

    /// Also asks the collection of `T`, by its slug ([`Vectorify::SLUG`]).
    #[must_use]
    pub fn collection<T: Vectorify>(self) -> Self {
        self.collection_slug(T::SLUG)
    }

    /// Also asks the collection with this slug. A slug already asked is not
    /// repeated.
    #[must_use]
    pub fn collection_slug(mut self, slug: impl Into<String>) -> Self {
        let slug = slug.into();
        let collections = self.collections.get_or_insert_with(Vec::new);
        if !collections.contains(&slug) {
            collections.push(slug);
        }
        self
    }

    /// Asks only the items of this tenant; required by the API in a
    /// multi-tenant project.
    #[must_use]
    pub fn tenant(mut self, tenant: impl Into<Tenant>) -> Self {
        self.tenant = Some(tenant.into());
        self
    }

    /// Says who asks: a user of your application.
    #[must_use]
    pub fn identifier(mut self, identifier: Identifier) -> Self {
        self.identifier = Some(identifier);
        self
    }

    /// The question's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The slugs of the collections asked; `None` asks every collection.
    pub fn collections(&self) -> Option<&[String]> {
        self.collections.as_deref()
    }
}

impl From<&str> for Question {
    fn from(text: &str) -> Self {
        Question::new(text)
    }
}

impl From<String> for Question {
    fn from(text: String) -> Self {
        Question::new(text)
    }
}

/// Who asks a question: a user of your application, as `{"id": ...,
/// "name": ..., "email": ...}`. Every field is optional; a message of a
/// chat carries back the identifier its question was asked with.
///
/// ```
/// use vectorify_core::Identifier;
///
/// let asker = Identifier::new().id(123).name("John Doe");
/// assert_eq!(serde_json::to_string(&asker)?, r#"{"id":"123","name":"John Doe"}"#);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Identifier {
    /// The user's id in your application, as text.
    #[serde(
        default,
        deserialize_with = "fields::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub id: Option<String>,
    /// The user's name.
    #[serde(
        default,
        deserialize_with = "fields::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub name: Option<String>,
    /// The user's email address.
    #[serde(
        default,
        deserialize_with = "fields::text",
        skip_serializing_if = "Option::is_none"
    )]
    pub email: Option<String>,
    /// Other fields: those the API sent that this library does not read, or
    /// more of your own to send.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Identifier {
    /// An identifier with no field set.
    pub fn new() -> Self {
        Identifier::default()
    }

    /// The user's id in your application; sent as text.
    #[must_use]
    pub fn id(mut self, id: impl ToString) -> Self {
        self.id = Some(id.to_string());
        self
    }

    /// The user's name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// The user's email address.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }
}

impl Client {
    /// Asks a question about the data (`POST /query`) and returns the
    /// answer, a message of a chat the API opens for it (its
    /// [`chat_id`](ChatMessage::chat_id) leads there).
    ///
    /// The question is sent again only after failures where the API cannot
    /// have taken it (a `429`, a connection that never opened): a question
    /// sent twice would be answered, and kept, twice.
    ///
    /// ```no_run
    /// use vectorify_core::{Client, Question, Vectorify};
    ///
    /// #[derive(Vectorify)]
    /// #[vectorify(collection = "invoices")]
    /// struct Invoice {
    ///     #[vectorify(id)]
    ///     id: u64,
    ///     amount: String,
    /// }
    ///
    /// # async fn run() -> Result<(), vectorify_core::Error> {
    /// let client = Client::from_env()?;
    /// let question = Question::new("how many invoices are in draft status?")
    ///     .collection::<Invoice>()
    ///     .tenant(987);
    /// let answer = client.query(&question).await?;
    /// println!("{}", answer.text);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn query(&self, question: &Question) -> Result<ChatMessage, Error> {
        self.post_data(&["query"], question, Retry::Unsent).await
    }
}
