//! Incremental re-analysis of Postman collections: an edit inside one item (a request, or a
//! folder when the edit is in the folder's own fields) parses that item's JSON value again,
//! reads it again, and puts both in place of the old ones; everything after it moves by the
//! length the edit added or removed. The value is parsed with the parser of the whole file,
//! from the same place, depth and open containers: when that parse ends at the item's own
//! closing bracket where the item now ends, the whole file's parse would read it alike,
//! syntax errors and all, and the rest of the file stays as it was. Otherwise, or when the
//! edit reaches an item's brackets or a syntax error at them, the whole file is parsed.

use memchr::memmem;

use crate::syntax::json::{self, JsonString};
use crate::syntax::postman::{
    self, Auth, Body, Collection, Event, Item, ItemKind, KeyValue, Request, Url, Variable,
};
use crate::text::{Splice, TextRange};
use crate::vault::analysis::{self, Context};
use crate::vault::diagnostic::Finding;
use crate::vault::plaintext;
use crate::vault::secrets::IGNORE_MARKER;

/// What a collection's incremental parse read again.
#[derive(Clone, Debug)]
pub struct ItemPatch {
    /// The item's place: its index among the top-level items, then among its folder's, …
    pub path: Vec<usize>,
    /// Whether the findings outside the item stay as they were: the item defines the same
    /// names for the collection as before the edit, and no ignore marker stands near it.
    pub keeps_findings: bool,
}

/// The parse of `new_text` from `coll`, the parse of `old_text`, when the edit `splice` lies
/// inside one item; `None` when the whole text must be parsed.
pub fn reparse(
    mut coll: Collection,
    old_text: &str,
    new_text: &str,
    splice: Splice,
) -> Option<(Collection, Splice, ItemPatch)> {
    let path = innermost_item(&coll.items, splice)?;
    let old_item = item_at(&coll.items, &path);
    let region = Splice {
        start: old_item.range.start as usize,
        old_end: old_item.range.end as usize,
        new_end: (old_item.range.end as i64 + splice.delta()) as usize,
    };
    // A syntax error at the item's brackets or across them may be where recovery ended the
    // item: such a file is parsed whole. Errors inside the item are read again with it.
    let (lo, hi) = (region.start as u32, region.old_end as u32);
    if coll.errors.iter().any(|e| {
        let inside = e.range.start > lo && e.range.end < hi;
        !inside && e.range.start <= hi && e.range.end >= lo
    }) {
        return None;
    }
    let (id, outer) = coll.tree.find_object(old_item.range)?;
    let kinds = coll.tree.container_kinds(&outer)?;
    let (part, json_errors, end) = json::parse_value_at(new_text, region.start, &kinds);
    let value = part.root()?;
    // The item must end where it did (moved by the edit), at its own closing bracket: not at
    // the end of the text, nor at a bracket of the containers around it, which report an
    // error there and go on with it.
    if end != region.new_end
        || end >= new_text.len()
        || new_text.as_bytes()[end - 1] != b'}'
        || json_errors.iter().any(|e| e.range.end as usize >= end)
        || value.as_object().is_none()
    {
        return None;
    }
    let parent = match path.split_last() {
        Some((_, [])) | None => "",
        Some((_, folder)) => item_at(&coll.items, folder).path.as_str(),
    };
    let (item, read_errors) = postman::read_item(new_text, &value, parent);
    let item = item?;
    // As the whole file's parse lists them: JSON errors first, then the reader's, by start.
    let mut item_errors = json_errors;
    item_errors.extend(read_errors);
    item_errors.sort_by_key(|e| e.range.start);
    let keeps_findings = analysis::collection_item_names(old_text, old_item)
        == analysis::collection_item_names(new_text, &item)
        && !marker_near(old_text, region.start, region.old_end)
        && !marker_near(new_text, region.start, region.new_end);

    // The model: the item replaced, everything after it moved.
    let moved = Mover {
        limit: region.old_end as u32,
        delta: region.delta(),
    };
    *item_at_mut(&mut coll.items, &path) = item;
    moved.collection(&mut coll, &path);
    let lo = coll
        .errors
        .partition_point(|e| (e.range.start as usize) < region.start);
    let hi = coll
        .errors
        .partition_point(|e| (e.range.start as usize) < region.old_end);
    for e in &mut coll.errors[hi..] {
        e.range = moved.range(e.range);
    }
    coll.errors.splice(lo..hi, item_errors);
    coll.tree.replace(id, &outer, part, region);
    Some((
        coll,
        region,
        ItemPatch {
            path,
            keeps_findings,
        },
    ))
}

/// Whether the edit `splice` of `old_text`, whose parse is `coll`, lies in text past the
/// collection's JSON value (a stray bracket closed it early, say) and leaves that text's first
/// character as it was, and the one after a `/`, which could begin a comment with it. The
/// whole file's parse reports such text by one error at its first character and reads no
/// further: the new text's parse is the old one.
pub fn is_past_value(coll: &Collection, old_text: &str, splice: Splice) -> bool {
    let Some(root) = coll.tree.root() else {
        return false;
    };
    let after = json::after_value(old_text, root.range.end as usize);
    let Some(first) = old_text[after..].chars().next() else {
        return false;
    };
    splice.start >= after + first.len_utf8() + usize::from(first == '/')
}

/// Whether the findings of a collection stay as they were after an edit past its JSON value
/// ([`is_past_value`]): no `vaultlink-ignore` marker stands near the edit, before or after it.
pub fn keeps_findings_past_value(old_text: &str, new_text: &str, splice: Splice) -> bool {
    !marker_near(old_text, splice.start, splice.old_end)
        && !marker_near(new_text, splice.start, splice.new_end)
}

/// The findings of the new text from `old`, the findings of the old text in the same context:
/// the item's computed again, the others kept and moved. `None` when every finding may have
/// changed: the item defines other names now, or a `vaultlink-ignore` marker stands near it.
pub fn reanalyse(
    old: &[Finding],
    region: Splice,
    patch: &ItemPatch,
    text: &str,
    coll: &Collection,
    ctx: &Context<'_>,
    names: &analysis::FileScope,
) -> Option<Vec<Finding>> {
    if !patch.keeps_findings {
        return None;
    }
    let item = item_at(&coll.items, &patch.path);
    let mut part = analysis::analyze_collection_part(
        text,
        coll,
        analysis::CollectionPart::Items(std::slice::from_ref(item)),
        ctx,
        names,
    );
    let (id, _) = coll.tree.find_object(item.range)?;
    part.extend(plaintext::json_value_findings(text, &coll.tree.value(id)));
    part.sort_by_key(|f| (f.range.start, f.range.end));
    let lo = old.partition_point(|f| (f.range.start as usize) < region.start);
    let hi = old.partition_point(|f| (f.range.start as usize) < region.old_end);
    let mover = Mover {
        limit: region.old_end as u32,
        delta: region.delta(),
    };
    let mut out = Vec::with_capacity(old.len() - (hi - lo) + part.len());
    out.extend_from_slice(&old[..lo]);
    out.append(&mut part);
    out.extend(old[hi..].iter().map(|f| Finding {
        range: mover.range(f.range),
        ..f.clone()
    }));
    Some(out)
}

/// Whether the ignore marker stands on the lines a finding near `start..end` reads to know
/// whether it is ignored (its own line and the last non-blank line before it): from the last
/// non-blank line before `start`'s to the first non-blank line after `end`'s.
fn marker_near(text: &str, start: usize, end: usize) -> bool {
    let b = text.as_bytes();
    let is_break = |c: &u8| matches!(c, b'\n' | b'\r');
    let line_start = |at: usize| memchr::memrchr2(b'\n', b'\r', &b[..at]).map_or(0, |i| i + 1);
    let line_end = |at: usize| memchr::memchr2(b'\n', b'\r', &b[at..]).map_or(b.len(), |i| at + i);
    let first = line_start(start.min(b.len()));
    let before = b[..first]
        .iter()
        .rposition(|c| !is_break(c))
        .map_or(0, |i| i + 1);
    let from = line_start(before);
    let last = line_end(end.min(b.len()));
    let after = b[last..]
        .iter()
        .position(|c| !is_break(c))
        .map_or(b.len(), |i| last + i);
    let to = line_end(after);
    memmem::find(&b[from..to], IGNORE_MARKER.as_bytes()).is_some()
}

/// The path of the innermost item whose brackets the edit leaves as they were, with the edit
/// between them.
fn innermost_item(items: &[Item], splice: Splice) -> Option<Vec<usize>> {
    let mut path = Vec::new();
    let mut items = items;
    loop {
        // Items stand in file order: the first that ends after the edit is the candidate.
        let i = items.partition_point(|item| (item.range.end as usize) <= splice.old_end);
        match items.get(i) {
            Some(item)
                if (item.range.start as usize) < splice.start
                    && splice.old_end < item.range.end as usize =>
            {
                path.push(i);
                items = item.children();
            }
            _ => return (!path.is_empty()).then_some(path),
        }
    }
}

fn item_at<'c>(items: &'c [Item], path: &[usize]) -> &'c Item {
    let (first, rest) = path.split_first().expect("a path has an index");
    let item = &items[*first];
    if rest.is_empty() {
        item
    } else {
        item_at(item.children(), rest)
    }
}

fn item_at_mut<'c>(items: &'c mut [Item], path: &[usize]) -> &'c mut Item {
    let (first, rest) = path.split_first().expect("a path has an index");
    let item = &mut items[*first];
    if rest.is_empty() {
        return item;
    }
    match &mut item.kind {
        ItemKind::Folder(children) => item_at_mut(children, rest),
        ItemKind::Request(_) => unreachable!("a path goes through folders"),
    }
}

/// Moves offsets at or after `limit` (the old end of the text an edit replaced) by `delta`.
#[derive(Clone, Copy)]
struct Mover {
    limit: u32,
    delta: i64,
}

impl Mover {
    fn offset(self, o: u32) -> u32 {
        if o >= self.limit {
            (i64::from(o) + self.delta) as u32
        } else {
            o
        }
    }

    fn range(self, r: TextRange) -> TextRange {
        TextRange::new(self.offset(r.start), self.offset(r.end))
    }

    fn ranges(self, ranges: &mut [&mut TextRange]) {
        for r in ranges {
            **r = self.range(**r);
        }
    }

    fn string(self, s: &mut JsonString) {
        let JsonString {
            range,
            content,
            has_escapes: _,
        } = s;
        self.ranges(&mut [range, content]);
    }

    fn strings<'a>(self, strings: impl IntoIterator<Item = &'a mut JsonString>) {
        strings.into_iter().for_each(|s| self.string(s));
    }

    /// Moves everything in `coll` but the item at `skip`, which is new.
    fn collection(self, coll: &mut Collection, skip: &[usize]) {
        if self.delta == 0 {
            return;
        }
        let Collection {
            tree: _,
            name,
            schema: _,
            items,
            variables,
            auth,
            events,
            errors: _,
        } = coll;
        self.strings(name.as_mut());
        variables.iter_mut().for_each(|v| self.variable(v));
        auth.iter_mut().for_each(|a| self.auth(a));
        events.iter_mut().for_each(|e| self.event(e));
        self.items(items, Some(skip));
    }

    fn items(self, items: &mut [Item], skip: Option<&[usize]>) {
        let (skip_here, skip_rest) = match skip.and_then(|s| s.split_first()) {
            Some((i, rest)) => (Some(*i), Some(rest)),
            None => (None, None),
        };
        // Items that end before the moved text are left as they are.
        let first = items.partition_point(|item| item.range.end < self.limit);
        for (i, item) in items.iter_mut().enumerate().skip(first) {
            if Some(i) == skip_here {
                match skip_rest {
                    // The new item itself.
                    Some([]) | None => {}
                    // A folder around it: its own fields and its other items move.
                    Some(rest) => self.item(item, Some(rest)),
                }
            } else {
                self.item(item, None);
            }
        }
    }

    fn item(self, item: &mut Item, skip: Option<&[usize]>) {
        let Item {
            name,
            range,
            path: _,
            kind,
            events,
            variables,
            auth,
        } = item;
        self.strings(name.as_mut());
        *range = self.range(*range);
        events.iter_mut().for_each(|e| self.event(e));
        variables.iter_mut().for_each(|v| self.variable(v));
        auth.iter_mut().for_each(|a| self.auth(a));
        match kind {
            ItemKind::Folder(children) => self.items(children, skip),
            ItemKind::Request(request) => self.request(request),
        }
    }

    fn request(self, request: &mut Request) {
        let Request {
            range,
            method,
            url,
            headers,
            body,
            auth,
        } = request;
        *range = self.range(*range);
        self.strings(method.as_mut());
        url.iter_mut().for_each(|u| self.url(u));
        headers.iter_mut().for_each(|kv| self.key_value(kv));
        body.iter_mut().for_each(|b| self.body(b));
        auth.iter_mut().for_each(|a| self.auth(a));
    }

    fn url(self, url: &mut Url) {
        let Url {
            range,
            raw,
            host,
            path,
            query,
            variables,
            protocol,
            port,
        } = url;
        *range = self.range(*range);
        self.strings(raw.as_mut());
        self.strings(host.iter_mut());
        self.strings(path.iter_mut());
        query.iter_mut().for_each(|kv| self.key_value(kv));
        variables.iter_mut().for_each(|kv| self.key_value(kv));
        self.strings(protocol.as_mut());
        self.strings(port.as_mut());
    }

    fn key_value(self, kv: &mut KeyValue) {
        let KeyValue {
            range,
            key,
            value,
            disabled: _,
            kind,
            src,
        } = kv;
        *range = self.range(*range);
        self.strings(key.as_mut());
        self.strings(value.as_mut());
        self.strings(kind.as_mut());
        self.strings(src.iter_mut());
    }

    fn body(self, body: &mut Body) {
        let Body {
            range,
            mode,
            raw,
            urlencoded,
            formdata,
            graphql_query,
            graphql_variables,
            file_src,
            disabled: _,
        } = body;
        *range = self.range(*range);
        self.strings(mode.as_mut());
        self.strings(raw.as_mut());
        urlencoded.iter_mut().for_each(|kv| self.key_value(kv));
        formdata.iter_mut().for_each(|kv| self.key_value(kv));
        self.strings(graphql_query.as_mut());
        self.strings(graphql_variables.as_mut());
        self.strings(file_src.as_mut());
    }

    fn auth(self, auth: &mut Auth) {
        let Auth {
            range,
            kind,
            params,
        } = auth;
        *range = self.range(*range);
        self.strings(kind.as_mut());
        params.iter_mut().for_each(|kv| self.key_value(kv));
    }

    fn variable(self, v: &mut Variable) {
        let Variable {
            range,
            key,
            value,
            disabled: _,
        } = v;
        *range = self.range(*range);
        self.strings(key.as_mut());
        self.strings(value.as_mut());
    }

    fn event(self, e: &mut Event) {
        let Event {
            range,
            listen,
            lines,
            disabled: _,
        } = e;
        *range = self.range(*range);
        self.strings(listen.as_mut());
        self.strings(lines.iter_mut());
    }
}
