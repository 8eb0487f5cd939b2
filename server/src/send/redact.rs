//! Redaction (SPEC §8): every secret value fetched for a request is replaced by `***` in
//! everything printed or returned — in the forms it takes on the way: as is, percent-encoded
//! in a URL or form, escaped in JSON, and inside a Basic credential.

use std::borrow::Cow;

use base64::Engine as _;

pub const MASK: &str = "***";

#[derive(Default)]
pub struct Redactor {
    /// Longest first, so that a value containing another is masked whole.
    needles: Vec<String>,
}

impl Redactor {
    /// Masks `value` and the forms it takes in URLs and JSON from now on.
    pub fn add(&mut self, value: &str) {
        if value.is_empty() {
            return;
        }
        let mut forms = vec![value.to_owned()];
        forms.push(url::form_urlencoded::byte_serialize(value.as_bytes()).collect());
        forms.push(
            percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        );
        if let Ok(json) = serde_json::to_string(value) {
            forms.push(json[1..json.len() - 1].to_owned());
        }
        for f in forms {
            self.add_exact(f);
        }
    }

    /// Masks exactly `s` (a value derived from secrets, such as a Basic credential).
    pub fn add_exact(&mut self, s: String) {
        if !s.is_empty() && !self.needles.contains(&s) {
            self.needles.push(s);
            self.needles.sort_by_key(|n| std::cmp::Reverse(n.len()));
        }
    }

    /// Masks the Basic credential `user:password` in its encoded form too.
    pub fn add_basic(&mut self, credentials: &str) {
        self.add_exact(base64::engine::general_purpose::STANDARD.encode(credentials));
    }

    pub fn is_empty(&self) -> bool {
        self.needles.is_empty()
    }

    pub fn redact<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let mut out = Cow::Borrowed(s);
        for n in &self.needles {
            if out.contains(n.as_str()) {
                out = Cow::Owned(out.replace(n.as_str(), MASK));
            }
        }
        out
    }

    /// Masks in bytes that may not be text (a binary body holding a value).
    pub fn redact_bytes<'a>(&self, b: &'a [u8]) -> Cow<'a, [u8]> {
        let mut out = Cow::Borrowed(b);
        for n in &self.needles {
            let needle = n.as_bytes();
            if memchr::memmem::find(&out, needle).is_none() {
                continue;
            }
            let mut next = Vec::with_capacity(out.len());
            let mut rest: &[u8] = &out;
            while let Some(i) = memchr::memmem::find(rest, needle) {
                next.extend_from_slice(&rest[..i]);
                next.extend_from_slice(MASK.as_bytes());
                rest = &rest[i + needle.len()..];
            }
            next.extend_from_slice(rest);
            out = Cow::Owned(next);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_every_form_of_a_value() {
        let mut r = Redactor::default();
        r.add("s3cr+t/\"x\"");
        r.add_basic("user:s3cr+t/\"x\"");
        let text = format!(
            "raw s3cr+t/\"x\" form {} json {} basic {}",
            url::form_urlencoded::byte_serialize(b"s3cr+t/\"x\"").collect::<String>(),
            r#"s3cr+t/\"x\""#,
            base64::engine::general_purpose::STANDARD.encode("user:s3cr+t/\"x\"")
        );
        let out = r.redact(&text);
        assert_eq!(out, "raw *** form *** json *** basic ***");
        assert_eq!(
            &*r.redact_bytes(b"\x00\xffs3cr+t/\"x\"\x01"),
            b"\x00\xff***\x01"
        );
        assert_eq!(r.redact("nothing here"), "nothing here");
    }
}
