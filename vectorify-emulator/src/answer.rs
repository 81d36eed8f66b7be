//! How the emulator answers a question: a keyword match over the stored
//! items, described in the crate docs under "How questions are answered".

use std::collections::HashSet;
use std::fmt::Write as _;

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

/// At most this many keywords of a question are looked for.
const MAX_KEYWORDS: usize = 64;

/// The assistant's reply to `question`, from the items in `state`.
pub(crate) fn answer(state: &State, question: &Question) -> String {
    let keywords = keywords(&question.text);
    if keywords.is_empty() {
        return format!("The question has no keywords to look for in the stored items. {NOTE}");
    }

    let mut matches: Vec<(u32, String)> = Vec::new();
    let mut scratch = String::new();
    state.for_each_candidate(question.collections.as_deref(), question.tenant, |item| {
        let score = score(item, &keywords, &mut scratch);
        if score > 0 {
            matches.push((score, format!("{}/{}", item.collection, item.id)));
        }
    });
    // A stable sort keeps the store's (collection, tenant, id) order among equal scores.
    matches.sort_by_key(|(score, _)| std::cmp::Reverse(*score));

    let keyword_list: Vec<&str> = keywords.iter().map(|k| k.word.as_str()).collect();
    let keyword_list = keyword_list.join(", ");
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

/// A keyword of the question, lowercased, and its singular form.
#[derive(Debug, PartialEq)]
struct Keyword {
    word: String,
    singular: String,
}

impl Keyword {
    /// Whether `word` (lowercased) is this keyword, up to a trailing `s` on either.
    fn matches(&self, word: &str) -> bool {
        let singular = singular(word);
        word == self.word
            || word == self.singular
            || singular == self.word
            || singular == self.singular
    }
}

/// The question's keywords, distinct, in the order they appear.
fn keywords(text: &str) -> Vec<Keyword> {
    let mut seen = HashSet::new();
    text.split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|word| word.chars().count() >= 3 && !STOP_WORDS.contains(&word.as_str()))
        .filter(|word| seen.insert(word.clone()))
        .take(MAX_KEYWORDS)
        .map(|word| Keyword {
            singular: singular(&word).to_owned(),
            word,
        })
        .collect()
}

/// The number of distinct keywords found among the words of the item's
/// `data` and `metadata` values. `scratch` is reused to lowercase words
/// without allocating per word.
fn score(item: &StoredItem, keywords: &[Keyword], scratch: &mut String) -> u32 {
    let mut found = 0u64;
    for value in item.data.values().chain(item.metadata.values()) {
        visit_words(value, scratch, &mut |word| {
            for (index, keyword) in keywords.iter().enumerate() {
                if found & (1 << index) == 0 && keyword.matches(word) {
                    found |= 1 << index;
                }
            }
        });
    }
    found.count_ones()
}

/// Calls `visit` with each lowercased word of every string and number in `value`.
fn visit_words(value: &Value, scratch: &mut String, visit: &mut impl FnMut(&str)) {
    match value {
        Value::String(text) => {
            for word in text
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
            {
                scratch.clear();
                scratch.extend(word.chars().flat_map(char::to_lowercase));
                visit(scratch);
            }
        }
        Value::Number(number) => {
            scratch.clear();
            let _ = write!(scratch, "{number}");
            visit(scratch);
        }
        Value::Array(values) => values.iter().for_each(|v| visit_words(v, scratch, visit)),
        Value::Object(map) => map.values().for_each(|v| visit_words(v, scratch, visit)),
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
        let words: Vec<String> = keywords("How many invoices are in DRAFT status? draft!")
            .into_iter()
            .map(|k| k.word)
            .collect();
        assert_eq!(words, ["invoices", "draft", "status"]);
    }

    #[test]
    fn plural_and_singular_match() {
        let invoice = Keyword {
            word: "invoice".into(),
            singular: "invoice".into(),
        };
        let invoices = Keyword {
            word: "invoices".into(),
            singular: "invoice".into(),
        };
        assert!(invoice.matches("invoices") && invoices.matches("invoice"));
        assert!(!invoice.matches("voice"));
        assert_eq!(singular("bus"), "bus");
    }

    #[test]
    fn words_are_lowercased_from_strings_and_numbers() {
        let mut seen = Vec::new();
        let value = serde_json::json!({"a": "Acme-Corp", "b": [42, true, null]});
        visit_words(&value, &mut String::new(), &mut |w| seen.push(w.to_owned()));
        assert_eq!(seen, ["acme", "corp", "42"]);
    }
}
