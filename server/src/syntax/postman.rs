//! Postman collections v2.0 and v2.1: the items, requests, variables, auth and scripts of a
//! collection, with the source range of every string in which `{{…}}` variables can appear.
//!
//! Built on [`json`]: strings stay [`JsonString`]s (source ranges, decoded on demand), so a
//! reference found in a decoded string maps back to the exact source bytes through escapes.
//! Parsing never fails: JSON errors and structural problems (a number where the schema wants
//! an array, …) are collected in [`Collection::errors`], and everything else is kept.
//!
//! The reader is as lenient as newman, which runs files the schema rejects: a single object
//! where an array is expected is a one-element list, `null` is the same as absent, `request`
//! may be a bare URL string, `info` may be missing, and v2.0's `"header": "Name: value\n…"`
//! string is split into one [`KeyValue`] per line. Version 1 collections are recognised and
//! refused with one clear error.

use std::borrow::Cow;

use crate::syntax::SyntaxError;
use crate::syntax::json::{self, Items, JsonString, Member, Members, Value, ValueKind};
use crate::text::TextRange;

/// A parsed collection. Every range is a byte range into the parsed text.
#[derive(Clone, Debug, PartialEq)]
pub struct Collection {
    /// The whole JSON tree, for code that needs to walk more than this model keeps
    /// ([`Collection::root`]).
    pub tree: json::Tree,
    /// `info.name` (or a top-level `name`, which newman also accepts).
    pub name: Option<JsonString>,
    /// The version `info.schema` names; `None` when there is no `info.schema` string.
    pub schema: Option<SchemaVersion>,
    /// The top-level items: folders and requests, in file order.
    pub items: Vec<Item>,
    /// Collection variables (`variable[]`).
    pub variables: Vec<Variable>,
    /// Collection-level auth, inherited by items that have none.
    pub auth: Option<Auth>,
    /// Collection-level scripts.
    pub events: Vec<Event>,
    /// JSON errors and structural problems, in file order.
    pub errors: Vec<SyntaxError>,
}

/// A folder or a request.
#[derive(Clone, Debug, PartialEq)]
pub struct Item {
    /// `name`, when it is a string.
    pub name: Option<JsonString>,
    /// The item's whole object.
    pub range: TextRange,
    /// The names from the top-level item down to this one, decoded and joined with `/`
    /// (`Folder/Sub/Item`); a missing or empty name is `(unnamed)`. Names that contain `/`
    /// are kept as they are, so two paths can be equal: use it for display and selection.
    pub path: String,
    /// Folder or request.
    pub kind: ItemKind,
    /// The item's scripts (`event[]`).
    pub events: Vec<Event>,
    /// Folder variables (`variable[]` on the item).
    pub variables: Vec<Variable>,
    /// Folder-level auth. On a request item this is only set for the non-standard
    /// item-level `auth`; a request's own auth is [`Request::auth`].
    pub auth: Option<Auth>,
}

/// What an item is: an object with `item` is a folder, anything else a request.
#[derive(Clone, Debug, PartialEq)]
#[expect(
    clippy::large_enum_variant,
    reason = "most items are requests: boxing them would add an allocation to the common case to \
              save space in the rare one"
)]
pub enum ItemKind {
    /// A folder and the items inside it, in file order.
    Folder(Vec<Item>),
    /// A request.
    Request(Request),
}

/// An item's `request`.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    /// The `request` value; for an item without one, the item's range.
    pub range: TextRange,
    /// `None` means GET, Postman's default.
    pub method: Option<JsonString>,
    /// `url`; `None` when there is none.
    pub url: Option<Url>,
    /// `header[]`, disabled entries included.
    pub headers: Vec<KeyValue>,
    /// `body`; `None` when there is none or it is `null`.
    pub body: Option<Body>,
    /// The request's own `auth`; `None` inherits the folder's or collection's.
    pub auth: Option<Auth>,
}

/// A request's `url`: a string, or an object with `raw` and its parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Url {
    /// The `url` value (or the `request` string, when the request is just a URL).
    pub range: TextRange,
    /// The string form, or the object's `raw`.
    pub raw: Option<JsonString>,
    /// Host segments (v2.0 allows one string).
    pub host: Vec<JsonString>,
    /// Path segments: strings, or the `value` of `{"type", "value"}` segments.
    pub path: Vec<JsonString>,
    /// `query[]`, disabled parameters included.
    pub query: Vec<KeyValue>,
    /// Path variables (`:id`), `variable[]` of the URL object.
    pub variables: Vec<KeyValue>,
    /// `protocol`, such as `https` or `{{scheme}}`.
    pub protocol: Option<JsonString>,
    /// The port when it is a string; a numeric port is left out.
    pub port: Option<JsonString>,
}

/// A `{"key", "value"}` entry: header, query parameter, URL variable, form field, auth param.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    /// The entry (an object, a `"key": value` member, or one line of a v2.0 header string).
    pub range: TextRange,
    /// `key` (or `id`, the v2.0 spelling for variables).
    pub key: Option<JsonString>,
    /// `value` when it is a string.
    pub value: Option<JsonString>,
    /// `"disabled": true`, `"enabled": false`, or a `//` line in a v2.0 header string.
    pub disabled: bool,
    /// `type`: `text` or `file` for form fields, the value type for auth params.
    pub kind: Option<JsonString>,
    /// A form field's file paths (`src`, a string or an array).
    pub src: Vec<JsonString>,
}

/// A request's `body`. Every mode's data is kept, whatever `mode` says, as Postman keeps
/// the data of the modes one switched away from.
#[derive(Clone, Debug, PartialEq)]
pub struct Body {
    /// The `body` object.
    pub range: TextRange,
    /// `raw`, `urlencoded`, `formdata`, `file` or `graphql`.
    pub mode: Option<JsonString>,
    /// `raw`: the body text.
    pub raw: Option<JsonString>,
    /// `urlencoded[]`.
    pub urlencoded: Vec<KeyValue>,
    /// `formdata[]`, text and file fields.
    pub formdata: Vec<KeyValue>,
    /// `graphql.query`.
    pub graphql_query: Option<JsonString>,
    /// `graphql.variables`, a JSON text in a string.
    pub graphql_variables: Option<JsonString>,
    /// `file.src`.
    pub file_src: Option<JsonString>,
    /// `"disabled": true`: the body is not sent.
    pub disabled: bool,
}

/// An `auth` object: a type and its parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct Auth {
    /// The `auth` object.
    pub range: TextRange,
    /// `type`: `bearer`, `basic`, `apikey`, `oauth2`, `noauth`, …
    pub kind: Option<JsonString>,
    /// The parameters of the member that `type` names, from either form: v2.1's array of
    /// `{"key", "value", "type"}`, or v2.0's object of key → value (each member one
    /// [`KeyValue`], `kind` unset). Without `type`, every array or object member's.
    pub params: Vec<KeyValue>,
}

/// A collection or folder variable.
#[derive(Clone, Debug, PartialEq)]
pub struct Variable {
    /// The variable's object.
    pub range: TextRange,
    /// `key` (or v2.0's `id`).
    pub key: Option<JsonString>,
    /// `value` when it is a string; numbers, booleans and the like are `None`.
    pub value: Option<JsonString>,
    /// `"disabled": true` (or `"enabled": false`).
    pub disabled: bool,
}

/// A script: `{"listen": "test", "script": {"exec": […]}}`.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// The event's object.
    pub range: TextRange,
    /// `prerequest` or `test`.
    pub listen: Option<JsonString>,
    /// `script.exec`: its lines, or the single string it may also be.
    pub lines: Vec<JsonString>,
    /// `"disabled": true`: the script does not run.
    pub disabled: bool,
}

/// The collection format `info.schema` names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SchemaVersion {
    /// `…/collection/v2.0.0/…`
    V2_0,
    /// `…/collection/v2.1.0/…`
    V2_1,
    /// Any other version, or a URL that is not Postman's collection schema.
    Unknown,
}

/// What a string is, for [`Collection::for_each_text`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TextRole {
    /// [`Url::raw`]
    UrlRaw,
    /// [`Url::protocol`]
    UrlProtocol,
    /// One of [`Url::host`]
    UrlHost,
    /// [`Url::port`]
    UrlPort,
    /// One of [`Url::path`]
    UrlPath,
    /// A [`Url::query`] key
    QueryKey,
    /// A [`Url::query`] value
    QueryValue,
    /// A [`Url::variables`] key
    UrlVariableKey,
    /// A [`Url::variables`] value
    UrlVariableValue,
    /// A [`Request::headers`] key
    HeaderKey,
    /// A [`Request::headers`] value
    HeaderValue,
    /// [`Body::raw`]
    BodyRaw,
    /// A [`Body::urlencoded`] key
    UrlencodedKey,
    /// A [`Body::urlencoded`] value
    UrlencodedValue,
    /// A [`Body::formdata`] key
    FormdataKey,
    /// A [`Body::formdata`] value
    FormdataValue,
    /// A [`Body::formdata`] file path
    FormdataSrc,
    /// [`Body::graphql_query`]
    GraphqlQuery,
    /// [`Body::graphql_variables`]
    GraphqlVariables,
    /// [`Body::file_src`]
    BodyFileSrc,
    /// An [`Auth::params`] value (collection, folder or request auth)
    AuthParam,
    /// A [`Variable::value`] (collection or folder variable)
    VariableValue,
}

/// A string in which `{{…}}` variables can appear, with where it sits.
#[derive(Clone, Copy, Debug)]
pub struct Text<'a> {
    /// The string; decode it with [`JsonString::value`], map back with
    /// [`JsonString::source_range`].
    pub string: &'a JsonString,
    /// Which part of the collection it is.
    pub role: TextRole,
    /// The item the string belongs to; `None` for collection variables and auth.
    pub item: Option<&'a Item>,
    /// Whether the string sits in a disabled entry, a disabled body or a disabled variable.
    pub disabled: bool,
}

const V1_MESSAGE: &str = "this is a Postman collection v1; export it as v2.1";

/// Parses a collection. Never fails and never panics; a leading byte-order mark is skipped.
pub fn parse(src: &str) -> Collection {
    from_json(src, json::parse(src))
}

/// Builds the collection from `doc`, the JSON tree of `src` (for a caller that parsed it
/// already). Never fails.
pub fn from_json(src: &str, doc: json::JsonDoc) -> Collection {
    from_json_in_halves_from(src, doc, READ_IN_HALVES_MIN)
}

/// From this length on, a collection's top-level items are read in two halves side by side.
const READ_IN_HALVES_MIN: usize = 1 << 20;

/// [`from_json`], reading the top-level items in two halves side by side when `src` is at
/// least `min` bytes long: each item reads alone, and the problems found are put in file
/// order at the end either way.
fn from_json_in_halves_from(src: &str, doc: json::JsonDoc, min: usize) -> Collection {
    let json::JsonDoc { tree, errors } = doc;
    let mut reader = Reader {
        src,
        errors,
        halves: src.len() >= min,
    };
    let mut collection = Collection {
        tree: json::Tree::default(),
        name: None,
        schema: None,
        items: Vec::new(),
        variables: Vec::new(),
        auth: None,
        events: Vec::new(),
        errors: Vec::new(),
    };
    if let Some(root) = tree.root() {
        reader.collection(&root, &mut collection);
    }
    collection.tree = tree;
    collection.errors = reader.errors;
    // JSON errors come first and the walk reports in its own order: show them in file order.
    collection.errors.sort_by_key(|e| e.range.start);
    collection
}

/// Reads one item of a collection from its JSON value, `parent` being the path of the folder
/// it is in (`""` at the top): the item as [`parse`] reads it there, and the structural
/// problems found in it, in file order. `None` when the value is not an object.
pub fn read_item(src: &str, value: &Value<'_>, parent: &str) -> (Option<Item>, Vec<SyntaxError>) {
    let mut reader = Reader {
        src,
        errors: Vec::new(),
        halves: false,
    };
    let item = reader.item(value, parent);
    let mut errors = reader.errors;
    errors.sort_by_key(|e| e.range.start);
    (item, errors)
}

/// Only this much of a file is looked at by [`looks_like_collection`].
const SNIFF_WINDOW: usize = 1 << 20;

/// Whether `src` is a collection by content: its top-level `info.schema` names Postman's
/// collection schema. Cheap: walks the top-level object without building it, skipping other
/// members, and gives up after the first MiB (Postman writes `info` first), so a large JSON
/// file that is not a collection costs little and a schema URL elsewhere does not count.
pub fn looks_like_collection(src: &str) -> bool {
    let end = src.len().min(SNIFF_WINDOW);
    let mut sniffer = Sniffer {
        src,
        b: &src.as_bytes()[..end],
        pos: 0,
    };
    sniffer
        .info_schema()
        .is_some_and(|schema| SchemaVersion::from_url(&schema.value(src)).is_some())
}

impl SchemaVersion {
    /// The version a schema URL names, or `None` when the URL is not one of Postman's
    /// collection schemas (`https://schema.getpostman.com/json/collection/v2.1.0/collection.json`,
    /// `https://schema.postman.com/collection/json/v2.1.0/draft-07/collection.json`, …).
    pub fn from_url(url: &str) -> Option<SchemaVersion> {
        let url = url.trim().to_ascii_lowercase();
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))?;
        let (host, path) = rest.split_once('/')?;
        if !matches!(host, "schema.getpostman.com" | "schema.postman.com")
            || !path.contains("collection")
        {
            return None;
        }
        let version = path.split('/').find(|segment| {
            segment.starts_with('v') && segment[1..].starts_with(|c: char| c.is_ascii_digit())
        });
        Some(match version {
            Some(v) if v == "v2.0" || v.starts_with("v2.0.") => SchemaVersion::V2_0,
            Some(v) if v == "v2.1" || v.starts_with("v2.1.") => SchemaVersion::V2_1,
            _ => SchemaVersion::Unknown,
        })
    }
}

impl Collection {
    /// The top-level JSON value; `None` when the text holds none.
    pub fn root(&self) -> Option<Value<'_>> {
        self.tree.root()
    }

    /// Calls `f` on every string in which `{{…}}` variables can appear, with its role and
    /// item: collection variables and auth, then each item depth-first (its variables and
    /// auth, then the request's URL parts, headers, body strings of every mode and auth
    /// params). Names, descriptions, scripts and saved responses are left out. No allocation.
    pub fn for_each_text<'a>(&'a self, f: &mut impl FnMut(Text<'a>)) {
        self.for_each_own_text(f);
        for item in &self.items {
            item.for_each_text(f);
        }
    }

    /// The strings of [`Collection::for_each_text`] outside its items: its variables and
    /// auth.
    pub fn for_each_own_text<'a>(&'a self, f: &mut impl FnMut(Text<'a>)) {
        let mut visitor = TextVisitor {
            f,
            item: None,
            disabled: false,
        };
        visitor.variables(&self.variables);
        if let Some(auth) = &self.auth {
            visitor.auth(auth);
        }
    }

    /// Every string of [`Collection::for_each_text`], in source order.
    pub fn texts(&self) -> Vec<&JsonString> {
        let mut keyed = Vec::new();
        self.for_each_text(&mut |text| keyed.push((text.string.range.start, text.string)));
        // Postman writes `url` after `header` and `body`, and collection variables last:
        // restore source order. Sorting on the copied offset keeps this cheap.
        keyed.sort_unstable_by_key(|&(start, _)| start);
        keyed.into_iter().map(|(_, s)| s).collect()
    }

    /// Every script line with the path of the item it belongs to (`""` for the collection's
    /// own scripts), in source order.
    pub fn script_lines(&self) -> Vec<(&str, &JsonString)> {
        let mut out: Vec<(&str, &JsonString)> = Vec::new();
        for event in &self.events {
            out.extend(event.lines.iter().map(|line| ("", line)));
        }
        self.for_each_item(&mut |item| {
            for event in &item.events {
                out.extend(event.lines.iter().map(|line| (item.path.as_str(), line)));
            }
        });
        out.sort_by_key(|(_, line)| line.range.start);
        out
    }

    /// All requests in file order (depth-first), each with its item.
    pub fn requests(&self) -> Vec<(&Item, &Request)> {
        let mut out = Vec::new();
        self.for_each_item(&mut |item| {
            if let ItemKind::Request(request) = &item.kind {
                out.push((item, request));
            }
        });
        out
    }

    /// Calls `f` on every item, folders before their contents, in file order.
    pub fn for_each_item<'a>(&'a self, f: &mut impl FnMut(&'a Item)) {
        fn walk<'a>(items: &'a [Item], f: &mut impl FnMut(&'a Item)) {
            for item in items {
                f(item);
                if let ItemKind::Folder(children) = &item.kind {
                    walk(children, f);
                }
            }
        }
        walk(&self.items, f);
    }
}

impl Item {
    /// [`Collection::for_each_text`] for this item and the items inside it.
    pub fn for_each_text<'a>(&'a self, f: &mut impl FnMut(Text<'a>)) {
        TextVisitor {
            f,
            item: None,
            disabled: false,
        }
        .item(self);
    }

    /// Calls `f` on this item and every item inside it, folders before their contents.
    pub fn for_each_item<'a>(&'a self, f: &mut impl FnMut(&'a Item)) {
        f(self);
        for child in self.children() {
            child.for_each_item(f);
        }
    }

    /// The request, when this item is one.
    pub fn request(&self) -> Option<&Request> {
        match &self.kind {
            ItemKind::Request(request) => Some(request),
            ItemKind::Folder(_) => None,
        }
    }

    /// The items inside, when this item is a folder (empty for a request).
    pub fn children(&self) -> &[Item] {
        match &self.kind {
            ItemKind::Folder(children) => children,
            ItemKind::Request(_) => &[],
        }
    }
}

impl Request {
    /// The method as written, or `GET` when there is none.
    pub fn method_name<'a>(&self, src: &'a str) -> Cow<'a, str> {
        self.method.map_or(Cow::Borrowed("GET"), |m| m.value(src))
    }
}

struct TextVisitor<'a, 'f, F: FnMut(Text<'a>)> {
    f: &'f mut F,
    item: Option<&'a Item>,
    disabled: bool,
}

impl<'a, F: FnMut(Text<'a>)> TextVisitor<'a, '_, F> {
    fn emit(&mut self, string: Option<&'a JsonString>, role: TextRole, disabled: bool) {
        if let Some(string) = string {
            let disabled = self.disabled || disabled;
            (self.f)(Text {
                string,
                role,
                item: self.item,
                disabled,
            });
        }
    }

    fn key_values(&mut self, entries: &'a [KeyValue], key: TextRole, value: TextRole) {
        for kv in entries {
            self.emit(kv.key.as_ref(), key, kv.disabled);
            self.emit(kv.value.as_ref(), value, kv.disabled);
        }
    }

    fn variables(&mut self, variables: &'a [Variable]) {
        for variable in variables {
            self.emit(
                variable.value.as_ref(),
                TextRole::VariableValue,
                variable.disabled,
            );
        }
    }

    fn auth(&mut self, auth: &'a Auth) {
        for param in &auth.params {
            self.emit(param.value.as_ref(), TextRole::AuthParam, param.disabled);
        }
    }

    fn item(&mut self, item: &'a Item) {
        let outer = self.item.replace(item);
        self.variables(&item.variables);
        if let Some(auth) = &item.auth {
            self.auth(auth);
        }
        match &item.kind {
            ItemKind::Folder(children) => children.iter().for_each(|child| self.item(child)),
            ItemKind::Request(request) => self.request(request),
        }
        self.item = outer;
    }

    fn request(&mut self, request: &'a Request) {
        if let Some(url) = &request.url {
            self.emit(url.raw.as_ref(), TextRole::UrlRaw, false);
            self.emit(url.protocol.as_ref(), TextRole::UrlProtocol, false);
            url.host
                .iter()
                .for_each(|s| self.emit(Some(s), TextRole::UrlHost, false));
            self.emit(url.port.as_ref(), TextRole::UrlPort, false);
            url.path
                .iter()
                .for_each(|s| self.emit(Some(s), TextRole::UrlPath, false));
            self.key_values(&url.query, TextRole::QueryKey, TextRole::QueryValue);
            self.key_values(
                &url.variables,
                TextRole::UrlVariableKey,
                TextRole::UrlVariableValue,
            );
        }
        self.key_values(&request.headers, TextRole::HeaderKey, TextRole::HeaderValue);
        if let Some(body) = &request.body {
            let outer = self.disabled;
            self.disabled |= body.disabled;
            self.emit(body.raw.as_ref(), TextRole::BodyRaw, false);
            self.key_values(
                &body.urlencoded,
                TextRole::UrlencodedKey,
                TextRole::UrlencodedValue,
            );
            for field in &body.formdata {
                self.emit(field.key.as_ref(), TextRole::FormdataKey, field.disabled);
                self.emit(
                    field.value.as_ref(),
                    TextRole::FormdataValue,
                    field.disabled,
                );
                field
                    .src
                    .iter()
                    .for_each(|s| self.emit(Some(s), TextRole::FormdataSrc, field.disabled));
            }
            self.emit(body.graphql_query.as_ref(), TextRole::GraphqlQuery, false);
            self.emit(
                body.graphql_variables.as_ref(),
                TextRole::GraphqlVariables,
                false,
            );
            self.emit(body.file_src.as_ref(), TextRole::BodyFileSrc, false);
            self.disabled = outer;
        }
        if let Some(auth) = &request.auth {
            self.auth(auth);
        }
    }
}

/// Builds the model from the JSON tree, collecting structural errors.
struct Reader<'s> {
    src: &'s str,
    errors: Vec<SyntaxError>,
    /// Whether the top-level items are read in two halves side by side.
    halves: bool,
}

impl<'s> Reader<'s> {
    /// A member's decoded name, as bytes: the walk matches every member of the tree, so this
    /// skips the char-boundary checks and the decoding that a `str` would cost.
    fn key(&self, member: &Member<'_>) -> Cow<'s, [u8]> {
        if member.key.has_escapes {
            Cow::Owned(member.key.value(self.src).into_owned().into_bytes())
        } else {
            Cow::Borrowed(
                self.src
                    .as_bytes()
                    .get(member.key.content.as_usize())
                    .unwrap_or_default(),
            )
        }
    }

    fn error(&mut self, range: TextRange, message: impl Into<String>) {
        self.errors.push(SyntaxError::new(range, message));
    }

    /// Reports a value of the wrong type, unless it is not JSON at all (already reported).
    fn wrong_type(&mut self, value: &Value<'_>, what: &str, expected: &str) {
        if !matches!(value.kind, ValueKind::Invalid) {
            let message = format!("`{what}` should be {expected}, not {}", value.kind_name());
            self.error(value.range, message);
        }
    }

    /// The entries of a list field: an array, a single object as a one-element list (as
    /// newman takes it), nothing for `null`; anything else is reported.
    fn list<'v>(&mut self, value: Option<Value<'v>>, what: &str) -> Items<'v> {
        let Some(value) = value else {
            return Items::default();
        };
        match value.kind {
            ValueKind::Array(entries) => entries,
            ValueKind::Object(_) => Items::single(value),
            ValueKind::Null => Items::default(),
            _ => {
                self.wrong_type(&value, what, "an array");
                Items::default()
            }
        }
    }

    /// The members of an object field; `null` is absent, anything else is reported.
    fn object<'v>(&mut self, value: &Value<'v>, what: &str) -> Option<Members<'v>> {
        match value.kind {
            ValueKind::Object(members) => Some(members),
            ValueKind::Null => None,
            _ => {
                self.wrong_type(value, what, "an object");
                None
            }
        }
    }

    /// The members of a list entry, which must be an object.
    fn entry<'v>(&mut self, value: &Value<'v>, what: &str) -> Option<Members<'v>> {
        match value.kind {
            ValueKind::Object(members) => Some(members),
            ValueKind::Invalid => None,
            _ => {
                let message = format!(
                    "each `{what}` entry should be an object, not {}",
                    value.kind_name()
                );
                self.error(value.range, message);
                None
            }
        }
    }

    /// A string field that the schema requires to be a string; `null` is absent.
    fn string(&mut self, value: &Value<'_>, what: &str) -> Option<JsonString> {
        match &value.kind {
            ValueKind::String(s) => Some(*s),
            ValueKind::Null => None,
            _ => {
                self.wrong_type(value, what, "a string");
                None
            }
        }
    }

    fn collection(&mut self, root: &Value<'_>, c: &mut Collection) {
        let Some(members) = root.as_object() else {
            if !matches!(root.kind, ValueKind::Invalid) {
                let message = format!(
                    "a Postman collection is an object with `info` and `item`, not {}",
                    root.kind_name()
                );
                self.error(root.range, message);
            }
            return;
        };
        let (mut info, mut items, mut events, mut variables, mut auth, mut name) =
            (None, None, None, None, None, None);
        let mut v1 = false;
        for m in members {
            match &*self.key(&m) {
                b"info" => info = Some(m.value),
                b"item" => items = Some(m.value),
                b"event" => events = Some(m.value),
                b"variable" => variables = Some(m.value),
                b"auth" => auth = Some(m.value),
                b"name" => name = Some(m.value),
                b"requests" | b"order" | b"folders" => v1 = true,
                _ => {}
            }
        }
        c.name = name.and_then(|v| v.as_str());
        if v1 && info.is_none() && items.is_none() {
            let start = root.range.start;
            self.error(TextRange::new(start, start + 1), V1_MESSAGE);
            return;
        }
        if let Some(info) = info.and_then(|info| self.object(&info, "info")) {
            for m in info {
                match &*self.key(&m) {
                    b"name" => c.name = self.string(&m.value, "info.name").or(c.name),
                    b"schema" => {
                        c.schema = self.string(&m.value, "info.schema").map(|s| {
                            SchemaVersion::from_url(&s.value(self.src))
                                .unwrap_or(SchemaVersion::Unknown)
                        });
                    }
                    _ => {}
                }
            }
        }
        c.variables = self.variables(variables);
        c.auth = auth.and_then(|a| self.auth(&a));
        c.events = self.events(events);
        c.items = self.items(items, "");
    }

    fn items(&mut self, value: Option<Value<'_>>, parent: &str) -> Vec<Item> {
        let entries = self.list(value, "item");
        if self.halves && parent.is_empty() && entries.len() > 1 {
            let entries: Vec<Value<'_>> = entries.iter().collect();
            let (first, second) = entries.split_at(entries.len() / 2);
            let src = self.src;
            let read = |entries: &[Value<'_>]| {
                let mut reader = Reader {
                    src,
                    errors: Vec::new(),
                    halves: false,
                };
                let items: Vec<Item> = entries
                    .iter()
                    .filter_map(|entry| reader.item(entry, parent))
                    .collect();
                (items, reader.errors)
            };
            let ((mut items, errors), (later, later_errors)) =
                crate::halves::side_by_side(|| read(first), || read(second));
            self.errors.extend(errors);
            self.errors.extend(later_errors);
            items.extend(later);
            return items;
        }
        let mut items = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(item) = self.item(&entry, parent) {
                items.push(item);
            }
        }
        items
    }

    fn item(&mut self, value: &Value<'_>, parent: &str) -> Option<Item> {
        let members = self.entry(value, "item")?;
        let (mut name, mut children, mut request, mut events, mut variables, mut auth) =
            (None, None, None, None, None, None);
        for m in members {
            match &*self.key(&m) {
                b"name" => name = self.string(&m.value, "name"),
                b"item" => children = Some(m.value),
                b"request" => {
                    request = Some(m.value).filter(|v| !matches!(v.kind, ValueKind::Null))
                }
                b"event" => events = Some(m.value),
                b"variable" => variables = Some(m.value),
                b"auth" => auth = Some(m.value),
                _ => {}
            }
        }
        let label = name.map(|n| n.value(self.src)).filter(|n| !n.is_empty());
        let label = label.as_deref().unwrap_or("(unnamed)");
        let path = if parent.is_empty() {
            label.to_owned()
        } else {
            format!("{parent}/{label}")
        };
        let kind = match (children, request) {
            (Some(children), _) => ItemKind::Folder(self.items(Some(children), &path)),
            (None, Some(request)) => ItemKind::Request(self.request(&request)),
            (None, None) => {
                let at = name.map_or(
                    TextRange::new(value.range.start, value.range.start + 1),
                    |n| n.range,
                );
                self.error(
                    at,
                    "this item has neither `request` nor `item` (for a folder)",
                );
                // Nothing to send: kept as an empty folder, so that no request is listed
                // or sent for it.
                ItemKind::Folder(Vec::new())
            }
        };
        Some(Item {
            name,
            range: value.range,
            events: self.events(events),
            variables: self.variables(variables),
            auth: auth.and_then(|a| self.auth(&a)),
            path,
            kind,
        })
    }

    fn request(&mut self, value: &Value<'_>) -> Request {
        let mut request = Request {
            range: value.range,
            method: None,
            url: None,
            headers: Vec::new(),
            body: None,
            auth: None,
        };
        let members = match &value.kind {
            ValueKind::Object(members) => members,
            ValueKind::String(s) => {
                request.url = Some(Url::from_string(value.range, *s));
                return request;
            }
            _ => {
                self.wrong_type(value, "request", "an object or a URL string");
                return request;
            }
        };
        for m in members {
            match &*self.key(&m) {
                // `""` is what Postman writes for a method left blank, and sends as GET.
                b"method" => {
                    request.method = self
                        .string(&m.value, "method")
                        .filter(|s| !s.content.is_empty())
                }
                b"url" => request.url = self.url(&m.value),
                b"header" => request.headers = self.headers(&m.value),
                b"body" => request.body = self.body(&m.value),
                b"auth" => request.auth = self.auth(&m.value),
                _ => {}
            }
        }
        request
    }

    fn url(&mut self, value: &Value<'_>) -> Option<Url> {
        let members = match &value.kind {
            ValueKind::String(s) => return Some(Url::from_string(value.range, *s)),
            ValueKind::Object(members) => members,
            ValueKind::Null => return None,
            _ => {
                self.wrong_type(value, "url", "a string or an object");
                return None;
            }
        };
        let mut url = Url::from_string(value.range, None);
        for m in members {
            match &*self.key(&m) {
                b"raw" => url.raw = self.string(&m.value, "url.raw"),
                b"protocol" => url.protocol = m.value.as_str(),
                b"port" => url.port = m.value.as_str(),
                b"host" => url.host = self.segments(&m.value, "url.host"),
                b"path" => url.path = self.segments(&m.value, "url.path"),
                b"query" => url.query = self.key_values(Some(m.value), "url.query"),
                b"variable" => url.variables = self.key_values(Some(m.value), "url.variable"),
                _ => {}
            }
        }
        Some(url)
    }

    /// `host` or `path`: one string, or an array of strings and `{"value": …}` segments.
    fn segments(&mut self, value: &Value<'_>, what: &str) -> Vec<JsonString> {
        match &value.kind {
            ValueKind::String(s) => vec![*s],
            ValueKind::Array(parts) => parts
                .iter()
                .filter_map(|part| match &part.kind {
                    ValueKind::String(s) => Some(*s),
                    ValueKind::Object(_) => part.get(self.src, "value").and_then(|v| v.as_str()),
                    _ => None,
                })
                .collect(),
            ValueKind::Null => Vec::new(),
            _ => {
                self.wrong_type(value, what, "an array");
                Vec::new()
            }
        }
    }

    fn key_values(&mut self, value: Option<Value<'_>>, what: &str) -> Vec<KeyValue> {
        let entries = self.list(value, what);
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(kv) = self.key_value(&entry, what) {
                out.push(kv);
            }
        }
        out
    }

    fn key_value(&mut self, value: &Value<'_>, what: &str) -> Option<KeyValue> {
        let members = self.entry(value, what)?;
        let mut kv = KeyValue {
            range: value.range,
            key: None,
            value: None,
            disabled: false,
            kind: None,
            src: Vec::new(),
        };
        let mut id = None;
        for m in members {
            match &*self.key(&m) {
                b"key" => kv.key = m.value.as_str(),
                b"id" => id = m.value.as_str(),
                b"value" => kv.value = m.value.as_str(),
                b"disabled" => kv.disabled |= m.value.as_bool() == Some(true),
                b"enabled" => kv.disabled |= m.value.as_bool() == Some(false),
                b"type" => kv.kind = m.value.as_str(),
                b"src" => {
                    kv.src = match &m.value.kind {
                        ValueKind::String(s) => vec![*s],
                        ValueKind::Array(paths) => {
                            paths.iter().filter_map(|v| v.as_str()).collect()
                        }
                        _ => Vec::new(),
                    }
                }
                _ => {}
            }
        }
        kv.key = kv.key.or(id);
        Some(kv)
    }

    fn headers(&mut self, value: &Value<'_>) -> Vec<KeyValue> {
        match &value.kind {
            ValueKind::String(s) => split_header_string(self.src, *s),
            _ => self.key_values(Some(*value), "header"),
        }
    }

    fn body(&mut self, value: &Value<'_>) -> Option<Body> {
        let members = self.object(value, "body")?;
        let mut body = Body {
            range: value.range,
            mode: None,
            raw: None,
            urlencoded: Vec::new(),
            formdata: Vec::new(),
            graphql_query: None,
            graphql_variables: None,
            file_src: None,
            disabled: false,
        };
        for m in members {
            match &*self.key(&m) {
                b"mode" => body.mode = self.string(&m.value, "body.mode"),
                b"raw" => body.raw = self.string(&m.value, "body.raw"),
                b"urlencoded" => {
                    body.urlencoded = self.key_values(Some(m.value), "body.urlencoded")
                }
                b"formdata" => body.formdata = self.key_values(Some(m.value), "body.formdata"),
                b"graphql" => {
                    if let Some(graphql) = self.object(&m.value, "body.graphql") {
                        for g in graphql {
                            match &*self.key(&g) {
                                b"query" => body.graphql_query = g.value.as_str(),
                                b"variables" => body.graphql_variables = g.value.as_str(),
                                _ => {}
                            }
                        }
                    }
                }
                b"file" => {
                    if let Some(file) = self.object(&m.value, "body.file") {
                        body.file_src = file
                            .iter()
                            .rev()
                            .find(|f| f.key.eq_str(self.src, "src"))
                            .and_then(|f| f.value.as_str());
                    }
                }
                b"disabled" => body.disabled = m.value.as_bool() == Some(true),
                _ => {}
            }
        }
        Some(body)
    }

    fn auth(&mut self, value: &Value<'_>) -> Option<Auth> {
        let members = self.object(value, "auth")?;
        let mut kind = None;
        for m in members {
            if m.key.eq_str(self.src, "type") {
                kind = self.string(&m.value, "auth.type");
            }
        }
        let type_name = kind.map(|k| k.value(self.src));
        let mut params = Vec::new();
        for m in members {
            let key = self.key(&m);
            let wanted = match &type_name {
                _ if *key == *b"type" => false,
                Some(type_name) => *key == *type_name.as_bytes(),
                None => matches!(m.value.kind, ValueKind::Array(_) | ValueKind::Object(_)),
            };
            if wanted {
                self.auth_params(&m, &m.key.value(self.src), &mut params);
            }
        }
        Some(Auth {
            range: value.range,
            kind,
            params,
        })
    }

    /// The params of one auth type: v2.1's array of `{key, value}` or v2.0's object.
    fn auth_params(&mut self, member: &Member<'_>, type_name: &str, out: &mut Vec<KeyValue>) {
        match &member.value.kind {
            ValueKind::Array(_) => {
                let what = format!("auth.{type_name}");
                out.extend(self.key_values(Some(member.value), &what));
            }
            ValueKind::Object(params) => out.extend(params.iter().map(|p| KeyValue {
                range: p.key.range.cover(p.value.range),
                key: Some(p.key),
                value: p.value.as_str(),
                disabled: false,
                kind: None,
                src: Vec::new(),
            })),
            ValueKind::Null => {}
            _ => {
                let what = format!("auth.{type_name}");
                self.wrong_type(
                    &member.value,
                    &what,
                    "an array of `{\"key\", \"value\"}` or an object",
                );
            }
        }
    }

    fn variables(&mut self, value: Option<Value<'_>>) -> Vec<Variable> {
        let entries = self.list(value, "variable");
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            if let Some(kv) = self.key_value(&entry, "variable") {
                out.push(Variable {
                    range: kv.range,
                    key: kv.key,
                    value: kv.value,
                    disabled: kv.disabled,
                });
            }
        }
        out
    }

    fn events(&mut self, value: Option<Value<'_>>) -> Vec<Event> {
        let entries = self.list(value, "event");
        let mut out = Vec::with_capacity(entries.len());
        for entry in entries {
            let Some(members) = self.entry(&entry, "event") else {
                continue;
            };
            let mut event = Event {
                range: entry.range,
                listen: None,
                lines: Vec::new(),
                disabled: false,
            };
            for m in members {
                match &*self.key(&m) {
                    b"listen" => event.listen = self.string(&m.value, "event.listen"),
                    b"script" => {
                        event.lines.clear();
                        self.script(&m.value, &mut event.lines);
                    }
                    b"disabled" => event.disabled = m.value.as_bool() == Some(true),
                    _ => {}
                }
            }
            out.push(event);
        }
        out
    }

    /// `script.exec`: an array of lines or one string (a bare string `script` is taken too).
    fn script(&mut self, value: &Value<'_>, lines: &mut Vec<JsonString>) {
        let exec = match &value.kind {
            ValueKind::Object(_) => match value.get(self.src, "exec") {
                Some(exec) => exec,
                None => return,
            },
            ValueKind::String(s) => {
                lines.push(*s);
                return;
            }
            ValueKind::Null => return,
            _ => {
                self.wrong_type(value, "script", "an object");
                return;
            }
        };
        match &exec.kind {
            ValueKind::Array(entries) => lines.extend(entries.iter().filter_map(|v| v.as_str())),
            ValueKind::String(s) => lines.push(*s),
            ValueKind::Null => {}
            _ => self.wrong_type(&exec, "script.exec", "an array of lines"),
        }
    }
}

impl Url {
    fn from_string(range: TextRange, raw: impl Into<Option<JsonString>>) -> Url {
        Url {
            range,
            raw: raw.into(),
            host: Vec::new(),
            path: Vec::new(),
            query: Vec::new(),
            variables: Vec::new(),
            protocol: None,
            port: None,
        }
    }
}

/// Splits v2.0's header string (`"Name: value\n// Disabled: x\n"`) into one entry per
/// non-blank line. Each key and value is a [`JsonString`] over exactly its own source bytes
/// (`range` and `content` alike, no quotes), so decoding it and mapping ranges through it
/// work as for any other string: line breaks, the `:` and trimmed spaces fall on escape
/// boundaries, because each decoded character comes from whole source units.
fn split_header_string(src: &str, s: JsonString) -> Vec<KeyValue> {
    let decoded = s.value(src);
    let piece = |start: usize, end: usize| -> JsonString {
        let range = s.source_range(src, TextRange::from_usize(start, end));
        let has_escapes =
            s.has_escapes && memchr::memchr(b'\\', range.slice(src).as_bytes()).is_some();
        JsonString {
            range,
            content: range,
            has_escapes,
        }
    };
    // The start and end offsets of `sub`, a trimmed slice of `decoded`.
    let bounds = |sub: &str| {
        let start = sub.as_ptr() as usize - decoded.as_ptr() as usize;
        (start, start + sub.len())
    };
    let mut out = Vec::new();
    for line in decoded.split('\n') {
        let mut rest = line.trim();
        if rest.is_empty() {
            continue;
        }
        let (line_start, line_end) = bounds(rest);
        let disabled = rest.starts_with("//");
        if disabled {
            rest = rest[2..].trim_start();
        }
        let (key, value) = match rest.split_once(':') {
            Some((key, value)) => (key.trim(), Some(value.trim())),
            None => (rest, None),
        };
        let key = (!key.is_empty()).then(|| {
            let (start, end) = bounds(key);
            piece(start, end)
        });
        let value = value.map(|value| {
            let (start, end) = bounds(value);
            piece(start, end)
        });
        out.push(KeyValue {
            range: s.source_range(src, TextRange::from_usize(line_start, line_end)),
            key,
            value,
            disabled,
            kind: None,
            src: Vec::new(),
        });
    }
    out
}

/// Finds `info.schema` at the top level without building a tree, within a window of the text.
struct Sniffer<'a> {
    src: &'a str,
    /// The window: a prefix of `src`.
    b: &'a [u8],
    pos: usize,
}

impl Sniffer<'_> {
    fn info_schema(&mut self) -> Option<JsonString> {
        if self.b.starts_with("\u{FEFF}".as_bytes()) {
            self.pos = 3;
        }
        self.trivia();
        self.eat(b'{')?;
        loop {
            self.trivia();
            let key = self.string()?;
            self.trivia();
            self.eat(b':')?;
            self.trivia();
            if key.content.slice(self.src) == "info" {
                return self.schema_in_info();
            }
            self.skip_value()?;
            self.trivia();
            self.eat(b',')?;
        }
    }

    fn schema_in_info(&mut self) -> Option<JsonString> {
        self.eat(b'{')?;
        loop {
            self.trivia();
            let key = self.string()?;
            self.trivia();
            self.eat(b':')?;
            self.trivia();
            if key.content.slice(self.src) == "schema" {
                return self.string();
            }
            self.skip_value()?;
            self.trivia();
            self.eat(b',')?;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        (self.b.get(self.pos) == Some(&c)).then(|| self.pos += 1)
    }

    fn trivia(&mut self) {
        loop {
            while self
                .b
                .get(self.pos)
                .is_some_and(|c| c.is_ascii_whitespace())
            {
                self.pos += 1;
            }
            let rest = &self.b[self.pos.min(self.b.len())..];
            if rest.starts_with(b"//") {
                self.pos = memchr::memchr(b'\n', rest).map_or(self.b.len(), |i| self.pos + i);
            } else if rest.starts_with(b"/*") {
                self.pos = memchr::memmem::find(&rest[2..], b"*/")
                    .map_or(self.b.len(), |i| self.pos + 2 + i + 2);
            } else {
                return;
            }
        }
    }

    /// A string starting at the current position; `None` when there is none or it does not
    /// end inside the window.
    fn string(&mut self) -> Option<JsonString> {
        let start = self.pos;
        self.eat(b'"')?;
        let mut has_escapes = false;
        loop {
            let i = memchr::memchr2(b'"', b'\\', &self.b[self.pos..])?;
            self.pos += i;
            if self.b[self.pos] == b'"' {
                self.pos += 1;
                return Some(JsonString {
                    range: TextRange::from_usize(start, self.pos),
                    content: TextRange::from_usize(start + 1, self.pos - 1),
                    has_escapes,
                });
            }
            has_escapes = true;
            self.pos += 2;
            if self.pos > self.b.len() {
                return None;
            }
        }
    }

    /// Skips one value of any kind; `None` when it does not end inside the window.
    fn skip_value(&mut self) -> Option<()> {
        match self.b.get(self.pos)? {
            b'"' => self.string().map(drop),
            b'{' | b'[' => {
                let mut depth = 0u32;
                loop {
                    match self.b.get(self.pos)? {
                        b'"' => {
                            self.string()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.pos += 1;
                                return Some(());
                            }
                        }
                        _ => {}
                    }
                    self.pos += 1;
                }
            }
            _ => {
                while !matches!(
                    self.b.get(self.pos)?,
                    b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r'
                ) {
                    self.pos += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use expect_test::{Expect, expect};

    use super::*;

    /// The source text of a string, quotes and escapes included, or `-`.
    fn text<'a>(src: &'a str, s: Option<&JsonString>) -> &'a str {
        s.map_or("-", |s| s.range.slice(src))
    }

    fn key_values(out: &mut String, src: &str, indent: &str, label: &str, entries: &[KeyValue]) {
        for kv in entries {
            let _ = write!(
                out,
                "{indent}{label} {} = {}",
                text(src, kv.key.as_ref()),
                text(src, kv.value.as_ref())
            );
            if let Some(kind) = &kv.kind {
                let _ = write!(out, " type={}", kind.range.slice(src));
            }
            for s in &kv.src {
                let _ = write!(out, " src={}", s.range.slice(src));
            }
            out.push_str(if kv.disabled { " (disabled)\n" } else { "\n" });
        }
    }

    fn auth(out: &mut String, src: &str, indent: &str, auth: Option<&Auth>) {
        if let Some(auth) = auth {
            let _ = writeln!(out, "{indent}auth {}", text(src, auth.kind.as_ref()));
            key_values(out, src, &format!("{indent}  "), "param", &auth.params);
        }
    }

    fn events_and_variables(
        out: &mut String,
        src: &str,
        indent: &str,
        events: &[Event],
        variables: &[Variable],
    ) {
        for v in variables {
            let _ = write!(
                out,
                "{indent}variable {} = {}",
                text(src, v.key.as_ref()),
                text(src, v.value.as_ref())
            );
            out.push_str(if v.disabled { " (disabled)\n" } else { "\n" });
        }
        for e in events {
            let _ = write!(out, "{indent}event {}", text(src, e.listen.as_ref()));
            out.push_str(if e.disabled { " (disabled)\n" } else { "\n" });
            for line in &e.lines {
                let _ = writeln!(out, "{indent}  | {}", line.range.slice(src));
            }
        }
    }

    fn item(out: &mut String, src: &str, depth: usize, item: &Item) {
        let indent = "  ".repeat(depth);
        let kind = if matches!(item.kind, ItemKind::Folder(_)) {
            "folder"
        } else {
            "request"
        };
        let _ = writeln!(out, "{indent}{kind} {}", item.path);
        let inner = format!("{indent}  ");
        events_and_variables(out, src, &inner, &item.events, &item.variables);
        auth(out, src, &inner, item.auth.as_ref());
        match &item.kind {
            ItemKind::Folder(children) => children
                .iter()
                .for_each(|child| self::item(out, src, depth + 1, child)),
            ItemKind::Request(request) => {
                let _ = writeln!(out, "{inner}method {}", text(src, request.method.as_ref()));
                if let Some(url) = &request.url {
                    let _ = write!(out, "{inner}url {}", text(src, url.raw.as_ref()));
                    if let Some(p) = &url.protocol {
                        let _ = write!(out, " protocol={}", p.range.slice(src));
                    }
                    for h in &url.host {
                        let _ = write!(out, " host={}", h.range.slice(src));
                    }
                    if let Some(p) = &url.port {
                        let _ = write!(out, " port={}", p.range.slice(src));
                    }
                    for p in &url.path {
                        let _ = write!(out, " path={}", p.range.slice(src));
                    }
                    out.push('\n');
                    key_values(out, src, &format!("{inner}  "), "query", &url.query);
                    key_values(out, src, &format!("{inner}  "), "var", &url.variables);
                }
                key_values(out, src, &inner, "header", &request.headers);
                if let Some(body) = &request.body {
                    let _ = write!(out, "{inner}body {}", text(src, body.mode.as_ref()));
                    out.push_str(if body.disabled { " (disabled)\n" } else { "\n" });
                    let deeper = format!("{inner}  ");
                    if let Some(raw) = &body.raw {
                        let _ = writeln!(out, "{deeper}raw {}", raw.range.slice(src));
                    }
                    key_values(out, src, &deeper, "urlencoded", &body.urlencoded);
                    key_values(out, src, &deeper, "formdata", &body.formdata);
                    if body.graphql_query.is_some() || body.graphql_variables.is_some() {
                        let (q, v) = (body.graphql_query.as_ref(), body.graphql_variables.as_ref());
                        let _ = writeln!(
                            out,
                            "{deeper}graphql {} variables {}",
                            text(src, q),
                            text(src, v)
                        );
                    }
                    if let Some(file) = &body.file_src {
                        let _ = writeln!(out, "{deeper}file {}", file.range.slice(src));
                    }
                }
                auth(out, src, &inner, request.auth.as_ref());
            }
        }
    }

    /// The collection as an outline of source slices, then its errors.
    fn render(src: &str, c: &Collection) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "name {} schema {:?}",
            text(src, c.name.as_ref()),
            c.schema
        );
        events_and_variables(&mut out, src, "", &c.events, &c.variables);
        auth(&mut out, src, "", c.auth.as_ref());
        c.items.iter().for_each(|i| item(&mut out, src, 0, i));
        for e in &c.errors {
            let _ = writeln!(
                out,
                "error {:?} {:?}: {}",
                e.range,
                e.range.slice(src),
                e.message
            );
        }
        out
    }

    fn check(src: &str, expect: Expect) {
        let c = parse(src);
        check_ranges(src, &c);
        expect.assert_eq(&render(src, &c));
    }

    /// Every range the model hands out lies inside `src`, on character boundaries, and
    /// every string decodes and maps back without panicking.
    fn check_ranges(src: &str, c: &Collection) {
        let ok = |r: TextRange, what: &str| {
            assert!(
                r.start <= r.end
                    && (r.end as usize) <= src.len()
                    && src.is_char_boundary(r.start as usize)
                    && src.is_char_boundary(r.end as usize),
                "{what} {r:?} is not a range of the source ({} bytes)",
                src.len()
            );
        };
        let string = |s: &JsonString| {
            ok(s.range, "string");
            ok(s.content, "string content");
            assert!(s.range.contains_range(s.content));
            let decoded = s.value(src);
            let back = s.source_range(src, TextRange::from_usize(0, decoded.len()));
            ok(back, "mapped range");
        };
        let kv = |kv: &KeyValue| {
            ok(kv.range, "entry");
            kv.key
                .iter()
                .chain(&kv.value)
                .chain(&kv.kind)
                .chain(&kv.src)
                .for_each(string);
        };
        let auth = |a: &Auth| {
            ok(a.range, "auth");
            a.kind.iter().for_each(string);
            a.params.iter().for_each(kv);
        };
        let events_and_variables = |events: &[Event], variables: &[Variable]| {
            for e in events {
                ok(e.range, "event");
                e.listen.iter().chain(&e.lines).for_each(string);
            }
            for v in variables {
                ok(v.range, "variable");
                v.key.iter().chain(&v.value).for_each(string);
            }
        };
        c.errors.iter().for_each(|e| ok(e.range, "error"));
        c.name.iter().for_each(string);
        events_and_variables(&c.events, &c.variables);
        c.auth.iter().for_each(auth);
        c.for_each_item(&mut |item| {
            ok(item.range, "item");
            item.name.iter().for_each(string);
            events_and_variables(&item.events, &item.variables);
            item.auth.iter().for_each(auth);
            if let Some(r) = item.request() {
                ok(r.range, "request");
                r.method.iter().for_each(string);
                if let Some(url) = &r.url {
                    ok(url.range, "url");
                    url.raw
                        .iter()
                        .chain(&url.host)
                        .chain(&url.path)
                        .chain(&url.protocol)
                        .chain(&url.port)
                        .for_each(string);
                    url.query.iter().chain(&url.variables).for_each(kv);
                }
                r.headers.iter().for_each(kv);
                if let Some(b) = &r.body {
                    ok(b.range, "body");
                    b.mode
                        .iter()
                        .chain(&b.raw)
                        .chain(&b.graphql_query)
                        .chain(&b.graphql_variables)
                        .chain(&b.file_src)
                        .for_each(string);
                    b.urlencoded.iter().chain(&b.formdata).for_each(kv);
                }
                r.auth.iter().for_each(auth);
            }
        });
        c.texts().into_iter().for_each(string);
        c.script_lines().into_iter().for_each(|(_, s)| string(s));
    }

    #[test]
    fn url_as_string_and_as_object() {
        check(
            r#"{
  "info": {"name": "Urls", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "item": [
    {"name": "bare", "request": "https://{{host}}/bare"},
    {"name": "string", "request": {"method": "POST", "url": "https://example.test/s?x={{vault:k}}"}},
    {"name": "object", "request": {"url": {
      "raw": "{{scheme}}://{{host}}:{{port}}/users/:id?expand=true&skip",
      "protocol": "{{scheme}}",
      "host": ["{{host}}"],
      "port": "{{port}}",
      "path": ["users", ":id", {"type": "string", "value": "{{tail}}"}],
      "query": [{"key": "expand", "value": "true"}, {"key": "skip", "value": null, "disabled": true}],
      "variable": [{"key": "id", "value": "{{vault:user-id}}"}]
    }}},
    {"name": "v2.0 parts", "request": {"url": {"raw": "http://h/p", "host": "h", "path": "p", "port": 8080}}}
  ]
}"#,
            expect![[r#"
                name "Urls" schema Some(V2_1)
                request bare
                  method -
                  url "https://{{host}}/bare"
                request string
                  method "POST"
                  url "https://example.test/s?x={{vault:k}}"
                request object
                  method -
                  url "{{scheme}}://{{host}}:{{port}}/users/:id?expand=true&skip" protocol="{{scheme}}" host="{{host}}" port="{{port}}" path="users" path=":id" path="{{tail}}"
                    query "expand" = "true"
                    query "skip" = - (disabled)
                    var "id" = "{{vault:user-id}}"
                request v2.0 parts
                  method -
                  url "http://h/p" host="h" path="p"
            "#]],
        );
    }

    #[test]
    fn every_body_mode() {
        check(
            r#"{"info": {"schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"}, "item": [
  {"name": "raw", "request": {"method": "POST", "url": "https://x", "body": {"mode": "raw", "raw": "{\"secret\": \"{{vault:db}}\"}", "options": {"raw": {"language": "json"}}}}},
  {"name": "urlencoded", "request": {"body": {"mode": "urlencoded", "urlencoded": [
    {"key": "grant_type", "value": "client_credentials"},
    {"key": "client_secret", "value": "{{vault:cs}}", "disabled": true}]}}},
  {"name": "formdata", "request": {"body": {"mode": "formdata", "formdata": [
    {"key": "text", "value": "{{vault:f}}", "type": "text"},
    {"key": "one", "src": "/tmp/a.txt", "type": "file"},
    {"key": "many", "src": ["/tmp/a", "{{dir}}/b"], "type": "file"},
    {"key": "old", "value": "x", "enabled": false}]}}},
  {"name": "graphql", "request": {"body": {"mode": "graphql", "graphql": {"query": "query { me(token: \"{{vault:gql}}\") }", "variables": "{\"a\": 1}"}}}},
  {"name": "file", "request": {"body": {"mode": "file", "file": {"src": "{{dir}}/body.bin"}}}},
  {"name": "disabled", "request": {"body": {"mode": "raw", "raw": "x", "disabled": true}}},
  {"name": "empty", "request": {"body": {}}},
  {"name": "null", "request": {"body": null}}
]}"#,
            expect![[r#"
                name - schema Some(V2_1)
                request raw
                  method "POST"
                  url "https://x"
                  body "raw"
                    raw "{\"secret\": \"{{vault:db}}\"}"
                request urlencoded
                  method -
                  body "urlencoded"
                    urlencoded "grant_type" = "client_credentials"
                    urlencoded "client_secret" = "{{vault:cs}}" (disabled)
                request formdata
                  method -
                  body "formdata"
                    formdata "text" = "{{vault:f}}" type="text"
                    formdata "one" = - type="file" src="/tmp/a.txt"
                    formdata "many" = - type="file" src="/tmp/a" src="{{dir}}/b"
                    formdata "old" = "x" (disabled)
                request graphql
                  method -
                  body "graphql"
                    graphql "query { me(token: \"{{vault:gql}}\") }" variables "{\"a\": 1}"
                request file
                  method -
                  body "file"
                    file "{{dir}}/body.bin"
                request disabled
                  method -
                  body "raw" (disabled)
                    raw "x"
                request empty
                  method -
                  body -
                request null
                  method -
            "#]],
        );
    }

    #[test]
    fn auth_in_both_forms_at_every_level() {
        check(
            r#"{
  "info": {"name": "Auth", "schema": "https://schema.getpostman.com/json/collection/v2.0.0/collection.json"},
  "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{vault:api-token}}", "type": "string"}]},
  "item": [
    {"name": "Folder", "auth": {"type": "basic", "basic": {"username": "me", "password": "{{vault:pw}}", "showPassword": false}}, "item": [
      {"name": "apikey", "request": {"auth": {"type": "apikey", "apikey": [{"key": "value", "value": "{{vault:k}}"}, {"key": "in", "value": "header"}], "bearer": [{"key": "token", "value": "ignored"}]}}},
      {"name": "noauth", "request": {"auth": {"type": "noauth"}}},
      {"name": "null", "request": {"auth": null}},
      {"name": "untyped", "request": {"auth": {"oauth2": [{"key": "accessToken", "value": "{{vault:oa}}"}], "note": "x"}}}
    ]}
  ]
}"#,
            expect![[r#"
                name "Auth" schema Some(V2_0)
                auth "bearer"
                  param "token" = "{{vault:api-token}}" type="string"
                folder Folder
                  auth "basic"
                    param "username" = "me"
                    param "password" = "{{vault:pw}}"
                    param "showPassword" = -
                  request Folder/apikey
                    method -
                    auth "apikey"
                      param "value" = "{{vault:k}}"
                      param "in" = "header"
                  request Folder/noauth
                    method -
                    auth "noauth"
                  request Folder/null
                    method -
                  request Folder/untyped
                    method -
                    auth -
                      param "accessToken" = "{{vault:oa}}"
            "#]],
        );
    }

    #[test]
    fn variables_and_events() {
        check(
            r#"{
  "info": {"name": "Vars", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "variable": [
    {"key": "base", "value": "https://{{vault:host}}"},
    {"key": "n", "value": 3, "type": "number"},
    {"key": "flag", "value": true},
    {"key": "off", "value": "x", "disabled": true},
    {"id": "v20", "value": "old style"}
  ],
  "event": [{"listen": "prerequest", "script": {"type": "text/javascript", "exec": ["const k = pm.vault.get('top');", "// done"]}}],
  "item": [{
    "name": "F",
    "variable": [{"key": "folderVar", "value": "{{base}}/f"}],
    "event": [{"listen": "test", "script": {"exec": "pm.test('one string');"}}],
    "item": [{
      "name": "R",
      "event": [
        {"listen": "test", "script": {"exec": ["a();", 5, "b();"]}},
        {"listen": "prerequest", "script": "bare();", "disabled": true}
      ],
      "request": "https://x"
    }]
  }]
}"#,
            expect![[r#"
                name "Vars" schema Some(V2_1)
                variable "base" = "https://{{vault:host}}"
                variable "n" = -
                variable "flag" = -
                variable "off" = "x" (disabled)
                variable "v20" = "old style"
                event "prerequest"
                  | "const k = pm.vault.get('top');"
                  | "// done"
                folder F
                  variable "folderVar" = "{{base}}/f"
                  event "test"
                    | "pm.test('one string');"
                  request F/R
                    event "test"
                      | "a();"
                      | "b();"
                    event "prerequest" (disabled)
                      | "bare();"
                    method -
                    url "https://x"
            "#]],
        );
    }

    #[test]
    fn script_lines_carry_paths_and_map_through_escapes() {
        let src = r#"{"info": {"name": "S"}, "item": [{"name": "Folder", "item": [{"name": "Caf\u00e9", "request": "https://x",
  "event": [{"listen": "prerequest", "script": {"exec": ["const s = \"\u00e9\\\" \"; pm.vault.get(\"api-key\");"]}}]}]}],
  "event": [{"listen": "test", "script": {"exec": ["top();"]}}]}"#;
        let c = parse(src);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let lines = c.script_lines();
        let paths: Vec<&str> = lines.iter().map(|(path, _)| *path).collect();
        assert_eq!(paths, ["Folder/Café", ""]);
        let line = lines[0].1;
        let decoded = line.value(src);
        assert_eq!(decoded, r#"const s = "é\" "; pm.vault.get("api-key");"#);
        let at = decoded.find("api-key").unwrap();
        let range = line.source_range(src, TextRange::from_usize(at, at + "api-key".len()));
        assert_eq!(range.slice(src), "api-key");
        assert_eq!(
            &src[range.start as usize - 2..range.end as usize + 2],
            r#"\"api-key\""#
        );
    }

    #[test]
    fn v2_0_header_strings_are_split_into_entries() {
        let src = r#"{"item": [{"name": "h", "request": {"url": "https://x", "header": "Content-Type: application/json\nAuthorization: Bearer {{vault:t\u006fken}}\r\n//X-Off: 1\n\n  Bare \n"}}]}"#;
        check(
            src,
            expect![[r#"
                name - schema None
                request h
                  method -
                  url "https://x"
                  header Content-Type = application/json
                  header Authorization = Bearer {{vault:t\u006fken}}
                  header X-Off = 1 (disabled)
                  header Bare = -
            "#]],
        );
        let c = parse(src);
        let headers = &c.requests()[0].1.headers;
        let auth = headers[1].value.unwrap();
        assert_eq!(auth.value(src), "Bearer {{vault:token}}");
        let decoded = auth.value(src);
        let at = decoded.find("{{").unwrap();
        let range = auth.source_range(src, TextRange::from_usize(at, decoded.len()));
        assert_eq!(range.slice(src), r"{{vault:t\u006fken}}");
        assert_eq!(headers[0].key.unwrap().value(src), "Content-Type");
        assert!(!headers[0].key.unwrap().has_escapes);
    }

    #[test]
    fn texts_are_every_variable_string_in_source_order() {
        let src = r#"{
  "info": {"name": "not a text", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "item": [{
    "name": "not a text",
    "description": "not a text",
    "event": [{"listen": "test", "script": {"exec": ["not a text"]}}],
    "request": {
      "method": "POST",
      "header": [{"key": "H", "value": "hv", "disabled": true}],
      "body": {"mode": "formdata", "formdata": [{"key": "fk", "value": "fv"}, {"key": "ff", "src": "fs", "type": "file"}]},
      "url": {"raw": "raw", "host": ["host"], "path": ["path"], "query": [{"key": "qk", "value": "qv"}]},
      "auth": {"type": "bearer", "bearer": [{"key": "token", "value": "tv"}]},
      "description": "not a text"
    },
    "response": [{"name": "not a text", "originalRequest": {"url": "not a text"}}]
  }],
  "auth": {"type": "basic", "basic": {"username": "cu"}},
  "variable": [{"key": "vk", "value": "vv"}]
}"#;
        let c = parse(src);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let texts: Vec<String> = c
            .texts()
            .iter()
            .map(|s| s.value(src).into_owned())
            .collect();
        assert_eq!(
            texts,
            [
                "H", "hv", "fk", "fv", "ff", "fs", "raw", "host", "path", "qk", "qv", "tv", "cu",
                "vv"
            ]
        );
        let mut roles = Vec::new();
        c.for_each_text(&mut |t| {
            roles.push(format!(
                "{:?}{}{}",
                t.role,
                if t.disabled { " disabled" } else { "" },
                if t.item.is_some() {
                    ""
                } else {
                    " (collection)"
                }
            ));
        });
        expect![[r#"
            [
                "VariableValue (collection)",
                "AuthParam (collection)",
                "UrlRaw",
                "UrlHost",
                "UrlPath",
                "QueryKey",
                "QueryValue",
                "HeaderKey disabled",
                "HeaderValue disabled",
                "FormdataKey",
                "FormdataValue",
                "FormdataKey",
                "FormdataSrc",
                "AuthParam",
            ]
        "#]]
        .assert_debug_eq(&roles);
    }

    #[test]
    fn requests_are_depth_first_with_paths() {
        let src = r#"{"item": [
  {"name": "A", "item": [{"name": "B", "item": [{"name": "C", "request": {}}]}, {"name": "", "request": {}}]},
  {"request": "https://unnamed"},
  {"name": "Empty folder", "item": []},
  {"name": "a/b", "request": {"method": "PUT"}}
]}"#;
        let c = parse(src);
        assert!(c.errors.is_empty(), "{:?}", c.errors);
        let requests: Vec<(String, String)> = c
            .requests()
            .iter()
            .map(|(item, r)| (item.path.clone(), r.method_name(src).into_owned()))
            .collect();
        expect![[r#"
            [
                (
                    "A/B/C",
                    "GET",
                ),
                (
                    "A/(unnamed)",
                    "GET",
                ),
                (
                    "(unnamed)",
                    "GET",
                ),
                (
                    "a/b",
                    "PUT",
                ),
            ]
        "#]]
        .assert_debug_eq(&requests);
    }

    #[test]
    fn invalid_json_keeps_what_parsed() {
        check(
            r#"{"info": {"name": "Broken"}, "item": [
  {"name": "first", "request": {"url": "https://a", "header": [{"key": "K", "value": "V"}]}}
  {"name": "second", "request": {"url": "https://b", "method": GET}},
  {"name": "third", "request": {"url": "https://c"#,
            expect![[r#"
                name "Broken" schema None
                request first
                  method -
                  url "https://a"
                  header "K" = "V"
                request third
                  method -
                  url "https://c
                error 134..135 "{": expected `,` or `]`
                error 241..251 "\"https://c": unterminated string
                error 251..251 "": unterminated object: expected `}`
            "#]],
        );
    }

    #[test]
    fn wrong_types_are_structural_errors() {
        check(
            r#"{"info": {"name": "T"}, "item": 5}"#,
            expect![[r#"
            name "T" schema None
            error 32..33 "5": `item` should be an array, not a number
        "#]],
        );
        check(
            r#"{"info": "v2", "variable": {"key": "single", "value": "object"}, "event": "x", "item": [
  5,
  {"name": "R", "request": 7},
  {"name": "R2", "request": {"url": true, "header": 3, "body": [], "auth": "bearer", "method": 1}},
  {"name": "R3", "request": {"header": [1, {"key": "ok"}], "url": {"host": 5, "query": "q=1"}, "body": {"formdata": {"key": "single"}, "graphql": 1}}},
  {"name": "R4", "request": {"auth": {"type": "bearer", "bearer": "tok"}}},
  {"name": 12, "event": [{"script": {"exec": 9}}, 3]},
  {"name": "nothing"}
]}"#,
            expect![[r#"
                name - schema None
                variable "single" = "object"
                request R
                  method -
                request R2
                  method -
                request R3
                  method -
                  url -
                  header "ok" = -
                  body -
                    formdata "single" = -
                request R4
                  method -
                  auth "bearer"
                folder (unnamed)
                  event -
                folder nothing
                error 9..13 "\"v2\"": `info` should be an object, not a string
                error 74..77 "\"x\"": `event` should be an array, not a string
                error 91..92 "5": each `item` entry should be an object, not a number
                error 121..122 "7": `request` should be an object or a URL string, not a number
                error 161..165 "true": `url` should be a string or an object, not a boolean
                error 177..178 "3": `header` should be an array, not a number
                error 188..190 "[]": `body` should be an object, not an array
                error 200..208 "\"bearer\"": `auth` should be an object, not a string
                error 220..221 "1": `method` should be a string, not a number
                error 265..266 "1": each `header` entry should be an object, not a number
                error 300..301 "5": `url.host` should be an array, not a number
                error 312..317 "\"q=1\"": `url.query` should be an array, not a string
                error 371..372 "1": `body.graphql` should be an object, not a number
                error 443..448 "\"tok\"": `auth.bearer` should be an array of `{"key", "value"}` or an object, not a string
                error 455..456 "{": this item has neither `request` nor `item` (for a folder)
                error 464..466 "12": `name` should be a string, not a number
                error 498..499 "9": `script.exec` should be an array of lines, not a number
                error 503..504 "3": each `event` entry should be an object, not a number
                error 519..528 "\"nothing\"": this item has neither `request` nor `item` (for a folder)
            "#]],
        );
        check(
            "[1, 2]",
            expect![[r#"
            name - schema None
            error 0..6 "[1, 2]": a Postman collection is an object with `info` and `item`, not an array
        "#]],
        );
        check(
            "",
            expect![[r#"
            name - schema None
            error 0..0 "": the file is empty: expected a JSON value
        "#]],
        );
    }

    #[test]
    fn v1_collections_are_refused() {
        check(
            r#"{"id": "c5f6", "name": "Old", "order": ["a"], "requests": [{"id": "a", "url": "https://x", "headers": "A: b"}]}"#,
            expect![[r#"
                name "Old" schema None
                error 0..1 "{": this is a Postman collection v1; export it as v2.1
            "#]],
        );
    }

    #[test]
    fn schema_versions() {
        let cases = [
            (
                "https://schema.getpostman.com/json/collection/v2.0.0/collection.json",
                Some(SchemaVersion::V2_0),
            ),
            (
                "https://schema.getpostman.com/json/collection/v2.1.0/collection.json",
                Some(SchemaVersion::V2_1),
            ),
            (
                "https://schema.postman.com/json/collection/v2.1.0/collection.json",
                Some(SchemaVersion::V2_1),
            ),
            (
                "https://schema.postman.com/collection/json/v2.1.0/draft-07/collection.json",
                Some(SchemaVersion::V2_1),
            ),
            (
                "HTTPS://Schema.GetPostman.com/json/collection/v2.1.0/",
                Some(SchemaVersion::V2_1),
            ),
            (
                "https://schema.getpostman.com/json/collection/v1.0.0/collection.json",
                Some(SchemaVersion::Unknown),
            ),
            (
                "https://schema.getpostman.com/json/collection/v2.2.0/collection.json",
                Some(SchemaVersion::Unknown),
            ),
            ("https://json-schema.org/draft-07/schema", None),
            (
                "https://evil.test/schema.getpostman.com/json/collection/v2.1.0/collection.json",
                None,
            ),
            ("v2.1", None),
        ];
        for (url, expected) in cases {
            assert_eq!(SchemaVersion::from_url(url), expected, "{url}");
        }
    }

    #[test]
    fn sniffing_looks_only_at_the_top_level_info() {
        let schema = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";
        let yes = [
            format!(r#"{{"info": {{"name": "x", "schema": "{schema}"}}, "item": []}}"#),
            format!("\u{FEFF}\n// comment\n{{ /* c */ \"item\": [{{\"name\": \"}}\\\"[\"}}], \"info\": {{\"_postman_id\": 1, \"schema\": \"{schema}\"}}}}"),
            r#"{"info": {"schema": "https:\/\/schema.getpostman.com\/json\/collection\/v2.0.0\/collection.json"}}"#.to_owned(),
            format!(r#"{{"info": {{"schema": "{schema}""#),
        ];
        for src in &yes {
            assert!(looks_like_collection(src), "{src}");
        }
        let big_first = format!(
            r#"{{"item": ["{}"], "info": {{"schema": "{schema}"}}}}"#,
            "x".repeat(SNIFF_WINDOW)
        );
        let no = [
            format!(r#"{{"data": {{"info": {{"schema": "{schema}"}}}}}}"#),
            format!(r#"{{"info": {{"name": "{schema}"}}, "schema": "{schema}"}}"#),
            format!(r#"[{{"info": {{"schema": "{schema}"}}}}]"#),
            r#"{"info": {"schema": "https://json-schema.org/draft-07/schema"}}"#.to_owned(),
            r#"{"name": "env", "values": []}"#.to_owned(),
            String::new(),
            "{".to_owned(),
            "{\"info\": {\"schema\": \"https://schema.getpostman.com/json/collection/v2.1.0/\\"
                .to_owned(),
            big_first,
        ];
        for src in &no {
            assert!(
                !looks_like_collection(src),
                "{}",
                &src[..src.len().min(200)]
            );
        }
    }

    #[test]
    fn never_panics_on_truncated_input() {
        let src =
            std::fs::read_to_string(crate::vault::incremental::tests::conformance_dir().join(
                "integration__inherited-entities__inherited-entities.postman_collection.json",
            ))
            .expect("conformance collection");
        let src = format!("{src}\u{e9}\u{1F600}");
        for end in (0..src.len())
            .filter(|&i| src.is_char_boundary(i))
            .step_by(7)
        {
            let prefix = &src[..end];
            let c = parse(prefix);
            check_ranges(prefix, &c);
            let _ = looks_like_collection(prefix);
        }
    }

    /// Read in halves, a collection is the collection read in one pass, problems and all: the
    /// newman collections, and random collections broken by random edits.
    #[test]
    fn a_collection_read_in_halves_is_the_one_read_in_one_pass() {
        let read = |src: &str, min: usize| {
            format!("{:?}", from_json_in_halves_from(src, json::parse(src), min))
        };
        let texts = crate::vault::incremental::tests::sample_collections(
            &mut fastrand::Rng::with_seed(13),
            500,
        );
        let mut split = 0;
        for text in &texts {
            assert_eq!(read(text, 0), read(text, usize::MAX), "{text}");
            split += usize::from(parse(text).items.len() > 1);
        }
        assert!(split > 100, "{split} collections with items to share out");
    }

    /// One line per newman test collection: requests, errors, schema, disabled headers,
    /// texts and script lines; then hand-checked details of a few of them.
    #[test]
    fn conformance_collections() {
        let dir = crate::vault::incremental::tests::conformance_dir();
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap_or_else(|e| {
                panic!(
                    "the conformance collections should be at {}: {e}",
                    dir.display()
                )
            })
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "json"))
            .collect();
        files.sort();
        assert!(
            files.len() >= 40,
            "expected the newman collections in {}",
            dir.display()
        );
        let mut summary = String::new();
        for path in &files {
            let src = std::fs::read_to_string(path).unwrap();
            let c = parse(&src);
            check_ranges(&src, &c);
            let disabled_headers: usize = c
                .requests()
                .iter()
                .map(|(_, r)| r.headers.iter().filter(|h| h.disabled).count())
                .sum();
            let name = path.file_name().unwrap().to_string_lossy();
            let name = name.trim_end_matches(".postman_collection.json");
            let _ = writeln!(
                summary,
                "{name}: {} requests, {} errors, {:?}, sniffed {}, {} disabled headers, {} texts, {} script lines",
                c.requests().len(),
                c.errors.len(),
                c.schema,
                looks_like_collection(&src),
                disabled_headers,
                c.texts().len(),
                c.script_lines().len(),
            );
            for e in &c.errors {
                let _ = writeln!(summary, "  error {:?}: {}", e.range, e.message);
            }
        }
        expect![[r#"
            examples__v1: 0 requests, 1 errors, None, sniffed false, 0 disabled headers, 0 texts, 0 script lines
              error 0..1: this is a Postman collection v1; export it as v2.1
            integration__bom-and-encoding__bom-in-collection-file: 3 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 9 texts, 7 script lines
            integration__bom-and-encoding__bom-in-environment-file: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 7 script lines
            integration__bom-and-encoding__utf16-le-encoding-in-env: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 7 script lines
            integration__case-insen-header-sandbox: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 1 script lines
            integration__clear-vars-sandbox: 3 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 3 texts, 4 script lines
            integration__comma-test-csv__comma-test-csv: 1 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 7 texts, 13 script lines
            integration__cookie-jar: 2 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 2 texts, 1 script lines
            integration__crypto-md5: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 2 script lines
            integration__csv-with-bom__csv-with-bom: 1 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 1 texts, 5 script lines
            integration__custom-http-method__custom-http-method: 3 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 17 texts, 20 script lines
            integration__data-file-var-replacement__data-file-var-replacement: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 9 texts, 2 script lines
            integration__disabled-and-duplicate-variables__disabled-and-duplicates: 1 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 5 texts, 14 script lines
            integration__distinct-random-int: 2 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 2 texts, 2 script lines
            integration__dynamic-var-replacement: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 7 texts, 1 script lines
            integration__echo-v2: 22 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 125 texts, 22 script lines
            integration__esc-formdata__esc-formdata: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 5 texts, 1 script lines
            integration__globals-env-data-files__globals-env-data-files: 2 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 2 texts, 36 script lines
            integration__hawk-auth-test: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 12 texts, 3 script lines
            integration__head-requests: 3 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 5 texts, 9 script lines
            integration__helper: 3 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 16 texts, 13 script lines
            integration__inherited-entities__inherited-entities: 8 requests, 0 errors, None, sniffed false, 0 disabled headers, 17 texts, 28 script lines
            integration__multi-level-folders-v1: 0 requests, 1 errors, None, sniffed false, 0 disabled headers, 0 texts, 0 script lines
              error 0..1: this is a Postman collection v1; export it as v2.1
            integration__multi-level-folders-v2: 6 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 6 texts, 24 script lines
            integration__multi-value-data: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 5 texts, 1 script lines
            integration__multiple-form-values: 3 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 3 texts, 3 script lines
            integration__newman-gzip-test: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 1 script lines
            integration__oauth1-var-in-url-params: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 11 texts, 1 script lines
            integration__protocol-profile-behavior: 8 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 42 texts, 87 script lines
            integration__prototype-check: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 1 script lines
            integration__redirect-test__redirect-test: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 1 script lines
            integration__redirect-test__redirect-with-body: 4 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 26 texts, 54 script lines
            integration__request-body-with-get: 3 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 15 texts, 18 script lines
            integration__request-chaining-test: 2 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 2 texts, 15 script lines
            integration__request-name-in-script: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 2 script lines
            integration__sandbox-libraries: 3 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 15 texts, 114 script lines
            integration__semicolon-tests: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 6 script lines
            integration__set-next-request: 3 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 3 texts, 3 script lines
            integration__slashed-variable-names__slashed-variable-names: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 1 script lines
            integration__steph__steph: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 5 texts, 1 script lines
            integration__super-sandbox-test: 11 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 37 texts, 13 script lines
            integration__tc4__tc4: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 3 texts, 1 script lines
            integration__timeout__timeout: 1 requests, 0 errors, None, sniffed false, 0 disabled headers, 1 texts, 3 script lines
            integration__v2-regression-tests__v2-regression-tests: 3 requests, 0 errors, Some(V2_0), sniffed true, 1 disabled headers, 5 texts, 3 script lines
            integration__var-replacement: 1 requests, 0 errors, Some(V2_0), sniffed true, 0 disabled headers, 1 texts, 2 script lines
            integration__whatwg-url: 26 requests, 0 errors, Some(V2_1), sniffed true, 0 disabled headers, 365 texts, 170 script lines
        "#]].assert_eq(&summary);

        let read = |name: &str| {
            std::fs::read_to_string(dir.join(format!("{name}.postman_collection.json"))).unwrap()
        };

        let src = read("integration__multi-level-folders-v2");
        let c = parse(&src);
        let paths: Vec<&str> = c
            .requests()
            .iter()
            .map(|(item, _)| item.path.as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "F1/F1.R1",
                "F1/F1.R2",
                "F1/F1.R3",
                "F2/F2.F3/F2.F3.R1",
                "F2/F2.R1",
                "R1"
            ]
        );
        assert_eq!(
            c.script_lines()
                .iter()
                .filter(|(path, _)| *path == "F2/F2.F3/F2.F3.R1")
                .count(),
            4
        );

        let src = read("integration__bom-and-encoding__bom-in-collection-file");
        assert!(src.starts_with('\u{FEFF}'));
        let c = parse(&src);
        assert_eq!(c.name.unwrap().value(&src), "Sample Postman Collection");

        let src = read("integration__v2-regression-tests__v2-regression-tests");
        let c = parse(&src);
        let disabled: Vec<String> = c
            .requests()
            .iter()
            .flat_map(|(_, r)| {
                r.headers
                    .iter()
                    .filter(|h| h.disabled)
                    .map(|h| h.key.unwrap().value(&src).into_owned())
            })
            .collect();
        assert_eq!(disabled, ["//disabled-header"]);

        let src = read("integration__inherited-entities__inherited-entities");
        let c = parse(&src);
        assert_eq!(c.name.unwrap().value(&src), "Inherited Entities");
        let auth = c.auth.as_ref().unwrap();
        assert_eq!(auth.kind.unwrap().value(&src), "basic");
        let params: Vec<(String, String)> = auth
            .params
            .iter()
            .map(|p| {
                (
                    p.key.unwrap().value(&src).into(),
                    p.value.unwrap().value(&src).into(),
                )
            })
            .collect();
        assert_eq!(
            params,
            [
                ("username".into(), "postman".into()),
                ("password".into(), "password".into())
            ]
        );
        let folder_auth = c.items[1].auth.as_ref().unwrap();
        assert_eq!(folder_auth.kind.unwrap().value(&src), "digest");
        let (item, request) = c.requests()[0];
        assert_eq!(item.path, "Collection level stuff/Variables");
        assert_eq!(
            request.url.as_ref().unwrap().raw.unwrap().value(&src),
            "{{collectionVariablesURL}}"
        );

        let src = read("integration__timeout__timeout");
        assert_eq!(parse(&src).requests()[0].0.path, "(unnamed)");
    }
}
