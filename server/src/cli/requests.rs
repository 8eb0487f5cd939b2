//! `vaultlink requests`: the requests of one file, as written.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use super::{EXIT_OK, EXIT_USAGE, display_path, fail};
use crate::syntax::postman::{self, Body, Collection};
use crate::syntax::{http, json::JsonString};
use crate::text::{Encoding, LineIndex};
use crate::vault::document::DocKind;
use crate::vault::target::query_beyond_raw;

/// One request as `requests --json` prints it.
#[derive(Serialize, Debug, PartialEq, Eq)]
pub struct RequestRow {
    pub index: usize,
    pub name: Option<String>,
    pub method: String,
    pub url: String,
    pub line: Option<u32>,
    pub headers: Vec<(String, String)>,
    pub body: Option<String>,
}

/// The requests of an `.http` file.
pub fn http_rows(text: &str, file: &http::HttpFile) -> Vec<RequestRow> {
    let index = LineIndex::new(text);
    file.requests
        .iter()
        .enumerate()
        .map(|(i, r)| RequestRow {
            index: i + 1,
            name: r.name.map(|n| n.slice(text).to_string()),
            method: r.method_or_default(text).to_string(),
            url: r.url(text),
            line: Some(
                index
                    .line_col(text, r.request_line.start, Encoding::Utf8)
                    .line
                    + 1,
            ),
            headers: r
                .headers
                .iter()
                .map(|h| (h.name.slice(text).to_string(), h.value_text(text)))
                .collect(),
            body: r.body.as_ref().map(|b| b.range.slice(text).to_string()),
        })
        .collect()
}

fn s(src: &str, v: &Option<JsonString>) -> String {
    v.as_ref()
        .map(|s| s.value(src).into_owned())
        .unwrap_or_default()
}

/// A collection body as one string: `raw` as written, form modes as `key=value` pairs
/// (enabled ones), GraphQL as its query, a file body as `< path`.
fn body_text(src: &str, body: &Body) -> Option<String> {
    if body.disabled {
        return None;
    }
    let pairs = |kvs: &[postman::KeyValue], sep: &str| {
        let parts: Vec<String> = kvs
            .iter()
            .filter(|kv| !kv.disabled)
            .map(|kv| {
                let is_file = kv.kind.as_ref().is_some_and(|k| k.eq_str(src, "file"));
                if is_file {
                    let files: Vec<String> =
                        kv.src.iter().map(|f| f.value(src).into_owned()).collect();
                    format!("{}=@{}", s(src, &kv.key), files.join(","))
                } else {
                    format!("{}={}", s(src, &kv.key), s(src, &kv.value))
                }
            })
            .collect();
        parts.join(sep)
    };
    let mode = body.mode.as_ref().map(|m| m.value(src).into_owned());
    let text = match mode.as_deref() {
        Some("urlencoded") => pairs(&body.urlencoded, "&"),
        Some("formdata") => pairs(&body.formdata, "\n"),
        Some("graphql") => s(src, &body.graphql_query),
        Some("file") => format!("< {}", s(src, &body.file_src)),
        _ => return body.raw.as_ref().map(|r| r.value(src).into_owned()),
    };
    Some(text)
}

/// The requests of a collection, depth-first; names are item paths.
pub fn collection_rows(src: &str, coll: &Collection) -> Vec<RequestRow> {
    coll.requests()
        .iter()
        .enumerate()
        .map(|(i, (item, req))| {
            let url = req.url.as_ref().map(|u| match &u.raw {
                Some(raw) => raw.value(src).into_owned() + &query_beyond_raw(src, u),
                None => {
                    let host: Vec<String> =
                        u.host.iter().map(|h| h.value(src).into_owned()).collect();
                    let path: Vec<String> =
                        u.path.iter().map(|p| p.value(src).into_owned()).collect();
                    let mut url = host.join(".");
                    if !path.is_empty() {
                        url.push('/');
                        url.push_str(&path.join("/"));
                    }
                    url
                }
            });
            RequestRow {
                index: i + 1,
                name: Some(item.path.clone()),
                method: req
                    .method
                    .as_ref()
                    .map_or_else(|| "GET".to_string(), |m| m.value(src).into_owned()),
                url: url.unwrap_or_default(),
                line: None,
                headers: req
                    .headers
                    .iter()
                    .filter(|h| !h.disabled)
                    .map(|h| (s(src, &h.key), s(src, &h.value)))
                    .collect(),
                body: req.body.as_ref().and_then(|b| body_text(src, b)),
            }
        })
        .collect()
}

pub fn requests(file: &Path, json: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let shown = display_path(file);
    let (text, kind) = match super::read_request_file(file, err) {
        Ok(t) => t,
        Err(code) => return code,
    };
    let rows = if kind == DocKind::Http {
        http_rows(&text, &http::parse(&text))
    } else {
        let coll = postman::parse(&text);
        if coll.root().is_none() {
            return fail(err, EXIT_USAGE, format!("{shown} is not valid JSON"));
        }
        collection_rows(&text, &coll)
    };
    if rows.is_empty() {
        let _ = writeln!(err, "vaultlink: {shown} has no requests");
    }
    let written = if json {
        serde_json::to_writer_pretty(&mut *out, &rows)
            .map_err(std::io::Error::other)
            .and_then(|()| writeln!(out))
    } else {
        rows.iter().try_for_each(|r| {
            let name = r
                .name
                .as_deref()
                .map(|n| format!("  {n}"))
                .unwrap_or_default();
            let line = r.line.map(|l| format!("  (line {l})")).unwrap_or_default();
            writeln!(out, "{:>3}  {} {}{line}{name}", r.index, r.method, r.url)
        })
    };
    if written.is_err() {
        EXIT_USAGE
    } else {
        EXIT_OK
    }
}

#[cfg(test)]
mod tests {
    use expect_test::expect;

    use super::*;

    #[test]
    fn collection_items_without_a_request_are_no_requests_and_a_blank_method_is_get() {
        let src = r#"{
  "info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "item": [
    {"name": "nothing here"},
    {"name": "blank method", "request": {"method": "", "url": "https://x.test/a"}},
    {"name": "no method", "request": {"url": "https://x.test/b"}},
    {"name": "put", "request": {"method": "PUT", "url": "https://x.test/c"}}
  ]
}"#;
        let rows: Vec<String> = collection_rows(src, &postman::parse(src))
            .iter()
            .map(|r| format!("{} {} {} {:?}", r.index, r.method, r.url, r.name))
            .collect();
        expect![[r#"
            1 GET https://x.test/a Some("blank method")
            2 GET https://x.test/b Some("no method")
            3 PUT https://x.test/c Some("put")"#]]
        .assert_eq(&rows.join("\n"));
    }

    #[test]
    fn a_query_missing_from_raw_is_built_from_the_parts() {
        let src = r#"{
  "info": {"name": "c", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "item": [
    {"name": "parts", "request": {"url": {"raw": "{{base}}/offers", "host": ["{{base}}"], "path": ["offers"],
      "query": [{"key": "id", "value": "7"}, {"key": "off", "value": "1", "disabled": true}, {"key": "flag", "value": null}]}}},
    {"name": "raw has one", "request": {"url": {"raw": "{{base}}/a?x=1", "query": [{"key": "x", "value": "1"}, {"key": "y", "value": "2"}]}}},
    {"name": "all disabled", "request": {"url": {"raw": "{{base}}/b", "query": [{"key": "z", "value": "3", "disabled": true}]}}}
  ]
}"#;
        let rows: Vec<String> = collection_rows(src, &postman::parse(src))
            .iter()
            .map(|r| format!("{} {}", r.method, r.url))
            .collect();
        expect![[r#"
            GET {{base}}/offers?id=7&flag
            GET {{base}}/a?x=1
            GET {{base}}/b"#]]
        .assert_eq(&rows.join("\n"));
        let coll = postman::parse(src);
        let sent: Vec<String> = coll
            .requests()
            .iter()
            .filter_map(|(_, r)| r.url.as_ref())
            .map(|u| crate::vault::target::collection_url(src, u))
            .collect();
        expect![[r#"
            {{base}}/offers?id=7&flag
            {{base}}/a?x=1
            {{base}}/b"#]]
        .assert_eq(&sent.join("\n"));
    }
}
