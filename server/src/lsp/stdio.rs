//! The stdio transport, framed by us before `tower-lsp-server` sees it.
//!
//! tower-lsp-server stops reading after the first message it cannot decode, which would end
//! the session on one bad byte from a client. Here each incoming message is read whole and
//! checked to be JSON; one that is not is answered with a JSON-RPC parse error (`-32700`,
//! `"id": null`) and dropped, and the session goes on. Outgoing messages are copied frame by
//! frame so that those errors never land inside another message.

use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidOpenTextDocumentParams, TextDocumentContentChangeEvent,
};

use crate::syntax::json;
use crate::text::printable;

/// The largest message accepted: far above the 10 MB documents the server is tested with.
const MAX_MESSAGE: usize = 256 << 20;

/// How much the in-process pipes hold before a writer waits. Large: a 5 MB document or a
/// list of 20,000 symbols then crosses in one go instead of in 64 KiB steps, each a wake-up
/// of another thread. Memory is taken only as messages need it.
const PIPE_CAPACITY: usize = 64 << 20;

/// How many messages the server works on at once. Every analysis has a budget, so a slow
/// one holds its place for a few seconds at most; with many places, the messages behind it
/// (`shutdown` among them) do not wait for it. The work itself runs on blocking threads.
const CONCURRENCY: usize = 64;

/// How long the server may take to finish after `exit` before the process ends anyway.
const EXIT_GRACE: std::time::Duration = std::time::Duration::from_millis(500);

/// One framed message's body, or a reason it could not be read.
enum Frame {
    Body(Vec<u8>),
    /// The framing was broken (no `Content-Length`, a bad number, a message too large):
    /// what remains of the input can still be read.
    Invalid,
    End,
}

/// Messages at least this large have their document texts taken out before the server
/// decodes them.
const LARGE: usize = 64 << 10;

/// Texts at least this large are taken out of a large message.
const LARGE_TEXT: usize = 4 << 10;

/// Texts taken out of messages, until the server takes them back, by number.
static TAKEN: LazyLock<Mutex<HashMap<u64, String>>> = LazyLock::new(Mutex::default);

/// What a marker starts with: a number the client cannot know, so that no text a client
/// sends is read as a marker.
static MARKER: LazyLock<String> =
    LazyLock::new(|| format!("\0vaultlink-text-{:016x}-", fastrand::u64(..)));

/// Keeps `text` aside; returns the marker that stands for it.
fn keep_text(text: String) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    TAKEN.lock().unwrap().insert(n, text);
    format!("{}{n}", *MARKER)
}

/// The text a document message carries: the one kept aside for its marker, else `text`.
pub(crate) fn take_text(text: String) -> String {
    let Some(n) = text
        .strip_prefix(MARKER.as_str())
        .and_then(|n| n.parse::<u64>().ok())
    else {
        return text;
    };
    TAKEN.lock().unwrap().remove(&n).unwrap_or(text)
}

/// [`take_text`] for each change of a `didChange`.
pub(crate) fn take_texts(changes: &mut [TextDocumentContentChangeEvent]) {
    for c in changes {
        c.text = take_text(std::mem::take(&mut c.text));
    }
}

/// Results serialized by their handler, by number, until the transport writes them in place
/// of their markers (see [`stash_result`]).
static RESULTS: LazyLock<Mutex<BTreeMap<u64, Vec<u8>>>> = LazyLock::new(Mutex::default);

/// How many stashed results may wait at once. An answer whose request was given up after its
/// handler ended is never written, and its result would stay: the oldest go first.
const STASHED: usize = 8;

/// What a result marker starts with, for a string in a result; like [`MARKER`], a number
/// the client cannot know.
static RESULT_MARKER: LazyLock<String> =
    LazyLock::new(|| format!("\0vaultlink-result-{:016x}-", fastrand::u64(..)));

/// How [`RESULT_MARKER`] reads in the JSON of an answer, from its opening quote.
static RESULT_MARKER_JSON: LazyLock<String> = LazyLock::new(|| {
    let quoted = serde_json::to_string(RESULT_MARKER.as_str()).expect("a string");
    quoted.trim_end_matches('"').to_owned()
});

/// Keeps `json`, the serialized result of a request, for the transport to write; returns
/// the marker that stands for it. The handler answers with a result that holds the marker
/// in a string, and the transport writes `json` as the answer's result instead: the server
/// framework would otherwise build a JSON tree of the result before writing it, which for
/// the 24,000 symbols of a 5 MB file is 70 MB and most of the time.
pub(crate) fn stash_result(json: Vec<u8>) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let mut results = RESULTS.lock().unwrap();
    results.insert(n, json);
    while results.len() > STASHED {
        results.pop_first();
    }
    format!("{}{n}", *RESULT_MARKER)
}

/// An answer as far as the transport reads it to put a stashed result in.
#[derive(Deserialize)]
struct Answer<'a> {
    #[serde(borrow)]
    id: &'a RawValue,
    #[serde(borrow)]
    result: &'a RawValue,
}

/// `body`, a message from the server, with the stashed result in place of its own when that
/// holds a result marker (see [`stash_result`]); else as it is.
fn with_stashed_result(body: Vec<u8>) -> Vec<u8> {
    let marker = RESULT_MARKER_JSON.as_bytes();
    let Some(at) = memchr::memmem::find(&body, marker) else {
        return body;
    };
    let digits = &body[at + marker.len()..];
    let digits = &digits[..digits
        .iter()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(digits.len())];
    let Some(n) = std::str::from_utf8(digits)
        .ok()
        .and_then(|d| d.parse::<u64>().ok())
    else {
        return body;
    };
    let Ok(answer) = serde_json::from_slice::<Answer>(&body) else {
        return body;
    };
    if memchr::memmem::find(answer.result.get().as_bytes(), marker).is_none() {
        return body;
    }
    let Some(json) = RESULTS.lock().unwrap().remove(&n) else {
        return body;
    };
    let id = answer.id.get().as_bytes();
    let mut out = Vec::with_capacity(json.len() + id.len() + 40);
    out.extend_from_slice(b"{\"jsonrpc\":\"2.0\",\"id\":");
    out.extend_from_slice(id);
    out.extend_from_slice(b",\"result\":");
    out.extend_from_slice(&json);
    out.push(b'}');
    out
}

/// A message as far as the transport reads it.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    params: Option<&'a RawValue>,
}

#[derive(Serialize)]
struct Notification<'a, P> {
    jsonrpc: &'static str,
    method: &'a str,
    params: P,
}

/// A `didOpen` notification as [`lighter_open`] reads it: the envelope, its text taken out.
#[derive(Deserialize)]
struct OpenNotification<'a> {
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    params: OpenParams<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenParams<'a> {
    #[serde(borrow)]
    text_document: OpenItem<'a>,
}

/// A `TextDocumentItem` with its text not decoded.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OpenItem<'a> {
    uri: tower_lsp_server::ls_types::Uri,
    language_id: String,
    version: i32,
    #[serde(borrow)]
    text: &'a RawValue,
}

/// A large `didOpen` with its text taken out, read in one pass: most of the message is its
/// text, and reading the message as JSON, then decoding the text, read it twice. The text is
/// found by the message's structure ([`open_text_at`]) and decoded to the start of `body` as
/// it is checked ([`decode_in_place`]): `body` becomes the text, and a 5 MB text is not
/// copied into fresh memory, whose first touch costs more than the decoding. What is left
/// around the text, the envelope, is small and read as JSON. `Ok(None)` when the message is
/// no JSON; `Err(body)` when it is something else (the method written after the text, say),
/// for [`checked`] to read.
fn lighter_open(mut body: Vec<u8>) -> Result<Option<Vec<u8>>, Vec<u8>> {
    const METHOD: &[u8] = b"\"textDocument/didOpen\"";
    if memchr::memmem::find(&body[..body.len().min(256)], METHOD).is_none() {
        return Err(body);
    }
    let Some(at) = open_text_at(&body) else {
        return Err(body);
    };
    // The envelope around the text, kept apart: the text is decoded to the start of `body`.
    let head = body[..at].to_vec();
    let Some((len, end)) = decode_text(&mut body, at + 1, DECODE_IN_HALVES_MIN) else {
        // The text is no JSON string, so the message is no JSON.
        return Ok(None);
    };
    let tail = body[end..].to_vec();
    body.truncate(len);
    let Ok(text) = String::from_utf8(body) else {
        return Ok(None);
    };
    let envelope = [&head[..], b"\"\"", &tail[..]].concat();
    let params = serde_json::from_slice::<OpenNotification>(&envelope)
        .ok()
        .filter(|open| open.method == "textDocument/didOpen" && open.id.is_none())
        // The text taken out is the one JSON reads: a second `text` would be refused.
        .filter(|open| open.params.text_document.text.get() == "\"\"")
        .map(|open| {
            let item = open.params.text_document;
            DidOpenTextDocumentParams {
                text_document: tower_lsp_server::ls_types::TextDocumentItem {
                    uri: item.uri,
                    language_id: item.language_id,
                    version: item.version,
                    text: String::new(),
                },
            }
        });
    let Some(mut params) = params else {
        // Not a `didOpen` as read here: the message as it came, its text written as JSON
        // again, goes to the reading of any message.
        let text = serde_json::to_vec(&text).unwrap_or_default();
        return Err([head, text, tail].concat());
    };
    params.text_document.text = keep_text(text);
    // A notification of strings and a number always serializes; were it not to, the message
    // would be answered as one that is not JSON.
    Ok(serde_json::to_vec(&Notification {
        jsonrpc: "2.0",
        method: "textDocument/didOpen",
        params,
    })
    .ok())
}

/// Where the text of a `didOpen` stands in `body` (its opening quote): the value of
/// `params.textDocument.text`, read off the message's nesting and keys without reading the
/// text. `None` when it is not there as a string, or its key is written with escapes.
fn open_text_at(body: &[u8]) -> Option<usize> {
    const TEXT_AT: [Option<&[u8]>; 3] = [
        None,
        Some(b"params".as_slice()),
        Some(b"textDocument".as_slice()),
    ];
    // For each container open at `i`: the key it is the value of (`None`: the message
    // itself, an array's element) and whether it is an object.
    let mut path: Vec<Option<&[u8]>> = Vec::new();
    let mut objects: Vec<bool> = Vec::new();
    let mut key = None;
    let mut i = 0;
    while let Some(&b) = body.get(i) {
        match b {
            b'{' | b'[' => {
                path.push(key.take());
                objects.push(b == b'{');
                i += 1;
            }
            b'}' | b']' => {
                path.pop();
                objects.pop();
                key = None;
                i += 1;
            }
            b'"' => {
                let end = string_end(body, i + 1)?;
                let colon = after_blanks(body, end);
                if objects.last() == Some(&true) && body.get(colon) == Some(&b':') {
                    let name = &body[i + 1..end - 1];
                    let value = after_blanks(body, colon + 1);
                    if name == b"text" && path == TEXT_AT {
                        return (body.get(value) == Some(&b'"')).then_some(value);
                    }
                    key = Some(name);
                    i = value;
                } else {
                    key = None;
                    i = end;
                }
            }
            // Commas, blanks, numbers and literals.
            _ => i += 1,
        }
    }
    None
}

/// Where the JSON string whose inside begins at `from` ends: just after its closing quote.
fn string_end(body: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    loop {
        let at = i + memchr::memchr2(b'"', b'\\', body.get(i..)?)?;
        if body[at] == b'"' {
            return Some(at + 1);
        }
        i = at + 2;
    }
}

fn after_blanks(body: &[u8], from: usize) -> usize {
    from + body
        .get(from..)
        .unwrap_or_default()
        .iter()
        .take_while(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .count()
}

/// What each simple escape `\x` decodes to, by `x`; 0 for none.
const ESCAPES: [u8; 256] = {
    let mut t = [0; 256];
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t[b'/' as usize] = b'/';
    t[b'b' as usize] = 8;
    t[b'f' as usize] = 12;
    t[b'n' as usize] = b'\n';
    t[b'r' as usize] = b'\r';
    t[b't' as usize] = b'\t';
    t
};

/// The lowest byte of `x` (eight bytes read little-endian) that ends a run of a JSON
/// string's plain bytes: a quote, a backslash or a control character; 8 for none. Bytes
/// above a flagged one may be flagged wrongly (a borrow), the lowest never is.
fn plain_bytes(x: u64) -> usize {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let ends = zero(x ^ (ONES * b'"' as u64))
        | zero(x ^ (ONES * b'\\' as u64))
        | (x.wrapping_sub(ONES * 0x20) & !x & HIGH);
    (ends.trailing_zeros() / 8) as usize
}

/// Decodes the JSON string whose inside begins at `from` within `buf`, checking it as JSON
/// does (no control character, only JSON's escapes): the decoded bytes are written from `to`
/// on (`to <= from`); returns their length and where the string ended (just after its
/// closing quote). `None` if it is no JSON string. Decoding never lengthens a string, so
/// nothing is written ahead of what is read. Plain bytes are copied eight at a time once the
/// decoded text is eight bytes behind: a collection's text has an escape every few bytes,
/// and a search or a copy call per escape cost more than the decoding. A `\u` escape decodes
/// as the JSON parser decodes it ([`json::decode_escape`]): a lone surrogate, which no UTF-8
/// text can hold, becomes U+FFFD.
fn decode_in_place(buf: &mut [u8], from: usize, to: usize) -> Option<(usize, usize)> {
    match decode_until(buf, from, to) {
        Decoded::Closed(len, end) => Some((len, end)),
        Decoded::Open(_) | Decoded::Invalid => None,
    }
}

/// How the decoding of a JSON string's inside ended.
#[derive(Debug, PartialEq)]
enum Decoded {
    /// At its closing quote: the decoded length, and where the string ended (just after it).
    Closed(usize, usize),
    /// At the end of the buffer, between two characters: the decoded length.
    Open(usize),
    /// At what no JSON string holds, or the end of the buffer inside an escape.
    Invalid,
}

/// [`decode_in_place`], up to the end of `buf` when no closing quote comes first.
fn decode_until(buf: &mut [u8], from: usize, to: usize) -> Decoded {
    debug_assert!(to <= from);
    let (mut read, mut write) = (from, to);
    loop {
        while let Some(chunk) = buf.get(read..read + 8) {
            let chunk: [u8; 8] = chunk.try_into().expect("eight bytes");
            let plain = plain_bytes(u64::from_le_bytes(chunk));
            // All eight are written where that overwrites nothing unread: in place, or eight
            // bytes or more behind.
            if read == write || read - write >= 8 {
                buf[write..write + 8].copy_from_slice(&chunk);
            } else {
                buf[write..write + plain].copy_from_slice(&chunk[..plain]);
            }
            read += plain;
            write += plain;
            if plain < 8 {
                break;
            }
        }
        match buf.get(read) {
            None => return Decoded::Open(write - to),
            Some(b'"') => return Decoded::Closed(write - to, read + 1),
            Some(b'\\') => {}
            Some(0..0x20) => return Decoded::Invalid,
            Some(&b) => {
                buf[write] = b;
                read += 1;
                write += 1;
                continue;
            }
        }
        let Some(&escaped) = buf.get(read + 1) else {
            return Decoded::Invalid;
        };
        let simple = ESCAPES[escaped as usize];
        if simple != 0 {
            buf[write] = simple;
            read += 2;
            write += 1;
            continue;
        }
        // `\uXXXX`, or a surrogate pair of two: without its four hex digits, no JSON.
        if escaped != b'u' || buf.get(read + 2..).and_then(json::hex4).is_none() {
            return Decoded::Invalid;
        }
        let (c, len) = json::decode_escape(&buf[read..]);
        read += len;
        let mut utf8 = [0; 4];
        let utf8 = c.encode_utf8(&mut utf8).as_bytes();
        buf[write..write + utf8.len()].copy_from_slice(utf8);
        write += utf8.len();
    }
}

/// From this length on, the text of a `didOpen` is decoded in two halves side by side.
const DECODE_IN_HALVES_MIN: usize = 1 << 20;

/// [`decode_in_place`] of a string to the start of `buf`, in two halves side by side from
/// `min` bytes on. The second half begins at an escape near the middle that no escape before
/// it can be part of, where a decoding from the start is between two characters: it is
/// decoded in a copy, and put after the first half once the first has been decoded up to
/// it. When the string ends before that escape (the escape is in what follows the string),
/// the copy's decoding is thrown away and `buf` past the string is as it was.
fn decode_text(buf: &mut [u8], from: usize, min: usize) -> Option<(usize, usize)> {
    let split = (buf.len() - from.min(buf.len()) >= min)
        .then(|| escape_start(buf, from + (buf.len() - from) / 2))
        .flatten();
    let Some(split) = split else {
        return decode_in_place(buf, from, 0);
    };
    let (head, rest) = buf.split_at_mut(split);
    let rest: &[u8] = rest;
    let (first, (copy, second)) = crate::halves::side_by_side(
        || decode_until(head, from, 0),
        || {
            let mut copy = rest.to_vec();
            let decoded = decode_until(&mut copy, 0, 0);
            (copy, decoded)
        },
    );
    match (first, second) {
        (Decoded::Closed(len, end), _) => Some((len, end)),
        (Decoded::Open(len), Decoded::Closed(len2, end2)) => {
            // The decoded bytes end before the string did: nothing after it is written over.
            buf[len..len + len2].copy_from_slice(&copy[..len2]);
            Some((len + len2, split + end2))
        }
        _ => None,
    }
}

/// The first place from `at` on where an escape begins that no escape before it can be part
/// of: the first backslash of a run of them (an escape's last character is never a
/// backslash, `\\` aside), unless it begins a `\u` escape, which may be the second half of
/// a surrogate pair.
fn escape_start(buf: &[u8], at: usize) -> Option<usize> {
    let mut i = at;
    loop {
        let p = i + memchr::memchr(b'\\', buf.get(i..)?)?;
        let start = p - buf[..p].iter().rev().take_while(|&&b| b == b'\\').count();
        if buf.get(start + 1) != Some(&b'u') {
            return Some(start);
        }
        i = p + 1;
    }
}

/// `body` if it is JSON, with the texts of a large `didOpen` or `didChange` taken out (see
/// the module's comment); `None` if it is not JSON.
fn checked(body: Vec<u8>) -> Option<Vec<u8>> {
    if body.len() < LARGE {
        return serde_json::from_slice::<serde::de::IgnoredAny>(&body)
            .is_ok()
            .then_some(body);
    }
    let body = match lighter_open(body) {
        Ok(lighter) => return lighter,
        Err(body) => body,
    };
    let Ok(envelope) = serde_json::from_slice::<Envelope>(&body) else {
        // Not an object (a batch, say): forwarded as it is if it is JSON.
        return serde_json::from_slice::<serde::de::IgnoredAny>(&body)
            .is_ok()
            .then_some(body);
    };
    let (Some(method), None, Some(params)) = (&envelope.method, envelope.id, envelope.params)
    else {
        return Some(body);
    };
    let lighter = match method.as_ref() {
        "textDocument/didOpen" => serde_json::from_str::<DidOpenTextDocumentParams>(params.get())
            .ok()
            .and_then(|mut p| {
                p.text_document.text = keep_text(std::mem::take(&mut p.text_document.text));
                serde_json::to_vec(&Notification {
                    jsonrpc: "2.0",
                    method,
                    params: p,
                })
                .ok()
            }),
        "textDocument/didChange" => {
            serde_json::from_str::<DidChangeTextDocumentParams>(params.get())
                .ok()
                .and_then(|mut p| {
                    for c in &mut p.content_changes {
                        if c.text.len() >= LARGE_TEXT {
                            c.text = keep_text(std::mem::take(&mut c.text));
                        }
                    }
                    serde_json::to_vec(&Notification {
                        jsonrpc: "2.0",
                        method,
                        params: p,
                    })
                    .ok()
                })
        }
        _ => None,
    };
    Some(lighter.unwrap_or(body))
}

/// Reads the next `Content-Length`-framed message.
async fn read_frame<R: AsyncRead + Unpin>(input: &mut BufReader<R>) -> std::io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad = false;
    let mut saw_header = false;
    loop {
        let mut line = Vec::new();
        if input.read_until(b'\n', &mut line).await? == 0 {
            return Ok(Frame::End);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            continue; // stray blank lines between messages
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                match value.trim().parse::<usize>() {
                    Ok(n) if n <= MAX_MESSAGE => length = Some(n),
                    _ => bad = true,
                }
            }
        } else {
            bad = true;
        }
    }
    let Some(length) = length.filter(|_| !bad) else {
        return Ok(Frame::Invalid);
    };
    let mut body = vec![0; length];
    input.read_exact(&mut body).await?;
    Ok(Frame::Body(body))
}

const PARSE_ERROR: &[u8] = br#"{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error: the message is not JSON"},"id":null}"#;

/// Whether a message is the `exit` notification (it is small; larger ones are not read).
fn is_exit(body: &[u8]) -> bool {
    #[derive(serde::Deserialize)]
    struct Method<'a> {
        #[serde(borrow)]
        method: Option<std::borrow::Cow<'a, str>>,
    }
    body.len() < 512
        && serde_json::from_slice::<Method>(body).is_ok_and(|m| m.method.as_deref() == Some("exit"))
}

/// Copies client messages to the server, answering those that are not JSON. `exited` is
/// told when the client says `exit`.
async fn pump_input<R, W>(
    input: R,
    mut server: W,
    errors: mpsc::UnboundedSender<Vec<u8>>,
    exited: Option<tokio::sync::oneshot::Sender<()>>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut input = BufReader::with_capacity(1 << 20, input);
    let mut exited = exited;
    loop {
        match read_frame(&mut input).await {
            Ok(Frame::Body(body)) => {
                if let Some(body) = checked(body) {
                    let header = format!("Content-Length: {}\r\n\r\n", body.len());
                    if server.write_all(header.as_bytes()).await.is_err()
                        || server.write_all(&body).await.is_err()
                    {
                        return;
                    }
                    if is_exit(&body)
                        && let Some(tx) = exited.take()
                    {
                        let _ = tx.send(());
                    }
                } else {
                    let _ = errors.send(PARSE_ERROR.to_vec());
                }
            }
            Ok(Frame::Invalid) => {
                let _ = errors.send(PARSE_ERROR.to_vec());
            }
            Ok(Frame::End) | Err(_) => return,
        }
    }
    // Dropping `server` closes the server's input.
}

/// Copies server messages to the client, with the parse errors (bodies, framed here)
/// between whole messages.
/// Frames are read by a task of their own, so that waiting for the next one never leaves
/// one half read: channel receives are what the loop waits on, and they are cancel-safe.
async fn pump_output<R, W>(server: R, mut output: W, mut errors: mpsc::UnboundedReceiver<Vec<u8>>)
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin,
{
    let (frames_tx, mut frames) = mpsc::channel::<Vec<u8>>(16);
    let reader = tokio::spawn(async move {
        let mut server = BufReader::with_capacity(1 << 20, server);
        loop {
            match read_frame(&mut server).await {
                Ok(Frame::Body(body)) => {
                    if frames_tx
                        .send(printable_messages(with_stashed_result(body)))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Ok(Frame::Invalid) => continue,
                Ok(Frame::End) | Err(_) => return,
            }
        }
    });
    loop {
        // Errors first: each answers a message that came before anything still queued.
        let bytes = tokio::select! {
            biased;
            Some(error) = errors.recv() => error,
            body = frames.recv() => match body {
                Some(body) => body,
                None => break,
            },
        };
        // Framed here, the header apart: a large answer is not copied once more to join it.
        let header = format!("Content-Length: {}\r\n\r\n", bytes.len());
        if output.write_all(header.as_bytes()).await.is_err()
            || output.write_all(&bytes).await.is_err()
            || output.flush().await.is_err()
        {
            break;
        }
    }
    reader.abort();
    let _ = output.flush().await;
}

/// A window message (`window/showMessage`, `window/logMessage`, `window/showMessageRequest`)
/// or an error answer, with its text passed through [`printable`]: messages quote names,
/// paths and values from files, which must not carry control characters to the editor's log
/// or a terminal.
fn printable_messages(body: Vec<u8>) -> Vec<u8> {
    use memchr::memmem::find;
    let pointer = if find(&body, b"\"method\":\"window/").is_some() {
        "/params/message"
    } else if find(&body, b"\"error\":{").is_some() {
        "/error/message"
    } else {
        return body;
    };
    let Ok(mut message) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return body;
    };
    let Some(serde_json::Value::String(text)) = message.pointer_mut(pointer) else {
        return body;
    };
    let escaped = match printable(text) {
        Cow::Owned(escaped) => escaped,
        Cow::Borrowed(_) => return body,
    };
    *text = escaped;
    serde_json::to_vec(&message).unwrap_or(body)
}

/// Serves `service` on stdin/stdout through the checks above.
/// How much the client's pipe to the server holds, asked of the kernel (Linux; 1 MiB is what
/// it grants anyone by default).
const STDIN_PIPE: usize = 1 << 20;

/// When stdin is a pipe, asks the kernel to make it hold [`STDIN_PIPE`] instead of 64 KiB: a
/// 5 MB `didOpen` then crosses in a few reads instead of about ninety, each a wake-up of
/// the thread that reads stdin and of the task that waits for it. Failing changes nothing.
fn widen_stdin() {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    if let Ok(size) = rustix::pipe::fcntl_getpipe_size(std::io::stdin())
        && size < STDIN_PIPE
    {
        let _ = rustix::pipe::fcntl_setpipe_size(std::io::stdin(), STDIN_PIPE);
    }
}

pub async fn serve<S: tower_lsp_server::LanguageServer>(
    service: tower_lsp_server::LspService<S>,
    socket: tower_lsp_server::ClientSocket,
) {
    widen_stdin();
    let (server_in, client_side_in) = tokio::io::duplex(PIPE_CAPACITY);
    let (server_out, client_side_out) = tokio::io::duplex(PIPE_CAPACITY);
    let (errors_tx, errors_rx) = mpsc::unbounded_channel();
    let (exit_tx, exit_rx) = tokio::sync::oneshot::channel();
    let input = tokio::spawn(pump_input(
        tokio::io::stdin(),
        client_side_in,
        errors_tx,
        Some(exit_tx),
    ));
    let output = tokio::spawn(pump_output(client_side_out, tokio::io::stdout(), errors_rx));
    let server = tower_lsp_server::Server::new(server_in, server_out, socket)
        .concurrency_level(CONCURRENCY)
        .serve(service);
    // After `exit`, tower-lsp-server waits for every message it has begun to finish; one
    // still waiting on a slow analysis must not keep the process alive.
    let exit_then_grace = async {
        if exit_rx.await.is_ok() {
            tokio::time::sleep(EXIT_GRACE).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        () = server => {}
        () = exit_then_grace => {}
    }
    // The server is done (after `exit`, or when the client closed its input): send what it
    // wrote last, then stop reading.
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), output).await;
    input.abort();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stashed_result_is_written_in_place_of_its_stand_in_once() {
        let answer = |id: serde_json::Value, marker: &str| {
            serde_json::to_vec(&serde_json::json!({
                "jsonrpc": "2.0",
                "result": [{ "name": marker, "kind": 1 }],
                "id": id,
            }))
            .unwrap()
        };
        let read = |body: &[u8]| serde_json::from_slice::<serde_json::Value>(body).unwrap();
        for id in [serde_json::json!(7), serde_json::json!("seven")] {
            let marker = stash_result(br#"[{"name":"a"},{"name":"b"}]"#.to_vec());
            let body = answer(id.clone(), &marker);
            assert_eq!(
                read(&with_stashed_result(body.clone())),
                serde_json::json!({ "jsonrpc": "2.0", "id": id, "result": [{ "name": "a" }, { "name": "b" }] })
            );
            assert_eq!(with_stashed_result(body.clone()), body, "written once");
        }
        // Left as they are: a marker in an error's message, a look-alike with another random
        // part, and answers with no marker.
        let marker = stash_result(b"[]".to_vec());
        let error = serde_json::to_vec(&serde_json::json!({
            "jsonrpc": "2.0", "id": 1, "error": { "code": -32603, "message": marker },
        }))
        .unwrap();
        assert_eq!(with_stashed_result(error.clone()), error);
        let n = marker.rsplit('-').next().unwrap();
        let look_alike = answer(
            serde_json::json!(2),
            &format!("\0vaultlink-result-{}-{n}", "0".repeat(16)),
        );
        assert_ne!(
            RESULT_MARKER.as_str(),
            format!("\0vaultlink-result-{}-", "0".repeat(16))
        );
        assert_eq!(with_stashed_result(look_alike.clone()), look_alike);
        let plain = answer(serde_json::json!(3), "orders");
        assert_eq!(with_stashed_result(plain.clone()), plain);
        // The marker's result was never taken; and however many wait, a few are kept.
        assert!(RESULTS.lock().unwrap().values().any(|r| r == b"[]"));
        for _ in 0..2 * STASHED {
            stash_result(Vec::new());
        }
        assert_eq!(RESULTS.lock().unwrap().len(), STASHED);
    }

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut out = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        out.extend_from_slice(body);
        out
    }

    #[tokio::test]
    async fn frames_are_read_and_broken_ones_skipped() {
        let data = b"Content-Length: 2\r\n\r\n{}garbage\r\n\r\nContent-Length: 3\r\nContent-Type: x\r\n\r\n[1]".to_vec();
        let mut input = BufReader::new(&data[..]);
        assert!(matches!(read_frame(&mut input).await.unwrap(), Frame::Body(b) if b == b"{}"));
        assert!(matches!(
            read_frame(&mut input).await.unwrap(),
            Frame::Invalid
        ));
        assert!(matches!(read_frame(&mut input).await.unwrap(), Frame::Body(b) if b == b"[1]"));
        assert!(matches!(read_frame(&mut input).await.unwrap(), Frame::End));
    }

    #[test]
    fn window_messages_are_printable() {
        let shown = br#"{"jsonrpc":"2.0","method":"window/showMessage","params":{"type":1,"message":"bad \u001b]0;x\u0007 name"}}"#;
        assert_eq!(
            String::from_utf8(printable_messages(shown.to_vec())).unwrap(),
            r#"{"jsonrpc":"2.0","method":"window/showMessage","params":{"type":1,"message":"bad \\u{1b}]0;x\\u{7} name"}}"#
        );
        let error = br#"{"jsonrpc":"2.0","error":{"code":-32803,"message":"\u009b2J"},"id":3}"#;
        assert_eq!(
            String::from_utf8(printable_messages(error.to_vec())).unwrap(),
            r#"{"jsonrpc":"2.0","error":{"code":-32803,"message":"\\u{9b}2J"},"id":3}"#
        );
        let other = br#"{"jsonrpc":"2.0","method":"textDocument/publishDiagnostics","params":{"message":"\u001b"}}"#;
        assert_eq!(printable_messages(other.to_vec()), other.to_vec());
    }

    #[tokio::test]
    async fn input_that_is_not_json_is_answered_not_forwarded() {
        let data = [
            frame(b"{not json"),
            frame(br#"{"jsonrpc":"2.0","method":"x"}"#),
        ]
        .concat();
        let (tx, mut rx) = mpsc::unbounded_channel();
        let mut forwarded = Vec::new();
        pump_input(&data[..], &mut forwarded, tx, None).await;
        assert_eq!(forwarded, frame(br#"{"jsonrpc":"2.0","method":"x"}"#));
        assert_eq!(rx.recv().await.unwrap(), PARSE_ERROR);
    }

    #[tokio::test]
    async fn a_large_document_reaches_the_server_without_its_text() {
        let text = "GET https://a.example.test/\u{e9}\n".repeat(4000);
        let open = serde_json::json!({
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": { "textDocument": {
                "uri": "file:///w/a.http", "languageId": "http", "version": 1, "text": text
            } }
        });
        let change = serde_json::json!({
            "jsonrpc": "2.0",
            "method": "textDocument/didChange",
            "params": {
                "textDocument": { "uri": "file:///w/a.http", "version": 2 },
                "contentChanges": [{ "text": text }, { "range": {
                    "start": { "line": 0, "character": 0 }, "end": { "line": 0, "character": 0 }
                }, "text": "x" }]
            }
        });
        let data = [
            frame(&serde_json::to_vec(&open).unwrap()),
            frame(&serde_json::to_vec(&change).unwrap()),
        ]
        .concat();
        let (tx, _rx) = mpsc::unbounded_channel();
        let mut forwarded = Vec::new();
        pump_input(&data[..], &mut forwarded, tx, None).await;
        assert!(
            forwarded.len() < 2000,
            "{} bytes forwarded",
            forwarded.len()
        );
        let mut input = BufReader::new(&forwarded[..]);
        let Frame::Body(opened) = read_frame(&mut input).await.unwrap() else {
            panic!("a didOpen");
        };
        let opened: serde_json::Value = serde_json::from_slice(&opened).unwrap();
        let marker = opened["params"]["textDocument"]["text"].as_str().unwrap();
        assert_eq!(take_text(marker.to_owned()), text);
        let Frame::Body(changed) = read_frame(&mut input).await.unwrap() else {
            panic!("a didChange");
        };
        let mut changed: DidChangeTextDocumentParams = serde_json::from_value(
            serde_json::from_slice::<serde_json::Value>(&changed).unwrap()["params"].take(),
        )
        .unwrap();
        take_texts(&mut changed.content_changes);
        assert_eq!(changed.content_changes[0].text, text);
        assert_eq!(changed.content_changes[1].text, "x");
        // A text that is no marker is the text.
        assert_eq!(take_text(format!("{}x", *MARKER)), format!("{}x", *MARKER));
    }

    /// A large `didOpen` is read in one pass when its method comes first, and by the envelope
    /// when it comes after the text; with an `id` it is no notification and goes on whole;
    /// broken JSON after a `didOpen` head is still refused.
    #[test]
    fn a_large_open_is_read_whatever_its_order_and_refused_when_broken() {
        let text = "GET https://a.example.test/\u{e9} \"q\"\n".repeat(4000);
        let doc = serde_json::json!({
            "uri": "file:///w/a.http", "languageId": "http", "version": 1, "text": text
        });
        let text_of = |body: &[u8]| {
            let v: serde_json::Value = serde_json::from_slice(body).unwrap();
            take_text(
                v["params"]["textDocument"]["text"]
                    .as_str()
                    .unwrap()
                    .to_owned(),
            )
        };
        let first = format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{{"textDocument":{doc}}}}}"#
        );
        let after = format!(
            r#"{{"jsonrpc":"2.0","params":{{"textDocument":{doc}}},"method":"textDocument/didOpen"}}"#
        );
        assert!(lighter_open(first.clone().into_bytes()).is_ok());
        assert_eq!(
            lighter_open(after.clone().into_bytes()),
            Err(after.clone().into_bytes())
        );
        for body in [&first, &after] {
            let lighter = checked(body.clone().into_bytes()).unwrap();
            assert!(lighter.len() < 1000, "{} bytes", lighter.len());
            assert_eq!(text_of(&lighter), text);
        }
        let request = first.replacen(r#""jsonrpc":"2.0","#, r#""jsonrpc":"2.0","id":7,"#, 1);
        assert_eq!(
            lighter_open(request.clone().into_bytes()),
            Err(request.clone().into_bytes())
        );
        assert_eq!(
            checked(request.clone().into_bytes()),
            Some(request.into_bytes())
        );
        let broken = format!("{first}]");
        assert_eq!(
            lighter_open(broken.clone().into_bytes()),
            Err(broken.clone().into_bytes())
        );
        assert_eq!(checked(broken.into_bytes()), None);
        // Escapes that are not JSON: the message is no JSON.
        for escape in [r"\u12G4", r"\x", r"\u12"] {
            let bad = first.replacen("GET", &format!("GET {escape}"), 1);
            assert_eq!(lighter_open(bad.clone().into_bytes()), Ok(None));
            assert_eq!(checked(bad.into_bytes()), None, "{escape}");
        }
    }

    /// The text of a `didOpen` is found by where it stands, not by its key alone: a `text`
    /// elsewhere (another member's, an array's, a string that reads `"text":`) is passed over.
    #[test]
    fn the_text_of_an_open_is_found_where_it_stands() {
        let text = "{\"text\": \"not this\"}\n".repeat(4000);
        let doc = serde_json::json!({
            "uri": "file:///w/a.json", "languageId": "json", "version": 1, "text": text
        });
        let body = serde_json::to_string(&serde_json::json!({
            "jsonrpc": "2.0",
            "method": "textDocument/didOpen",
            "params": {
                "text": "a",
                "note": ["text", {"text": "b"}, [{"textDocument": {"text": "c"}}]],
                "x": "\"text\": \"d\"",
                "textDocument": doc,
            }
        }))
        .unwrap();
        // serde_json writes keys in order: the text comes last.
        assert!(body.find("\"textDocument\":{").unwrap() > body.find("\"note\"").unwrap());
        let lighter = lighter_open(body.into_bytes())
            .expect("read in one pass")
            .expect("JSON");
        let v: serde_json::Value = serde_json::from_slice(&lighter).unwrap();
        let found = take_text(v["params"]["textDocument"]["text"].as_str().unwrap().into());
        assert_eq!(found, text);
        // A message that is no `didOpen` notification after all (it has an `id`) goes on as
        // the same JSON, its text written again.
        let request = format!(
            r#"{{"jsonrpc":"2.0","method":"textDocument/didOpen","id":3,"params":{{"textDocument":{{"uri":"file:///w/a.http","languageId":"http","version":1,"text":"\u0041\ud83d\ude00\n{}"}}}}}}"#,
            "x".repeat(100)
        );
        let Err(again) = lighter_open(request.clone().into_bytes()) else {
            panic!("a request is no didOpen notification");
        };
        let value = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap();
        assert_eq!(value(&again), value(request.as_bytes()));
        // A text that is no string is left to the whole message's reading.
        let number = br#"{"method":"textDocument/didOpen","params":{"textDocument":{"text":1}}}"#;
        assert_eq!(open_text_at(number), None);
    }

    /// A JSON string decoded is what serde_json decodes, on random strings of every escape,
    /// surrogate pairs among them; a lone surrogate becomes U+FFFD.
    #[test]
    fn a_string_decoded_is_the_string_serde_json_reads() {
        const PIECES: &[&str] = &[
            "a",
            "GET /x",
            "\\n",
            "\\r\\n",
            "\\t",
            "\\\"",
            "\\\\",
            "\\/",
            "\\b",
            "\\f",
            "\\u00e9",
            "\\u2713",
            "\\uD83D\\uDE00",
            "\\u0041",
            "é",
            "✓",
            "😀",
            "\\u005c",
        ];
        let rng = &mut fastrand::Rng::with_seed(13);
        for _ in 0..5_000 {
            let inside: String = (0..rng.usize(0..30))
                .map(|_| PIECES[rng.usize(..PIECES.len())])
                .collect();
            let expected: String = serde_json::from_str(&format!("\"{inside}\"")).unwrap();
            let (bytes, end) = decoded(&inside);
            assert_eq!(
                std::str::from_utf8(&bytes),
                Ok(expected.as_str()),
                "{inside}"
            );
            assert_eq!(end, inside.len() + 2);
        }
        for (lone, decoded) in [
            ("a\\uD83Db", "a\u{fffd}b"),
            ("\\uDE00\\uD83D", "\u{fffd}\u{fffd}"),
            ("\\uD83D\\u0041", "\u{fffd}A"),
        ] {
            assert_eq!(
                std::str::from_utf8(&self::decoded(lone).0),
                Ok(decoded),
                "{lone}"
            );
        }
        // What JSON refuses is refused: a control character, an escape JSON has not, an
        // unfinished `\\u`, a string that never ends.
        for bad in [
            "a\nb\"",
            "a\tb\"",
            "\\x\"",
            "\\u12G4\"",
            "\\u12\"",
            "abc",
            "abcdefghijkl\\",
        ] {
            assert_eq!(
                decode_in_place(&mut bad.as_bytes().to_vec(), 0, 0),
                None,
                "{bad:?}"
            );
            assert!(serde_json::from_str::<String>(&format!("\"{bad}")).is_err());
        }
    }

    /// Decoded in halves, a string is decoded as in one pass, and what follows it is left as
    /// it was: also when the escape the second half would begin at follows the string.
    #[test]
    fn a_string_decoded_in_halves_is_the_string_decoded_in_one_pass() {
        const PIECES: &[&str] = &[
            "a",
            "GET /x",
            "\\n",
            "\\t\\t\\t",
            "\\\"",
            "\\\\",
            "\\\\\\\\",
            "\\u00e9",
            "\\uD83D\\uDE00",
            "\\uD83D",
            "\\u005c",
            "é",
            "😀",
        ];
        const AFTER: &[&str] = &[
            "",
            "}}",
            ", \"k\": \"a\\nb\\\"c\\\\\"}}",
            ", \"k\": \"\\uD83D\\uDE00\\t\"}",
        ];
        let rng = &mut fastrand::Rng::with_seed(13);
        let (mut halves, mut before) = (0, 0);
        for _ in 0..20_000 {
            let inside: String = (0..rng.usize(0..60))
                .map(|_| PIECES[rng.usize(..PIECES.len())])
                .collect();
            let after = AFTER[rng.usize(..AFTER.len())];
            let quote = if rng.u8(0..10) == 0 { "" } else { "\"" };
            let json = format!("\"{inside}{quote}{after}").into_bytes();
            let mut once = json.clone();
            let expected = decode_in_place(&mut once, 1, 0);
            let mut twice = json.clone();
            let got = decode_text(&mut twice, 1, 0);
            assert_eq!(got, expected, "{inside}{quote}{after}");
            if let Some((len, end)) = got {
                assert_eq!(twice[..len], once[..len], "{inside}{quote}{after}");
                assert_eq!(twice[end..], json[end..], "{inside}{quote}{after}");
                let split = escape_start(&json, 1 + (json.len() - 1) / 2);
                halves += usize::from(split.is_some_and(|s| s < end));
                before += usize::from(split.is_some_and(|s| s >= end));
            }
        }
        // Both ways were taken: halves put together, and a second half thrown away.
        assert!(
            halves > 1_000 && before > 1_000,
            "{halves} in halves, {before} not"
        );
    }

    /// A string and what follows it, decoded from just after its opening quote.
    fn decoded(inside: &str) -> (Vec<u8>, usize) {
        let mut json = format!("\"{inside}\" , 1").into_bytes();
        let (len, end) = decode_in_place(&mut json, 1, 0).expect("a JSON string");
        (json[..len].to_vec(), end)
    }
}
