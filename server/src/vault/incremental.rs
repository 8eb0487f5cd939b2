//! Incremental re-analysis: after an edit, only the part of a document the edit can affect is
//! parsed and analysed again; the rest of the parse and of the findings is kept, moved by the
//! length the edit added or removed.
//!
//! In an `.http` file the parser starts afresh at every `###` line, so that part is the
//! `###` blocks the edit touches. Its findings are the findings of its requests in the scope
//! of the whole file; the findings of the other blocks stay as they were as long as the part
//! defines the same names and values for the rest of the file as before. Any other kind of
//! document, and any edit whose reach cannot be bounded so, is parsed and analysed whole:
//! both ways give the same parse and the same findings (a property the fuzz target
//! `incremental_edits` and the tests check on random edits).

use memchr::memmem;

use crate::syntax::SyntaxError;
use crate::syntax::http::{
    self, Body, Directive, FileVariable, Handler, Header, HttpFile, Metadata, Note, NoteKind,
    Request, is_line_start, separator_from,
};
use crate::text::{Splice, TextRange};
use crate::vault::analysis::{self, Context};
use crate::vault::diagnostic::{Code, Finding};
use crate::vault::document::{DocKind, Parsed};
use crate::vault::plaintext;

mod collection;

/// What an incremental parse parsed again: `region.start..region.old_end` of the old text is
/// `region.start..region.new_end` of the new one.
#[derive(Clone, Debug)]
pub struct Patch {
    pub region: Splice,
    part: Part,
}

#[derive(Clone, Debug)]
enum Part {
    /// The blocks of an `.http` file in the region, parsed again.
    Http {
        file: HttpFile,
        /// Where the plaintext-credential scan reads again, `start..old_end` of the old text
        /// being `start..new_end` of the new one: the region and the block after it (whose
        /// first line's ignore marker may be on the region's last line). `None` when the old
        /// text's lines there could not be scanned alone: then the scan reads the whole text.
        scan: Option<Splice>,
        /// Whether the region defines the same names and values for the rest of the file as
        /// it did before the edit.
        same_scope: bool,
        /// Whether the region defines exactly what it did: then so does the whole file.
        same_names: bool,
        /// How the whole file's definitions changed, when the region only defines other
        /// names than it did, and those it no longer defines stand nowhere else in the text.
        scope_edit: Option<Box<analysis::ScopeEdit>>,
    },
    /// The collection item in the region.
    Item(collection::ItemPatch),
    /// An edit in the text past a collection's JSON value, which the parse does not read
    /// ([`collection::is_past_value`]); `keeps_findings`: no ignore marker near it.
    PastValue { keeps_findings: bool },
}

impl Patch {
    /// Whether the new text defines for itself what the old one did (its
    /// [`analysis::FileScope`] is the old one's): the region defines the same names and
    /// values as before the edit.
    pub fn keeps_scope(&self) -> bool {
        match &self.part {
            Part::Http { same_names, .. } => *same_names,
            Part::Item(item) => item.keeps_findings,
            Part::PastValue { .. } => true,
        }
    }

    /// How the new text's [`analysis::FileScope`] follows from the old one's, when it is not
    /// the same ([`Patch::keeps_scope`]) but a few names added and removed: `None` when it
    /// is to be read from the new text.
    pub fn scope_edit(&self) -> Option<&analysis::ScopeEdit> {
        match &self.part {
            Part::Http { scope_edit, .. } => scope_edit.as_deref(),
            Part::Item(_) | Part::PastValue { .. } => None,
        }
    }

    /// Where the plaintext-credential scan of an `.http` file reads again.
    #[cfg(test)]
    fn scan(&self) -> Option<Splice> {
        match &self.part {
            Part::Http { scan, .. } => *scan,
            Part::Item(_) | Part::PastValue { .. } => None,
        }
    }
}

/// Whether documents of `kind` are parsed incrementally.
pub fn applies(kind: DocKind) -> bool {
    matches!(kind, DocKind::Http | DocKind::Collection)
}

/// The parse of `new_text`, which is `old_text` changed by `splice`, from `old`, the parse of
/// `old_text`: only the blocks the splice touches are parsed again when the kind allows it,
/// and the [`Patch`] says which. Otherwise a parse of the whole text, and no patch.
pub fn reparse(
    kind: DocKind,
    old: Parsed,
    old_text: &str,
    new_text: &str,
    splice: Splice,
) -> (Parsed, Option<Patch>) {
    match (kind, old) {
        (DocKind::Http, Parsed::Http(file)) => {
            match reparse_http(file, old_text, new_text, splice) {
                Some((file, patch)) => (Parsed::Http(file), Some(patch)),
                None => (Parsed::parse(kind, new_text), None),
            }
        }
        (DocKind::Collection, Parsed::Collection(coll))
            if collection::is_past_value(&coll, old_text, splice) =>
        {
            let keeps_findings = collection::keeps_findings_past_value(old_text, new_text, splice);
            (
                Parsed::Collection(coll),
                Some(Patch {
                    region: splice,
                    part: Part::PastValue { keeps_findings },
                }),
            )
        }
        (DocKind::Collection, Parsed::Collection(coll)) => {
            match collection::reparse(coll, old_text, new_text, splice) {
                Some((coll, region, item)) => (
                    Parsed::Collection(coll),
                    Some(Patch {
                        region,
                        part: Part::Item(item),
                    }),
                ),
                None => (Parsed::parse(kind, new_text), None),
            }
        }
        _ => (Parsed::parse(kind, new_text), None),
    }
}

/// The findings of the new text of a [`reparse`], from the findings of the old text in the
/// same context: those outside the patch's region kept (moved), those inside computed
/// again. `None` when the edit changed what the region defines for the rest of the file:
/// then every finding may have changed. `names` is what the new text defines for itself
/// ([`Parsed::file_scope`] of it, which the old text's is when [`Patch::keeps_scope`]).
pub fn reanalyse(
    old: &[Finding],
    patch: &Patch,
    text: &str,
    whole: &Parsed,
    ctx: &Context<'_>,
    names: &analysis::FileScope,
) -> Option<Vec<Finding>> {
    let region = patch.region;
    let (whole_http, part, scan) = match (whole, &patch.part) {
        (
            Parsed::Http(whole),
            Part::Http {
                file,
                scan,
                same_scope,
                ..
            },
        ) if *same_scope => (whole, file, *scan),
        (Parsed::Collection(coll), Part::Item(item)) => {
            return collection::reanalyse(old, region, item, text, coll, ctx, names);
        }
        // The parse is the old one and every finding stands before the edit: they stay.
        (Parsed::Collection(_), Part::PastValue { keeps_findings }) => {
            let reaches = old.iter().any(|f| f.range.end as usize > region.start);
            return (*keeps_findings && !reaches).then(|| old.to_vec());
        }
        _ => return None,
    };
    let mut part = analysis::analyze_http_part(text, analysis::HttpPart::whole(part), ctx, names);
    part.sort_by_key(|f| (f.range.start, f.range.end));
    let lo = old.partition_point(|f| (f.range.start as usize) < region.start);
    let hi = old.partition_point(|f| (f.range.start as usize) < region.old_end);
    let delta = region.delta();
    // The plaintext-credential scan reads the lines of `patch.scan` again and keeps its
    // findings elsewhere, when those lines can be read alone; else it reads the whole text.
    let scan = scan.and_then(|scan| {
        plaintext::http_findings_in(text, whole_http, scan.start, scan.new_end)
            .map(|found| (scan, found))
    });
    let kept = |f: &&Finding| f.code != Code::PlaintextSecret;
    let mut out = Vec::with_capacity(old.len() - (hi - lo) + part.len());
    out.extend(old[..lo].iter().filter(kept).cloned());
    out.append(&mut part);
    out.extend(old[hi..].iter().filter(kept).map(|f| Finding {
        range: moved(f.range, delta),
        ..f.clone()
    }));
    match scan {
        Some((scan, found)) => {
            let plain = |f: &&Finding| f.code == Code::PlaintextSecret;
            let lo = old.partition_point(|f| (f.range.start as usize) < scan.start);
            let hi = old.partition_point(|f| (f.range.start as usize) < scan.old_end);
            out.extend(old[..lo].iter().filter(plain).cloned());
            out.extend(found);
            out.extend(old[hi..].iter().filter(plain).map(|f| Finding {
                range: moved(f.range, delta),
                ..f.clone()
            }));
        }
        None => out.extend(plaintext::findings(text, whole.scanned())),
    }
    out.sort_by_key(|f| (f.range.start, f.range.end));
    Some(out)
}

/// Whether `text` may use the name `name` somewhere: holds it with no letter, digit or `_`
/// right before it, and none right after it but for `Response` (httpyac's whole response of
/// a request) and, when `looped`, digits (a request sent in a loop).
fn may_use(text: &[u8], name: &[u8], looped: bool) -> bool {
    let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
    memmem::find_iter(text, name).any(|at| {
        let before = at.checked_sub(1).map(|i| &text[i]);
        let rest = &text[at + name.len()..];
        !before.is_some_and(word)
            && match rest.first() {
                Some(c) if word(c) => rest.starts_with(b"Response") || looped && c.is_ascii_digit(),
                _ => true,
            }
    })
}

/// The end of the line that starts at `at`, without its line break.
fn line_end(b: &[u8], at: usize) -> usize {
    memchr::memchr2(b'\n', b'\r', &b[at..]).map_or(b.len(), |i| at + i)
}

/// The start of the last `###` line whose whole text lies before `limit`, or 0.
fn separator_before(b: &[u8], limit: usize) -> usize {
    let mut candidates = memchr::memrchr2_iter(b'\n', b'\r', &b[..limit]);
    loop {
        let Some(i) = candidates.next() else {
            return 0;
        };
        let at = i + 1;
        if is_line_start(b, at) && b[at..].starts_with(b"###") && line_end(b, at) < limit {
            return at;
        }
    }
}

/// The part of an `.http` text that its edit `splice` makes to parse again, in offsets of the
/// texts before and after: from a `###` line before the edit to one after it that was one
/// before it too. The blocks outside it parse as they did, moved by the edit. `None` when
/// the blocks are not independent (a `proto` line before the region's end): the whole
/// text is to be parsed.
pub(crate) fn http_region(
    file: &HttpFile,
    old_text: &str,
    new_text: &str,
    splice: Splice,
) -> Option<Splice> {
    let (old_b, new_b) = (old_text.as_bytes(), new_text.as_bytes());
    // The region starts at a `###` line the edit left as it was.
    let start = separator_before(new_b, splice.start);
    // It ends before a `###` line after the edit that was one in the old text too.
    let mut end = separator_from(new_b, splice.new_end);
    let delta = splice.delta();
    if end == splice.new_end && end < new_b.len() {
        let old_end = splice.old_end;
        if !(is_line_start(old_b, old_end) && old_b[old_end..].starts_with(b"###")) {
            end = separator_from(new_b, splice.new_end + 1);
        }
    }
    let region = Splice {
        start,
        old_end: (end as i64 - delta) as usize,
        new_end: end,
    };
    // After httpyac's `proto < file` line, option lines are skipped until a line that is
    // none, however many `###` lines come between: with one before the region's end, the
    // blocks are not independent, and the whole file is parsed. The text before the region
    // is the old one's, whose first `proto` the parse knows; the word holds no line break,
    // so none straddles the region's ends, which are line starts.
    if file.first_proto.is_some_and(|p| (p as usize) < start)
        || memmem::find(&new_b[start..region.new_end], b"proto").is_some()
        || memmem::find(&old_b[start..region.old_end], b"proto").is_some()
    {
        return None;
    }
    Some(region)
}

fn reparse_http(
    mut file: HttpFile,
    old_text: &str,
    new_text: &str,
    splice: Splice,
) -> Option<(HttpFile, Patch)> {
    let region = http_region(&file, old_text, new_text, splice)?;
    let (start, new_b) = (region.start, new_text.as_bytes());
    let delta = splice.delta();
    let part = http::parse_region(new_text, region.start, region.new_end);
    // The scan's lines: the region and the `###` block after it, unchanged by the edit.
    let scan_end = if region.new_end < new_b.len() {
        separator_from(new_b, region.new_end + 1)
    } else {
        new_b.len()
    };
    let scan = Splice {
        start,
        old_end: (scan_end as i64 - delta) as usize,
        new_end: scan_end,
    };
    let scan = plaintext::http_lines_scan_alone(old_text, scan.start, scan.old_end).then_some(scan);
    let removed = splice_file(&mut file, &part, region);
    let before = analysis::http_scope_contribution(old_text, &removed);
    let after = analysis::http_scope_contribution(new_text, &part);
    // A name the region defines differently counts for the rest of the file only if the rest
    // can use it, and a use is a `{{…}}` that starts with the name: so a name that the text
    // outside the region holds nowhere as a word of its own (or followed by `Response`, or by
    // digits when its request is looped) is used nowhere else. Renaming a request
    // (`# @name`) is such an edit, mostly.
    let outside = [&new_b[..region.start], &new_b[region.new_end..]];
    let changed = before.changed_names(&after);
    let same_names = changed.is_empty() && before.refers_alike(&after);
    let same_scope = changed.iter().all(|name| {
        let looped = before.is_looped(name) || after.is_looped(name);
        !name.is_empty()
            && outside
                .iter()
                .all(|part| !may_use(part, name.as_bytes(), looped))
    });
    // A name that stands nowhere outside the region is defined nowhere else: a definition
    // holds its name as it is written.
    let scope_edit = before
        .defined_change(&after)
        .filter(|_| !same_names)
        .filter(|(_, removed)| {
            removed.iter().all(|name| {
                !name.is_empty()
                    && outside
                        .iter()
                        .all(|part| memmem::find(part, name.as_bytes()).is_none())
            })
        })
        .map(|(added, removed)| Box::new(analysis::ScopeEdit { added, removed }));
    Some((
        file,
        Patch {
            region,
            part: Part::Http {
                file: part,
                scan,
                same_scope,
                same_names,
                scope_edit,
            },
        },
    ))
}

/// Replaces the items of `file` in `region` (old offsets) with those of `part`, moving the
/// ones after it; returns the items replaced. No `proto` may stand in the old region: the
/// first one after it is not looked for.
fn splice_file(file: &mut HttpFile, part: &HttpFile, region: Splice) -> HttpFile {
    let HttpFile {
        requests,
        variables,
        errors,
        notes,
        scripts,
        directives,
        script_files,
        first_proto,
    } = file;
    let delta = region.delta();
    *first_proto = match *first_proto {
        Some(p) if (p as usize) < region.start => Some(p),
        old => part
            .first_proto
            .or_else(|| old.map(|p| moved_offset(p, delta))),
    };
    HttpFile {
        first_proto: None,
        requests: splice_items(
            requests,
            &part.requests,
            region,
            |r| r.range,
            |r| move_request(r, delta),
        ),
        variables: splice_items(
            variables,
            &part.variables,
            region,
            |v| v.range,
            |v| {
                let FileVariable { range, name, value } = v;
                move_all(&mut [range, name, value], delta);
            },
        ),
        errors: splice_items(
            errors,
            &part.errors,
            region,
            |e| e.range,
            |e| {
                let SyntaxError { range, message: _ } = e;
                move_all(&mut [range], delta);
            },
        ),
        notes: splice_items(
            notes,
            &part.notes,
            region,
            |n| n.range,
            |n| {
                let Note { range, kind } = n;
                move_all(&mut [range], delta);
                match kind {
                    NoteKind::MissingSeparator { at } | NoteKind::MissingBlankLine { at } => {
                        *at = moved_offset(*at, delta)
                    }
                    NoteKind::BlankInTarget | NoteKind::LowerCaseMethod => {}
                }
            },
        ),
        scripts: splice_items(
            scripts,
            &part.scripts,
            region,
            |s| *s,
            |s| move_all(&mut [s], delta),
        ),
        directives: splice_items(
            directives,
            &part.directives,
            region,
            |d| d.range,
            |d| {
                let Directive {
                    range,
                    kind: _,
                    target,
                } = d;
                move_all(&mut [range, target], delta);
            },
        ),
        script_files: splice_items(
            script_files,
            &part.script_files,
            region,
            |s| *s,
            |s| move_all(&mut [s], delta),
        ),
    }
}

/// Replaces the items of `items` that start in `region.start..region.old_end` with
/// `new`, moving the items after them with `shift`; returns the items replaced. Items stand
/// in file order, block by block, and the region's ends are block boundaries.
fn splice_items<T: Clone>(
    items: &mut Vec<T>,
    new: &[T],
    region: Splice,
    range: impl Fn(&T) -> TextRange,
    shift: impl Fn(&mut T),
) -> Vec<T> {
    let lo = items.partition_point(|i| (range(i).start as usize) < region.start);
    let hi = items.partition_point(|i| (range(i).start as usize) < region.old_end);
    if region.delta() != 0 {
        items[hi..].iter_mut().for_each(shift);
    }
    items.splice(lo..hi, new.iter().cloned()).collect()
}

fn move_request(r: &mut Request, delta: i64) {
    let Request {
        range,
        separator,
        name,
        metadata,
        method,
        target,
        version,
        request_line,
        headers,
        body,
        handlers,
        response_refs,
        curl: _,
    } = r;
    move_all(&mut [range, request_line], delta);
    for r in [separator, name, method, version].into_iter().flatten() {
        *r = moved(*r, delta);
    }
    for Metadata { range, key, value } in metadata {
        move_all(&mut [range, key, value], delta);
    }
    for t in target.iter_mut().chain(response_refs) {
        *t = moved(*t, delta);
    }
    for Header { range, name, value } in headers {
        move_all(&mut [range, name], delta);
        value.iter_mut().for_each(|v| *v = moved(*v, delta));
    }
    if let Some(Body { range, input_files }) = body {
        *range = moved(*range, delta);
        input_files.iter_mut().for_each(|f| *f = moved(*f, delta));
    }
    for Handler {
        range,
        kind: _,
        content,
    } in handlers
    {
        move_all(&mut [range, content], delta);
    }
}

fn move_all(ranges: &mut [&mut TextRange], delta: i64) {
    for r in ranges {
        **r = moved(**r, delta);
    }
}

fn moved_offset(offset: u32, delta: i64) -> u32 {
    (i64::from(offset) + delta) as u32
}

fn moved(r: TextRange, delta: i64) -> TextRange {
    TextRange::new(moved_offset(r.start, delta), moved_offset(r.end, delta))
}

#[cfg(test)]
pub(crate) mod tests;
