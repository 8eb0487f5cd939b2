//! The `.http`/`.rest` parser: JetBrains' HTTP Request in Editor format plus the conventions
//! that REST Client, httpyac, kulala and Visual Studio share (`@name = value` file variables,
//! `# @name` request names).
//!
//! Line-based and single pass. Every input gives a [`HttpFile`]; what does not fit the format
//! is kept as best it can be and reported in [`HttpFile::errors`].
//!
//! Where the spec is silent or strict, these choices hold:
//! - a `###` line ends an unclosed `{%` script (the spec forbids `###` in scripts), so typing
//!   `> {%` does not swallow the rest of the file;
//! - comment lines in a body are not sent, so they do not count for its range: a body of
//!   comments only is no body;
//! - `@name = value` is a file variable anywhere but inside a body that has started;
//! - in a body, `>` handlers and `<>` references start at column 0; right after the headers,
//!   with the blank line left out, they and `< file` bodies are accepted too;
//! - pre-request scripts (`< {% … %}` or `< file.js` before the request line) and `>>`
//!   response redirects are not modelled; a pre-request script's text is kept in
//!   [`HttpFile::scripts`];
//! - a method is any word in capitals followed by a target; one no dialect sends (see
//!   [`OTHER_METHODS`]) is an error. One of the spec's nine in small letters is a method
//!   too (REST Client, kulala), with a [`Note`].
//!
//! Where the dialects part ways, each construct is read the way its author evidently meant
//! (README's dialect table lists them), and the portable rewrite is a [`Note`]:
//! - a request line at column 0 right after another request's headers or handlers, or after
//!   a blank line in its body, starts a new request without `###` (httpyac, kulala); the
//!   comment lines right before it go with it;
//! - JSON or markup right after the request line or the headers is a body whose blank line
//!   is missing (httpyac); an indented line after the request line continues the target
//!   only when it looks like a part of a URL, or is no header either; a query line
//!   (`&name=value`, `?name=value`) continues it at any indentation and a comment line
//!   among those lines is left out (REST Client, httpyac);
//! - a target with blanks is the whole line up to ` HTTP/x` (httpyac, REST Client, kulala,
//!   Visual Studio); a [`Note`] offers `%20`;
//! - inside a `multipart/mixed` body (OData `$batch`), request lines belong to the body up
//!   to its closing boundary (httpyac);
//! - httpyac's `{{ … }}` script blocks (their text kept in [`HttpFile::scripts`]), `/* … */`
//!   comments, GraphQL `fragment`s before the request line, `proto < file` and
//!   `gql name < file` lines and lazy `@name := value` variables, and kulala's `import` and
//!   `run` lines ([`HttpFile::directives`]) are not requests.

use memchr::{memchr2_iter, memmem};
use smallvec::SmallVec;

use crate::syntax::SyntaxError;
use crate::text::TextRange;

/// A parsed `.http` file. All ranges are byte ranges into the parsed text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HttpFile {
    /// Requests in file order.
    pub requests: Vec<Request>,
    /// `@name = value` lines, in file order, wherever they stand.
    pub variables: Vec<FileVariable>,
    pub errors: Vec<SyntaxError>,
    /// Where the dialects read the file alike only thanks to their leniency, with the
    /// portable rewrite (a `###` line, a blank line).
    pub notes: Vec<Note>,
    /// Scripts outside response handlers, their contents: pre-request `< {% … %}` scripts
    /// (JetBrains) and `{{ … }}` blocks (httpyac).
    pub scripts: Vec<TextRange>,
    /// kulala's `import ./other.http` and `run #name` / `run ./other.http` lines.
    pub directives: Vec<Directive>,
    /// The paths of pre-request script files (`< ./script.js` before a request line).
    pub script_files: Vec<TextRange>,
    /// Where the first `proto` of the text read starts, if it holds one. After httpyac's
    /// `proto < file` line, option lines run on across `###` lines, so a text is cut, and an
    /// edit read again alone, only before the first (the word is looked for anywhere, not
    /// only in such a line, to be safe).
    pub first_proto: Option<u32>,
}

impl HttpFile {
    /// Adds the items of `later`, parsed from the text after all of this file's.
    fn append(&mut self, later: HttpFile) {
        let HttpFile {
            requests,
            variables,
            errors,
            notes,
            scripts,
            directives,
            script_files,
            first_proto,
        } = later;
        self.requests.extend(requests);
        self.variables.extend(variables);
        self.errors.extend(errors);
        self.notes.extend(notes);
        self.scripts.extend(scripts);
        self.directives.extend(directives);
        self.script_files.extend(script_files);
        self.first_proto = self.first_proto.or(first_proto);
    }
}

/// A place where the file leans on a dialect's leniency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// What the note is about (a request line, a body's first line).
    pub range: TextRange,
    pub kind: NoteKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoteKind {
    /// A request follows another without a `###` line (httpyac and kulala split there,
    /// JetBrains' spec reads one request); `###` belongs at `at`.
    MissingSeparator { at: u32 },
    /// A body follows the request line or headers without the blank line (httpyac reads it
    /// as a body); a blank line belongs at `at`.
    MissingBlankLine { at: u32 },
    /// A request target with blanks (httpyac, REST Client, kulala and Visual Studio send it
    /// with the blanks encoded; JetBrains' format ends the target at the first blank); the
    /// blanks belong written as `%20`.
    BlankInTarget,
    /// A method in small letters (REST Client and kulala read it; JetBrains' format and
    /// httpyac do not); it belongs in capitals.
    LowerCaseMethod,
}

/// `import path` or `run target` (kulala).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub range: TextRange,
    pub kind: DirectiveKind,
    /// The path, or `#name` for a request of this file.
    pub target: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DirectiveKind {
    /// `import ./other.http`: the other file's requests and variables become available.
    Import,
    /// `run #name` or `run ./other.http`: runs them in place.
    Run,
}

/// `@name = value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileVariable {
    /// The whole line without its line break.
    pub range: TextRange,
    /// `name`, without the `@`.
    pub name: TextRange,
    /// The value, trimmed; empty when there is none.
    pub value: TextRange,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// From the first line that belongs to the request (its `###` separator, comments,
    /// metadata) to the end of its last non-blank line.
    pub range: TextRange,
    /// The `###` separator line, when the request starts with one.
    pub separator: Option<TextRange>,
    /// The request's name: the value of `# @name x` / `// @name x` when present, else the
    /// trimmed text after `###` when not empty.
    pub name: Option<TextRange>,
    /// `# @key value` / `// @key value` lines before the request line (`@name` among them).
    pub metadata: SmallVec<[Metadata; 1]>,
    /// The method token, when written (`GET`, `POST`, … or any token of letters).
    pub method: Option<TextRange>,
    /// The request target. When it is split over indented lines, one range per line
    /// (trimmed); the URL is their concatenation.
    pub target: Ranges,
    /// `HTTP/1.1`, `HTTP/2`, … when written.
    pub version: Option<TextRange>,
    /// The whole request line, from its first non-blank character to the end of its last
    /// continuation line.
    pub request_line: TextRange,
    pub headers: Vec<Header>,
    pub body: Option<Body>,
    /// `> {% … %}` and `> path` lines.
    pub handlers: Vec<Handler>,
    /// `<> path` lines: the path ranges.
    pub response_refs: Vec<TextRange>,
    /// The request is a curl command line (`curl --request POST --url '…' \`), which REST
    /// Client reads: its method, URL and headers are read from the options; its body is not.
    pub curl: bool,
}

/// `# @key value` or `// @key value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Metadata {
    pub range: TextRange,
    /// `key`, without the `@`.
    pub key: TextRange,
    /// The trimmed value; empty when there is none.
    pub value: TextRange,
}

/// Ranges of which there is mostly one (a request target, a header value), kept inline: a
/// large file has tens of thousands, and an edit moves every one after it.
pub type Ranges = SmallVec<[TextRange; 1]>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The header line(s), from the name to the end of the value.
    pub range: TextRange,
    pub name: TextRange,
    /// The value, trimmed, one range per physical line (a value continued on indented lines
    /// has several). Empty values give one empty range right after the colon.
    pub value: Ranges,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Body {
    /// From the first to the last non-blank body line, line break of the last one excluded.
    pub range: TextRange,
    /// `< path` lines inside the body: the path ranges.
    pub input_files: Vec<TextRange>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Handler {
    pub range: TextRange,
    pub kind: HandlerKind,
    /// The script between `{%` and `%}`, or the path.
    pub content: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandlerKind {
    Script,
    File,
}

impl Request {
    /// The URL as written, its continuation lines joined, variables unresolved.
    pub fn url(&self, text: &str) -> String {
        self.target.iter().map(|r| r.slice(text)).collect()
    }

    /// The method as written; when it is left out, `GET`, or `WS` for a `ws://` or `wss://`
    /// target (httpyac opens a WebSocket for a bare WebSocket URL).
    pub fn method_or_default<'a>(&self, text: &'a str) -> &'a str {
        match self.method {
            Some(r) => r.slice(text),
            None => {
                let url = self.target.first().map_or("", |t| t.slice(text));
                let scheme = url.split_once("://").map_or("", |(s, _)| s);
                if scheme.eq_ignore_ascii_case("ws") || scheme.eq_ignore_ascii_case("wss") {
                    "WS"
                } else {
                    "GET"
                }
            }
        }
    }
}

impl Header {
    /// The value as written, continuation lines joined by one space.
    pub fn value_text(&self, text: &str) -> String {
        let parts: Vec<&str> = self.value.iter().map(|r| r.slice(text)).collect();
        parts.join(" ")
    }
}

/// Parses a whole `.http` file. Never fails.
///
/// One pass over the lines; each line is classified by the state of the request being read
/// (preamble, headers, body, handlers). Every range is cut at ASCII bytes, so it always lands
/// on a char boundary.
pub fn parse(text: &str) -> HttpFile {
    if text.len() >= PARALLEL_PARSE_MIN
        && let Some(cut) = independent_cut(text, text.len() / 2)
    {
        return parse_in_halves(text, cut);
    }
    parse_region(text, 0, text.len())
}

/// Parses `text[..cut]` and `text[cut..]` side by side, `cut` being an [`independent_cut`].
fn parse_in_halves(text: &str, cut: usize) -> HttpFile {
    let (mut first, second) = crate::halves::side_by_side(
        || parse_region(text, 0, cut),
        || parse_region(text, cut, text.len()),
    );
    first.append(second);
    first
}

/// The length from which an `.http` text is parsed in two halves side by side.
const PARALLEL_PARSE_MIN: usize = 256 * 1024;

/// The first `###` line at or after `near` where the text before and the text after parse
/// alone as they do in the whole (see [`parse_region`]), or `None`. After httpyac's
/// `proto < file` line the option lines run on across `###` lines: with one before the cut,
/// the halves are not independent.
pub fn independent_cut(text: &str, near: usize) -> Option<usize> {
    let b = text.as_bytes();
    let at = separator_from(b, near.min(b.len()));
    (0 < at && at < b.len() && memmem::find(&b[..at], b"proto").is_none()).then_some(at)
}

/// Whether a line starts at `at` in `b`: lines end at `\n`, `\r\n` or a lone `\r`.
pub fn is_line_start(b: &[u8], at: usize) -> bool {
    at == 0 || b[at - 1] == b'\n' || (b[at - 1] == b'\r' && b.get(at) != Some(&b'\n'))
}

/// The start of the first `###` line that starts at or after `from`, or the end.
pub fn separator_from(b: &[u8], from: usize) -> usize {
    if from < b.len() && is_line_start(b, from) && b[from..].starts_with(b"###") {
        return from;
    }
    for i in memchr::memchr2_iter(b'\n', b'\r', &b[from..]).map(|i| i + from) {
        let at = i + 1;
        if at < b.len() && is_line_start(b, at) && b[at..].starts_with(b"###") {
            return at;
        }
    }
    b.len()
}

/// Parses `text[start..end]` as a file of its own, with ranges into the whole `text`: a
/// region that starts at a `###` line (or the start) and ends before one (or at the end)
/// parses as it does inside the whole file, since the parser starts afresh at each `###`.
pub fn parse_region(text: &str, start: usize, end: usize) -> HttpFile {
    let bytes = &text.as_bytes()[..end];
    let mut parser = Parser::new(bytes, start);
    let mut pos = if start == 0 && bytes.starts_with(BOM) {
        BOM.len()
    } else {
        start
    };
    let from = pos;
    for end in memchr2_iter(b'\n', b'\r', &bytes[from..]).map(|i| i + from) {
        // The `\n` of a `\r\n`, already passed.
        if end < pos {
            continue;
        }
        parser.line(pos, end);
        let crlf = bytes[end] == b'\r' && bytes.get(end + 1) == Some(&b'\n');
        pos = end + if crlf { 2 } else { 1 };
    }
    if pos < bytes.len() {
        parser.line(pos, bytes.len());
    }
    let mut file = parser.finish();
    file.first_proto =
        memmem::find(&bytes[start..], b"proto").map(|i| crate::text::to_u32(start + i));
    file
}

const BOM: &[u8] = "\u{feff}".as_bytes();

/// The methods of the JetBrains spec; these are also recognised when written in small
/// letters (with an error).
const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT",
];

/// Other methods some dialect sends: the rest of IANA's method registry (WebDAV and friends,
/// which REST Client and httpyac list), `PURGE` (caches), `GRAPHQL` (httpyac), and the
/// request kinds httpyac and kulala send over other protocols (`WEBSOCKET` is JetBrains' name
/// for httpyac's `WS`). Any other all-capitals token
/// is read as a method too, with an error: no dialect sends it.
const OTHER_METHODS: [&str; 42] = [
    "ACL",
    "BASELINE-CONTROL",
    "BIND",
    "CHECKIN",
    "CHECKOUT",
    "COPY",
    "LABEL",
    "LINK",
    "LOCK",
    "MERGE",
    "MKACTIVITY",
    "MKCALENDAR",
    "MKCOL",
    "MKREDIRECTREF",
    "MKWORKSPACE",
    "MOVE",
    "ORDERPATCH",
    "PRI",
    "PROPFIND",
    "PROPPATCH",
    "QUERY",
    "REBIND",
    "REPORT",
    "SEARCH",
    "UNBIND",
    "UNCHECKOUT",
    "UNLINK",
    "UNLOCK",
    "UPDATE",
    "UPDATEREDIRECTREF",
    "VERSION-CONTROL",
    "PURGE",
    "GRAPHQL",
    "GRPC",
    "WS",
    "WSS",
    "WEBSOCKET",
    "SSE",
    "MQTT",
    "MQTTS",
    "AMQP",
    "KAFKA",
];

/// Whether `word` is a method some dialect sends, written as it must be.
fn is_known_method(word: &[u8]) -> bool {
    // Every one is written in capitals and `-`: most lines are turned away at their first
    // characters, before a comparison with each of the fifty methods.
    word.iter().all(|&c| c.is_ascii_uppercase() || c == b'-')
        && METHODS
            .iter()
            .chain(&OTHER_METHODS)
            .any(|m| m.as_bytes() == word)
}

/// Where the parser stands inside the current block (the text between two `###` lines).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Zone {
    /// Before the request line: comments, metadata, file variables, pre-request scripts.
    #[default]
    Preamble,
    /// Right after the request line: indented lines continue the target (or, once a header
    /// has been read, the last header's value); a blank line ends the zone.
    Headers,
    /// After the blank line that ends the headers.
    Body,
    /// After the first response handler, `<>` reference or `>>` redirect.
    Trailer,
}

/// One physical line: `start..end` without its line break, `ts..te` its text trimmed of
/// blanks. `ts < te` for every line handed to the zone handlers.
#[derive(Clone, Copy)]
struct Line {
    start: usize,
    end: usize,
    ts: usize,
    te: usize,
}

/// A `{% … %}` script whose `%}` has not been seen yet.
struct OpenScript {
    /// The `>` (or `<` for a pre-request script).
    start: usize,
    /// Just after `{%`.
    content_start: usize,
    /// End of the last non-blank line read into the script.
    last_end: usize,
    /// Response handlers are kept; pre-request scripts and scripts without a request are
    /// only skipped.
    keep: bool,
}

/// What a line that starts with `>` or `<>` is, once recognised.
enum TrailerLine {
    /// `> {%`: the offset just after `{%`.
    Script(usize),
    /// `> path`: the path.
    File(TextRange),
    /// `<> path`: the path.
    Ref(TextRange),
    /// `>> path` or `>>! path`: JetBrains' response redirection. Not modelled; skipped.
    Redirect,
}

/// The block being read.
#[derive(Default)]
struct Block {
    separator: Option<TextRange>,
    /// The trimmed text after `###`, when there is some.
    separator_name: Option<TextRange>,
    /// The first line that belongs to the request: the separator, else the first line of
    /// the preamble that is not blank or a file variable.
    start: Option<usize>,
    /// End of the last non-blank line of the block.
    last_end: usize,
    /// Metadata seen so far in the preamble; moved into the request at its request line.
    metadata: SmallVec<[Metadata; 1]>,
    /// Whether the block has a request line: the request is then `out.requests.last()`,
    /// built in place.
    has_request: bool,
    zone: Zone,
    /// Start of the first body line (not blank, not a comment).
    body_start: Option<usize>,
    /// End of the last body line (not blank, not a comment).
    body_end: usize,
    input_files: Vec<TextRange>,
    /// Comment lines at column 0 since the last line of the request: they belong to the
    /// next request when one starts right after them.
    run: Option<CommentRun>,
}

/// A run of comment lines after a request's last line.
struct CommentRun {
    /// Its first line's start.
    start: usize,
    /// Whether a blank line came before it.
    after_blank: bool,
    /// The block's `last_end` before the run.
    last_end: usize,
    /// Its `# @key value` lines.
    metadata: SmallVec<[Metadata; 1]>,
}

/// A block of lines that is not part of any request, open until its end line.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OpenBlock {
    /// httpyac's `{{` … `}}` script: where its first line starts (trimmed) and ends.
    Js { start: usize, content: usize },
    /// `/*` … `*/`.
    Comment(usize),
    /// A GraphQL `fragment` before the request line, up to a blank line (httpyac).
    Graphql,
}

struct Parser<'a> {
    b: &'a [u8],
    out: HttpFile,
    block: Block,
    script: Option<OpenScript>,
    open: Option<OpenBlock>,
    /// Whether the last line was blank.
    prev_blank: bool,
    /// After httpyac's `proto < file`: its `option: value` lines follow.
    proto_options: bool,
    /// Inside a curl command: the last line ended with `\`.
    curl: Option<CurlState>,
}

/// A curl command line being read: the option whose value comes next.
#[derive(Clone, Copy, PartialEq, Eq)]
enum CurlState {
    /// The next argument is an option or the URL.
    Args,
    /// The next argument is the value of `-X`/`--request`, `--url`, `-H`/`--header`, or of
    /// another option that takes one.
    Method,
    Url,
    Header,
    Value,
}

impl<'a> Parser<'a> {
    fn new(b: &'a [u8], start: usize) -> Parser<'a> {
        // A SIMD count of `###` gives the number of requests closely enough to allocate
        // once (`Request` is large, and growth would copy them all).
        let requests = memmem::find_iter(&b[start..], b"\n###").count() + 1;
        let out = HttpFile {
            requests: Vec::with_capacity(requests),
            ..HttpFile::default()
        };
        Parser {
            b,
            out,
            block: Block::default(),
            script: None,
            open: None,
            prev_blank: false,
            proto_options: false,
            curl: None,
        }
    }

    /// The request of the current block, when it has one.
    fn request(&mut self) -> Option<&mut Request> {
        if self.block.has_request {
            self.out.requests.last_mut()
        } else {
            None
        }
    }

    fn line(&mut self, start: usize, end: usize) {
        let line = &self.b[start..end];
        if self.script.is_some() {
            // The spec forbids `###` inside a script: it ends the script (and the request),
            // so an unclosed `{%` does not swallow the rest of the file while it is typed.
            if !line.starts_with(b"###") {
                self.script_line(start, end);
                return;
            }
            self.unterminated_script();
        }
        if let Some(state) = self.curl.take() {
            if !line.starts_with(b"###") {
                self.block.last_end = end;
                self.curl_args(state, start, end);
                return;
            }
        }
        if line.starts_with(b"###") {
            self.close_open_block(start);
            self.separator(start, end);
            self.prev_blank = false;
            return;
        }
        let (ts, te) = trim(self.b, start, end);
        let prev_blank = std::mem::replace(&mut self.prev_blank, ts == te);
        if self.open.is_some() {
            self.open_block_line(start, ts, te);
            return;
        }
        if ts == te {
            if self.block.zone == Zone::Headers {
                self.block.zone = Zone::Body;
            }
            return;
        }
        let l = Line { start, end, ts, te };
        if self.block.has_request && self.next_request(l, prev_blank) {
            return;
        }
        self.block.last_end = end;
        if self.block_start(l, prev_blank) {
            return;
        }
        match self.block.zone {
            Zone::Preamble => self.preamble_line(l),
            Zone::Headers => self.header_line(l),
            Zone::Body => self.body_line(l),
            Zone::Trailer => self.trailer_line(l),
        }
    }

    /// Whether `l`, in a block that has its request, starts the next request without a
    /// `###` line — as httpyac and kulala read it, and as the author evidently meant: a
    /// request line at column 0 with a method some dialect sends and a target without
    /// blanks, right after the headers or the handlers, or after a blank line in a body.
    /// Comment lines right before it go with it. Keeps track of those comment lines.
    fn next_request(&mut self, l: Line, prev_blank: bool) -> bool {
        let b = self.b;
        let at_col0 = l.ts == l.start;
        if at_col0 && is_comment(&b[l.ts..l.te]) {
            let last_end = self.block.last_end;
            let run = self.block.run.get_or_insert_with(|| CommentRun {
                start: l.ts,
                after_blank: prev_blank,
                last_end,
                metadata: SmallVec::new(),
            });
            if let Some(m) = metadata(b, l.ts, l.te) {
                run.metadata.push(m);
            }
            return false;
        }
        let run = self.block.run.take();
        if !at_col0 || !is_request_line(b, l.ts, l.te) {
            return false;
        }
        let after_blank = run.as_ref().map_or(prev_blank, |r| r.after_blank);
        if self.block.zone == Zone::Body && (!after_blank || self.in_mixed_body(l.start)) {
            return false;
        }
        if let Some(run) = &run {
            self.block.last_end = run.last_end;
        }
        self.finish_block();
        let start = run.as_ref().map_or(l.ts, |r| r.start);
        self.out.notes.push(Note {
            range: TextRange::from_usize(l.ts, l.te),
            kind: NoteKind::MissingSeparator {
                at: crate::text::to_u32(start),
            },
        });
        if let Some(run) = run {
            self.block.start = Some(run.start);
            self.block.metadata = run.metadata;
        }
        self.block.last_end = l.end;
        self.request_line(l);
        true
    }

    /// Whether `at` lies inside a `multipart/mixed` body (an OData `$batch`) before its
    /// closing boundary: the request lines of its parts are the body's, not requests of their
    /// own (httpyac reads them so).
    fn in_mixed_body(&self, at: usize) -> bool {
        let b = self.b;
        let Some(req) = self.out.requests.last() else {
            return false;
        };
        let Some(value) = req
            .headers
            .iter()
            .find(|h| b[h.name.as_usize()].eq_ignore_ascii_case(b"content-type"))
            .and_then(|h| h.value.first())
            .map(|v| &b[v.as_usize()])
        else {
            return false;
        };
        if memmem::find(&value.to_ascii_lowercase(), b"multipart/mixed").is_none() {
            return false;
        }
        let boundary = memmem::find(value, b"boundary=").map_or(&b""[..], |i| {
            let rest = &value[i + b"boundary=".len()..];
            let end = rest
                .iter()
                .position(|&c| c == b';' || is_ws(c))
                .unwrap_or(rest.len());
            let quoted = &rest[..end];
            quoted
                .strip_prefix(b"\"")
                .and_then(|q| q.strip_suffix(b"\""))
                .unwrap_or(quoted)
        });
        let body = self.block.body_start.map_or(&b""[..], |s| &b[s..at.max(s)]);
        let mut close = Vec::with_capacity(boundary.len() + 4);
        close.extend_from_slice(b"--");
        close.extend_from_slice(boundary);
        close.extend_from_slice(b"--");
        memmem::find(body, &close).is_none()
    }

    /// Starts a block that belongs to no request where one may stand: httpyac's `{{ … }}`
    /// scripts and `/* … */` comments (before the request line, after the headers, after a
    /// body and a blank line, among the handlers) and GraphQL fragments before the request
    /// line. True when `l` started one.
    fn block_start(&mut self, l: Line, prev_blank: bool) -> bool {
        let b = self.b;
        let text = &b[l.ts..l.te];
        let zone = self.block.zone;
        let here = match zone {
            Zone::Preamble | Zone::Trailer => true,
            Zone::Headers => l.ts == l.start,
            Zone::Body => prev_blank,
        };
        if !here {
            return false;
        }
        let open = if is_js_start(text) {
            OpenBlock::Js {
                start: l.ts,
                content: l.end,
            }
        } else if text == b"/*" {
            OpenBlock::Comment(l.ts)
        } else if zone == Zone::Preamble && is_graphql_fragment(text) {
            OpenBlock::Graphql
        } else {
            return false;
        };
        if zone != Zone::Preamble && (zone != Zone::Body || self.block.body_start.is_some()) {
            self.block.zone = Zone::Trailer;
        }
        if zone == Zone::Preamble && !self.block.has_request {
            self.block.start.get_or_insert(l.ts);
        }
        self.open = Some(open);
        true
    }

    /// A line inside an open block: its end line closes it.
    fn open_block_line(&mut self, start: usize, ts: usize, te: usize) {
        let b = self.b;
        let text = &b[ts..te];
        match self.open {
            Some(OpenBlock::Js { content, .. }) if text == b"}}" => {
                let (cs, ce) = trim_all(b, content, start);
                if cs < ce {
                    self.out.scripts.push(TextRange::from_usize(cs, ce));
                }
                self.open = None;
            }
            Some(OpenBlock::Comment(_)) if text.ends_with(b"*/") => self.open = None,
            Some(OpenBlock::Graphql) if ts == te => self.open = None,
            _ => {}
        }
        if ts < te && self.block.has_request {
            self.block.last_end = te;
        }
    }

    /// Ends an open block at a `###` line or the end of the file (`at`).
    fn close_open_block(&mut self, at: usize) {
        match self.open.take() {
            Some(OpenBlock::Js { start, content }) => {
                let (cs, ce) = trim_all(self.b, content, at);
                if cs < ce {
                    self.out.scripts.push(TextRange::from_usize(cs, ce));
                }
                let te = trim_end(self.b, start, content);
                self.error(start, te, "unterminated script: `}}` is missing");
            }
            Some(OpenBlock::Comment(ts)) => {
                self.error(ts, ts + 2, "unterminated comment: `*/` is missing");
            }
            Some(OpenBlock::Graphql) | None => {}
        }
    }

    fn finish(mut self) -> HttpFile {
        self.close_open_block(self.b.len());
        self.finish_block();
        // Errors are pushed in file order except the few checked when a block ends.
        self.out.errors.sort_by_key(|e| e.range.start);
        self.out
    }

    fn error(&mut self, start: usize, end: usize, message: impl Into<String>) {
        self.out
            .errors
            .push(SyntaxError::new(TextRange::from_usize(start, end), message));
    }

    fn separator(&mut self, start: usize, end: usize) {
        self.finish_block();
        // `#### name` and `### ###` decorations: every `#` of the run belongs to the separator.
        let mut name_start = start + 3;
        while name_start < end && self.b[name_start] == b'#' {
            name_start += 1;
        }
        let (ns, ne) = trim(self.b, name_start, end);
        self.block.separator = Some(TextRange::from_usize(start, end));
        self.block.separator_name = (ns < ne).then(|| TextRange::from_usize(ns, ne));
        self.block.start = Some(start);
        self.block.last_end = end;
    }

    fn finish_block(&mut self) {
        if self.script.is_some() {
            self.unterminated_script();
        }
        let block = std::mem::take(&mut self.block);
        if !block.has_request {
            return;
        }
        let Some(req) = self.out.requests.last_mut() else {
            return;
        };
        if let Some(body_start) = block.body_start {
            req.body = Some(Body {
                range: TextRange::from_usize(body_start, block.body_end),
                input_files: block.input_files,
            });
        }
        let start = block.start.unwrap_or(req.request_line.start as usize);
        req.range = TextRange::from_usize(start, block.last_end.max(start));
        req.separator = block.separator;
        req.name = req
            .metadata
            .iter()
            .rev()
            .find(|m| self.b.get(m.key.as_usize()) == Some(b"name") && !m.value.is_empty())
            .map(|m| m.value)
            .or(block.separator_name);
        if let (Some(method), true) = (req.method, req.target.is_empty()) {
            let message = "missing request target after the method";
            self.out.errors.push(SyntaxError::new(method, message));
        }
    }

    // --- preamble ----------------------------------------------------------------------

    fn preamble_line(&mut self, l: Line) {
        let b = self.b;
        let first = b[l.ts];
        if std::mem::take(&mut self.proto_options)
            && header_colon(&b[l.ts..l.te]).is_some_and(|c| is_header_name(&b[l.ts..l.ts + c]))
        {
            self.proto_options = true;
            return;
        }
        if first == b'@' {
            if !self.variable(l) {
                self.error(l.ts, l.te, "expected a file variable `@name = value`");
            }
            return;
        }
        self.block.start.get_or_insert(l.ts);
        if is_comment(&b[l.ts..l.te]) {
            if let Some(m) = metadata(b, l.ts, l.te) {
                self.block.metadata.push(m);
            }
            return;
        }
        if first == b'>' || b[l.ts..].starts_with(b"<>") {
            let message = if first == b'>' {
                "a response handler needs a request line before it"
            } else {
                "a response reference needs a request line before it"
            };
            self.error(l.ts, l.te, message);
            if let Some(TrailerLine::Script(content_start)) = trailer_line(b, l.ts, l.te) {
                self.open_script(l.ts, content_start, l.end, false);
            }
            return;
        }
        if first == b'<' {
            // A pre-request script: `< {% … %}` or `< ./script.js`. Not modelled; skipped.
            let p = skip_ws(b, l.ts + 1, l.te);
            if b[p..l.te].starts_with(b"{%") {
                self.open_script(l.ts, p + 2, l.end, false);
                return;
            }
            if p > l.ts + 1 {
                self.out.script_files.push(TextRange::from_usize(p, l.te));
                return;
            }
        }
        if self.directive(l) {
            return;
        }
        if b[l.ts..l.te].starts_with(b"curl ") {
            self.request_line(Line { te: l.ts + 4, ..l });
            if let Some(req) = self.request() {
                req.curl = true;
                req.target.clear();
                req.request_line = TextRange::from_usize(l.ts, l.te);
            }
            self.curl_args(CurlState::Args, l.ts + 5, l.te);
            return;
        }
        self.request_line(l);
    }

    /// kulala's `import path` and `run #name` / `run path`, and httpyac's `proto < path` and
    /// `gql [name] < path` (files read when the request is sent). True when `l` is one.
    fn directive(&mut self, l: Line) -> bool {
        let b = self.b;
        let word_end = find_ws(b, l.ts, l.te);
        let arg = skip_ws(b, word_end, l.te);
        if arg == word_end || arg == l.te {
            return false;
        }
        let kind = match &b[l.ts..word_end] {
            b"import" => DirectiveKind::Import,
            b"run" => DirectiveKind::Run,
            // `proto < path`, `gql [name] < path`: not requests, nothing to keep.
            word @ (b"proto" | b"gql") => {
                let rest = &b[arg..l.te];
                let input = rest.starts_with(b"< ");
                self.proto_options = input && word == b"proto";
                return input || word == b"gql" && memmem::find(rest, b" < ").is_some();
            }
            _ => return false,
        };
        // `run #name (@id=1)`: the target is the first word.
        let target_end = find_ws(b, arg, l.te);
        self.out.directives.push(Directive {
            range: TextRange::from_usize(l.ts, l.te),
            kind,
            target: TextRange::from_usize(arg, target_end),
        });
        true
    }

    /// The arguments of a curl command in `s..e`, the option before them in `state`; keeps
    /// reading on the next line when this one ends with `\`.
    fn curl_args(&mut self, mut state: CurlState, s: usize, e: usize) {
        let b = self.b;
        let mut p = s;
        let mut continues = false;
        loop {
            p = skip_ws(b, p, e);
            if p >= e {
                break;
            }
            if b[p] == b'\\' && skip_ws(b, p + 1, e) == e {
                continues = true;
                break;
            }
            let option = b[p] == b'-';
            let (arg, next) = curl_word(b, p, e);
            p = next.max(p + 1);
            let text = &b[arg.as_usize()];
            state = match state {
                CurlState::Args if option => curl_option(text),
                CurlState::Args | CurlState::Url => {
                    if let Some(req) = self.request()
                        && req.target.is_empty()
                        && !arg.is_empty()
                    {
                        req.target.push(arg);
                    }
                    CurlState::Args
                }
                CurlState::Method => {
                    if let Some(req) = self.request() {
                        req.method = Some(arg);
                    }
                    CurlState::Args
                }
                CurlState::Header => {
                    if let Some(colon) = header_colon(text) {
                        let start = arg.start as usize;
                        let name_end = trim_end(b, start, start + colon);
                        let vs = skip_ws(b, start + colon + 1, arg.end as usize);
                        if let Some(req) = self.request() {
                            req.headers.push(Header {
                                range: arg,
                                name: TextRange::from_usize(start, name_end),
                                value: smallvec::smallvec![TextRange::from_usize(
                                    vs,
                                    arg.end as usize
                                )],
                            });
                        }
                    }
                    CurlState::Args
                }
                CurlState::Value => CurlState::Args,
            };
        }
        if let Some(req) = self.request() {
            req.request_line.end =
                crate::text::to_u32(trim_end(b, s, e).max(req.request_line.end as usize));
        }
        self.curl = continues.then_some(state);
    }

    /// `[METHOD SP] target [SP HTTP/x.y]`.
    fn request_line(&mut self, l: Line) {
        let b = self.b;
        let word_end = find_ws(b, l.ts, l.te);
        let word = &b[l.ts..word_end];
        let rest = skip_ws(b, word_end, l.te);
        let mut method = None;
        let mut target_start = l.ts;
        if word.iter().all(|&c| c.is_ascii_alphabetic() || c == b'-') && word[0] != b'-' {
            let upper = word.iter().all(|&c| c.is_ascii_uppercase() || c == b'-');
            let known = METHODS
                .iter()
                .find(|m| m.as_bytes().eq_ignore_ascii_case(word));
            // A lone capitalised word that is no method is a target (`localhost`, say).
            if known.is_some() || (upper && rest < l.te) {
                method = Some(TextRange::from_usize(l.ts, word_end));
                target_start = rest;
                if let (false, Some(_)) = (upper, known) {
                    // REST Client and kulala match methods without regard to case; JetBrains'
                    // format and httpyac want capitals.
                    self.out.notes.push(Note {
                        range: TextRange::from_usize(l.ts, word_end),
                        kind: NoteKind::LowerCaseMethod,
                    });
                } else if upper && !is_known_method(word) {
                    self.error(
                        l.ts,
                        word_end,
                        format!(
                            "unknown method `{}`: no client sends it (GET, POST, PUT, PATCH, DELETE, …)",
                            String::from_utf8_lossy(word)
                        ),
                    );
                }
            }
        }
        let (target_end, version) = split_version(b, target_start, l.te, method.is_some());
        let mut target = Ranges::new();
        if target_start < target_end {
            target.push(TextRange::from_usize(target_start, target_end));
            // httpyac, REST Client, kulala and Visual Studio take the whole line up to
            // ` HTTP/x` for the URL and encode its blanks; JetBrains' format wants `%20`.
            let target = &b[target_start..target_end];
            if let Some(blank) = blank_outside_braces(target) {
                // Before the path, a blank is in the host (or is no URL at all: a command
                // line): no client sends that.
                let after_scheme = memmem::find(&target[..blank], b"://").map_or(0, |i| i + 3);
                if !target[after_scheme..blank]
                    .iter()
                    .any(|c| matches!(c, b'/' | b'?' | b'#'))
                {
                    self.error(
                        target_start,
                        target_end,
                        "a blank before the URL's path: a host cannot hold blanks, and no client sends this (write a blank in a URL as `%20`)",
                    );
                } else {
                    self.out.notes.push(Note {
                        range: TextRange::from_usize(target_start, target_end),
                        kind: NoteKind::BlankInTarget,
                    });
                }
            }
        }
        self.block.has_request = true;
        self.out.requests.push(Request {
            range: TextRange::default(),
            separator: None,
            name: None,
            metadata: std::mem::take(&mut self.block.metadata),
            method,
            target,
            version,
            request_line: TextRange::from_usize(l.ts, l.te),
            headers: Vec::new(),
            body: None,
            handlers: Vec::new(),
            response_refs: Vec::new(),
            curl: false,
        });
        self.block.zone = Zone::Headers;
    }

    // --- headers -----------------------------------------------------------------------

    fn header_line(&mut self, l: Line) {
        let b = self.b;
        let no_headers = self.request().is_none_or(|r| r.headers.is_empty());
        let no_target = self.request().is_some_and(|r| r.target.is_empty());
        let text = &b[l.ts..l.te];
        let indented = l.ts > l.start;
        // A body without its blank line (httpyac reads it so): JSON or markup at column 0,
        // or right after the request line however indented; a JSON body is never a header
        // nor a part of the URL.
        // httpyac also takes a line that is one `{{expression}}` for the body.
        // So does a line that starts with a variable and is no header (`{{cqn:}} {…}`, where
        // REST Client's variable holds a header line and the blank line).
        let expression = !indented
            && text.starts_with(b"{{")
            && header_colon(text).is_none_or(|c| !is_header_name(text[..c].trim_ascii()));
        if starts_body(text) && (!indented || no_headers)
            || indented && no_headers && text[0] == b'"'
            || expression
        {
            self.body_without_blank_line(l);
            return;
        }
        // A comment among the target's lines (`# &$select=…`, `// …`) is left out of it, as
        // every dialect leaves comments out (httpyac, REST Client).
        if no_headers && !no_target && is_target_comment(text) {
            return;
        }
        // A query line (`&$expand=items`, `?page=2`) right after the request line continues
        // the target at any indentation: REST Client and httpyac join it to the URL.
        let query = no_headers && !no_target && is_query_line(text);
        // An indented line right after the request line continues the target when it looks
        // like a part of a URL, or when it is no header either (JetBrains' reading).
        let continues = query
            || indented
                && (!no_headers
                    || no_target
                    || is_url_part(b, l.ts, l.te)
                    || header_colon(text).is_none_or(|c| !is_header_name(text[..c].trim_ascii())));
        if continues {
            let Some(req) = self.request() else {
                return;
            };
            // An indented line continues the last header's value, or the target when no
            // header has been read yet and it looks like a part of a URL.
            let part = TextRange::from_usize(l.ts, l.te);
            if let Some(header) = req.headers.last_mut() {
                match header.value.as_mut_slice() {
                    [only] if only.is_empty() => *only = part,
                    _ => header.value.push(part),
                }
                header.range.end = part.end;
            } else {
                let (target_end, version) = split_version(b, l.ts, l.te, true);
                if l.ts < target_end {
                    req.target.push(TextRange::from_usize(l.ts, target_end));
                }
                if version.is_some() {
                    req.version = version;
                }
                req.request_line.end = part.end;
            }
            return;
        }
        // Comments, and httpyac's `...defaultHeaders` (the headers of an object a script
        // exports) are no headers of their own.
        if is_comment(text) || is_header_spread(text) {
            return;
        }
        // Leniency: handlers, references and `< file` bodies right after the headers, with
        // the blank line left out, are read as what they obviously are.
        if trailer_line(b, l.ts, l.te).is_some() {
            self.block.zone = Zone::Trailer;
            self.trailer_line(l);
            return;
        }
        if input_file(b, l.ts, l.te).is_some() {
            self.block.zone = Zone::Body;
            self.body_line(l);
            return;
        }
        if text[0] == b'@' && self.variable(l) {
            return;
        }
        let Some(colon) = header_colon(text).map(|i| l.ts + i) else {
            // No header: httpyac starts the body here, JetBrains' format wants a blank line.
            self.body_without_blank_line(l);
            return;
        };
        let name_end = trim_end(b, l.ts, colon);
        if name_end == l.ts {
            self.error(l.ts, l.te, "missing header name before `:`");
            return;
        }
        let value_start = skip_ws(b, colon + 1, l.te);
        let value = if value_start < l.te {
            TextRange::from_usize(value_start, l.te)
        } else {
            TextRange::from_usize(colon + 1, colon + 1)
        };
        // The spec takes any text before the colon as the name; one that cannot be sent is
        // kept, and reported (most often it is a body that lacks its blank line).
        if !is_header_name(&b[l.ts..name_end]) {
            self.error(
                l.ts,
                name_end,
                "invalid header name; is a blank line missing before the body?",
            );
        }
        let Some(req) = self.request() else {
            return;
        };
        req.headers.push(Header {
            range: TextRange::from_usize(l.ts, l.te),
            name: TextRange::from_usize(l.ts, name_end),
            value: smallvec::smallvec![value],
        });
    }

    /// A body that starts at `l`, right after the request line or the headers.
    fn body_without_blank_line(&mut self, l: Line) {
        self.out.notes.push(Note {
            range: TextRange::from_usize(l.ts, l.te),
            kind: NoteKind::MissingBlankLine {
                at: crate::text::to_u32(l.start),
            },
        });
        self.block.zone = Zone::Body;
        self.body_line(l);
    }

    // --- body --------------------------------------------------------------------------

    fn body_line(&mut self, l: Line) {
        let b = self.b;
        // Handlers start at column 0: an indented `> text` is body text.
        if l.ts == l.start && trailer_line(b, l.ts, l.te).is_some() {
            self.block.zone = Zone::Trailer;
            self.trailer_line(l);
            return;
        }
        let text = &b[l.ts..l.te];
        // The spec allows comments in the body; they are not sent, so they do not count
        // for the body's range (a body of comments only is no body).
        if is_comment(text) {
            return;
        }
        // Variables between the headers' blank line and the body are file variables; once
        // the body has started, `@x = y` is body text.
        if self.block.body_start.is_none() && text[0] == b'@' && self.variable(l) {
            return;
        }
        self.block.body_start.get_or_insert(l.start);
        self.block.body_end = l.end;
        if let Some(path) = input_file(b, l.ts, l.te) {
            self.block.input_files.push(path);
        }
    }

    // --- handlers and references -------------------------------------------------------

    fn trailer_line(&mut self, l: Line) {
        let b = self.b;
        match trailer_line(b, l.ts, l.te) {
            Some(TrailerLine::Script(content_start)) => {
                self.open_script(l.ts, content_start, l.end, true);
            }
            Some(TrailerLine::File(path)) => {
                if let Some(req) = self.request() {
                    req.handlers.push(Handler {
                        range: TextRange::from_usize(l.ts, l.te),
                        kind: HandlerKind::File,
                        content: path,
                    });
                }
            }
            Some(TrailerLine::Ref(path)) => {
                if let Some(req) = self.request() {
                    req.response_refs.push(path);
                }
            }
            Some(TrailerLine::Redirect) => {}
            None => {
                let text = &b[l.ts..l.te];
                if is_comment(text) || (text[0] == b'@' && self.variable(l)) {
                    return;
                }
                let message = if text[0] == b'>' {
                    "expected a script `> {% … %}` or a file path `> ./handler.js`"
                } else if text.starts_with(b"<>") {
                    "expected a file path after `<>`"
                } else {
                    "unexpected text after the response handlers; a new request starts with `###`"
                };
                self.error(l.ts, l.te, message);
            }
        }
    }

    /// A script opened at `start` (`>` or `<`), its content starting at `content_start` on
    /// the line that ends at `line_end`.
    fn open_script(&mut self, start: usize, content_start: usize, line_end: usize, keep: bool) {
        self.script = Some(OpenScript {
            start,
            content_start,
            last_end: line_end,
            keep,
        });
        if let Some(i) = memmem::find(&self.b[content_start..line_end], b"%}") {
            self.close_script(content_start + i, line_end);
        }
    }

    fn script_line(&mut self, start: usize, end: usize) {
        if let Some(i) = memmem::find(&self.b[start..end], b"%}") {
            self.block.last_end = end;
            self.close_script(start + i, end);
        } else if trim(self.b, start, end).0 < end {
            self.block.last_end = end;
            if let Some(script) = self.script.as_mut() {
                script.last_end = end;
            }
        }
    }

    /// Closes the open script at `close` (the offset of `%}`) on a line ending at `line_end`.
    fn close_script(&mut self, close: usize, line_end: usize) {
        let Some(script) = self.script.take() else {
            return;
        };
        let after = close + 2;
        self.keep_script(&script, close, after);
        let (ts, te) = trim(self.b, after, line_end);
        if ts < te {
            self.error(ts, te, "unexpected text after `%}`");
        }
    }

    fn unterminated_script(&mut self) {
        let Some(script) = self.script.take() else {
            return;
        };
        self.error(
            script.start,
            script.content_start,
            "unterminated script: `%}` is missing",
        );
        self.keep_script(&script, script.last_end, script.last_end);
    }

    fn keep_script(&mut self, script: &OpenScript, content_end: usize, end: usize) {
        let (cs, ce) = trim_all(self.b, script.content_start, content_end);
        if !script.keep {
            // A pre-request script (or a handler without a request): its content is kept
            // for the names it sets.
            if cs < ce {
                self.out.scripts.push(TextRange::from_usize(cs, ce));
            }
            return;
        }
        if let Some(req) = self.request() {
            req.handlers.push(Handler {
                range: TextRange::from_usize(script.start, end),
                kind: HandlerKind::Script,
                content: TextRange::from_usize(cs, ce),
            });
        }
    }

    /// Reads `@name = value`; false (and nothing recorded) when the line is not one.
    fn variable(&mut self, l: Line) -> bool {
        let b = self.b;
        let name_start = l.ts + 1;
        let mut name_end = find(b, name_start, l.te, |c| is_ws(c) || c == b'=' || c == b':');
        // REST Client takes the name up to a blank or `=`, colons included (`@cqn: = …` is
        // used as `{{cqn:}}`); `:=` right after the name is httpyac's lazy form.
        let colons = find(b, name_end, l.te, |c| c != b':');
        if colons > name_end && !b[colons..l.te].starts_with(b"=") {
            name_end = find(b, colons, l.te, |c| is_ws(c) || c == b'=');
        }
        let mut eq = skip_ws(b, name_end, l.te);
        // httpyac's lazy `@name := value`, worked out when it is used.
        if b[eq..l.te].starts_with(b":=") {
            eq += 1;
        }
        if name_end == name_start || eq >= l.te {
            return false;
        }
        // httpyac also reads `@name value`, without `=`.
        let value_start = if b[eq] == b'=' {
            skip_ws(b, eq + 1, l.te)
        } else if eq > name_end && b[eq] != b':' {
            eq
        } else {
            return false;
        };
        self.out.variables.push(FileVariable {
            range: TextRange::from_usize(l.start, l.end),
            name: TextRange::from_usize(name_start, name_end),
            value: TextRange::from_usize(value_start, l.te),
        });
        true
    }
}

/// `# @key value` or `// @key value` (also `# @key = value`), trimmed to `ts..te`.
fn metadata(b: &[u8], ts: usize, te: usize) -> Option<Metadata> {
    let prefix = if b[ts] == b'#' { 1 } else { 2 };
    let at = skip_ws(b, ts + prefix, te);
    if b.get(at) != Some(&b'@') || at >= te {
        return None;
    }
    let key_end = find(b, at + 1, te, |c| is_ws(c) || c == b'=');
    if key_end == at + 1 {
        return None;
    }
    let mut value_start = skip_ws(b, key_end, te);
    if value_start < te && b[value_start] == b'=' {
        value_start = skip_ws(b, value_start + 1, te);
    }
    Some(Metadata {
        range: TextRange::from_usize(ts, te),
        key: TextRange::from_usize(at + 1, key_end),
        value: TextRange::from_usize(value_start, te),
    })
}

/// Recognises `> {%`, `> path`, `<> path` and `>> path` in the trimmed text `ts..te`.
fn trailer_line(b: &[u8], ts: usize, te: usize) -> Option<TrailerLine> {
    let text = &b[ts..te];
    if text.starts_with(b"<>") {
        let p = skip_ws(b, ts + 2, te);
        return (p < te).then(|| TrailerLine::Ref(TextRange::from_usize(p, te)));
    }
    if text.starts_with(b">>") {
        let bang = usize::from(text.get(2) == Some(&b'!'));
        return (skip_ws(b, ts + 2 + bang, te) < te).then_some(TrailerLine::Redirect);
    }
    if text.first() != Some(&b'>') {
        return None;
    }
    let p = skip_ws(b, ts + 1, te);
    if b[p..te].starts_with(b"{%") {
        Some(TrailerLine::Script(p + 2))
    } else if p > ts + 1 && p < te {
        Some(TrailerLine::File(TextRange::from_usize(p, te)))
    } else {
        None
    }
}

/// The path of `< path` (or `<@ path`, `<@latin1 path`: files with variables substituted),
/// in the trimmed text `ts..te`.
fn input_file(b: &[u8], ts: usize, te: usize) -> Option<TextRange> {
    if b[ts] != b'<' {
        return None;
    }
    let mut p = ts + 1;
    if b.get(p) == Some(&b'@') {
        p = find_ws(b, p, te);
    }
    let path = skip_ws(b, p, te);
    (path > p && path < te).then(|| TextRange::from_usize(path, te))
}

/// Splits a trailing ` HTTP/x.y` off `s..e`: the end of what comes before it, and the
/// version. With `whole`, the span may be the version alone.
fn split_version(b: &[u8], s: usize, e: usize, whole: bool) -> (usize, Option<TextRange>) {
    // Most lines end in no version: leave before scanning the line.
    if s == e || !b[e - 1].is_ascii_digit() {
        return (e, None);
    }
    let word_start = b[s..e]
        .iter()
        .rposition(|&c| is_ws(c))
        .map_or(s, |i| s + i + 1);
    if (word_start > s || whole) && is_version(&b[word_start..e]) {
        (
            trim_end(b, s, word_start),
            Some(TextRange::from_usize(word_start, e)),
        )
    } else {
        (e, None)
    }
}

/// `HTTP/` followed by a digit, then digits and dots: `HTTP/1.1`, `HTTP/2`, `HTTP/2.0`.
fn is_version(word: &[u8]) -> bool {
    word.strip_prefix(b"HTTP/").is_some_and(|v| {
        v.first().is_some_and(u8::is_ascii_digit)
            && v.iter().all(|&c| c.is_ascii_digit() || c == b'.')
    })
}

/// The bytes of an HTTP token (RFC 9110): letters, digits and ``!#$%&'*+-.^_`|~``.
static TCHAR: [bool; 256] = {
    let mut table = [false; 256];
    let mut c = 0;
    while c < 256 {
        let b = c as u8;
        table[c] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'..=b'\'' | b'*' | b'+' | b'-' | b'.' | b'^' | b'_' | b'`' | b'|' | b'~'
            );
        c += 1;
    }
    table
};

/// Whether `name` is an HTTP token (RFC 9110), `{{variables}}` allowed anywhere in it.
fn is_header_name(name: &[u8]) -> bool {
    let mut i = 0;
    while i < name.len() {
        if name[i..].starts_with(b"{{") {
            let Some(close) = crate::text::find_close_braces(&name[i + 2..]) else {
                return false;
            };
            i += close + 4;
        } else if TCHAR[usize::from(name[i])] {
            i += 1;
        } else {
            return false;
        }
    }
    true
}

fn is_comment(text: &[u8]) -> bool {
    text.starts_with(b"#") || text.starts_with(b"//")
}

/// Whether the trimmed text `ts..te` is a request line some dialect would start a request
/// with: a method it sends, then a target without blanks (outside `{{…}}`) that does not
/// open with JSON or markup, then maybe `HTTP/x`.
fn is_request_line(b: &[u8], ts: usize, te: usize) -> bool {
    let word_end = find_ws(b, ts, te);
    if word_end == te || !is_known_method(&b[ts..word_end]) {
        return false;
    }
    let t = skip_ws(b, word_end, te);
    let (target_end, _) = split_version(b, t, te, false);
    let target = &b[t..target_end];
    let opens_data = match target.first() {
        Some(b'{') => target.get(1) != Some(&b'{'),
        Some(c) => matches!(c, b'"' | b'[' | b'<' | b',' | b':'),
        None => true,
    };
    !opens_data && blank_outside_braces(target).is_none()
}

/// The offset of the first blank in `text` that is not inside `{{…}}`.
fn blank_outside_braces(text: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < text.len() {
        if text[i..].starts_with(b"{{") {
            match crate::text::find_close_braces(&text[i + 2..]) {
                Some(close) => i += close + 4,
                None => i += 2,
            }
        } else if is_ws(text[i]) {
            return Some(i);
        } else {
            i += 1;
        }
    }
    None
}

/// httpyac's script opener: a line of `{{`, maybe followed by `+` or `@` and the event the
/// script runs on (`{{@response`, `{{+after`, `{{@js request`), or `{{#`, the opener of
/// httpyac's first versions.
fn is_js_start(text: &[u8]) -> bool {
    let Some(rest) = text.strip_prefix(b"{{") else {
        return false;
    };
    let mut rest = rest.trim_ascii();
    if rest == b"#" {
        return true;
    }
    if let Some(r) = rest.strip_prefix(b"@js") {
        rest = r.trim_ascii_start();
    }
    if let Some(r) = rest.strip_prefix(b"+").or_else(|| rest.strip_prefix(b"@")) {
        rest = r;
    }
    rest.is_empty()
        || [
            "request",
            "streaming",
            "response",
            "after",
            "responselogging",
        ]
        .iter()
        .any(|e| e.as_bytes().eq_ignore_ascii_case(rest))
}

/// A GraphQL fragment definition's first line: `fragment Name on Type`.
fn is_graphql_fragment(text: &[u8]) -> bool {
    let Some(rest) = text.strip_prefix(b"fragment ") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    let name_end = rest.iter().position(|&c| is_ws(c)).unwrap_or(rest.len());
    name_end > 0 && rest[name_end..].trim_ascii_start().starts_with(b"on ")
}

/// Whether an indented line right after the request line continues its target: it starts
/// like a URL part (`/path`, `?q=1`, `&q=2`, `#frag`, `.com`, `:8080`, `{{var}}`) and has no
/// blanks but before a trailing `HTTP/x`. A JSON body or a header is never one.
fn is_url_part(b: &[u8], ts: usize, te: usize) -> bool {
    let (end, _) = split_version(b, ts, te, true);
    let text = &b[ts..end];
    let starts = match text.first() {
        Some(b'{') => text.starts_with(b"{{"),
        Some(c) => matches!(c, b'/' | b'?' | b'&' | b'#' | b'.' | b':' | b';' | b'='),
        None => true,
    };
    starts && blank_outside_braces(text).is_none()
}

/// A query line that continues a request target (REST Client's and httpyac's rule): `?` or `&`,
/// then `name=value` or a `{{variable}}`.
fn is_query_line(text: &[u8]) -> bool {
    let Some(rest) = text.strip_prefix(b"?").or_else(|| text.strip_prefix(b"&")) else {
        return false;
    };
    if rest.starts_with(b"{{") && rest.ends_with(b"}}") {
        return true;
    }
    let name_end = rest
        .iter()
        .position(|&c| matches!(c, b'=' | b'?' | b'&' | b'(' | b')'))
        .unwrap_or(rest.len());
    name_end > 0 && rest.get(name_end) == Some(&b'=')
}

/// A comment line among a target's continuation lines: `//`, or `#` followed by a blank or
/// nothing (`#fragment` is a part of the URL).
fn is_target_comment(text: &[u8]) -> bool {
    text.starts_with(b"//")
        || text
            .strip_prefix(b"#")
            .is_some_and(|r| r.first().is_none_or(|&c| is_ws(c) || c == b'#'))
}

/// One argument of a curl command at `p` (before `e`): its text without quotes (`'…'`,
/// `"…"`, `$'…'`), and where the next one may start.
fn curl_word(b: &[u8], p: usize, e: usize) -> (TextRange, usize) {
    let (open, start) = match b[p] {
        b'\'' | b'"' => (Some(b[p]), p + 1),
        b'$' if b.get(p + 1) == Some(&b'\'') && p + 1 < e => (Some(b'\''), p + 2),
        _ => (None, p),
    };
    match open {
        Some(q) => {
            let mut i = start;
            while i < e && b[i] != q {
                i += if b[i] == b'\\' && i + 1 < e { 2 } else { 1 };
            }
            (TextRange::from_usize(start, i.min(e)), (i + 1).min(e))
        }
        None => {
            let end = find_ws(b, start, e);
            (TextRange::from_usize(start, end), end)
        }
    }
}

/// What a curl option says the next argument is.
fn curl_option(option: &[u8]) -> CurlState {
    match option {
        b"-X" | b"--request" => CurlState::Method,
        b"--url" => CurlState::Url,
        b"-H" | b"--header" => CurlState::Header,
        b"-d" | b"--data" | b"--data-raw" | b"--data-binary" | b"--data-ascii"
        | b"--data-urlencode" | b"-F" | b"--form" | b"-u" | b"--user" | b"-A" | b"--user-agent"
        | b"-e" | b"--referer" | b"-b" | b"--cookie" | b"-o" | b"--output" | b"-m"
        | b"--max-time" | b"--connect-timeout" | b"-x" | b"--proxy" | b"-E" | b"--cert"
        | b"--key" | b"--cacert" | b"-T" | b"--upload-file" => CurlState::Value,
        _ => CurlState::Args,
    }
}

/// httpyac's `...name`: the headers of the object `name` (a script exports it).
fn is_header_spread(text: &[u8]) -> bool {
    text.strip_prefix(b"...")
        .is_some_and(|name| !name.is_empty() && name.iter().all(|&c| !is_ws(c)) && name[0] != b'.')
}

/// Whether a line at column 0 among the headers is a body whose blank line is missing:
/// JSON (`{`, `[`) or markup (`<tag`, `<?xml`).
fn starts_body(text: &[u8]) -> bool {
    match text {
        [b'{', b'{', ..] => false,
        [b'{' | b'[', ..] => true,
        [b'<', c, ..] => c.is_ascii_alphabetic() || matches!(c, b'?' | b'!'),
        _ => false,
    }
}

/// Blanks inside a line: space, tab and form feed (the spec's whitespace).
fn is_ws(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\x0c')
}

/// The first offset in `s..e` whose byte matches, or `e`.
fn find(b: &[u8], s: usize, e: usize, pred: impl Fn(u8) -> bool) -> usize {
    b[s..e].iter().position(|&c| pred(c)).map_or(e, |i| s + i)
}

fn find_ws(b: &[u8], s: usize, e: usize) -> usize {
    find(b, s, e, is_ws)
}

fn skip_ws(b: &[u8], s: usize, e: usize) -> usize {
    find(b, s, e, |c| !is_ws(c))
}

fn trim_end(b: &[u8], s: usize, e: usize) -> usize {
    b[s..e]
        .iter()
        .rposition(|&c| !is_ws(c))
        .map_or(s, |i| s + i + 1)
}

/// `s..e` without blanks at either end; an empty range at `e` when all blank.
fn trim(b: &[u8], s: usize, e: usize) -> (usize, usize) {
    let ts = skip_ws(b, s, e);
    (ts, trim_end(b, ts, e))
}

/// Like [`trim`], line breaks included (for script contents spread over lines).
fn trim_all(b: &[u8], s: usize, e: usize) -> (usize, usize) {
    let blank = |c: u8| is_ws(c) || c == b'\n' || c == b'\r';
    let ts = find(b, s, e, |c| !blank(c));
    let te = b[ts..e]
        .iter()
        .rposition(|&c| !blank(c))
        .map_or(ts, |i| ts + i + 1);
    (ts, te)
}

/// The colon that ends a header's name: the first one outside `{{…}}`, so that a name
/// built from a variable (`X-{{vault:a}}: v`, `{{name}}: v`) keeps its reference whole.
fn header_colon(text: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b':' => return Some(i),
            b'{' if text.get(i + 1) == Some(&b'{') => {
                match crate::text::find_close_braces(&text[i + 2..]) {
                    Some(end) => i += 2 + end + 2,
                    // Unterminated: the braces are plain text.
                    None => i += 2,
                }
            }
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;

    use expect_test::{Expect, expect};

    use super::*;

    /// Parses `text`, checks the invariants every range must hold, and compares a compact
    /// rendering with the snapshot.
    fn check(text: &str, expect: Expect) {
        let file = parse(text);
        check_ranges(text, &file);
        expect.assert_eq(&render(text, &file));
    }

    fn render(text: &str, file: &HttpFile) -> String {
        let s = |r: TextRange| format!("{:?}", r.slice(text));
        let mut out = String::new();
        for v in &file.variables {
            writeln!(out, "var {} = {}", s(v.name), s(v.value)).unwrap();
        }
        for r in &file.requests {
            writeln!(out, "request {:?}", r.range).unwrap();
            if let Some(sep) = r.separator {
                writeln!(out, "  separator {}", s(sep)).unwrap();
            }
            if let Some(name) = r.name {
                writeln!(out, "  name {}", s(name)).unwrap();
            }
            for m in &r.metadata {
                writeln!(out, "  @{} {}", m.key.slice(text), s(m.value)).unwrap();
            }
            let target: Vec<String> = r.target.iter().map(|&t| s(t)).collect();
            let target = if target.is_empty() {
                "<no target>".into()
            } else {
                target.join(" + ")
            };
            let method = r.method.map_or("-".into(), s);
            let version = r.version.map_or(String::new(), |v| format!(" {}", s(v)));
            writeln!(out, "  {method} {target}{version}").unwrap();
            for h in &r.headers {
                let value: Vec<String> = h.value.iter().map(|&v| s(v)).collect();
                writeln!(out, "  header {}: {}", s(h.name), value.join(" + ")).unwrap();
            }
            if let Some(body) = &r.body {
                writeln!(out, "  body {:?} {}", body.range, s(body.range)).unwrap();
                for &f in &body.input_files {
                    writeln!(out, "    < {}", s(f)).unwrap();
                }
            }
            for h in &r.handlers {
                writeln!(out, "  > {:?} {}", h.kind, s(h.content)).unwrap();
            }
            for &f in &r.response_refs {
                writeln!(out, "  <> {}", s(f)).unwrap();
            }
        }
        for script in &file.scripts {
            writeln!(out, "script {}", s(*script)).unwrap();
        }
        for d in &file.directives {
            writeln!(out, "{:?} {}", d.kind, s(d.target)).unwrap();
        }
        for &f in &file.script_files {
            writeln!(out, "script file {}", s(f)).unwrap();
        }
        for n in &file.notes {
            let (what, at) = match n.kind {
                NoteKind::MissingSeparator { at } => ("missing ###", at),
                NoteKind::MissingBlankLine { at } => ("missing blank line", at),
                NoteKind::BlankInTarget => ("blank in target", n.range.start),
                NoteKind::LowerCaseMethod => ("method in small letters", n.range.start),
            };
            writeln!(out, "note {} {what} at {at}", s(n.range)).unwrap();
        }
        for e in &file.errors {
            writeln!(out, "error {} {}", s(e.range), e.message).unwrap();
        }
        out
    }

    /// Every range lies inside the text on char boundaries and neither starts nor ends with
    /// a line break; single-line ranges hold none at all.
    fn check_ranges(text: &str, file: &HttpFile) {
        let mut multi_line = Vec::new();
        let mut single_line = Vec::new();
        for v in &file.variables {
            single_line.extend([v.range, v.name, v.value]);
        }
        for r in &file.requests {
            multi_line.push(r.range);
            multi_line.push(r.request_line);
            single_line.extend(r.separator.iter().chain(&r.name).chain(&r.method));
            single_line.extend(r.target.iter().chain(&r.version).chain(&r.response_refs));
            for m in &r.metadata {
                single_line.extend([m.range, m.key, m.value]);
            }
            for h in &r.headers {
                multi_line.push(h.range);
                single_line.push(h.name);
                single_line.extend(&h.value);
            }
            if let Some(body) = &r.body {
                multi_line.push(body.range);
                single_line.extend(&body.input_files);
            }
            for h in &r.handlers {
                multi_line.extend([h.range, h.content]);
            }
        }
        multi_line.extend(file.errors.iter().map(|e| e.range));
        multi_line.extend(file.scripts.iter().filter(|r| !r.is_empty()));
        single_line.extend(file.notes.iter().map(|n| n.range));
        for d in &file.directives {
            single_line.extend([d.range, d.target]);
        }
        single_line.extend(&file.script_files);
        for (range, single) in multi_line
            .iter()
            .map(|r| (r, false))
            .chain(single_line.iter().map(|r| (r, true)))
        {
            let Some(slice) = text.get(range.as_usize()) else {
                panic!("range {range:?} is off the text or off a char boundary");
            };
            let is_break = |c: char| c == '\n' || c == '\r';
            assert!(
                !slice.starts_with(is_break),
                "range {range:?} starts with a line break"
            );
            assert!(
                !slice.ends_with(is_break),
                "range {range:?} ends with a line break"
            );
            assert!(
                !single || !slice.contains(is_break),
                "range {range:?} spans lines"
            );
        }
    }

    #[test]
    fn every_listed_method_is_known() {
        // `is_known_method` turns away anything not in capitals and `-` before it compares:
        // a method listed otherwise would never be recognised.
        for m in METHODS.iter().chain(&OTHER_METHODS) {
            assert!(is_known_method(m.as_bytes()), "{m}");
        }
        assert!(!is_known_method(b"Get"));
        assert!(!is_known_method(b"Accept:"));
    }

    #[test]
    fn separators_and_names() {
        check(
            "GET http://a\n\n### second one  \nPOST http://b\n####\nGET http://c\n###\n\n### ### \n",
            expect![[r#####"
                request 0..12
                  "GET" "http://a"
                request 14..44
                  separator "### second one  "
                  name "second one"
                  "POST" "http://b"
                request 45..62
                  separator "####"
                  "GET" "http://c"
            "#####]],
        );
    }

    #[test]
    fn name_metadata_overrides_separator_text() {
        check(
            "### from separator\n# @name byHash\nGET /a\n\n### other\n// @name bySlashes\nGET /b\n\n###\n# @name\nGET /c\n",
            expect![[r####"
                request 0..40
                  separator "### from separator"
                  name "byHash"
                  @name "byHash"
                  "GET" "/a"
                request 42..77
                  separator "### other"
                  name "bySlashes"
                  @name "bySlashes"
                  "GET" "/b"
                request 79..97
                  separator "###"
                  @name ""
                  "GET" "/c"
            "####]],
        );
    }

    #[test]
    fn metadata() {
        check(
            "###\n# a plain comment\n# @no-redirect\n// @timeout 5 s\n# @name = login\n#@no-log\n# @ not metadata\nPOST /login\n# @after the request line is a comment\n",
            expect![[r####"
                request 0..145
                  separator "###"
                  name "login"
                  @no-redirect ""
                  @timeout "5 s"
                  @name "login"
                  @no-log ""
                  "POST" "/login"
            "####]],
        );
    }

    #[test]
    fn file_variables() {
        check(
            "@host = https://example.test\n@token={{vault:api-token}}\n  @empty =\n@spaced   =   a b  \n\n### r\n@inBlock = 1\nGET {{host}}/a\n@inHeaders = 2\nAccept: */*\n\n@beforeBody = 3\n{\"a\": 1}\n@inBody = 4\n\n> ./h.js\n@afterHandler = 5\n",
            expect![[r####"
                var "host" = "https://example.test"
                var "token" = "{{vault:api-token}}"
                var "empty" = ""
                var "spaced" = "a b"
                var "inBlock" = "1"
                var "inHeaders" = "2"
                var "beforeBody" = "3"
                var "afterHandler" = "5"
                request 88..214
                  separator "### r"
                  name "r"
                  "GET" "{{host}}/a"
                  header "Accept": "*/*"
                  body 166..186 "{\"a\": 1}\n@inBody = 4"
                  > File "./h.js"
            "####]],
        );
    }

    #[test]
    fn bad_file_variable_is_an_error_not_a_request() {
        check(
            "@nope\n@ = 1\nGET /a\n",
            expect![[r#####"
                request 12..18
                  "GET" "/a"
                error "@nope" expected a file variable `@name = value`
                error "@ = 1" expected a file variable `@name = value`
            "#####]],
        );
    }

    #[test]
    fn request_lines() {
        check(
            "http://example.com\n###\nOPTIONS * HTTP/1.1\n###\nPURGE /cache HTTP/2\n###\nlocalhost:8080/x\n###\nGET {{ host }}/a b HTTP/2.0\n###\nDELETE\n###\nget /lower\n###\nGET HTTP/1.1\n",
            expect![[r####"
                request 0..18
                  - "http://example.com"
                request 19..41
                  separator "###"
                  "OPTIONS" "*" "HTTP/1.1"
                request 42..65
                  separator "###"
                  "PURGE" "/cache" "HTTP/2"
                request 66..86
                  separator "###"
                  - "localhost:8080/x"
                request 87..118
                  separator "###"
                  "GET" "{{ host }}/a b" "HTTP/2.0"
                request 119..129
                  separator "###"
                  "DELETE" <no target>
                request 130..144
                  separator "###"
                  "get" "/lower"
                request 145..161
                  separator "###"
                  "GET" <no target> "HTTP/1.1"
                note "{{ host }}/a b" blank in target at 95
                note "get" method in small letters at 134
                error "DELETE" missing request target after the method
                error "GET" missing request target after the method
            "####]],
        );
    }

    #[test]
    fn multi_line_target_with_version() {
        check(
            "GET http://example.com/api/get\n ?id=42\n\t&id2=2 HTTP/1.1\nAccept: */*\n",
            expect![[r#"
                request 0..67
                  "GET" "http://example.com/api/get" + "?id=42" + "&id2=2" "HTTP/1.1"
                  header "Accept": "*/*"
            "#]],
        );
        let text = "POST https://x.test HTTP/2\n  /post\n  #frag\nA: b\n";
        let file = parse(text);
        let req = &file.requests[0];
        assert_eq!(req.url(text), "https://x.test/post#frag");
        assert_eq!(req.version.map(|v| v.slice(text)), Some("HTTP/2"));
        assert_eq!(
            req.request_line.slice(text),
            "POST https://x.test HTTP/2\n  /post\n  #frag"
        );
    }

    #[test]
    fn headers_continuations_and_comments() {
        check(
            "GET /a\n# comment 1\nHost:\nX-Long: first\n  second\n\tthird\n// comment 2\nX-Empty:\n   later\nX-Colon:a:b\n  # still a value\n\nbody\n",
            expect![[r##"
                request 0..121
                  "GET" "/a"
                  header "Host": ""
                  header "X-Long": "first" + "second" + "third"
                  header "X-Empty": "later"
                  header "X-Colon": "a:b" + "# still a value"
                  body 117..121 "body"
            "##]],
        );
        let text = "GET /a\nX-Long: first\n  second\nHost:\n";
        let file = parse(text);
        let headers = &file.requests[0].headers;
        assert_eq!(headers[0].value_text(text), "first second");
        assert_eq!(headers[0].range.slice(text), "X-Long: first\n  second");
        assert_eq!(headers[1].value[..], [TextRange::empty(35)]);
    }

    #[test]
    fn header_errors() {
        check(
            "POST /a\nContent-Type: application/json\n{{name}}: ok\nX-{{ a b }}-Id: ok\nContent Type: x\nX-Émoji: x\n\"a\": 1\n: no name\nnot a header\n",
            expect![[r#"
                request 0..128
                  "POST" "/a"
                  header "Content-Type": "application/json"
                  header "{{name}}": "ok"
                  header "X-{{ a b }}-Id": "ok"
                  header "Content Type": "x"
                  header "X-Émoji": "x"
                  header "\"a\"": "1"
                  body 116..128 "not a header"
                note "not a header" missing blank line at 116
                error "Content Type" invalid header name; is a blank line missing before the body?
                error "X-Émoji" invalid header name; is a blank line missing before the body?
                error "\"a\"" invalid header name; is a blank line missing before the body?
                error ": no name" missing header name before `:`
            "#]],
        );
    }

    #[test]
    fn bodies_and_input_files() {
        check(
            "POST /upload\nContent-Type: multipart/form-data; boundary=abcd\n\n\n--abcd\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\n\n< ./a.txt\n<@ ./with-vars.json\n<@latin1 ./latin.txt\n<tag>\n  < ./indented.bin\n--abcd--\n\n\n###\nPOST /only-file\n\n< ./body.json\n###\nPOST /comments-only\n\n# not sent\n",
            expect![[r####"
                request 0..215
                  "POST" "/upload"
                  header "Content-Type": "multipart/form-data; boundary=abcd"
                  body 64..215 "--abcd\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\n\n< ./a.txt\n<@ ./with-vars.json\n<@latin1 ./latin.txt\n<tag>\n  < ./indented.bin\n--abcd--"
                    < "./a.txt"
                    < "./with-vars.json"
                    < "./latin.txt"
                    < "./indented.bin"
                request 218..252
                  separator "###"
                  "POST" "/only-file"
                  body 239..252 "< ./body.json"
                    < "./body.json"
                request 253..288
                  separator "###"
                  "POST" "/comments-only"
            "####]],
        );
    }

    #[test]
    fn body_comments_and_trailing_blank_lines() {
        check(
            "POST /a\n\n# leading comment\n{\n  // inside\n  \"a\": 1\n}\n# trailing comment\n\n\n",
            expect![[r#"
                request 0..70
                  "POST" "/a"
                  body 27..51 "{\n  // inside\n  \"a\": 1\n}"
            "#]],
        );
    }

    #[test]
    fn script_handlers() {
        check(
            "GET /a\n\nbody\n> {%\n  client.test(\"ok\", () => {\n    client.assert(response.status === 200, \"> {% nope\");\n  });\n%}\n> {% client.global.set(\"t\", response.body.token) %}\n\n> ./check.js\n>> ./saved.json\n<> ./2024-01-01.200.json\n# a comment\n",
            expect![[r#"
                request 0..230
                  "GET" "/a"
                  body 8..12 "body"
                  > Script "client.test(\"ok\", () => {\n    client.assert(response.status === 200, \"> {% nope\");\n  });"
                  > Script "client.global.set(\"t\", response.body.token)"
                  > File "./check.js"
                  <> "./2024-01-01.200.json"
            "#]],
        );
    }

    #[test]
    fn handlers_without_body() {
        check(
            "GET /a\nAccept: */*\n\n> {% script %}\n###\nGET /b\n\n<> ./b.json\n###\nGET /c\n> ./direct.js\n",
            expect![[r#####"
                request 0..34
                  "GET" "/a"
                  header "Accept": "*/*"
                  > Script "script"
                request 35..58
                  separator "###"
                  "GET" "/b"
                  <> "./b.json"
                request 59..83
                  separator "###"
                  "GET" "/c"
                  > File "./direct.js"
            "#####]],
        );
    }

    #[test]
    fn handler_errors() {
        check(
            "GET /a\n\n> {% a %} extra\nstray text\n>\n<>\n###\n> {% orphan %}\n<> ./orphan.json\n###\nGET /b\n\n> {%\nunterminated\n\n###\nGET /c\n",
            expect![[r####"
                request 0..39
                  "GET" "/a"
                  > Script "a"
                request 76..105
                  separator "###"
                  "GET" "/b"
                  > Script "unterminated"
                request 107..117
                  separator "###"
                  "GET" "/c"
                script "orphan"
                error "extra" unexpected text after `%}`
                error "stray text" unexpected text after the response handlers; a new request starts with `###`
                error ">" expected a script `> {% … %}` or a file path `> ./handler.js`
                error "<>" expected a file path after `<>`
                error "> {% orphan %}" a response handler needs a request line before it
                error "<> ./orphan.json" a response reference needs a request line before it
                error "> {%" unterminated script: `%}` is missing
            "####]],
        );
    }

    #[test]
    fn dialect_pre_request_scripts() {
        check(
            "###\n< {%\n  request.variables.set(\"id\", \"1\")\n%}\n< ./pre.js\nGET /items/{{id}}\n",
            expect![[r####"
                request 0..75
                  separator "###"
                  "GET" "/items/{{id}}"
                script "request.variables.set(\"id\", \"1\")"
                script file "./pre.js"
            "####]],
        );
    }

    // Dialects: one test per row of README's dialect table.

    #[test]
    fn dialect_requests_without_separator() {
        check(
            "# @name a\nPOST http://x.test/a\nA: b\n\n# a comment\n# @name b\nPOST http://x.test/b\n\n{}\n\nGET {{host}}/c HTTP/1.1\n> {% client.global.set(\"t\", 1) %}\nGET /d\nGET /e\n",
            expect![[r#"
                request 0..35
                  name "a"
                  @name "a"
                  "POST" "http://x.test/a"
                  header "A": "b"
                request 37..83
                  name "b"
                  @name "b"
                  "POST" "http://x.test/b"
                  body 81..83 "{}"
                request 85..142
                  "GET" "{{host}}/c" "HTTP/1.1"
                  > Script "client.global.set(\"t\", 1)"
                request 143..149
                  "GET" "/d"
                request 150..156
                  "GET" "/e"
                note "POST http://x.test/b" missing ### at 37
                note "GET {{host}}/c HTTP/1.1" missing ### at 85
                note "GET /d" missing ### at 143
                note "GET /e" missing ### at 150
            "#]],
        );
        // A body that merely holds such words, or goes on without a blank line, stays one.
        check(
            "POST /a\n\nMESSAGE BODY\nGET the data\nGET /not-after-a-blank-line\n\nGET the data again\n",
            expect![[r#"
                request 0..82
                  "POST" "/a"
                  body 9..82 "MESSAGE BODY\nGET the data\nGET /not-after-a-blank-line\n\nGET the data again"
            "#]],
        );
    }

    #[test]
    fn dialect_body_without_blank_line() {
        check(
            "POST https://x.test/anything\n{\n  \"template\": 1\n}\n###\nPOST /b\nContent-Type: application/json\n[1, 2]\n###\nPOST /c\n  \"a\": 1\n###\nPOST /d\nContent-Type: application/xml\n<?xml version=\"1.0\"?>\n<a/>\n",
            expect![[r####"
                request 0..48
                  "POST" "https://x.test/anything"
                  body 29..48 "{\n  \"template\": 1\n}"
                request 49..98
                  separator "###"
                  "POST" "/b"
                  header "Content-Type": "application/json"
                  body 92..98 "[1, 2]"
                request 99..119
                  separator "###"
                  "POST" "/c"
                  body 111..119 "  \"a\": 1"
                request 120..188
                  separator "###"
                  "POST" "/d"
                  header "Content-Type": "application/xml"
                  body 162..188 "<?xml version=\"1.0\"?>\n<a/>"
                note "{" missing blank line at 29
                note "[1, 2]" missing blank line at 92
                note "\"a\": 1" missing blank line at 111
                note "<?xml version=\"1.0\"?>" missing blank line at 162
            "####]],
        );
    }

    #[test]
    fn dialect_target_continuation_only_for_url_parts() {
        check(
            "GET https://x.test/a\n  /b\n  ?q=1\n  &r={{r}}\n  Accept: */*\n###\nGET https://x.test\n    id=42\n",
            expect![[r####"
                request 0..57
                  "GET" "https://x.test/a" + "/b" + "?q=1" + "&r={{r}}"
                  header "Accept": "*/*"
                request 58..90
                  separator "###"
                  "GET" "https://x.test" + "id=42"
            "####]],
        );
    }

    #[test]
    fn dialect_httpyac_script_blocks() {
        check(
            "{{\n  const x = 1;\n  exports.token = x;\n}}\n\nPOST /a\n\n{\"a\": 1}\n\n{{@response\n  exports.id = response.parsedBody.id;\n}}\n\n###\n{{+after\n}}\nGET /b\n###\n{{\nexports.open = 1\n",
            expect![[r####"
                request 0..115
                  "POST" "/a"
                  body 52..60 "{\"a\": 1}"
                request 117..139
                  separator "###"
                  "GET" "/b"
                script "const x = 1;\n  exports.token = x;"
                script "exports.id = response.parsedBody.id;"
                script "exports.open = 1"
                error "{{" unterminated script: `}}` is missing
            "####]],
        );
    }

    #[test]
    fn dialect_block_comments() {
        check(
            "/*\nGET /not-a-request\n*/\nGET /a\n\n/*\n  a comment after the body\n*/\n###\n/*\nunterminated\n",
            expect![[r#"
                request 0..65
                  "GET" "/a"
                error "/*" unterminated comment: `*/` is missing
            "#]],
        );
    }

    #[test]
    fn dialect_graphql_and_proto_files() {
        check(
            "fragment IOParts on Repository {\n  description\n}\n\nPOST https://x.test/graphql\nContent-Type: application/json\n\nquery q($name: String!) {\n  ...IOParts\n}\n###\ngql getItems < ./items.gql\ngql < ./other.gql\nPOST https://x.test/graphql\n###\nproto < ./grpcbin.proto\nGRPC grpcb.in:9000/grpcbin.GRPCBin/Index\n",
            expect![[r####"
                request 0..150
                  "POST" "https://x.test/graphql"
                  header "Content-Type": "application/json"
                  body 110..150 "query q($name: String!) {\n  ...IOParts\n}"
                request 151..227
                  separator "###"
                  "POST" "https://x.test/graphql"
                request 228..296
                  separator "###"
                  "GRPC" "grpcb.in:9000/grpcbin.GRPCBin/Index"
            "####]],
        );
    }

    #[test]
    fn dialect_lazy_file_variables() {
        check(
            "@id := {{$uuid}}\n@eager=1\n@bad :\nGET /a/{{id}}\n",
            expect![[r#"
                var "id" = "{{$uuid}}"
                var "eager" = "1"
                request 33..46
                  "GET" "/a/{{id}}"
                error "@bad :" expected a file variable `@name = value`
            "#]],
        );
    }

    #[test]
    fn dialect_request_kinds() {
        check(
            "GRPC grpcb.in:9000/grpcbin.GRPCBin/Index\n###\nWS wss://x.test/socket\n###\nSSE https://x.test/events\n###\nMQTT tcp://broker.test\ntopic: a\n###\nAMQP amqp://guest:guest@localhost\n###\nKAFKA localhost:9092\n###\nGRAPHQL /graphql\n###\nPROPFIND /dav HTTP/1.1\n###\nVERSION-CONTROL /dav\n###\nPURGE /cache\n",
            expect![[r####"
                request 0..40
                  "GRPC" "grpcb.in:9000/grpcbin.GRPCBin/Index"
                request 41..67
                  separator "###"
                  "WS" "wss://x.test/socket"
                request 68..97
                  separator "###"
                  "SSE" "https://x.test/events"
                request 98..133
                  separator "###"
                  "MQTT" "tcp://broker.test"
                  header "topic": "a"
                request 134..171
                  separator "###"
                  "AMQP" "amqp://guest:guest@localhost"
                request 172..196
                  separator "###"
                  "KAFKA" "localhost:9092"
                request 197..217
                  separator "###"
                  "GRAPHQL" "/graphql"
                request 218..244
                  separator "###"
                  "PROPFIND" "/dav" "HTTP/1.1"
                request 245..269
                  separator "###"
                  "VERSION-CONTROL" "/dav"
                request 270..286
                  separator "###"
                  "PURGE" "/cache"
            "####]],
        );
    }

    #[test]
    fn dialect_kulala_import_and_run() {
        check(
            "import ./auth.http\n\n###\nrun #login\nrun ./setup.http (@user=admin)\n\n###\n# @env-json-key TOKEN $.token\n# @env-stdin-cmd NOW date\n# @file-to-variable BODY ./b.json\n# @curl-compressed\nGET /a\n",
            expect![[r####"
                request 67..186
                  separator "###"
                  @env-json-key "TOKEN $.token"
                  @env-stdin-cmd "NOW date"
                  @file-to-variable "BODY ./b.json"
                  @curl-compressed ""
                  "GET" "/a"
                Import "./auth.http"
                Run "#login"
                Run "./setup.http"
            "####]],
        );
    }

    #[test]
    fn dialect_httpyac_request_extras() {
        check(
            "@xpath_ns hello=http://x.test/hello\nproto < ./hello.proto\nkeepCase: true\nincludeDirs: [`${__dirname}/request`]\n\nGRPC grpc.x.test/HelloService/sayHello\n{\n  \"greeting\": \"world\"\n}\n###\nGET https://x.test/a\n...defaultHeaders\nAccept: */*\n###\nPOST https://x.test/b\n{{json.slideshow.author}}\n###\nPOST https://x.test/jwt\neyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig\n",
            expect![[r####"
                var "xpath_ns" = "hello=http://x.test/hello"
                request 36..176
                  "GRPC" "grpc.x.test/HelloService/sayHello"
                  body 151..176 "{\n  \"greeting\": \"world\"\n}"
                request 177..231
                  separator "###"
                  "GET" "https://x.test/a"
                  header "Accept": "*/*"
                request 232..283
                  separator "###"
                  "POST" "https://x.test/b"
                  body 258..283 "{{json.slideshow.author}}"
                request 284..352
                  separator "###"
                  "POST" "https://x.test/jwt"
                  body 312..352 "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig"
                note "{" missing blank line at 151
                note "{{json.slideshow.author}}" missing blank line at 258
                note "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig" missing blank line at 312
            "####]],
        );
    }

    #[test]
    fn dialect_query_lines_continue_the_target() {
        check(
            "GET http://x.test/Orders?\n&$expand=Items\n  # &$select=title\n  &$top=3\n// @name not metadata here\n?{{more}}\nX-A: 1\n&after=headers\n###\nGET http://x.test/b\n&(not)=query\n",
            expect![[r####"
                request 0..128
                  "GET" "http://x.test/Orders?" + "&$expand=Items" + "&$top=3" + "?{{more}}"
                  header "X-A": "1"
                  body 114..128 "&after=headers"
                request 129..165
                  separator "###"
                  "GET" "http://x.test/b"
                  body 153..165 "&(not)=query"
                note "&after=headers" missing blank line at 114
                note "&(not)=query" missing blank line at 153
            "####]],
        );
    }

    #[test]
    fn dialect_mixed_batch_body_holds_its_parts() {
        check(
            "POST http://x.test/$batch\nContent-Type: multipart/mixed; boundary=\"batch_1\"\n\n--batch_1\nContent-Type: application/http\n\nPOST Chapters HTTP/1.1\nContent-Type: application/json\n\n{\"a\": 1}\n\nGET Chapters\n\n--batch_1--\n\nGET http://x.test/after\n###\nPOST http://x.test/form\nContent-Type: multipart/form-data; boundary=b\n\n--b\n\nGET http://x.test/next\n",
            expect![[r####"
                request 0..209
                  "POST" "http://x.test/$batch"
                  header "Content-Type": "multipart/mixed; boundary=\"batch_1\""
                  body 77..209 "--batch_1\nContent-Type: application/http\n\nPOST Chapters HTTP/1.1\nContent-Type: application/json\n\n{\"a\": 1}\n\nGET Chapters\n\n--batch_1--"
                request 211..234
                  "GET" "http://x.test/after"
                request 235..313
                  separator "###"
                  "POST" "http://x.test/form"
                  header "Content-Type": "multipart/form-data; boundary=b"
                  body 310..313 "--b"
                request 315..337
                  "GET" "http://x.test/next"
                note "GET http://x.test/after" missing ### at 211
                note "GET http://x.test/next" missing ### at 315
            "####]],
        );
    }

    #[test]
    fn dialect_variables_holding_a_header_line() {
        check(
            "@cqn: = Content-Type: application/json\\n\\n\n@lazy:= 1\n@spaced := 2\n@x:y\nPOST /cql\n{{cqn:}} {\"SELECT\": {\"from\": 1}}\n###\nGET /b\n{{auth}}: v\n",
            expect![[r####"
                var "cqn:" = "Content-Type: application/json\\n\\n"
                var "lazy" = "1"
                var "spaced" = "2"
                request 71..113
                  "POST" "/cql"
                  body 81..113 "{{cqn:}} {\"SELECT\": {\"from\": 1}}"
                request 114..136
                  separator "###"
                  "GET" "/b"
                  header "{{auth}}": "v"
                note "{{cqn:}} {\"SELECT\": {\"from\": 1}}" missing blank line at 81
                error "@x:y" expected a file variable `@name = value`
            "####]],
        );
    }

    #[test]
    fn dialect_curl_commands() {
        check(
            "### batch\ncurl --request POST \\\n  --url 'http://x.test/odata/$batch' \\\n  --header 'content-type: multipart/mixed; boundary=b' \\\n  -H \"Accept: */*\" --compressed \\\n  --data $'--b\\r\\nGET x HTTP/1.1\\r\\n\\'q\\'--b--\\r\\n'\n\n### plain\ncurl https://x.test/a -d 'x=1'\n###\ncurl\n",
            expect![[r####"
                request 0..213
                  separator "### batch"
                  name "batch"
                  "POST" "http://x.test/odata/$batch"
                  header "content-type": "multipart/mixed; boundary=b"
                  header "Accept": "*/*"
                request 215..255
                  separator "### plain"
                  name "plain"
                  - "https://x.test/a"
                request 256..264
                  separator "###"
                  - "curl"
            "####]],
        );
        let text = "curl -X PUT \\\n";
        let file = parse(text);
        assert!(file.requests[0].curl);
        assert_eq!(file.requests[0].method_or_default(text), "PUT");
    }

    #[test]
    fn dialect_websocket_requests() {
        let text = "WEBSOCKET ws://x.test/chat\n###\nwss://x.test/socket\n###\nhttps://x.test/plain\n###\nWSS wss://x.test/a\n###\nMQTTS mqtts://x.test\n";
        check(
            text,
            expect![[r####"
                request 0..26
                  "WEBSOCKET" "ws://x.test/chat"
                request 27..50
                  separator "###"
                  - "wss://x.test/socket"
                request 51..75
                  separator "###"
                  - "https://x.test/plain"
                request 76..98
                  separator "###"
                  "WSS" "wss://x.test/a"
                request 99..123
                  separator "###"
                  "MQTTS" "mqtts://x.test"
            "####]],
        );
        let file = parse(text);
        let methods: Vec<&str> = file
            .requests
            .iter()
            .map(|r| r.method_or_default(text))
            .collect();
        assert_eq!(methods, ["WEBSOCKET", "WS", "GET", "WSS", "MQTTS"]);
    }

    #[test]
    fn dialect_old_httpyac_script_opener() {
        check(
            "{{#\n  const x = require('x');\n  x.parsers.splice(1, 0, {});\n}}\n\nhttps://x.test\n",
            expect![[r#"
                request 0..78
                  - "https://x.test"
                script "const x = require('x');\n  x.parsers.splice(1, 0, {});"
            "#]],
        );
    }

    #[test]
    fn dialect_blanks_in_target_and_small_letter_methods() {
        check(
            "GET https://x.test/a b\n###\nGET {{ base }}/a?q={{ a b }}\n###\nPOST https://x.test/Books order by stock desc  HTTP/1.1\n###\nget https://x.test/lower\n###\nGET /x?$filter=a eq 1\n",
            expect![[r####"
                request 0..22
                  "GET" "https://x.test/a b"
                request 23..55
                  separator "###"
                  "GET" "{{ base }}/a?q={{ a b }}"
                request 56..115
                  separator "###"
                  "POST" "https://x.test/Books order by stock desc" "HTTP/1.1"
                request 116..144
                  separator "###"
                  "get" "https://x.test/lower"
                request 145..170
                  separator "###"
                  "GET" "/x?$filter=a eq 1"
                note "https://x.test/a b" blank in target at 4
                note "https://x.test/Books order by stock desc" blank in target at 65
                note "get" method in small letters at 120
                note "/x?$filter=a eq 1" blank in target at 153
            "####]],
        );
    }

    #[test]
    fn malformed_in_every_dialect() {
        check(
            "INVALID https://x.test\n###\nGET\n###\nhttp \":4004/Travel?$top=3\"\n###\nGET https://x.test host/a\n###\ncds build --for hana\n",
            expect![[r####"
                request 0..22
                  "INVALID" "https://x.test"
                request 23..30
                  separator "###"
                  "GET" <no target>
                request 31..61
                  separator "###"
                  - "http \":4004/Travel?$top=3\""
                request 62..91
                  separator "###"
                  "GET" "https://x.test host/a"
                request 92..116
                  separator "###"
                  - "cds build --for hana"
                error "INVALID" unknown method `INVALID`: no client sends it (GET, POST, PUT, PATCH, DELETE, …)
                error "GET" missing request target after the method
                error "http \":4004/Travel?$top=3\"" a blank before the URL's path: a host cannot hold blanks, and no client sends this (write a blank in a URL as `%20`)
                error "https://x.test host/a" a blank before the URL's path: a host cannot hold blanks, and no client sends this (write a blank in a URL as `%20`)
                error "cds build --for hana" a blank before the URL's path: a host cannot hold blanks, and no client sends this (write a blank in a URL as `%20`)
            "####]],
        );
    }

    #[test]
    fn crlf_and_lone_cr() {
        let lf = "@v = 1\n### one\n# @name n\nPOST /a\n ?q=1\nA: b\n  c\n\n{}\n< ./f\n\n> {%\nx\n%}\n<> r.json\n";
        for newline in ["\r\n", "\r"] {
            let text = lf.replace('\n', newline);
            let file = parse(&text);
            check_ranges(&text, &file);
            // Only the offsets and the line breaks differ from the LF rendering.
            let normalize = |rendered: String| {
                let rendered = rendered.replace("\\r\\n", "\\n").replace("\\r", "\\n");
                let is_range = |w: &&str| {
                    w.contains("..") && w.chars().all(|c| c == '.' || c.is_ascii_digit())
                };
                rendered
                    .lines()
                    .map(|l| {
                        l.split_whitespace()
                            .filter(|w| !is_range(w))
                            .collect::<Vec<_>>()
                            .join(" ")
                    })
                    .collect::<Vec<_>>()
            };
            let lf_file = parse(lf);
            assert_eq!(
                normalize(render(&text, &file)),
                normalize(render(lf, &lf_file)),
                "with {newline:?}"
            );
            assert_eq!(file.requests[0].url(&text), "/a?q=1");
            assert!(file.errors.is_empty());
        }
        check(
            "GET /a\r\nA: b\r\n\r\nbody\r\n\r\n###\rGET /b\rB: c\r\rx\r",
            expect![[r####"
                request 0..20
                  "GET" "/a"
                  header "A": "b"
                  body 16..20 "body"
                request 24..42
                  separator "###"
                  "GET" "/b"
                  header "B": "c"
                  body 41..42 "x"
            "####]],
        );
    }

    #[test]
    fn non_ascii_before_ranges() {
        check(
            "\u{feff}@café = ☕\n### 请求 🚀\n# @name né\nPOST https://例え.jp/ü?q=ö HTTP/1.1\nX-Emoji:  😀 \n\n{\"name\": \"é✓\"}\n< ./données.json\n> ./vérifier.js\n",
            expect![[r####"
                var "café" = "☕"
                request 16..153
                  separator "### 请求 🚀"
                  name "né"
                  @name "né"
                  "POST" "https://例え.jp/ü?q=ö" "HTTP/1.1"
                  header "X-Emoji": "😀"
                  body 101..136 "{\"name\": \"é✓\"}\n< ./données.json"
                    < "./données.json"
                  > File "./vérifier.js"
            "####]],
        );
    }

    #[test]
    fn empty_and_degenerate_files() {
        check("", expect![[""]]);
        check("###", expect![[""]]);
        check("\n\n###\n###\n\n", expect![[""]]);
        check(
            "# only a comment\n@v = 1\n",
            expect![[r#####"
            var "v" = "1"
        "#####]],
        );
        check(
            "###\n> {%",
            expect![[r#####"
            error "> {%" a response handler needs a request line before it
            error "> {%" unterminated script: `%}` is missing
        "#####]],
        );
    }

    #[test]
    fn garbage_does_not_panic() {
        let long_line = "x".repeat(1 << 20);
        let fixed = [
            "\0\u{1}\u{7f}\r\r\n\n\r",
            ">",
            "<",
            "<>",
            ">>",
            ">>!",
            "@",
            "@=",
            "#",
            "//",
            "# @",
            "{%",
            "%}",
            "GET",
            "GET \n\t",
            "\t \u{c}",
            "POST /a\n\n> {%\r",
            "POST /a\n:\n \n",
            "POST /a\n  \u{e9}\n",
            "POST /a\n\n<@",
            "POST /a\n\n<@ ",
            "POST /a\n\n> {% %} %} {%",
            "\u{feff}",
            "\u{feff}\u{feff}###",
            &long_line,
        ];
        for text in fixed {
            let file = parse(text);
            check_ranges(text, &file);
        }
        // A small deterministic fuzzer over the format's own pieces.
        let pieces = [
            "###",
            "# @name x",
            "// c",
            "@v = 1",
            "GET",
            " ",
            "\t",
            "/a",
            "HTTP/1.1",
            "\n",
            "\r\n",
            "\r",
            "A:",
            " b",
            "<",
            "< ./f",
            "<>",
            ">",
            "> {%",
            "%}",
            "{{vault:x}}",
            "é",
            "😀",
            ">>",
            "<@",
            ":",
            "=",
            "{%",
            "",
        ];
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        for _ in 0..3000 {
            let mut text = String::new();
            for _ in 0..(seed % 40) {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                text.push_str(pieces[(seed % pieces.len() as u64) as usize]);
            }
            let file = parse(&text);
            check_ranges(&text, &file);
        }
    }

    /// A text parsed in two halves at an independent cut gives the parse of the whole, on
    /// random texts and random edits of them (`proto` lines, script blocks and bodies across
    /// `###` lines, line breaks of every kind).
    #[test]
    fn a_text_parsed_in_halves_gives_the_parse_of_the_whole() {
        use crate::vault::incremental::tests::{edits_and_seed, for_each_edited_text};
        // httpyac's options after `proto < file` run on across a `###` line: no cut after it.
        let proto = "proto < ./a.proto\n###\noption: 1\nGRPC x.test/A/b\n";
        let at = proto.find("###").unwrap();
        assert_ne!(parse_in_halves(proto, at), parse(proto));
        assert_eq!(independent_cut(proto, 0), None);
        let gql = proto.replace("proto", "gql  ");
        assert_eq!(independent_cut(&gql, 0), Some(at));
        assert_eq!(parse_in_halves(&gql, at), parse(&gql));

        let edits = edits_and_seed().0;
        let mut cut = 0;
        for_each_edited_text(edits / 20, |text| {
            let near = text.len() / 2;
            if let Some(at) = independent_cut(text, near) {
                cut += 1;
                assert_eq!(
                    parse_in_halves(text, at),
                    parse_region(text, 0, text.len()),
                    "the parse of {text:?} cut at {at}"
                );
            }
        });
        assert!(cut > edits / 80, "only {cut} texts were cut in two");
    }
}
