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
use crate::text::{Splice, TextRange, to_u32};

/// A parsed JSON document: its tree and its errors.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct JsonDoc {
    pub tree: Tree,
    pub errors: Vec<SyntaxError>,
}

impl JsonDoc {
    /// The top-level value; `None` when the text holds none.
    pub fn root(&self) -> Option<Value<'_>> {
        self.tree.root()
    }
}

/// Every value of a document in one arena, in source order (a value before the values inside
/// it). A container's children follow it, each followed by its own descendants, so a child's
/// next sibling is found by skipping its descendants: no list per container, and an edit that
/// replaces one value moves the nodes after it without renumbering anything.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct Tree {
    nodes: Vec<Node>,
}

/// One value, and the key it stands under when it is an object's member.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Node {
    range: TextRange,
    /// The member's key with its quotes; empty for values that are not members.
    key: TextRange,
    /// How many nodes follow that lie inside this one.
    descendants: u32,
    tag: Tag,
    /// [`STRING_ESCAPES`], [`STRING_OPEN`], [`KEY_ESCAPES`], [`KEY_OPEN`].
    flags: u8,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Tag {
    Null,
    True,
    False,
    Number,
    String,
    Array,
    Object,
    Invalid,
}

/// The string value holds a backslash escape.
const STRING_ESCAPES: u8 = 1;
/// The string value has no closing quote.
const STRING_OPEN: u8 = 2;
const KEY_ESCAPES: u8 = 4;
const KEY_OPEN: u8 = 8;

impl Node {
    /// The node's value read as a string (meaningful for [`Tag::String`] nodes).
    fn string(&self) -> JsonString {
        JsonString::from_range(
            self.range,
            self.flags & STRING_ESCAPES != 0,
            self.flags & STRING_OPEN != 0,
        )
    }

    /// The member's key (empty for values that are not members).
    fn key_string(&self) -> JsonString {
        JsonString::from_range(
            self.key,
            self.flags & KEY_ESCAPES != 0,
            self.flags & KEY_OPEN != 0,
        )
    }
}

impl Tree {
    /// The top-level value; `None` when the text holds none.
    pub fn root(&self) -> Option<Value<'_>> {
        (!self.nodes.is_empty()).then(|| Value::at(&self.nodes, 0))
    }

    /// How many values the tree holds.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The object whose range is `range`, with the containers around it, outermost first.
    pub fn find_object(&self, range: TextRange) -> Option<(NodeId, Vec<NodeId>)> {
        let mut at = 0usize;
        let mut outer = Vec::new();
        loop {
            let node = self.nodes.get(at)?;
            if !node.range.contains_range(range) {
                return None;
            }
            if node.range == range && node.tag == Tag::Object {
                return Some((NodeId(at as u32), outer));
            }
            if !matches!(node.tag, Tag::Array | Tag::Object) {
                return None;
            }
            let end = at + 1 + node.descendants as usize;
            let mut child = at + 1;
            let next = loop {
                if child >= end {
                    return None;
                }
                let c = &self.nodes[child];
                if c.range.contains_range(range) {
                    break child;
                }
                child += 1 + c.descendants as usize;
            };
            outer.push(NodeId(at as u32));
            at = next;
        }
    }

    /// The string inside value `within`, a value or a member's key, whose text between the
    /// quotes holds `range`.
    pub fn string_holding(&self, within: NodeId, range: TextRange) -> Option<JsonString> {
        let at = within.0 as usize;
        let end = at + 1 + self.nodes.get(at)?.descendants as usize;
        self.nodes[at..end].iter().find_map(|node| {
            let key = (!node.key.is_empty()).then(|| node.key_string());
            let value = (node.tag == Tag::String).then(|| node.string());
            [key, value]
                .into_iter()
                .flatten()
                .find(|s| s.content.contains_range(range))
        })
    }

    /// Whether each of `ids` is an object or an array (`None` for another value).
    pub fn container_kinds(&self, ids: &[NodeId]) -> Option<Vec<ContainerKind>> {
        ids.iter()
            .map(|id| match self.nodes.get(id.0 as usize)?.tag {
                Tag::Object => Some(ContainerKind::Object),
                Tag::Array => Some(ContainerKind::Array),
                _ => None,
            })
            .collect()
    }

    /// The value `id` names.
    pub fn value(&self, id: NodeId) -> Value<'_> {
        Value::at(&self.nodes, id.0 as usize)
    }

    /// Puts `part`'s one value in the place of the value `id`, whose enclosing containers are
    /// `outer` (see [`Tree::find_object`]). The text changed between `changed.start` and
    /// `changed.old_end`, which is now `changed.new_end`: offsets from `old_end` on move by the
    /// difference. The replaced value keeps the key it stood under.
    pub fn replace(&mut self, id: NodeId, outer: &[NodeId], part: Tree, changed: Splice) {
        let at = id.0 as usize;
        let old_len = 1 + self.nodes[at].descendants as usize;
        let new_len = part.nodes.len();
        let (key, key_flags) = (
            self.nodes[at].key,
            self.nodes[at].flags & (KEY_ESCAPES | KEY_OPEN),
        );
        let delta = changed.delta();
        let limit = changed.old_end as u32;
        let mv = |o: u32| {
            if o >= limit {
                (i64::from(o) + delta) as u32
            } else {
                o
            }
        };
        let moved = |r: TextRange| TextRange::new(mv(r.start), mv(r.end));
        for o in outer {
            let n = &mut self.nodes[o.0 as usize];
            n.descendants = (n.descendants as usize + new_len - old_len) as u32;
            n.range = moved(n.range);
        }
        self.nodes.splice(at..at + old_len, part.nodes);
        if let Some(first) = self.nodes.get_mut(at) {
            first.key = key;
            first.flags = (first.flags & (STRING_ESCAPES | STRING_OPEN)) | key_flags;
        }
        if delta != 0 {
            for n in &mut self.nodes[at + new_len..] {
                n.range = moved(n.range);
                n.key = moved(n.key);
            }
        }
    }
}

/// A value's place in its [`Tree`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeId(u32);

/// A value of a [`Tree`]: its range and what it is. Cheap to copy.
#[derive(Clone, Copy, PartialEq)]
pub struct Value<'t> {
    pub range: TextRange,
    pub kind: ValueKind<'t>,
    id: NodeId,
    nodes: &'t [Node],
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum ValueKind<'t> {
    Null,
    Bool(bool),
    /// A number; its text is the value's range.
    Number,
    String(JsonString),
    Array(Items<'t>),
    Object(Members<'t>),
    /// Something that is not JSON; an error was reported for it.
    Invalid,
}

/// The elements of an array (or a run of sibling values), in source order.
#[derive(Clone, Copy, PartialEq, Default)]
pub struct Items<'t> {
    nodes: &'t [Node],
    first: u32,
    end: u32,
}

/// The members of an object, in source order.
#[derive(Clone, Copy, PartialEq, Default)]
pub struct Members<'t> {
    items: Items<'t>,
}

/// An object's member: its key and its value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Member<'t> {
    pub key: JsonString,
    pub value: Value<'t>,
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

impl JsonString {
    /// The string whose source range is `range`; `open` when it has no closing quote.
    fn from_range(range: TextRange, escapes: bool, open: bool) -> JsonString {
        let content = if open {
            TextRange::new((range.start + 1).min(range.end), range.end)
        } else {
            TextRange::new(
                range.start + 1,
                range.end.saturating_sub(1).max(range.start + 1),
            )
        };
        JsonString {
            range,
            content,
            has_escapes: escapes,
        }
    }

    /// Whether the string has its closing quote.
    pub fn is_closed(&self) -> bool {
        self.range.end > self.content.end
    }

    /// Whether `at` falls strictly inside one of the string's escapes (a backslash and what
    /// it escapes, read as the parser reads them), `src` being its document: text written
    /// there would change what the backslash escapes.
    pub fn splits_escape(&self, src: &str, at: u32) -> bool {
        let (b, at) = (src.as_bytes(), at as usize);
        let end = (self.content.end as usize).min(b.len());
        let mut i = self.content.start as usize;
        while let Some(k) = memchr::memchr(b'\\', &b[i.min(end)..end]) {
            let escape = i + k;
            if escape >= at {
                return false;
            }
            let len = decode_escape(&b[escape..]).1;
            if at < escape + len {
                return true;
            }
            i = escape + len;
        }
        false
    }
}

impl<'t> Items<'t> {
    /// The values from node `first` up to node `end`, siblings of each other.
    fn new(nodes: &'t [Node], first: usize, end: usize) -> Items<'t> {
        Items {
            nodes,
            first: first as u32,
            end: end as u32,
        }
    }

    /// One value as a list of one.
    pub fn single(value: Value<'t>) -> Items<'t> {
        let at = value.id.0 as usize;
        let end = at + 1 + value.nodes.get(at).map_or(0, |n| n.descendants as usize);
        Items::new(value.nodes, at, end)
    }

    pub fn iter(&self) -> ItemsIter<'t> {
        ItemsIter {
            nodes: self.nodes,
            next: self.first as usize,
            end: self.end as usize,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.first >= self.end
    }

    /// How many values; counting walks them.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// The `i`-th value.
    pub fn get(&self, i: usize) -> Option<Value<'t>> {
        self.iter().nth(i)
    }

    pub fn first(&self) -> Option<Value<'t>> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<Value<'t>> {
        // Forward: nodes link only forward, and a step from the back walks the rest.
        self.iter().reduce(|_, next| next)
    }
}

impl<'t> Members<'t> {
    pub fn iter(&self) -> MembersIter<'t> {
        MembersIter {
            items: self.items.iter(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many members; counting walks them.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn get(&self, i: usize) -> Option<Member<'t>> {
        self.iter().nth(i)
    }

    pub fn first(&self) -> Option<Member<'t>> {
        self.iter().next()
    }

    pub fn last(&self) -> Option<Member<'t>> {
        // Forward: nodes link only forward, and a step from the back walks the rest.
        self.iter().reduce(|_, next| next)
    }
}

/// Walks [`Items`].
#[derive(Clone)]
pub struct ItemsIter<'t> {
    nodes: &'t [Node],
    next: usize,
    end: usize,
}

impl<'t> Iterator for ItemsIter<'t> {
    type Item = Value<'t>;

    fn next(&mut self) -> Option<Value<'t>> {
        if self.next >= self.end {
            return None;
        }
        let at = self.next;
        self.next = at + 1 + self.nodes[at].descendants as usize;
        Some(Value::at(self.nodes, at))
    }
}

/// Nodes link forward only: a step from the back walks the siblings that are left, which
/// suits the few members of an object, not a long array.
impl DoubleEndedIterator for ItemsIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let mut last = None;
        let mut at = self.next;
        while at < self.end {
            last = Some(at);
            at += 1 + self.nodes[at].descendants as usize;
        }
        let last = last?;
        self.end = last;
        Some(Value::at(self.nodes, last))
    }
}

impl DoubleEndedIterator for MembersIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        let value = self.items.next_back()?;
        Some(member_of(value))
    }
}

fn member_of(value: Value<'_>) -> Member<'_> {
    let key = value.nodes[value.id.0 as usize].key_string();
    Member { key, value }
}

/// Walks [`Members`].
#[derive(Clone)]
pub struct MembersIter<'t> {
    items: ItemsIter<'t>,
}

impl<'t> Iterator for MembersIter<'t> {
    type Item = Member<'t>;

    fn next(&mut self) -> Option<Member<'t>> {
        self.items.next().map(member_of)
    }
}

impl<'t> IntoIterator for Items<'t> {
    type Item = Value<'t>;
    type IntoIter = ItemsIter<'t>;
    fn into_iter(self) -> ItemsIter<'t> {
        self.iter()
    }
}

impl<'t> IntoIterator for &Items<'t> {
    type Item = Value<'t>;
    type IntoIter = ItemsIter<'t>;
    fn into_iter(self) -> ItemsIter<'t> {
        self.iter()
    }
}

impl<'t> IntoIterator for Members<'t> {
    type Item = Member<'t>;
    type IntoIter = MembersIter<'t>;
    fn into_iter(self) -> MembersIter<'t> {
        self.iter()
    }
}

impl<'t> IntoIterator for &Members<'t> {
    type Item = Member<'t>;
    type IntoIter = MembersIter<'t>;
    fn into_iter(self) -> MembersIter<'t> {
        self.iter()
    }
}

impl std::fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl std::fmt::Debug for Members<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl std::fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Value")
            .field("range", &self.range)
            .field("kind", &self.kind)
            .finish()
    }
}

impl<'t> Value<'t> {
    fn at(nodes: &'t [Node], at: usize) -> Value<'t> {
        let node = &nodes[at];
        let kind = match node.tag {
            Tag::Null => ValueKind::Null,
            Tag::True => ValueKind::Bool(true),
            Tag::False => ValueKind::Bool(false),
            Tag::Number => ValueKind::Number,
            Tag::String => ValueKind::String(node.string()),
            Tag::Array => ValueKind::Array(Items::new(
                nodes,
                at + 1,
                at + 1 + node.descendants as usize,
            )),
            Tag::Object => ValueKind::Object(Members {
                items: Items::new(nodes, at + 1, at + 1 + node.descendants as usize),
            }),
            Tag::Invalid => ValueKind::Invalid,
        };
        Value {
            range: node.range,
            kind,
            id: NodeId(at as u32),
            nodes,
        }
    }

    /// This value's place in its tree.
    pub fn id(&self) -> NodeId {
        self.id
    }

    pub fn as_str(&self) -> Option<JsonString> {
        match self.kind {
            ValueKind::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<Members<'t>> {
        match self.kind {
            ValueKind::Object(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<Items<'t>> {
        match self.kind {
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
    pub fn member(&self, src: &str, key: &str) -> Option<Member<'t>> {
        self.as_object()?
            .iter()
            .filter(|m| m.key.eq_str(src, key))
            .reduce(|_, next| next)
    }

    /// The value of member `key` of an object.
    pub fn get(&self, src: &str, key: &str) -> Option<Value<'t>> {
        self.member(src, key).map(|m| m.value)
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
    pub fn walk_strings(&self, f: &mut impl FnMut(JsonString)) {
        let at = self.id.0 as usize;
        let end = at + 1 + self.nodes[at].descendants as usize;
        for node in &self.nodes[at..end] {
            if node.tag == Tag::String {
                f(node.string());
            }
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
            // Lengths first: most keys compared are not the one looked for.
            self.content.len() as usize == s.len() && self.content.slice(src) == s
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
pub(crate) fn decode_escape(b: &[u8]) -> (char, usize) {
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

/// The number four hex digits at the start of `b` write, if they are there.
pub(crate) fn hex4(b: &[u8]) -> Option<u32> {
    let digits = b.get(..4)?;
    let mut n = 0;
    for &d in digits {
        n = n * 16 + (d as char).to_digit(16)?;
    }
    Some(n)
}

/// Parses a JSON document. Never fails; a leading byte-order mark is skipped.
pub fn parse(src: &str) -> JsonDoc {
    parse_in_halves_from(src, PARSE_IN_HALVES_MIN).0
}

/// From this length on, a document is parsed in two halves side by side when it is laid out
/// so that its second half can be found (see [`second_half`]).
const PARSE_IN_HALVES_MIN: usize = 1 << 20;

/// [`parse`], in two halves side by side from `min` bytes on: the elements of an array of
/// the top object from an element near the middle on (a collection's `item`, say) are parsed
/// on a thread of their own, from that element's start, as this parse would meet them there
/// (the same open objects and arrays, which is all the parser's state). When this parse
/// reaches that element in that state, it takes them over; otherwise (the guess was not
/// such an element) it parses them itself and the other parse goes unused. Also returns
/// whether the elements parsed on the other thread were taken over.
pub(crate) fn parse_in_halves_from(src: &str, min: usize) -> (JsonDoc, bool) {
    let Some(at) = (src.len() >= min).then(|| second_half(src)).flatten() else {
        return (parse_whole(src, None).0, false);
    };
    std::thread::scope(|s| {
        let (tx, rx) = std::sync::mpsc::channel();
        s.spawn(move || {
            let mut p = Parser::new(src, at, HALF.depth);
            p.open_objects = HALF.objects;
            p.open_arrays = HALF.arrays;
            p.elements();
            let _ = tx.send((p.nodes, p.errors, p.pos));
        });
        parse_whole(src, Some(Handoff { at, half: rx }))
    })
}

/// Where the parse of an element of an array of the top object stands: inside the top object
/// and that array.
const HALF: State = State {
    depth: 2,
    objects: 1,
    arrays: 1,
};

#[derive(Clone, Copy, PartialEq, Eq)]
struct State {
    depth: u32,
    objects: u32,
    arrays: u32,
}

/// The elements parsed on the other thread from `at` on: their nodes, their errors and where
/// their array ended.
struct Handoff {
    at: usize,
    half: std::sync::mpsc::Receiver<(Vec<Node>, Vec<SyntaxError>, usize)>,
}

/// A guess at the start of an element of an array of the top object, past the middle of
/// `src`: in a document indented by a unit (a tab, two spaces, …), an object that starts a
/// line after a comma, indented by two units.
fn second_half(src: &str) -> Option<usize> {
    let b = src.as_bytes();
    let first_line = memchr::memchr(b'\n', b)? + 1;
    let unit_len = b[first_line..]
        .iter()
        .take_while(|c| matches!(c, b' ' | b'\t'))
        .count();
    let unit = &b[first_line..first_line + unit_len];
    let needle = [b",\n".as_slice(), unit, unit, b"{"].concat();
    let from = src.len() / 2;
    memchr::memmem::find(&b[from..], &needle).map(|i| from + i + needle.len() - 1)
}

fn parse_whole(src: &str, handoff: Option<Handoff>) -> (JsonDoc, bool) {
    let mut p = Parser::new(src, 0, 0);
    let handed = handoff.is_some();
    p.handoff = handoff;
    if src.starts_with('\u{FEFF}') {
        p.pos = 3;
    }
    p.skip_trivia();
    let has_root = p.pos < p.b.len();
    if has_root {
        p.value();
    }
    p.skip_trivia();
    if p.pos < p.b.len() {
        let at = p.pos;
        p.error(
            p.char_at(at),
            "unexpected text after the end of the JSON value",
        );
    }
    if !has_root {
        p.error(
            TextRange::empty(to_u32(p.pos)),
            "the file is empty: expected a JSON value",
        );
    }
    let took = handed && p.handoff.is_none();
    (
        JsonDoc {
            tree: Tree { nodes: p.nodes },
            errors: p.errors,
        },
        took,
    )
}

/// Where [`parse`] finds text after a JSON value that ends at byte `end` of `src`: past the
/// blanks and comments that follow it, the start of what it reports as unexpected text (and
/// reads no further), or the end of `src`.
pub fn after_value(src: &str, end: usize) -> usize {
    let mut p = Parser {
        src,
        b: src.as_bytes(),
        pos: end,
        errors: Vec::new(),
        depth: 0,
        open_objects: 0,
        open_arrays: 0,
        nodes: Vec::new(),
        handoff: None,
    };
    p.skip_trivia();
    p.pos
}

/// Parses the one value that starts at byte `start` of `src` as [`parse`] does when it meets
/// it inside the containers `outer` (outermost first): its tree, its errors, and where it
/// ends. [`parse`] reads the value so too (errors and all): it meets it in the same state,
/// since its recovery only looks at how many objects and arrays are open.
pub fn parse_value_at(
    src: &str,
    start: usize,
    outer: &[ContainerKind],
) -> (Tree, Vec<SyntaxError>, usize) {
    let mut p = Parser::new(src, start, to_u32(outer.len()));
    p.open_objects = to_u32(
        outer
            .iter()
            .filter(|k| **k == ContainerKind::Object)
            .count(),
    );
    p.open_arrays = to_u32(outer.iter().filter(|k| **k == ContainerKind::Array).count());
    p.value();
    (Tree { nodes: p.nodes }, p.errors, p.pos)
}

/// An object or an array, around a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContainerKind {
    Object,
    Array,
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
    /// The tree so far, in source order.
    nodes: Vec<Node>,
    /// Elements parsed on another thread, to take over where they start.
    handoff: Option<Handoff>,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, pos: usize, depth: u32) -> Parser<'a> {
        Parser {
            src,
            b: src.as_bytes(),
            pos,
            errors: Vec::new(),
            depth,
            open_objects: 0,
            open_arrays: 0,
            handoff: None,
            // About one value per 12 bytes in collections: one allocation for most files.
            nodes: Vec::with_capacity((src.len() - pos.min(src.len())) / 12),
        }
    }
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

    /// Parses a value and returns its node's index.
    fn value(&mut self) -> usize {
        let start = self.pos;
        let at = self.nodes.len();
        self.nodes.push(Node {
            range: TextRange::empty(to_u32(start)),
            key: TextRange::default(),
            descendants: 0,
            tag: Tag::Invalid,
            flags: 0,
        });
        let Some(&c) = self.b.get(self.pos) else {
            self.error(TextRange::empty(to_u32(start)), "expected a value");
            return at;
        };
        let mut flags = 0;
        let tag = match c {
            b'{' | b'[' if self.depth >= MAX_DEPTH => {
                self.error(
                    TextRange::from_usize(start, start + 1),
                    "JSON nested too deeply",
                );
                self.pos = self.b.len();
                Tag::Invalid
            }
            b'{' => {
                self.depth += 1;
                self.open_objects += 1;
                self.object();
                self.open_objects -= 1;
                self.depth -= 1;
                Tag::Object
            }
            b'[' => {
                self.depth += 1;
                self.open_arrays += 1;
                self.array();
                self.open_arrays -= 1;
                self.depth -= 1;
                Tag::Array
            }
            b'"' => {
                let s = self.string();
                if s.has_escapes {
                    flags |= STRING_ESCAPES;
                }
                if s.content.end == s.range.end {
                    flags |= STRING_OPEN;
                }
                Tag::String
            }
            b'-' | b'0'..=b'9' => self.number(),
            b't' if self.b[self.pos..].starts_with(b"true") => self.keyword(4, Tag::True),
            b'f' if self.b[self.pos..].starts_with(b"false") => self.keyword(5, Tag::False),
            b'n' if self.b[self.pos..].starts_with(b"null") => self.keyword(4, Tag::Null),
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
                Tag::Invalid
            }
        };
        let descendants = to_u32(self.nodes.len() - at - 1);
        let node = &mut self.nodes[at];
        node.range = TextRange::from_usize(start, self.pos);
        node.tag = tag;
        node.flags = flags;
        node.descendants = descendants;
        at
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

    fn keyword(&mut self, len: usize, tag: Tag) -> Tag {
        self.pos += len;
        tag
    }

    fn number(&mut self) -> Tag {
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
        Tag::Number
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

    fn array(&mut self) {
        self.pos += 1;
        self.elements();
    }

    /// The elements of an array, from where one may start, up to and with its end.
    fn elements(&mut self) {
        loop {
            if self.handoff.as_ref().is_some_and(|h| h.at == self.pos) && self.take_half() {
                return;
            }
            self.skip_trivia();
            match self.b.get(self.pos) {
                None => {
                    self.error(
                        TextRange::empty(to_u32(self.pos)),
                        "unterminated array: expected `]`",
                    );
                    return;
                }
                Some(b']') => {
                    self.pos += 1;
                    return;
                }
                Some(b'}') => {
                    if self.stray_closer(b'}', self.open_objects > 0) {
                        return;
                    }
                    continue;
                }
                _ => {}
            }
            self.value();
            self.after_element(b']', "expected `,` or `]`");
        }
    }

    /// Takes over the elements parsed on the other thread from here on, when this parse
    /// stands where that one started; returns whether it did (the array has then ended).
    fn take_half(&mut self) -> bool {
        let here = State {
            depth: self.depth,
            objects: self.open_objects,
            arrays: self.open_arrays,
        };
        if here != HALF {
            return false;
        }
        let Some(Ok((nodes, errors, end))) = self.handoff.take().map(|h| h.half.recv()) else {
            return false;
        };
        // Its errors all start at or after `at`, past every error of this parse: none of
        // them is one this parse would have left out as a repeat.
        self.nodes.extend(nodes);
        self.errors.extend(errors);
        self.pos = end;
        true
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

    fn object(&mut self) {
        self.pos += 1;
        loop {
            self.skip_trivia();
            let at = self.pos;
            match self.b.get(at) {
                None => {
                    self.error(
                        TextRange::empty(to_u32(at)),
                        "unterminated object: expected `}`",
                    );
                    return;
                }
                Some(b'}') => {
                    self.pos += 1;
                    return;
                }
                Some(b']') => {
                    if self.stray_closer(b']', self.open_arrays > 0) {
                        return;
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
                let at = self.pos;
                self.error(TextRange::empty(to_u32(at)), "expected a value");
                self.nodes.push(Node {
                    range: TextRange::empty(to_u32(at)),
                    key: TextRange::default(),
                    descendants: 0,
                    tag: Tag::Invalid,
                    flags: 0,
                });
                self.nodes.len() - 1
            } else {
                self.value()
            };
            let node = &mut self.nodes[value];
            node.key = key.range;
            if key.has_escapes {
                node.flags |= KEY_ESCAPES;
            }
            if key.content.end == key.range.end {
                node.flags |= KEY_OPEN;
            }
            self.after_element(b'}', "expected `,` or `}`");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    /// Parsed in halves, a document is the document parsed in one pass, errors and all,
    /// whether the guess at the second half's start is taken over or not: the newman
    /// collections (laid out with tabs), random collections (items on lines of their own)
    /// broken by random edits, and half of those laid out with four spaces.
    #[test]
    fn a_document_parsed_in_halves_is_the_one_parsed_in_one_pass() {
        let rng = &mut fastrand::Rng::with_seed(13);
        let mut texts = crate::vault::incremental::tests::sample_collections(rng, 2_000);
        for text in texts.iter_mut().filter(|_| rng.bool()) {
            *text = text.replace('\n', "\n    ");
        }
        let (mut took, mut guessed) = (0, 0);
        for text in &texts {
            let (halves, taken) = parse_in_halves_from(text, 0);
            assert_eq!(halves, parse_whole(text, None).0, "{text}");
            took += usize::from(taken);
            guessed += usize::from(second_half(text).is_some());
        }
        // Both ways were taken: the other half taken over, and left unused.
        assert!(
            took > 300 && guessed - took > 100,
            "{took} of {guessed} guesses taken"
        );
    }

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
        let root = doc.root().unwrap();
        let a = root.get(src, "a").unwrap();
        assert_eq!(a.range.slice(src), r#"[1, "x", true, null]"#);
        let x = a.as_array().unwrap().get(1).unwrap().as_str().unwrap();
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
        let s = doc
            .root()
            .unwrap()
            .as_array()
            .unwrap()
            .get(0)
            .unwrap()
            .as_str()
            .unwrap();
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
        let s = doc.root().unwrap().get(src, "k").unwrap().as_str().unwrap();
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
            doc.root().unwrap().get(src, "a").unwrap().range.slice(src),
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
            if let Some(root) = doc.root() {
                root.walk_strings(&mut |s| {
                    let _ = s.value(src);
                    let _ = s.source_range(src, TextRange::new(0, 99));
                });
            }
        }
    }
}
