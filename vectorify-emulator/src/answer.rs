//! How the emulator answers a question: a keyword match over the stored items.
//!
//! The hosted service answers with a language model over a vector index. The
//! emulator cannot, so its answers only say which items share words with the
//! question:
//!
//! 1. The question is split into words (runs of letters and digits),
//!    lowercased; words shorter than three characters and common English
//!    stop words are dropped. What is left are the keywords.
//! 2. An item's words are those of every string and number in its `data` and
//!    `metadata`, found the same way.
//! 3. A keyword matches an item word when they are equal, or equal once a
//!    trailing `s` is taken from either (so `invoice` finds `invoices`).
//! 4. An item's score is the number of distinct keywords it matches; items
//!    with a score of zero do not match. Only the asked collections (all when
//!    none are named) and the asked tenant (all items when none is given) are
//!    searched.
//! 5. The answer names how many items matched and the best three as
//!    `collection/id`, highest score first, ties in (collection, tenant, id)
//!    order.

use std::collections::HashSet;

use serde_json::Value;

use crate::store::{State, StoredItem};
use crate::validate::Question;

/// How many matches an answer names.
const NAMED_MATCHES: usize = 3;

const STOP_WORDS: &[&str] = &[
    "about", "all", "and", "any", "are", "but", "can", "could", "did", "does", "for", "from",
    "give", "had", "has", "have", "her", "his", "how", "into", "its", "list", "many", "may", "me",
    "more", "most", "much", "not", "now", "our", "out", "please", "show", "some", "tell", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "was",
    "were", "what", "when", "where", "which", "who", "whom", "why", "will", "with", "would", "you",
    "your",
];

const NOTE: &str = "(Answered by the Vectorify emulator's keyword match; the hosted service \
                    answers with a language model.)";

/// The assistant's reply to `question`, from the items in `state`.
pub(crate) fn answer(state: &State, question: &Question) -> String {
    let keywords = keywords(&question.text);
    if keywords.is_empty() {
        return format!("The question has no keywords to look for in the stored items. {NOTE}");
    }

    let mut matches: Vec<(usize, String)> = Vec::new();
    state.for_each_candidate(question.collections.as_deref(), question.tenant, |item| {
        let score = score(item, &keywords);
        if score > 0 {
            matches.push((score, format!("{}/{}", item.collection, item.id)));
        }
    });
    // A stable sort keeps the store's (collection, tenant, id) order among equal scores.
    matches.sort_by_key(|(score, _)| std::cmp::Reverse(*score));

    let keyword_list = keywords.join(", ");
    match matches.len() {
        0 => format!("No stored items match the keywords {keyword_list}. {NOTE}"),
        count => {
            let best: Vec<&str> = matches
                .iter()
                .take(NAMED_MATCHES)
                .map(|(_, name)| name.as_str())
                .collect();
            let items = if count == 1 {
                "item matches"
            } else {
                "items match"
            };
            format!(
                "{count} {items} the keywords {keyword_list}. Best matches: {}. {NOTE}",
                best.join(", ")
            )
        }
    }
}

/// The question's keywords, distinct, in the order they appear.
fn keywords(text: &str) -> Vec<String> {
    let mut seen = HashSet::new();
    words(text)
        .filter(|word| word.chars().count() >= 3 && !STOP_WORDS.contains(&word.as_str()))
        .filter(|word| seen.insert(word.clone()))
        .collect()
}

fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
}

fn score(item: &StoredItem, keywords: &[String]) -> usize {
    let mut item_words = HashSet::new();
    for value in item.data.values().chain(item.metadata.values()) {
        collect_words(value, &mut item_words);
    }
    keywords
        .iter()
        .filter(|keyword| {
            let stem = singular(keyword);
            item_words.contains(keyword.as_str()) || item_words.contains(stem)
        })
        .count()
}

/// Adds the words of every string and number in `value`, each also in its
/// singular form, so that plural and singular meet.
fn collect_words(value: &Value, into: &mut HashSet<String>) {
    match value {
        Value::String(text) => {
            for word in words(text) {
                into.insert(singular(&word).to_owned());
                into.insert(word);
            }
        }
        Value::Number(number) => {
            into.insert(number.to_string());
        }
        Value::Array(values) => values.iter().for_each(|v| collect_words(v, into)),
        Value::Object(map) => map.values().for_each(|v| collect_words(v, into)),
        Value::Null | Value::Bool(_) => {}
    }
}

fn singular(word: &str) -> &str {
    match word.strip_suffix('s') {
        Some(stem) if stem.len() >= 3 => stem,
        _ => word,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_drop_short_and_stop_words() {
        assert_eq!(
            keywords("How many invoices are in DRAFT status? draft!"),
            ["invoices", "draft", "status"]
        );
    }

    #[test]
    fn plural_and_singular_match() {
        let mut into = HashSet::new();
        collect_words(&Value::String("Invoice for Acme".into()), &mut into);
        assert!(into.contains("invoice") && into.contains("acme"));
        assert_eq!(singular("invoices"), "invoice");
        assert_eq!(singular("bus"), "bus");
    }
}
