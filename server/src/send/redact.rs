//! Redaction (SPEC §8): every secret value fetched for a request is replaced by `***` in
//! everything printed or returned, in every form it can take on the way out and back:
//!
//! - as is;
//! - percent-encoded with each set a URL serializer uses (WHATWG fragment, query,
//!   special-query, path, path segment, userinfo, component), with `+` for spaces as in
//!   forms, and with every byte but letters and digits encoded; upper- and lower-case hex;
//!   and as the serializer writes it when it is put into a URL's path, query or fragment
//!   as is (where a `?` or `#` in it starts another part);
//! - escaped in JSON: the minimal escapes, `\/`, and `\uXXXX` for non-ASCII or for every
//!   character (lower- and upper-case hex);
//! - base64 and base64url, with and without padding, alone or inside a longer base64 text
//!   (see [`embedded_base64`]), which covers a Basic credential built from the value;
//! - hex, lower- and upper-case;
//! - and all of these for the value as a server that decodes URLs or forms reads it, when
//!   `%XX` or `+` in it make that differ (a Basic credential from a URL's userinfo is sent
//!   percent-decoded, too), and without the tabs and line breaks a URL drops.
//!
//! One redactor serves a whole command-line run or language-server session: a value masked
//! once stays masked in everything shown afterwards, including responses kept for chaining.
//! Matching is one Aho-Corasick pass (leftmost-longest, so a value that contains another is
//! masked whole) over every form of every value.

use std::borrow::Cow;

use aho_corasick::{AhoCorasick, MatchKind};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use percent_encoding::{AsciiSet, CONTROLS, NON_ALPHANUMERIC};

pub const MASK: &str = "***";

/// The WHATWG URL percent-encode sets (C0 controls and non-ASCII are always encoded).
const FRAGMENT: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'<').add(b'>').add(b'`');
const QUERY: &AsciiSet = &CONTROLS.add(b' ').add(b'"').add(b'#').add(b'<').add(b'>');
const SPECIAL_QUERY: &AsciiSet = &QUERY.add(b'\'');
const PATH: &AsciiSet = &QUERY.add(b'?').add(b'`').add(b'{').add(b'}');
/// The path set as the URL standard has it since `^` joined it.
const PATH_CARET: &AsciiSet = &PATH.add(b'^');
const PATH_SEGMENT: &AsciiSet = &PATH.add(b'/').add(b'%');
const SPECIAL_PATH_SEGMENT: &AsciiSet = &PATH_SEGMENT.add(b'\\');
const USERINFO: &AsciiSet = &PATH
    .add(b'/')
    .add(b':')
    .add(b';')
    .add(b'=')
    .add(b'@')
    .add(b'[')
    .add(b'\\')
    .add(b']')
    .add(b'^')
    .add(b'|');
const COMPONENT: &AsciiSet = &USERINFO.add(b'$').add(b'%').add(b'&').add(b'+').add(b',');
const SETS: [&AsciiSet; 10] = [
    FRAGMENT,
    QUERY,
    SPECIAL_QUERY,
    PATH,
    PATH_CARET,
    PATH_SEGMENT,
    SPECIAL_PATH_SEGMENT,
    USERINFO,
    COMPONENT,
    NON_ALPHANUMERIC,
];

/// Forms shorter than this are not masked unless they are the value itself: two or three
/// hex digits would mask half of any text.
const MIN_FORM: usize = 4;

#[derive(Clone, Default)]
pub struct Redactor {
    needles: Vec<String>,
    /// Built from `needles` whenever one is added; `None` while there are none.
    matcher: Option<AhoCorasick>,
}

impl Redactor {
    /// Masks `value` and every form listed in the module documentation from now on.
    /// A value with `%XX` or `+` in it reaches a server that decodes URLs (and a Basic
    /// credential taken from a URL's userinfo) decoded: those variants and their forms are
    /// masked too.
    pub fn add(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut all = Vec::new();
        for variant in variants(value) {
            let mut forms = forms(&variant);
            forms.retain(|f| f.len() >= MIN_FORM || *f == variant);
            all.extend(forms);
        }
        self.extend(all);
    }

    /// Masks exactly `s` (a value derived from secrets, such as a Basic credential).
    pub fn add_exact(&mut self, s: String) {
        self.extend([s]);
    }

    /// Masks the Basic credential `user:password` in its encoded forms too.
    pub fn add_basic(&mut self, credentials: &str) {
        self.extend(
            [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD].map(|e| e.encode(credentials)),
        );
    }

    /// Masks the values of the credential variables vaultlink signs in with (see
    /// [`CREDENTIAL_VARS`](crate::send::plan::CREDENTIAL_VARS)), as `lookup` gives them.
    pub fn add_credentials(&mut self, lookup: impl Fn(&str) -> Option<String>) {
        for var in crate::send::plan::CREDENTIAL_VARS {
            if let Some(value) = lookup(var) {
                self.add(&value);
            }
        }
    }

    /// Masks everything `other` masks.
    pub fn merge(&mut self, other: &Redactor) {
        self.extend(other.needles.iter().cloned());
    }

    fn extend(&mut self, new: impl IntoIterator<Item = String>) {
        let before = self.needles.len();
        for s in new {
            if !s.is_empty() && !self.needles.contains(&s) {
                self.needles.push(s);
            }
        }
        if self.needles.len() != before {
            self.matcher = Some(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostLongest)
                    .build(&self.needles)
                    .expect("a few thousand short patterns fit the automaton"),
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    pub fn redact<'a>(&self, s: &'a str) -> Cow<'a, str> {
        match &self.matcher {
            Some(m) if m.is_match(s) => {
                let mut out = String::with_capacity(s.len());
                m.replace_all_with(s, &mut out, |_, _, dst| {
                    dst.push_str(MASK);
                    true
                });
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(s),
        }
    }

    /// Masks in bytes that may not be text (a binary body holding a value).
    pub fn redact_bytes<'a>(&self, b: &'a [u8]) -> Cow<'a, [u8]> {
        match &self.matcher {
            Some(m) if m.is_match(b) => {
                let mut out = Vec::with_capacity(b.len());
                m.replace_all_with_bytes(b, &mut out, |_, _, dst| {
                    dst.extend_from_slice(MASK.as_bytes());
                    true
                });
                Cow::Owned(out)
            }
            _ => Cow::Borrowed(b),
        }
    }
}

/// `value`, and what a server that decodes URLs or forms makes of it when it differs; a
/// URL drops tabs and line breaks, so the value without them too.
fn variants(value: &str) -> Vec<String> {
    let mut out = vec![value.to_owned()];
    let stripped = value.replace(['\t', '\n', '\r'], "");
    for s in [value.to_owned(), stripped] {
        for p in [s.clone(), s.replace('+', " ")] {
            let decoded = percent_encoding::percent_decode_str(&p)
                .decode_utf8_lossy()
                .into_owned();
            for v in [p, decoded] {
                // A variant as short as `+` → ` ` would mask every space.
                if v.len() >= MIN_FORM && !out.contains(&v) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// Every form of `value` listed in the module documentation.
fn forms(value: &str) -> Vec<String> {
    let mut out = vec![value.to_owned()];
    for set in SETS {
        let encoded = percent_encoding::utf8_percent_encode(value, set).to_string();
        out.push(lower_escapes(&encoded, '%', 2));
        out.push(encoded);
    }
    // Written into a URL as is, a value may end up split over parts (a `?` in a path
    // starts the query): the serializer's text of the value in each position.
    for prefix in ["http://h/", "http://h/?", "http://h/#"] {
        if let Ok(u) = url::Url::parse(&format!("{prefix}{value}"))
            && let Some(rest) = u.as_str().strip_prefix(prefix)
        {
            out.push(rest.to_owned());
        }
    }
    let form: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
    out.push(lower_escapes(&form, '%', 2));
    out.push(form);

    let json = serde_json::to_string(value).unwrap_or_default();
    let json = json[1..json.len() - 1].to_owned();
    out.push(json.replace('/', "\\/"));
    out.push(json);
    for upper in [false, true] {
        out.push(json_unicode(value, upper, false));
        out.push(json_unicode(value, upper, true));
    }

    let bytes = value.as_bytes();
    for engine in [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD] {
        out.push(engine.encode(bytes));
    }
    for url_safe in [false, true] {
        for offset in 0..3 {
            out.extend(embedded_base64(bytes, offset, url_safe));
        }
    }
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    out.push(hex.to_ascii_uppercase());
    out.push(hex);
    out
}

/// `s` with the `n` characters after each `escape` lower-cased (`%2F` → `%2f`).
fn lower_escapes(s: &str, escape: char, n: usize) -> String {
    let mut out = String::with_capacity(s.len());
    let mut left = 0;
    for c in s.chars() {
        if left > 0 {
            out.push(c.to_ascii_lowercase());
            left -= 1;
        } else {
            out.push(c);
            if c == escape {
                left = n;
            }
        }
    }
    out
}

/// The JSON string content of `value` with `\uXXXX` escapes: for every character when
/// `all`, else for what JSON must escape and everything beyond ASCII (as Python's and
/// many other encoders write it).
fn json_unicode(value: &str, upper: bool, all: bool) -> String {
    let mut out = String::new();
    let mut units = [0u16; 2];
    for c in value.chars() {
        let plain = !all && c.is_ascii() && !c.is_ascii_control() && c != '"' && c != '\\';
        if plain {
            out.push(c);
            continue;
        }
        if !all && (c == '"' || c == '\\') {
            out.push('\\');
            out.push(c);
            continue;
        }
        for u in c.encode_utf16(&mut units) {
            if upper {
                out.push_str(&format!("\\u{u:04X}"));
            } else {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out
}

/// The base64 characters that `value` alone decides when it sits `offset` bytes (mod 3)
/// into a longer text that is base64-encoded as a whole: the characters that mix its bits
/// with those of its neighbours are left out, since they differ with every neighbour. At
/// most four bits of the value stay visible at each end, in the characters left around the
/// mask. Too short a core (a value under six bytes) is not masked alone.
fn embedded_base64(value: &[u8], offset: usize, url_safe: bool) -> Option<String> {
    let mut padded = vec![0u8; offset];
    padded.extend_from_slice(value);
    let engine = if url_safe {
        URL_SAFE_NO_PAD
    } else {
        STANDARD_NO_PAD
    };
    let encoded = engine.encode(&padded);
    // Characters 6 bits each: the first that holds no neighbour bit, the last that is whole.
    let first = (offset * 8).div_ceil(6);
    let end = (padded.len() * 8) / 6;
    (end > first && end - first >= 8).then(|| encoded[first..end].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALUE: &str = "s3cr+t/\"x\" é%2F€😀";

    fn b64(s: &[u8]) -> String {
        STANDARD.encode(s)
    }

    #[test]
    fn masks_every_form_of_a_value() {
        let mut r = Redactor::default();
        r.add(VALUE);
        let mut url = url::Url::parse("http://h/").unwrap();
        url.set_query(Some(VALUE));
        let query = url.query().unwrap().to_owned();
        url.set_fragment(Some(VALUE));
        let fragment = url.fragment().unwrap().to_owned();
        url.set_password(Some(VALUE)).unwrap();
        let password = url.password().unwrap().to_owned();
        url.path_segments_mut().unwrap().push(VALUE);
        let segment = url.path().trim_start_matches('/').to_owned();
        let form: String = url::form_urlencoded::byte_serialize(VALUE.as_bytes()).collect();
        let json = serde_json::to_string(VALUE).unwrap();
        let hex: String = VALUE.bytes().map(|b| format!("{b:02x}")).collect();
        for (what, form) in [
            ("raw", VALUE.to_owned()),
            ("query", query),
            ("fragment", fragment),
            ("userinfo", password),
            ("path segment", segment),
            ("form", form),
            ("json", json[1..json.len() - 1].to_owned()),
            ("base64", b64(VALUE.as_bytes())),
            ("base64url", URL_SAFE_NO_PAD.encode(VALUE)),
            ("hex", hex.clone()),
            ("HEX", hex.to_ascii_uppercase()),
        ] {
            let text = format!("<{form}>");
            assert_eq!(r.redact(&text), "<***>", "{what}: {form}");
        }
        let unicode = "s3cr+t/\\\"x\\\" \\u00e9%2F\\u20ac\\ud83d\\ude00";
        assert_eq!(r.redact(unicode), "***");
        let all: String = VALUE
            .encode_utf16()
            .map(|u| format!("\\u{u:04X}"))
            .collect();
        assert_eq!(r.redact(&all), "***");
        assert_eq!(
            &*r.redact_bytes(format!("\x00{VALUE}\x01").as_bytes()),
            b"\x00***\x01"
        );
        assert_eq!(r.redact("nothing here"), "nothing here");
    }

    #[test]
    fn masks_a_value_inside_longer_base64_at_every_alignment() {
        let mut r = Redactor::default();
        r.add(VALUE);
        for prefix in ["", "u", "us", "use", "user:"] {
            let text = b64(format!("{prefix}{VALUE} and more").as_bytes());
            let out = r.redact(&text);
            assert!(out.contains(MASK), "{prefix:?}: {out}");
            // What is left around the mask decodes to no more than the neighbours.
            for part in out.split(MASK) {
                let clean: String = part.chars().take(part.len() / 4 * 4).collect();
                if let Ok(bytes) = STANDARD.decode(clean) {
                    assert!(!String::from_utf8_lossy(&bytes).contains("s3cr"), "{out}");
                }
            }
        }
    }

    #[test]
    fn a_value_inside_another_is_masked_with_it() {
        let mut r = Redactor::default();
        r.add("short-one");
        r.add("a-short-one-inside");
        assert_eq!(r.redact("x a-short-one-inside y short-one"), "x *** y ***");
        let mut session = Redactor::default();
        session.merge(&r);
        assert_eq!(session.redact("short-one"), "***");
    }
}
