//! Chats: conversations about the data, their messages, the feedback on
//! both, and the [`Client`] methods that open, read and continue them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

use super::fields;
use super::ids::{ChatId, MessageId};
use super::page::Listing;
use super::query::{Identifier, Question};
use super::request::Retry;
use crate::{Client, Error, Tenant};

/// A chat: a conversation about the data, with its messages.
///
/// Read from the API's `{"id", "name", "tenant", "user", "created_at",
/// "messages"}`; a field the API leaves out or sends as `null` is `None`
/// (`messages`: empty), and fields this library does not know are kept in
/// [`extra`](Self::extra).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Chat {
    /// The chat's id.
    pub id: ChatId,
    /// Its name, usually the start of its first question.
    #[serde(default, deserialize_with = "fields::text")]
    pub name: Option<String>,
    /// The tenant whose items it asks about.
    #[serde(default, deserialize_with = "tenant")]
    pub tenant: Option<Tenant>,
    /// The user of the Vectorify project who opened it; `None` for a chat
    /// opened with an API key.
    #[serde(default, deserialize_with = "user")]
    pub user: Option<User>,
    /// The feedback given on it with [`Client::chat_feedback`].
    #[serde(default, deserialize_with = "fields::text")]
    pub feedback: Option<String>,
    /// When it was opened, as the API writes times.
    #[serde(default, deserialize_with = "fields::text")]
    pub created_at: Option<String>,
    /// Its messages, oldest first.
    #[serde(default, deserialize_with = "fields::or_default")]
    pub messages: Vec<ChatMessage>,
    /// The fields this library does not read, as the API sent them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Chat {
    /// The chat's last answer: its last message from the assistant.
    pub fn last_answer(&self) -> Option<&ChatMessage> {
        self.messages
            .iter()
            .rev()
            .find(|message| message.role == Some(Role::Assistant))
    }
}

/// A message of a chat: a question asked or an answer given.
///
/// Read from the API's `{"id", "chat_id", "role", "user", "text",
/// "text_html", "identifier", "feedback", "created_at"}`; a field the API
/// leaves out or sends as `null` is `None` (`text`: empty), and fields this
/// library does not know are kept in [`extra`](Self::extra).
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct ChatMessage {
    /// The message's id.
    pub id: MessageId,
    /// The chat it belongs to.
    #[serde(default)]
    pub chat_id: Option<ChatId>,
    /// Who wrote it: the asker or the assistant.
    #[serde(default)]
    pub role: Option<Role>,
    /// The user of the Vectorify project who wrote it, if one did.
    #[serde(default, deserialize_with = "user")]
    pub user: Option<User>,
    /// The text: the question, or the answer.
    #[serde(default, deserialize_with = "fields::text_or_empty")]
    pub text: String,
    /// The text as HTML, as the API renders it.
    #[serde(default, deserialize_with = "fields::text")]
    pub text_html: Option<String>,
    /// Who asked, as the question said.
    #[serde(default)]
    pub identifier: Option<Identifier>,
    /// The feedback given on it with [`Client::message_feedback`].
    #[serde(default, deserialize_with = "fields::text")]
    pub feedback: Option<String>,
    /// When it was written, as the API writes times.
    #[serde(default, deserialize_with = "fields::text")]
    pub created_at: Option<String>,
    /// The fields this library does not read, as the API sent them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Who wrote a [`ChatMessage`]. A role this library does not know is kept
/// as [`Role::Other`].
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Role {
    /// The person asking: `"user"`.
    User,
    /// Vectorify, answering: `"assistant"`.
    Assistant,
    /// Any other role, as the API wrote it.
    Other(String),
}

impl Role {
    /// The role as the API writes it.
    pub fn as_str(&self) -> &str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Other(role) => role,
        }
    }
}

impl From<&str> for Role {
    fn from(role: &str) -> Self {
        if role.eq_ignore_ascii_case("user") {
            Role::User
        } else if role.eq_ignore_ascii_case("assistant") {
            Role::Assistant
        } else {
            Role::Other(role.to_owned())
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Role {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let role = fields::text_or_empty(deserializer)?;
        Ok(Role::from(role.as_str()))
    }
}

/// A user of the Vectorify project (someone with a login to its
/// dashboard), as chats and messages name them. Every field is optional.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id.
    #[serde(default, deserialize_with = "fields::text")]
    pub id: Option<String>,
    /// The user's name.
    #[serde(default, deserialize_with = "fields::text")]
    pub name: Option<String>,
    /// The user's email address.
    #[serde(default, deserialize_with = "fields::text")]
    pub email: Option<String>,
    /// The address of the user's picture.
    #[serde(default, deserialize_with = "fields::text")]
    pub avatar: Option<String>,
    /// When the user joined, as the API writes times.
    #[serde(default, deserialize_with = "fields::text")]
    pub created_at: Option<String>,
    /// The fields this library does not read, as the API sent them.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A user as an object, or as a bare id (text or a number), or `null`.
fn user<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<User>, D::Error> {
    use serde::de::Error as _;

    match Option::<Value>::deserialize(deserializer)? {
        None | Some(Value::Null) => Ok(None),
        Some(user @ Value::Object(_)) => serde_json::from_value(user)
            .map(Some)
            .map_err(D::Error::custom),
        Some(Value::String(id)) => Ok(Some(User {
            id: Some(id),
            ..User::default()
        })),
        Some(id) => Ok(Some(User {
            id: Some(id.to_string()),
            ..User::default()
        })),
    }
}

/// A tenant: an integer, or the text of one, or `null`.
fn tenant<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Tenant>, D::Error> {
    use serde::de::Error as _;

    let Some(value) = fields::text(deserializer)? else {
        return Ok(None);
    };
    value
        .trim()
        .parse::<i128>()
        .map(|tenant| Some(Tenant::from(tenant)))
        .map_err(|_| D::Error::custom(format!("tenant {value:?} is not an integer")))
}

/// The body of a follow-up question.
#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

/// The body of a feedback.
#[derive(Serialize)]
struct Feedback<'a> {
    feedback: &'a str,
}

/// Chats, as `POST /chats`, `GET /chats[/{chat}]`, `.../messages[/{message}]`
/// and `.../feedback` serve them.
///
/// Calls that add to a chat (opening one, sending a message) are sent again
/// only after failures where the API cannot have taken them (a `429`, a
/// connection that never opened), as [`query`](Client::query) is. Reads and
/// feedback are retried as upserts are.
impl Client {
    /// Opens a chat with a first question (`POST /chats`), and returns it
    /// with the question and its answer.
    ///
    /// ```no_run
    /// use vectorify_core::{Client, Question};
    ///
    /// # async fn run(client: Client) -> Result<(), vectorify_core::Error> {
    /// let chat = client.create_chat(&Question::new("which invoices are overdue?").tenant(987)).await?;
    /// if let Some(answer) = chat.last_answer() {
    ///     println!("{}", answer.text);
    /// }
    /// let follow_up = client.send_message(&chat.id, "and which of them are from John Doe?").await?;
    /// println!("{}", follow_up.text);
    /// client.message_feedback(&chat.id, &follow_up.id, "helpful").await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_chat(&self, question: &Question) -> Result<Chat, Error> {
        self.post_data(&["chats"], question, Retry::Unsent).await
    }

    /// The chats of the project (`GET /chats`), newest first, page by page.
    ///
    /// ```no_run
    /// # async fn run(client: vectorify_core::Client) -> Result<(), vectorify_core::Error> {
    /// let mut chats = client.chats().items();
    /// while let Some(chat) = chats.next().await {
    ///     let chat = chat?;
    ///     println!("{}: {:?}", chat.id, chat.name);
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn chats(&self) -> Listing<Chat> {
        Listing::new(self.clone(), "chats")
    }

    /// One chat with its messages (`GET /chats/{chat}`).
    pub async fn chat(&self, chat: impl Into<ChatId>) -> Result<Chat, Error> {
        let chat = chat.into();
        self.get_data(&["chats", chat.segment()?]).await
    }

    /// Asks a follow-up question in a chat (`POST /chats/{chat}/messages`)
    /// and returns the answer.
    pub async fn send_message(
        &self,
        chat: impl Into<ChatId>,
        text: &str,
    ) -> Result<ChatMessage, Error> {
        let chat = chat.into();
        let path = ["chats", chat.segment()?, "messages"];
        self.post_data(&path, &Text { text }, Retry::Unsent).await
    }

    /// One message of a chat (`GET /chats/{chat}/messages/{message}`).
    pub async fn chat_message(
        &self,
        chat: impl Into<ChatId>,
        message: impl Into<MessageId>,
    ) -> Result<ChatMessage, Error> {
        let (chat, message) = (chat.into(), message.into());
        self.get_data(&["chats", chat.segment()?, "messages", message.segment()?])
            .await
    }

    /// Gives feedback on a chat (`POST /chats/{chat}/feedback`) and returns
    /// the chat. Feedback given again replaces the earlier one.
    pub async fn chat_feedback(
        &self,
        chat: impl Into<ChatId>,
        feedback: &str,
    ) -> Result<Chat, Error> {
        let chat = chat.into();
        let path = ["chats", chat.segment()?, "feedback"];
        self.post_data(&path, &Feedback { feedback }, Retry::Always)
            .await
    }

    /// Gives feedback on one message of a chat
    /// (`POST /chats/{chat}/messages/{message}/feedback`) and returns the
    /// message. Feedback given again replaces the earlier one.
    pub async fn message_feedback(
        &self,
        chat: impl Into<ChatId>,
        message: impl Into<MessageId>,
        feedback: &str,
    ) -> Result<ChatMessage, Error> {
        let (chat, message) = (chat.into(), message.into());
        let path = [
            "chats",
            chat.segment()?,
            "messages",
            message.segment()?,
            "feedback",
        ];
        self.post_data(&path, &Feedback { feedback }, Retry::Always)
            .await
    }
}
