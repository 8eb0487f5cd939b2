//! A JSON parser that keeps the exact source range of every value, for collections,
//! environments and the links file.
//!
//! Strings are not decoded while parsing: a [`JsonString`] is its source range, decoded on
//! demand, and [`JsonString::source_range`] maps a range of the decoded text back through
//! escapes (`\"`, `\u00e9`, surrogate pairs) to the exact source bytes. Parsing never fails:
//! errors are collected with their positions and the parser goes on after them. `//` and
//! `/* */` comments are accepted, as editors accept them in JSON settings files.

use std::borrow::Cow;

use crate::syntax::SyntaxError;
use crate::text::{TextRange, to_u32};

/// A parsed JSON document.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonDoc {
    /// The top-level value; `None` when the text holds none.
    pub root: Option<Value>,
    pub errors: Vec<SyntaxError>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Value {
    pub range: TextRange,
    pub kind: ValueKind,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ValueKind {
    Null,
    Bool(bool),
    /// A number; its text is the value's range.
    Number,
    String(JsonString),
    Array(Vec<Value>),
    Object(Vec<Member>),
    /// Something that is not JSON; an error was reported for it.
    Invalid,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Member {
    pub key: JsonString,
    pub value: Value,
}

/// A string as it stands in the source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JsonString {
    /// The string with its quotes (without the closing one when it is unterminated).
    pub range: TextRange,
    /// The text between the quotes.
    pub content: TextRange,
    /// Whether the content holds a backslash escape.
    pub has_escapes: bool,
}

impl Value {
    pub fn as_str(&self) -> Option<&JsonString> {
        match &self.kind {
            ValueKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&[Member]> {
        match &self.kind {
            ValueKind::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Value]> {
        match &self.kind {
            ValueKind::Array(v) => Some(v),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.kind {
            ValueKind::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// The member `key` of an object (the last one, as JSON parsers take duplicates).
    pub fn member(&self, src: &str, key: &str) -> Option<&Member> {
        self.as_object()?
            .iter()
            .rev()
            .find(|m| m.key.eq_str(src, key))
    }

    /// The value of member `key` of an object.
    pub fn get(&self, src: &str, key: &str) -> Option<&Value> {
        self.member(src, key).map(|m| &m.value)
    }

    /// The decoded string value of member `key`, when it is a string.
    pub fn get_str<'a>(&self, src: &'a str, key: &str) -> Option<Cow<'a, str>> {
        self.get(src, key)?.as_str().map(|s| s.value(src))
    }

    /// A short name for the kind of value, for messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ValueKind::Null => "null",
            ValueKind::Bool(_) => "a boolean",
            ValueKind::Number => "a number",
            ValueKind::String(_) => "a string",
            ValueKind::Array(_) => "an array",
            ValueKind::Object(_) => "an object",
            ValueKind::Invalid => "invalid JSON",
        }
    }

    /// Calls `f` on every string value below this one (object keys excluded), in source order.
    pub fn walk_strings<'v>(&'v self, f: &mut impl FnMut(&'v JsonString)) {
        match &self.kind {
            ValueKind::String(s) => f(s),
            ValueKind::Array(items) => items.iter().for_each(|v| v.walk_strings(f)),
            ValueKind::Object(members) => members.iter().for_each(|m| m.value.walk_strings(f)),
            _ => {}
        }
    }
}

impl JsonString {
    /// The decoded text.
    pub fn value<'a>(&self, src: &'a str) -> Cow<'a, str> {
        let raw = self.content.slice(src);
        if !self.has_escapes {
            return Cow::Borrowed(raw);
        }
        let mut out = String::with_capacity(raw.len());
        for_each_unit(raw, |unit| match unit {
            Unit::Literal(s) => out.push_str(s),
            Unit::Char(c, _) => out.push(c),
        });
        Cow::Owned(out)
    }

    /// Whether the decoded text equals `s`, without allocating when there are no escapes.
    pub fn eq_str(&self, src: &str, s: &str) -> bool {
        if self.has_escapes {
            self.value(src) == s
        } else {
            self.content.slice(src) == s
        }
    }

    /// The source range of `decoded`, a range of byte offsets into [`JsonString::value`].
    /// An offset inside an escape's decoded bytes maps to the start of the escape.
    pub fn source_range(&self, src: &str, decoded: TextRange) -> TextRange {
        if !self.has_escapes {
            let len = self.content.len();
            return TextRange::new(decoded.start.min(len), decoded.end.min(len))
                .shift(self.content.start);
        }
        let raw = self.content.slice(src);
        let (mut start, mut end) = (None, None);
        let (mut dec, mut pos) = (0u32, 0u32);
        let check = |dec: u32, pos: u32, start: &mut Option<u32>, end: &mut Option<u32>| {
            if start.is_none() && dec >= decoded.start {
                *start = Some(pos);
            }
            if end.is_none() && dec >= decoded.end {
                *end = Some(pos);
            }
        };
        for_each_unit(raw, |unit| {
            check(dec, pos, &mut start, &mut end);
            match unit {
                Unit::Literal(s) => {
                    // Literal runs map byte for byte.
                    let n = to_u32(s.len());
                    if start.is_none() && decoded.start < dec + n {
                        start = Some(pos + (decoded.start - dec));
                    }
                    if end.is_none() && decoded.end < dec + n {
                        end = Some(pos + (decoded.end - dec));
                    }
                    dec += n;
                    pos += n;
                }
                Unit::Char(c, source_len) => {
                    dec += to_u32(c.len_utf8());
                    pos += source_len;
                }
            }
        });
        check(dec, pos, &mut start, &mut end);
        let base = self.content.start;
        TextRange::new(base + start.unwrap_or(pos), base + end.unwrap_or(pos))
    }
}

enum Unit<'a> {
    /// A run of source text that decodes to itself.
    Literal(&'a str),
    /// One escape: the character it stands for and its length in the source.
    Char(char, u32),
}

/// Splits string content into literal runs and escapes, in order.
fn for_each_unit<'a>(raw: &'a str, mut f: impl FnMut(Unit<'a>)) {
    let bytes = raw.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let Some(rel) = memchr::memchr(b'\\', &bytes[i..]) else {
            f(Unit::Literal(&raw[i..]));
            return;
        };
        if rel > 0 {
            f(Unit::Literal(&raw[i..i + rel]));
        }
        i += rel;
        let (c, len) = decode_escape(&bytes[i..]);
        f(Unit::Char(c, to_u32(len)));
        i += len;
    }
}

/// Decodes the escape at the start of `b` (which starts with `\`): the character and the
/// number of source bytes. Bad escapes decode to U+FFFD; the parser reported them.
fn decode_escape(b: &[u8]) -> (char, usize) {
    let Some(&e) = b.get(1) else {
        return ('\u{FFFD}', 1);
    };
    let simple = match e {
        b'"' => '"',
        b'\\' => '\\',
        b'/' => '/',
        b'b' => '\u{8}',
        b'f' => '\u{c}',
        b'n' => '\n',
        b'r' => '\r',
        b't' => '\t',
        b'u' => {
            let Some(hi) = hex4(&b[2..]) else {
                return ('\u{FFFD}', 2);
            };
            if (0xD800..0xDC00).contains(&hi) && b.get(6) == Some(&b'\\') && b.get(7) == Some(&b'u')
            {
                if let Some(lo) = hex4(&b[8..]).filter(|lo| (0xDC00..0xE000).contains(lo)) {
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return (char::from_u32(c).unwrap_or('\u{FFFD}'), 12);
                }
            }
            return (char::from_u32(hi).unwrap_or('\u{FFFD}'), 6);
        }
        // A backslash before a multi-byte character: keep the whole character in one unit.
        _ => {
            let len = 1 + std::str::from_utf8(&b[1..b.len().min(5)])
                .map_or_else(|e| e.valid_up_to(), |s| s.len())
                .min(utf8_len(e));
            return ('\u{FFFD}', len.max(2).min(b.len()));
        }
    };
    (simple, 2)
}

fn utf8_len(first: u8) -> usize {
    match first {
        0x00..=0x7F => 1,
        0xC0..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    let digits = b.get(..4)?;
    let mut n = 0;
    for &d in digits {
        n = n * 16 + (d as char).to_digit(16)?;
    }
    Some(n)
}

/// Parses a JSON document. Never fails; a leading byte-order mark is skipped.
pub fn parse(src: &str) -> JsonDoc {
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        pos: 0,
        errors: Vec::new(),
        depth: 0,
        open_objects: 0,
        open_arrays: 0,
        values: Vec::new(),
        members: Vec::new(),
    };
    if src.starts_with('\u{FEFF}') {
        p.pos = 3;
    }
    p.skip_trivia();
    let root = if p.pos < p.b.len() {
        Some(p.value())
    } else {
        None
    };
    p.skip_trivia();
    if p.pos < p.b.len() {
        let at = p.pos;
        p.error(
            p.char_at(at),
            "unexpected text after the end of the JSON value",
        );
    }
    if root.is_none() {
        p.error(
            TextRange::empty(to_u32(p.pos)),
            "the file is empty: expected a JSON value",
        );
    }
    JsonDoc {
        root,
        errors: p.errors,
    }
}

/// Nesting deeper than this is reported instead of recursing further.
const MAX_DEPTH: u32 = 512;

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
    errors: Vec<SyntaxError>,
    depth: u32,
    /// How many objects and arrays are open around the current position, the innermost
    /// included: a stray closing bracket ends the innermost container when an enclosing one
    /// expects it, and is skipped otherwise.
    open_objects: u32,
    open_arrays: u32,
    /// Children of the containers being parsed, innermost last: each container takes its
    /// own off the top when it closes, in one allocation of the exact size.
    values: Vec<Value>,
    members: Vec<Member>,
}

impl Parser<'_> {
    fn error(&mut self, range: TextRange, msg: &str) {
        // One error per position is enough; recovery can meet the same spot twice.
        if self
            .errors
            .last()
            .is_some_and(|e| e.range.start == range.start)
        {
            return;
        }
        self.errors.push(SyntaxError::new(range, msg));
    }

    /// The range of the character at byte `at`.
    fn char_at(&self, at: usize) -> TextRange {
        let len = self.src[at..].chars().next().map_or(0, char::len_utf8);
        TextRange::from_usize(at, at + len)
    }

    fn skip_trivia(&mut self) {
        loop {
            while let Some(&c) = self.b.get(self.pos) {
                if matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
                    self.pos += 1;
                } else {
                    break;
                }
            }
            if self.b.get(self.pos) != Some(&b'/') {
                return;
            }
            match self.b.get(self.pos + 1) {
                Some(b'/') => {
                    self.pos = memchr::memchr2(b'\n', b'\r', &self.b[self.pos..])
                        .map_or(self.b.len(), |i| self.pos + i);
                }
                Some(b'*') => {
                    let start = self.pos;
                    match memchr::memmem::find(&self.b[self.pos + 2..], b"*/") {
                        Some(i) => self.pos += 2 + i + 2,
                        None => {
                            self.pos = self.b.len();
                            self.error(
                                TextRange::from_usize(start, start + 2),
                                "unterminated comment",
                            );
                        }
                    }
                }
                _ => return,
            }
        }
    }

    fn value(&mut self) -> Value {
        let start = self.pos;
        let Some(&c) = self.b.get(self.pos) else {
            self.error(TextRange::empty(to_u32(start)), "expected a value");
            return Value {
                range: TextRange::empty(to_u32(start)),
                kind: ValueKind::Invalid,
            };
        };
        let kind = match c {
            b'{' | b'[' if self.depth >= MAX_DEPTH => {
                self.error(
                    TextRange::from_usize(start, start + 1),
                    "JSON nested too deeply",
                );
                self.pos = self.b.len();
                ValueKind::Invalid
            }
            b'{' => {
                self.depth += 1;
                self.open_objects += 1;
                let members = self.object();
                self.open_objects -= 1;
                self.depth -= 1;
                ValueKind::Object(members)
            }
            b'[' => {
                self.depth += 1;
                self.open_arrays += 1;
                let items = self.array();
                self.open_arrays -= 1;
                self.depth -= 1;
                ValueKind::Array(items)
            }
            b'"' => ValueKind::String(self.string()),
            b'-' | b'0'..=b'9' => self.number(),
            b't' if self.b[self.pos..].starts_with(b"true") => {
                self.keyword(4, ValueKind::Bool(true))
            }
            b'f' if self.b[self.pos..].starts_with(b"false") => {
                self.keyword(5, ValueKind::Bool(false))
            }
            b'n' if self.b[self.pos..].starts_with(b"null") => self.keyword(4, ValueKind::Null),
            _ => {
                let end = self.token_end();
                let range = TextRange::from_usize(start, end);
                let msg = if c == b'\'' {
                    "strings take double quotes in JSON"
                } else {
                    "expected a value: a string, number, object, array, true, false or null"
                };
                self.error(range, msg);
                self.pos = end;
                ValueKind::Invalid
            }
        };
        Value {
            range: TextRange::from_usize(start, self.pos),
            kind,
        }
    }

    /// The end of a run of characters that cannot start or separate JSON tokens.
    fn token_end(&self) -> usize {
        let mut end = self.pos + 1;
        while end < self.b.len()
            && !matches!(
                self.b[end],
                b' ' | b'\t' | b'\n' | b'\r' | b',' | b':' | b'}' | b']' | b'{' | b'[' | b'"'
            )
        {
            end += 1;
        }
        while !self.src.is_char_boundary(end) {
            end += 1;
        }
        end
    }

    fn keyword(&mut self, len: usize, kind: ValueKind) -> ValueKind {
        self.pos += len;
        kind
    }

    fn number(&mut self) -> ValueKind {
        let start = self.pos;
        while let Some(&c) = self.b.get(self.pos) {
            if c.is_ascii_digit() || matches!(c, b'-' | b'+' | b'.' | b'e' | b'E') {
                self.pos += 1;
            } else {
                break;
            }
        }
        let text = &self.src[start..self.pos];
        let well_formed = {
            let t = text.strip_prefix('-').unwrap_or(text);
            let (mantissa, exp) = match t.find(['e', 'E']) {
                Some(i) => (&t[..i], Some(&t[i + 1..])),
                None => (t, None),
            };
            let (int, frac) = match mantissa.split_once('.') {
                Some((i, f)) => (i, Some(f)),
                None => (mantissa, None),
            };
            let digits = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
            digits(int)
                && (int == "0" || !int.starts_with('0'))
                && frac.is_none_or(digits)
                && exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)))
        };
        if !well_formed {
            self.error(TextRange::from_usize(start, self.pos), "malformed number");
        }
        ValueKind::Number
    }

    fn string(&mut self) -> JsonString {
        let start = self.pos;
        self.pos += 1;
        let mut has_escapes = false;
        loop {
            let rest = &self.b[self.pos..];
            let Some(i) = memchr::memchr3(b'"', b'\\', b'\n', rest) else {
                return self.unterminated(start, self.b.len(), has_escapes);
            };
            // Control characters are not allowed raw in JSON strings.
            if let Some(ctl) = rest[..i].iter().position(|&c| c < 0x20) {
                let at = self.pos + ctl;
                self.error(
                    TextRange::from_usize(at, at + 1),
                    "control character in a string: escape it",
                );
            }
            self.pos += i;
            match self.b[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return JsonString {
                        range: TextRange::from_usize(start, self.pos),
                        content: TextRange::from_usize(start + 1, self.pos - 1),
                        has_escapes,
                    };
                }
                b'\n' => {
                    let end = if self.pos > start && self.b[self.pos - 1] == b'\r' {
                        self.pos - 1
                    } else {
                        self.pos
                    };
                    return self.unterminated(start, end, has_escapes);
                }
                _ => {
                    has_escapes = true;
                    let at = self.pos;
                    let (c, len) = decode_escape(&self.b[at..]);
                    let valid = c != '\u{FFFD}'
                        || self.b[at..].starts_with(b"\\uFFFD")
                        || self.b[at..].starts_with(b"\\ufffd");
                    if !valid {
                        self.error(
                            TextRange::from_usize(at, at + len),
                            "invalid escape in a string",
                        );
                    }
                    self.pos += len;
                    if self.pos >= self.b.len() {
                        return self.unterminated(start, self.b.len(), has_escapes);
                    }
                }
            }
        }
    }

    fn unterminated(&mut self, start: usize, end: usize, has_escapes: bool) -> JsonString {
        self.pos = end;
        self.error(TextRange::from_usize(start, end), "unterminated string");
        JsonString {
            range: TextRange::from_usize(start, end),
            content: TextRange::from_usize((start + 1).min(end), end),
            has_escapes,
        }
    }

    /// After an error inside a container, skips to the next `,` or closing bracket at this
    /// level (or the end), so the rest of the container still parses.
    fn recover(&mut self) {
        let mut depth = 0u32;
        while let Some(&c) = self.b.get(self.pos) {
            match c {
                b'"' => {
                    self.string_quietly();
                    continue;
                }
                b'{' | b'[' => depth += 1,
                b'}' | b']' if depth == 0 => return,
                b'}' | b']' => depth -= 1,
                b',' if depth == 0 => return,
                _ => {}
            }
            self.pos += 1;
        }
    }

    fn string_quietly(&mut self) {
        let errors = self.errors.len();
        self.string();
        self.errors.truncate(errors);
    }

    fn array(&mut self) -> Vec<Value> {
        self.pos += 1;
        let mark = self.values.len();
        loop {
            self.skip_trivia();
            match self.b.get(self.pos) {
                None => {
                    self.error(
                        TextRange::empty(to_u32(self.pos)),
                        "unterminated array: expected `]`",
                    );
                    return self.values.split_off(mark);
                }
                Some(b']') => {
                    self.pos += 1;
                    return self.values.split_off(mark);
                }
                Some(b'}') => {
                    if self.stray_closer(b'}', self.open_objects > 0) {
                        return self.values.split_off(mark);
                    }
                    continue;
                }
                _ => {}
            }
            let value = self.value();
            self.values.push(value);
            self.after_element(b']', "expected `,` or `]`");
        }
    }

    /// After an array element or an object member: a comma (a trailing one before `close`
    /// is reported), `close` itself, or the end (reported by the container); anything else
    /// is reported and skipped up to the next comma or closing bracket.
    fn after_element(&mut self, close: u8, expected: &str) {
        self.skip_trivia();
        match self.b.get(self.pos) {
            Some(b',') => {
                let comma = self.pos;
                self.pos += 1;
                self.skip_trivia();
                if self.b.get(self.pos) == Some(&close) {
                    self.error(TextRange::from_usize(comma, comma + 1), "trailing comma");
                }
            }
            // The end, or a closing bracket: the container decides.
            Some(b'}' | b']') | None => {}
            Some(_) => {
                let at = self.pos;
                self.error(self.char_at(at), expected);
                self.recover();
                if self.b.get(self.pos) == Some(&b',') {
                    self.pos += 1;
                }
            }
        }
    }

    /// A closing bracket `c` that does not close the innermost container. When an enclosing
    /// container is of its kind (`ends`), it ends the innermost one, which reports the
    /// bracket it lacks, and `true` is returned; otherwise the bracket is reported and
    /// skipped. Either way the parser moves on: the bracket is consumed or a container ends.
    fn stray_closer(&mut self, c: u8, ends: bool) -> bool {
        let at = self.pos;
        let range = TextRange::from_usize(at, at + 1);
        if ends {
            let msg = if c == b'}' {
                "expected `]` to close the array before `}`"
            } else {
                "expected `}` to close the object before `]`"
            };
            self.error(range, msg);
            return true;
        }
        let msg = if c == b'}' {
            "unexpected `}`: no object is open here"
        } else {
            "unexpected `]`: no array is open here"
        };
        self.error(range, msg);
        self.pos += 1;
        false
    }

    fn object(&mut self) -> Vec<Member> {
        self.pos += 1;
        let mark = self.members.len();
        loop {
            self.skip_trivia();
            let at = self.pos;
            match self.b.get(at) {
                None => {
                    self.error(
                        TextRange::empty(to_u32(at)),
                        "unterminated object: expected `}`",
                    );
                    return self.members.split_off(mark);
                }
                Some(b'}') => {
                    self.pos += 1;
                    return self.members.split_off(mark);
                }
                Some(b']') => {
                    if self.stray_closer(b']', self.open_arrays > 0) {
                        return self.members.split_off(mark);
                    }
                    continue;
                }
                Some(b'"') => {}
                Some(_) => {
                    let end = self.token_end();
                    self.error(
                        TextRange::from_usize(at, end),
                        "expected a property name in double quotes",
                    );
                    self.recover();
                    if self.b.get(self.pos) == Some(&b',') {
                        self.pos += 1;
                    }
                    continue;
                }
            }
            let key = self.string();
            self.skip_trivia();
            if self.b.get(self.pos) == Some(&b':') {
                self.pos += 1;
                self.skip_trivia();
            } else {
                self.error(
                    TextRange::empty(key.range.end),
                    "expected `:` after the property name",
                );
            }
            let value = if matches!(self.b.get(self.pos), Some(b',' | b'}' | b']') | None) {
                let at = to_u32(self.pos);
                self.error(TextRange::empty(at), "expected a value");
                Value {
                    range: TextRange::empty(at),
                    kind: ValueKind::Invalid,
                }
            } else {
                self.value()
            };
            self.members.push(Member { key, value });
            self.after_element(b'}', "expected `,` or `}`");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check_errors(src: &str, expect: Expect) {
        let doc = parse(src);
        let rendered: Vec<String> = doc
            .errors
            .iter()
            .map(|e| format!("{:?} {}", e.range, e.message))
            .collect();
        expect.assert_eq(&rendered.join("\n"));
    }

    #[test]
    fn values_keep_their_ranges() {
        let src = r#"{"a": [1, "x", true, null], "b": {"c": -2.5e3}}"#;
        let doc = parse(src);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        let root = doc.root.unwrap();
        let a = root.get(src, "a").unwrap();
        assert_eq!(a.range.slice(src), r#"[1, "x", true, null]"#);
        let x = a.as_array().unwrap()[1].as_str().unwrap();
        assert_eq!(x.range.slice(src), r#""x""#);
        assert_eq!(x.content.slice(src), "x");
        let c = root.get(src, "b").unwrap().get(src, "c").unwrap();
        assert_eq!(c.range.slice(src), "-2.5e3");
    }

    #[test]
    fn escapes_map_back_to_source() {
        // `é` written as \u00e9, a quote, and an emoji as a surrogate pair, before the name.
        let src = r#"["caf\u00e9 \"q\" \ud83d\ude00 pm.vault.get(\"api-key\")"]"#;
        let doc = parse(src);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        let s = *doc.root.unwrap().as_array().unwrap()[0].as_str().unwrap();
        let decoded = s.value(src);
        assert_eq!(decoded, "café \"q\" 😀 pm.vault.get(\"api-key\")");
        let start = decoded.find("api-key").unwrap();
        let range = s.source_range(src, TextRange::from_usize(start, start + 7));
        assert_eq!(range.slice(src), "api-key");
        // A range covering escapes maps to whole escapes.
        let q = decoded.find('"').unwrap();
        assert_eq!(
            s.source_range(src, TextRange::from_usize(q, q + 3))
                .slice(src),
            r#"\"q\""#
        );
        let e = decoded.find('é').unwrap();
        assert_eq!(
            s.source_range(src, TextRange::from_usize(e, e + 2))
                .slice(src),
            r"\u00e9"
        );
        let smile = decoded.find('😀').unwrap();
        assert_eq!(
            s.source_range(src, TextRange::from_usize(smile, smile + 4))
                .slice(src),
            r"\ud83d\ude00"
        );
        // The end of the string maps to the closing quote.
        let end = s.source_range(src, TextRange::empty(to_u32(decoded.len())));
        assert_eq!(end.start, s.content.end);
    }

    #[test]
    fn plain_strings_map_by_identity() {
        let src = r#"{"k": "héllo wörld"}"#;
        let doc = parse(src);
        let s = *doc.root.unwrap().get(src, "k").unwrap().as_str().unwrap();
        let d = s.value(src);
        let w = d.find("wörld").unwrap();
        assert_eq!(
            s.source_range(src, TextRange::from_usize(w, w + 6))
                .slice(src),
            "wörld"
        );
    }

    #[test]
    fn errors_have_positions_and_parsing_goes_on() {
        check_errors(
            "{\"a\": 1,, \"b\": tru, \"c\": [1 2], 'd': 3, \"e\": \"x\n}",
            expect![[r#"
                8..9 expected a property name in double quotes
                15..18 expected a value: a string, number, object, array, true, false or null
                28..29 expected `,` or `]`
                32..35 expected a property name in double quotes
                45..47 unterminated string"#]],
        );
        check_errors("", expect!["0..0 the file is empty: expected a JSON value"]);
        check_errors("[1,]", expect!["2..3 trailing comma"]);
        check_errors(
            "{\"a\" 1}",
            expect!["4..4 expected `:` after the property name"],
        );
        check_errors(
            "[01, 1.e5, \"\\x\"]",
            expect![[r#"
            1..3 malformed number
            5..9 malformed number
            12..14 invalid escape in a string"#]],
        );
        check_errors(
            "[1] x",
            expect!["4..5 unexpected text after the end of the JSON value"],
        );
        check_errors(
            "{\"a\": [",
            expect!["7..7 unterminated array: expected `]`"],
        );
    }

    #[test]
    fn stray_closing_brackets_are_skipped_or_end_the_container() {
        let check = |src: &'static str, expect: Expect| {
            crate::syntax::finishes(move || check_errors(src, expect));
        };
        // Skipped when no enclosing container is of its kind; the rest still parses.
        check(
            "{\"a\":1]}",
            expect!["6..7 unexpected `]`: no array is open here"],
        );
        check(
            "{\"secrets\":{\"a\":{\"link\":\"x\"]}}",
            expect![[r#"
                27..28 unexpected `]`: no array is open here
                30..30 unterminated object: expected `}`"#]],
        );
        check(
            "[1}]",
            expect!["2..3 unexpected `}`: no object is open here"],
        );
        check("{\"a\":]}", expect!["5..5 expected a value"]);
        check(
            "{]",
            expect![[r#"
            1..2 unexpected `]`: no array is open here
            2..2 unterminated object: expected `}`"#]],
        );
        check(
            "[}",
            expect![[r#"
            1..2 unexpected `}`: no object is open here
            2..2 unterminated array: expected `]`"#]],
        );
        check(
            "{\"a\":1 x]}",
            expect![[r#"
                7..8 expected `,` or `}`
                8..9 unexpected `]`: no array is open here"#]],
        );
        // Ends the innermost container when an enclosing one takes it.
        check(
            "[{\"a\":1]",
            expect!["7..8 expected `}` to close the object before `]`"],
        );
        check(
            "{\"a\":[1}",
            expect!["7..8 expected `]` to close the array before `}`"],
        );
        check(
            "{\"a\":[{\"b\":[}]}",
            expect!["12..13 expected `]` to close the array before `}`"],
        );
    }

    #[test]
    fn comments_bom_and_depth() {
        let src = "\u{FEFF}// settings\n{/* a */\"a\": 1}";
        let doc = parse(src);
        assert!(doc.errors.is_empty(), "{:?}", doc.errors);
        assert_eq!(
            doc.root.unwrap().get(src, "a").unwrap().range.slice(src),
            "1"
        );
        let deep = "[".repeat(100_000);
        let doc = parse(&deep);
        assert!(
            doc.errors
                .iter()
                .any(|e| e.message.contains("nested too deeply"))
        );
    }

    #[test]
    fn never_panics_on_junk() {
        for src in [
            "\"\\",
            "\"\\u12",
            "\"\\ud83d\\u",
            "{\"a\":",
            "[\"\\é\"]",
            "\u{0}",
            "}{",
            "-",
            "\"é",
            "[1 é]",
            "{\"a\": 1 😀}",
            "[1] é",
        ] {
            let doc = parse(src);
            for s in doc.errors.iter() {
                assert!(
                    src.is_char_boundary(s.range.start as usize)
                        && src.is_char_boundary(s.range.end as usize)
                );
            }
            if let Some(root) = &doc.root {
                root.walk_strings(&mut |s| {
                    let _ = s.value(src);
                    let _ = s.source_range(src, TextRange::new(0, 99));
                });
            }
        }
    }
}
