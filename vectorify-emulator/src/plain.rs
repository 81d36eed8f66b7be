//! The quickest reading of a `POST /upserts` body: one pass over the bytes
//! that accepts only the plainest JSON, and lends out the text of each item's
//! parts so that the store can keep them without building any value.
//!
//! It only ever answers "valid, and here is what to store" for a body that
//! [`validate::upsert`](crate::validate::upsert) would accept with the same
//! result. It reads a strict subset of JSON: strings without escapes or
//! control characters, numbers without an exponent and of modest length,
//! nesting of modest depth, every field of the body and of an item at most
//! once and none the API does not define, ids that are plain strings or
//! non-negative integers, tenants that are `null` or non-negative integers.
//! Anything else, valid or not, is left to the slower readers
//! ([`fast::upsert`], then the full path), which decide.

use crate::fast;
use crate::time::is_iso8601;
use crate::validate::{FieldType, MAX_ITEMS_PER_UPSERT, ValidCollection};

/// The deepest nesting of `{` and `[` read within the body, far below the
/// full parser's limit so that whatever is read here that parser reads too.
const MAX_DEPTH: usize = 32;

/// The longest number read; longer ones (which could stand for values out of
/// a float's range) are left to the slower readers.
const MAX_NUMBER_LEN: usize = 64;

/// A valid upsert whose items borrow their text from the body.
#[derive(Debug)]
pub(crate) struct PlainUpsert<'a> {
    pub(crate) collection: ValidCollection,
    pub(crate) items: Vec<PlainItem<'a>>,
}

/// One valid item, as the text it was sent as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PlainItem<'a> {
    /// The id as stored: the string's content, or an integer's decimal text.
    pub(crate) id: &'a str,
    pub(crate) tenant: Option<i64>,
    /// The JSON text of `data`, an object.
    pub(crate) data: &'a str,
    /// The JSON text of `metadata`, an object of strings and `null`s; `None`
    /// when it was left out or `null`.
    pub(crate) metadata: Option<&'a str>,
    pub(crate) url: Option<&'a str>,
}

/// The upsert in `body` when it is plain and certainly valid; `None` leaves
/// the body to the slower readers.
pub(crate) fn upsert(body: &[u8]) -> Option<PlainUpsert<'_>> {
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = Reader::new(text);
    let Body {
        collection,
        fields,
        items,
        labels_checked,
    } = reader.body()?;

    // The items came before the collection: check their labels now.
    if !labels_checked {
        for item in &items {
            if let Some(metadata) = item.metadata {
                if !Reader::new(metadata).labels_fit(&fields)? {
                    return None;
                }
            }
        }
    }
    Some(PlainUpsert { collection, items })
}

/// The length of the string content at the start of `rest`, up to its
/// closing quote; `None` when an escape or a control character comes first,
/// or no quote does.
fn string_len(rest: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_le_bytes([0x80; 8]);
    /// The high bit of each byte of `word` that is zero. Bits may also be
    /// set above a zero byte, but the lowest bit set is always a zero byte.
    fn zero_bytes(word: u64) -> u64 {
        word.wrapping_sub(ONES) & !word & HIGHS
    }

    // Eight bytes at a time: stop at the first word holding a quote, a
    // backslash or a control character, then find which byte it is.
    let mut len = 0;
    while let Some(chunk) = rest.get(len..len + 8) {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_le_bytes(word);
        let found = zero_bytes(word ^ (ONES * u64::from(b'"')))
            | zero_bytes(word ^ (ONES * u64::from(b'\\')))
            | (word.wrapping_sub(ONES * 0x20) & !word & HIGHS);
        if found != 0 {
            len += found.trailing_zeros() as usize / 8;
            return (rest.get(len) == Some(&b'"')).then_some(len);
        }
        len += 8;
    }
    for (at, &b) in rest.get(len..)?.iter().enumerate() {
        if b == b'"' {
            return Some(len + at);
        }
        if b == b'\\' || b < 0x20 {
            return None;
        }
    }
    None
}

/// What [`Reader::body`] read.
struct Body<'a> {
    collection: ValidCollection,
    fields: Vec<(String, FieldType)>,
    items: Vec<PlainItem<'a>>,
    /// Whether the items' labels were checked as they were read (the
    /// collection came first).
    labels_checked: bool,
}

/// A cursor over the body's text.
struct Reader<'a> {
    text: &'a str,
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            bytes: text.as_bytes(),
            pos: 0,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn skip_whitespace(&mut self) {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        // Compact bodies have no whitespace: answer those at once.
        if rest.first().is_some_and(|b| *b > b' ') {
            return;
        }
        self.pos += rest
            .iter()
            .take_while(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
            .count();
    }

    /// Skips whitespace and returns the next byte without taking it.
    #[inline]
    fn next_token(&mut self) -> Option<u8> {
        self.skip_whitespace();
        self.peek()
    }

    /// Skips whitespace and takes `expected`.
    fn eat(&mut self, expected: u8) -> Option<()> {
        (self.next_token()? == expected).then(|| self.pos += 1)
    }

    /// After a member or an element: `true` for a `,` (another follows),
    /// `false` for the `close` that ends the object or array.
    fn more(&mut self, close: u8) -> Option<bool> {
        match self.next_token()? {
            b',' => {
                self.pos += 1;
                Some(true)
            }
            b if b == close => {
                self.pos += 1;
                Some(false)
            }
            _ => None,
        }
    }

    /// Takes `{` and reports whether the object is empty (taking its `}`).
    fn open_object(&mut self) -> Option<bool> {
        self.eat(b'{')?;
        if self.next_token()? == b'}' {
            self.pos += 1;
            return Some(true);
        }
        Some(false)
    }

    /// Takes a string without escapes or control characters; returns where
    /// its content starts and ends.
    #[inline]
    fn skip_string(&mut self) -> Option<(usize, usize)> {
        if self.peek() != Some(b'"') && self.next_token()? != b'"' {
            return None;
        }
        let start = self.pos + 1;
        let end = start + string_len(self.bytes.get(start..)?)?;
        self.pos = end + 1;
        Some((start, end))
    }

    /// A string without escapes or control characters; its content.
    #[inline]
    fn string(&mut self) -> Option<&'a str> {
        let (start, end) = self.skip_string()?;
        self.text.get(start..end)
    }

    /// A member's name and the `:` after it.
    fn name(&mut self) -> Option<&'a str> {
        let name = self.string()?;
        self.colon()?;
        Some(name)
    }

    /// The `:` after a member's name.
    #[inline]
    fn colon(&mut self) -> Option<()> {
        if self.peek() == Some(b':') {
            self.pos += 1;
            return Some(());
        }
        self.eat(b':')
    }

    /// `null` (taken) or not (nothing taken).
    fn null(&mut self) -> Option<bool> {
        if self.next_token()? == b'n' {
            self.literal("null")?;
            return Some(true);
        }
        Some(false)
    }

    fn literal(&mut self, word: &str) -> Option<()> {
        let end = self.pos.checked_add(word.len())?;
        (self.bytes.get(self.pos..end)? == word.as_bytes()).then(|| self.pos = end)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?`, with no exponent; its text.
    fn number(&mut self) -> Option<&'a str> {
        self.skip_whitespace();
        let start = self.pos;
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek()? {
            b'0' => self.pos += 1,
            b'1'..=b'9' => self.digits(),
            _ => return None,
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !self.peek()?.is_ascii_digit() {
                return None;
            }
            self.digits();
        }
        if matches!(self.peek(), Some(b'e' | b'E' | b'0'..=b'9')) {
            return None;
        }
        let number = self.text.get(start..self.pos)?;
        (number.len() <= MAX_NUMBER_LEN).then_some(number)
    }

    fn digits(&mut self) {
        let rest = self.bytes.get(self.pos..).unwrap_or_default();
        self.pos += rest.iter().take_while(|b| b.is_ascii_digit()).count();
    }

    /// A non-negative integer that fits in a `u64`, as its text, which is
    /// also its decimal form.
    fn unsigned(&mut self) -> Option<&'a str> {
        let text = self.number()?;
        let fits = !text.starts_with('-') && !text.contains('.') && text.parse::<u64>().is_ok();
        fits.then_some(text)
    }

    /// Any value of the subset, at `depth` levels of nesting; its text.
    fn value(&mut self, depth: usize) -> Option<&'a str> {
        self.skip_whitespace();
        let start = self.pos;
        self.skip_value(depth)?;
        self.text.get(start..self.pos)
    }

    /// Takes any value of the subset, at `depth` levels of nesting.
    fn skip_value(&mut self, depth: usize) -> Option<()> {
        match self.next_token()? {
            b'{' => {
                let depth = depth.checked_add(1).filter(|d| *d <= MAX_DEPTH)?;
                if !self.open_object()? {
                    loop {
                        self.skip_string()?;
                        self.colon()?;
                        self.skip_member_value(depth)?;
                        if !self.more(b'}')? {
                            break;
                        }
                    }
                }
            }
            b'[' => {
                let depth = depth.checked_add(1).filter(|d| *d <= MAX_DEPTH)?;
                self.pos += 1;
                if self.next_token()? == b']' {
                    self.pos += 1;
                } else {
                    loop {
                        self.skip_member_value(depth)?;
                        if !self.more(b']')? {
                            break;
                        }
                    }
                }
            }
            b'"' => {
                self.skip_string()?;
            }
            b't' => self.literal("true")?,
            b'f' => self.literal("false")?,
            b'n' => self.literal("null")?,
            _ => {
                self.number()?;
            }
        }
        Some(())
    }

    /// Takes a member or an element: a string, the most common, without a
    /// call of its own, anything else through [`skip_value`](Self::skip_value).
    #[inline]
    fn skip_member_value(&mut self, depth: usize) -> Option<()> {
        if self.peek() == Some(b'"') {
            self.skip_string()?;
            return Some(());
        }
        self.skip_value(depth)
    }

    /// An object of the subset; its text.
    fn object(&mut self, depth: usize) -> Option<&'a str> {
        if self.next_token()? != b'{' {
            return None;
        }
        self.value(depth)
    }

    /// The whole body: the collection, its fields and the items.
    fn body(&mut self) -> Option<Body<'a>> {
        let mut collection = None;
        let mut items = None;
        let mut labels_checked = false;
        if self.open_object()? {
            return None;
        }
        loop {
            match self.name()? {
                "collection" if collection.is_none() => {
                    collection = Some(fast::collection(self.object(1)?)?);
                }
                "items" if items.is_none() => {
                    let fields = collection.as_ref().map(|(_, fields)| fields);
                    labels_checked = fields.is_some();
                    items = Some(self.items(fields.map(Vec::as_slice))?);
                }
                _ => return None,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        self.skip_whitespace();
        if self.pos != self.bytes.len() {
            return None;
        }
        let (collection, fields) = collection?;
        Some(Body {
            collection,
            fields,
            items: items?,
            labels_checked,
        })
    }

    /// `items`: a non-empty array of at most [`MAX_ITEMS_PER_UPSERT`] items,
    /// their labels checked against `fields` when they are known.
    fn items(&mut self, fields: Option<&[(String, FieldType)]>) -> Option<Vec<PlainItem<'a>>> {
        self.eat(b'[')?;
        let mut items = Vec::with_capacity(MAX_ITEMS_PER_UPSERT);
        loop {
            if items.len() == MAX_ITEMS_PER_UPSERT {
                return None;
            }
            items.push(self.item(fields)?);
            if !self.more(b']')? {
                break;
            }
        }
        Some(items)
    }

    /// One item with `id` and `data`, and `metadata`, `tenant` and `url`
    /// when sent.
    fn item(&mut self, fields: Option<&[(String, FieldType)]>) -> Option<PlainItem<'a>> {
        let mut id = None;
        let mut data = None;
        let mut metadata = None;
        let mut tenant = None;
        let mut url = None;
        if self.open_object()? {
            return None;
        }
        loop {
            match self.name()? {
                "id" if id.is_none() => id = Some(self.id()?),
                "data" if data.is_none() => data = Some(self.object(2)?),
                "metadata" if metadata.is_none() => {
                    metadata = Some(if self.null()? {
                        None
                    } else if let Some(fields) = fields {
                        self.skip_whitespace();
                        let start = self.pos;
                        if !self.labels_fit(fields)? {
                            return None;
                        }
                        Some(self.text.get(start..self.pos)?)
                    } else {
                        Some(self.object(2)?)
                    });
                }
                "tenant" if tenant.is_none() => {
                    tenant = Some(if self.null()? {
                        None
                    } else {
                        Some(self.unsigned()?.parse().ok()?)
                    });
                }
                "url" if url.is_none() => {
                    url = Some(if self.null()? {
                        None
                    } else {
                        Some(self.string()?)
                    });
                }
                _ => return None,
            }
            if !self.more(b'}')? {
                break;
            }
        }
        Some(PlainItem {
            id: id?,
            tenant: tenant.flatten(),
            data: data?,
            metadata: metadata.flatten(),
            url: url.flatten(),
        })
    }

    /// An id: a string that is not blank, or a non-negative integer.
    fn id(&mut self) -> Option<&'a str> {
        if self.next_token()? == b'"' {
            let id = self.string()?;
            return (!id.trim().is_empty()).then_some(id);
        }
        self.unsigned()
    }

    /// Whether every label of a `metadata` object is declared by `fields`
    /// and holds a value its type accepts; `None` when the text is not an
    /// object of strings and `null`s.
    fn labels_fit(&mut self, fields: &[(String, FieldType)]) -> Option<bool> {
        if self.open_object()? {
            return Some(true);
        }
        let mut fit = true;
        loop {
            let name = self.name()?;
            let value = if self.null()? {
                None
            } else {
                Some(self.string()?)
            };
            fit &= match fields.iter().find(|(declared, _)| declared == name) {
                None => false,
                Some((_, field_type)) => match (field_type, value) {
                    (_, None) | (FieldType::String, Some(_)) => true,
                    (FieldType::Enum(options), Some(s)) => options.iter().any(|o| o == s),
                    (FieldType::Datetime, Some(s)) => is_iso8601(s),
                    (FieldType::Broken, _) => false,
                },
            };
            if !self.more(b'}')? {
                break;
            }
        }
        Some(fit)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value};

    use super::*;
    use crate::store::ItemData;
    use crate::validate::{self, ValidItem, ValidUpsert};

    /// What the full path stores for `body`.
    fn full(body: &str) -> Option<ValidUpsert> {
        let tree = serde_json::from_str(body).ok()?;
        validate::upsert(tree).ok()
    }

    /// A plain upsert in the full path's terms.
    fn as_valid(plain: PlainUpsert<'_>) -> ValidUpsert {
        let items = plain
            .items
            .iter()
            .map(|item| ValidItem {
                id: item.id.to_owned(),
                tenant: item.tenant,
                data: ItemData::Tree(serde_json::from_str(item.data).unwrap_or_default()),
                metadata: item
                    .metadata
                    .map(serde_json::from_str::<Map<String, Value>>)
                    .transpose()
                    .unwrap_or_default()
                    .unwrap_or_default(),
                url: item.url.map(str::to_owned),
            })
            .collect();
        ValidUpsert {
            collection: plain.collection,
            items,
        }
    }

    const META: &str = r#"{"slug":"s","metadata":{"k":{"type":"enum","options":["a","b"]},"d":{"type":"datetime"},"n":{"type":"string"}}}"#;

    fn with_items(items: &str) -> String {
        format!(r#"{{"collection":{META},"items":[{items}]}}"#)
    }

    /// Whatever the plain reader accepts, the full path accepts with the
    /// same result.
    fn agrees(body: &str) -> bool {
        match upsert(body.as_bytes()) {
            Some(plain) => {
                assert_eq!(Some(as_valid(plain)), full(body), "{body}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn reads_plain_bodies_as_the_full_path_does() {
        let read = [
            r#"{"id":"1","data":{"x":1,"x":2},"metadata":{"k":"a","k":null},"tenant":5,"url":"u"}"#,
            r#"{"id":12,"data":{"deep":[[[{"y":1.5}]]],"t":true,"f":false,"z":null,"n":-0}}"#,
            r#"{"id":"1","data":{},"tenant":null,"url":null,"metadata":null}"#,
            r#"{"id":"1","data":{},"metadata":{"d":"2024-01-01T00:00:00Z","n":"x"}}"#,
            r#"{"url":"u","data":{"a":[]},"id":"é"}"#,
            r#"{"id":"9223372036854775807","data":{},"tenant":9223372036854775807}"#,
            r#"{"id":18446744073709551615,"data":{}}"#,
        ];
        for item in read {
            assert!(agrees(&with_items(item)), "{item}");
        }
        let spaced = format!(
            " {{ \"items\" : [ {} ] ,\n\t\"collection\" : {META} }}\r\n",
            r#"{ "id" : "1" , "data" : { "a" : [ 1 , 2.5 ] } , "metadata" : { "k" : "b" } }"#
        );
        assert!(agrees(&spaced));
        let repeated = with_items(r#"{"id":"1","data":{"v":1}},{"id":"1","data":{"v":2}}"#);
        assert!(agrees(&repeated));
    }

    #[test]
    fn finds_the_end_of_a_string_in_every_position() {
        for len in 0..24 {
            let content = "é".repeat(len / 2) + &"a".repeat(len % 2);
            let text = format!("{content}\"tail");
            assert_eq!(string_len(text.as_bytes()), Some(content.len()));
            for stop in ["\\", "\u{1}", "\n", "\u{1f}"] {
                let text = format!("{content}{stop}x\"");
                assert_eq!(string_len(text.as_bytes()), None, "{text:?}");
            }
            assert_eq!(string_len(content.as_bytes()), None);
        }
        assert_eq!(string_len(b"\x7f\x20\xff\""), Some(3));
    }

    /// Bodies a few bytes away from a valid one, read or left alone, never
    /// read differently from the full path.
    #[test]
    fn mutated_bodies_are_read_as_the_full_path_reads_them_or_left_alone() {
        let body = with_items(concat!(
            r#"{"id":"1","data":{"a":[1,2.5,"x",true],"b":{"c":null}},"#,
            r#""metadata":{"k":"a","d":"2024-01-01"},"tenant":5,"url":"u"},"#,
            r#"{"id":2,"data":{"n":-0.5},"metadata":null}"#
        ));
        assert!(agrees(&body));
        let bytes = b" \t\n\"\\{}[]:,0123456789.-+eEtrufalsnkdidx\x01";
        let mut rng = fastrand::Rng::with_seed(7);
        let mut read = 0;
        for _ in 0..20_000 {
            let mut mutated = body.clone().into_bytes();
            for _ in 0..rng.usize(1..=2) {
                let at = rng.usize(..mutated.len());
                let byte = bytes[rng.usize(..bytes.len())];
                match rng.u8(..3) {
                    0 => mutated[at] = byte,
                    1 => {
                        mutated.remove(at);
                    }
                    _ => mutated.insert(at, byte),
                }
            }
            if let Ok(text) = std::str::from_utf8(&mutated) {
                read += usize::from(agrees(text));
            }
        }
        assert!(read > 300, "only {read} mutated bodies were read");
    }

    /// One of a few JSON texts of every kind, plain or not.
    fn any_value(rng: &mut fastrand::Rng, depth: usize) -> String {
        const LEAVES: &[&str] = &[
            "null",
            "true",
            "false",
            "0",
            "-0",
            "7",
            "-12",
            "1.5",
            "-0.25",
            "1e3",
            "2E-2",
            "18446744073709551615",
            "18446744073709551616",
            "9223372036854775808",
            "-9223372036854775808",
            "-9223372036854775809",
            r#""""#,
            r#""a b""#,
            r#""é""#,
            r#"" ""#,
            r#""\n""#,
            r#""\u0041""#,
            r#""x\"y""#,
            "\"2024-01-01\"",
            "\"2024-01-01T10:00:00Z\"",
            r#""a""#,
            r#""b""#,
            "[]",
            "{}",
        ];
        match rng.u8(..6) {
            0 if depth < 3 => {
                let members: Vec<String> = (0..rng.usize(..3))
                    .map(|_| {
                        let name = ["a", "b", "k", "d", "n", "a"][rng.usize(..6)];
                        format!(r#""{name}":{}"#, any_value(rng, depth + 1))
                    })
                    .collect();
                format!("{{{}}}", members.join(","))
            }
            1 if depth < 3 => {
                let elements: Vec<String> = (0..rng.usize(..3))
                    .map(|_| any_value(rng, depth + 1))
                    .collect();
                format!("[{}]", elements.join(","))
            }
            _ => LEAVES[rng.usize(..LEAVES.len())].to_owned(),
        }
    }

    /// Items built from parts of every kind, read or left alone, never read
    /// differently from the full path.
    #[test]
    fn generated_items_are_read_as_the_full_path_reads_them_or_left_alone() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut read = 0;
        for _ in 0..30_000 {
            let items: Vec<String> = (0..rng.usize(1..3))
                .map(|_| {
                    let mut fields = Vec::new();
                    for name in ["id", "data", "metadata", "tenant", "url"] {
                        // Plain values most of the time, so that many items are read.
                        let value = match (name, rng.u8(..4)) {
                            ("id", 0..=2) => format!(r#""{}""#, rng.u8(..4)),
                            ("data", 0..=2) => format!(r#"{{"a":{}}}"#, any_value(&mut rng, 1)),
                            ("metadata", 0) => r#"{"k":"a","n":"x"}"#.to_owned(),
                            ("metadata", 1) => {
                                format!(
                                    r#"{{"k":{},"d":{}}}"#,
                                    any_value(&mut rng, 2),
                                    any_value(&mut rng, 2)
                                )
                            }
                            ("tenant", 0..=2) => rng.u8(..3).to_string(),
                            ("url", 0..=1) => r#""https://x""#.to_owned(),
                            _ => any_value(&mut rng, 1),
                        };
                        if rng.u8(..20) != 0 {
                            fields.push(format!(r#""{name}":{value}"#));
                        }
                    }
                    if rng.u8(..10) == 0 {
                        let at = rng.usize(..=fields.len());
                        fields.insert(at, format!(r#""id":"{}""#, rng.u8(..4)));
                    }
                    format!("{{{}}}", fields.join(","))
                })
                .collect();
            let body = match rng.u8(..4) {
                0 => format!(r#"{{"items":[{}],"collection":{META}}}"#, items.join(",")),
                _ => with_items(&items.join(",")),
            };
            read += usize::from(agrees(&body));
        }
        assert!(read > 700, "only {read} generated bodies were read");
    }

    #[test]
    fn leaves_anything_else_to_the_slower_readers() {
        let left = [
            r#"{"id":"\u0031","data":{}}"#,
            r#"{"id":" ","data":{}}"#,
            r#"{"id":"","data":{}}"#,
            r#"{"id":-3,"data":{}}"#,
            r#"{"id":1.0,"data":{}}"#,
            r#"{"id":01,"data":{}}"#,
            r#"{"id":18446744073709551616,"data":{}}"#,
            r#"{"id":"1","data":{"n":1e400}}"#,
            r#"{"id":"1","data":{"n":1E2}}"#,
            r#"{"id":"1","data":{"n":1.}}"#,
            r#"{"id":"1","data":{"n":.5}}"#,
            r#"{"id":"1","data":{"s":"\ud800"}}"#,
            r#"{"id":"1","data":{"s":"tab	inside"}}"#,
            r#"{"id":"1","data":[]}"#,
            r#"{"id":"1","data":null}"#,
            r#"{"id":"1"}"#,
            r#"{"data":{}}"#,
            r#"{"id":"1","data":{},"metadata":{"k":"c"}}"#,
            r#"{"id":"1","data":{},"metadata":{"d":"soon"}}"#,
            r#"{"id":"1","data":{},"metadata":{"z":"a"}}"#,
            r#"{"id":"1","data":{},"metadata":{"n":1}}"#,
            r#"{"id":"1","data":{},"metadata":[]}"#,
            r#"{"id":"1","data":{},"extra":1}"#,
            r#"{"id":"1","id":"2","data":{}}"#,
            r#"{"id":"1","data":{},"tenant":-1}"#,
            r#"{"id":"1","data":{},"tenant":9223372036854775808}"#,
            r#"{"id":"1","data":{},"tenant":1.5}"#,
            r#"{"id":"1","data":{},"url":7}"#,
            r#"{"id":"1","data":{"a":tru}}"#,
            r#"{"id":"1","data":{"a":1,}}"#,
            r#"{"id":"1","data":{"a" 1}}"#,
            "{}",
            "",
        ];
        for item in left {
            let body = with_items(item);
            assert!(upsert(body.as_bytes()).is_none(), "{body}");
        }

        let deep = format!("{}{}", "[".repeat(40), "]".repeat(40));
        let item = format!(r#"{{"id":"1","data":{{"a":{deep}}}}}"#);
        assert!(upsert(with_items(&item).as_bytes()).is_none());
        let many = vec![r#"{"id":"1","data":{}}"#; MAX_ITEMS_PER_UPSERT + 1].join(",");
        assert!(upsert(with_items(&many).as_bytes()).is_none());
        let most = vec![r#"{"id":"1","data":{}}"#; MAX_ITEMS_PER_UPSERT].join(",");
        assert!(agrees(&with_items(&most)));

        for body in [
            format!(r#"{{"collection":{META}}}"#),
            format!(r#"{{"collection":{META},"items":[]}}"#),
            format!(r#"{{"collection":{META},"items":null}}"#),
            r#"{"collection":null,"items":[{"id":"1","data":{}}]}"#.to_owned(),
            r#"{"collection":{"slug":"Bad"},"items":[{"id":"1","data":{}}]}"#.to_owned(),
            format!(r#"{{"collection":{META},"items":[{{"id":"1","data":{{}}}}]}} x"#),
            format!(r#"{{"collection":{META},"collection":{META},"items":[]}}"#),
            format!(r#"{{"collection":{META},"items":[{{"id":"1","data":{{}}}}],"x":1}}"#),
            format!(r#"[{META}]"#),
        ] {
            assert!(upsert(body.as_bytes()).is_none(), "{body}");
        }
        assert!(
            upsert(b"{\"collection\":{\"slug\":\"s\"},\"items\":[{\"id\":\"\xff\",\"data\":{}}]}")
                .is_none()
        );
    }
}
