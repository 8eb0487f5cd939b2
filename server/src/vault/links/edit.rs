//! Writing `vaultlink.json`: the text edits that add or remove a link while keeping the rest
//! of the file byte for byte.

use super::*;

/// A replacement of `range` in the original text by `new_text`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextEdit {
    /// The range of the original text to replace; empty for an insertion.
    pub range: TextRange,
    /// The replacement; empty for a deletion.
    pub new_text: String,
}

/// Why the links file could not be edited.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditError {
    /// There is no link with this name.
    NotFound(String),
    /// The file is not valid enough to edit safely; the message says where and what.
    Malformed(String),
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EditError::NotFound(name) => {
                write!(f, "{FILE_NAME} has no link named `{}`", shorten(name))
            }
            EditError::Malformed(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for EditError {}

/// Applies non-overlapping `edits`, given in any order, to `src`. Insertions at the same
/// offset keep their order. An edit that overlaps an earlier one or does not fit `src` is
/// skipped (and fails debug builds: it is a bug in whoever made the edits).
pub fn apply_edits(src: &str, edits: &[TextEdit]) -> String {
    let mut sorted: Vec<&TextEdit> = edits.iter().collect();
    sorted.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out =
        String::with_capacity(src.len() + edits.iter().map(|e| e.new_text.len()).sum::<usize>());
    let mut pos = 0;
    for edit in sorted {
        let (start, end) = (edit.range.start as usize, edit.range.end as usize);
        let fits = pos <= start
            && start <= end
            && end <= src.len()
            && src.is_char_boundary(start)
            && src.is_char_boundary(end);
        debug_assert!(
            fits,
            "edit {:?} overlaps another or does not fit the text",
            edit.range
        );
        if !fits {
            continue;
        }
        out.push_str(&src[pos..start]);
        out.push_str(&edit.new_text);
        pos = end;
    }
    out.push_str(&src[pos..]);
    out
}

/// A whole new links file holding one link, with 2-space indentation and a final newline.
pub fn new_file(name: &str, identifier: &str, domains: &[String]) -> String {
    let style = Style {
        eol: "\n",
        unit: "  ".to_owned(),
        colon: ": ".to_owned(),
    };
    let secrets = secrets_value(name, identifier, domains);
    format!(
        "{{\n  \"secrets\": {}\n}}\n",
        secrets.render(&style, "  ", false)
    )
}

/// Edits that add the link `name` → `identifier`, or replace the link of an existing entry
/// (keeping its place and its other keys, and replacing `allowedDomains` only when `domains`
/// is not empty). `secrets` is created when missing. New text follows the file's indentation
/// and line endings; an empty file gets [`new_file`]. Nothing else in the file changes.
///
/// Neither `name` nor `identifier` is validated here: the caller checks them first (with
/// [`SecretId::parse`]), so that an untrusted identifier never reaches the file. Both are
/// escaped as JSON strings. Refuses a file with JSON errors. Returns no edits when the file
/// already says exactly this.
pub fn set_link_edits(
    src: &str,
    name: &str,
    identifier: &str,
    domains: &[String],
) -> Result<Vec<TextEdit>, EditError> {
    let doc = json::parse(src);
    let Some(root) = editable_root(src, &doc)? else {
        // Nothing but whitespace and comments: keep them and add the file after them.
        let mut text = new_file(name, identifier, domains);
        if src.trim_start_matches('\u{FEFF}').trim().is_empty() {
            return Ok(vec![TextEdit {
                range: TextRange::from_usize(0, src.len()),
                new_text: text,
            }]);
        }
        if !src.ends_with(['\n', '\r']) {
            text.insert_str(0, detect_eol(src));
        }
        return Ok(vec![TextEdit {
            range: TextRange::from_usize(src.len(), src.len()),
            new_text: text,
        }]);
    };
    let style = Style::detect(src, &root);
    let link = json_string(identifier);
    let mut edits = match root.member(src, "secrets") {
        None => add_members(
            src,
            &style,
            &root,
            vec![(
                json_string("secrets"),
                secrets_value(name, identifier, domains),
            )],
        ),
        Some(secrets) => {
            let Some(entries) = secrets.value.as_object() else {
                return Err(malformed(
                    src,
                    secrets.value.range,
                    "`secrets` is not an object",
                ));
            };
            match entries.iter().rev().find(|e| e.key.eq_str(src, name)) {
                None => {
                    let mut entry = entry_value(identifier, domains);
                    // A list of one-line entries gets another one-line entry.
                    if let (Some(last), NewValue::Object(_, one_line)) =
                        (entries.last(), &mut entry)
                    {
                        let text = last.value.range.slice(src);
                        if last.value.as_object().is_some_and(|m| !m.is_empty())
                            && !text.contains(['\n', '\r'])
                        {
                            *one_line = Some(text.starts_with("{ "));
                        }
                    }
                    add_members(
                        src,
                        &style,
                        &secrets.value,
                        vec![(json_string(name), entry)],
                    )
                }
                Some(entry) => {
                    if entry.value.as_object().is_none() {
                        // Not an object (a bare string, say): make it a proper entry.
                        let start = entry.key.range.start as usize;
                        let indent = line_indent(src, start);
                        let text = entry_value(identifier, domains).render(
                            &style,
                            indent,
                            !first_on_line(src, start),
                        );
                        vec![TextEdit {
                            range: entry.value.range,
                            new_text: text,
                        }]
                    } else {
                        let mut edits = Vec::new();
                        let mut missing = Vec::new();
                        match entry.value.get(src, "link") {
                            Some(v) => edits.push(TextEdit {
                                range: v.range,
                                new_text: link,
                            }),
                            None => missing.push((json_string("link"), NewValue::Raw(link))),
                        }
                        if !domains.is_empty() {
                            let list = json_array(domains);
                            match entry.value.get(src, "allowedDomains") {
                                Some(v) => edits.push(TextEdit {
                                    range: v.range,
                                    new_text: list,
                                }),
                                None => missing
                                    .push((json_string("allowedDomains"), NewValue::Raw(list))),
                            }
                        }
                        if !missing.is_empty() {
                            edits.extend(add_members(src, &style, &entry.value, missing));
                        }
                        edits
                    }
                }
            }
        }
    };
    edits.retain(|e| e.range.slice(src) != e.new_text);
    Ok(edits)
}

/// Edits that remove the entry `name` from `secrets` (every entry of that name, when it is
/// defined more than once), with its line and the comma that separated it, leaving valid
/// JSON and everything else as it was. `Err(NotFound)` when there is no such entry.
pub fn remove_link_edits(src: &str, name: &str) -> Result<Vec<TextEdit>, EditError> {
    let not_found = || EditError::NotFound(name.to_owned());
    let doc = json::parse(src);
    let root = editable_root(src, &doc)?.ok_or_else(not_found)?;
    let secrets = root.member(src, "secrets").ok_or_else(not_found)?;
    let Some(entries) = secrets.value.as_object() else {
        return Err(malformed(
            src,
            secrets.value.range,
            "`secrets` is not an object",
        ));
    };
    let entries: Vec<Member<'_>> = entries.iter().collect();
    let found: Vec<usize> = (0..entries.len())
        .filter(|&i| entries[i].key.eq_str(src, name))
        .collect();
    match found.as_slice() {
        [] => Err(not_found()),
        &[i] => Ok(remove_member(src, &secrets.value, &entries, i)),
        _ => {
            // Several definitions: remove them one at a time, then hand out one edit.
            let mut text = src.to_owned();
            loop {
                let doc = json::parse(&text);
                let secrets = doc.root().and_then(|r| r.get(&text, "secrets"));
                let entries: Vec<Member<'_>> = secrets
                    .and_then(|s| s.as_object())
                    .unwrap_or_default()
                    .iter()
                    .collect();
                let Some(i) = entries.iter().position(|e| e.key.eq_str(&text, name)) else {
                    break;
                };
                let edits = remove_member(&text, &secrets.unwrap_or(root), &entries, i);
                text = apply_edits(&text, &edits);
            }
            Ok(vec![diff_edit(src, &text)])
        }
    }
}

/// The root object of a file fit for editing; `Ok(None)` when the file holds no value at
/// all (only whitespace and comments).
fn editable_root<'d>(src: &str, doc: &'d json::JsonDoc) -> Result<Option<Value<'d>>, EditError> {
    let Some(root) = doc.root() else {
        // The parser's last error says the file is empty; any other error comes first.
        return match doc.errors.as_slice() {
            [] | [_] => Ok(None),
            [first, ..] => Err(malformed(src, first.range, &first.message)),
        };
    };
    if let Some(e) = doc.errors.first() {
        return Err(malformed(src, e.range, &e.message));
    }
    if root.as_object().is_none() {
        return Err(malformed(src, root.range, "the file is not a JSON object"));
    }
    Ok(Some(root))
}

fn malformed(src: &str, range: TextRange, what: &str) -> EditError {
    let at = LineIndex::new(src).line_col(src, range.start, Encoding::Chars);
    EditError::Malformed(format!(
        "{FILE_NAME} cannot be edited: {what} at line {}, column {}; fix the file first",
        at.line + 1,
        at.col + 1
    ))
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{}\"", s.escape_default()))
}

fn json_array(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|d| json_string(d)).collect();
    format!("[{}]", items.join(", "))
}

/// A value to write: raw JSON text, or an object rendered in the file's style.
enum NewValue {
    Raw(String),
    /// Members as (key JSON, value). The flag forces one line (`Some(padded)`: whether to write
    /// `{ "a": 1 }` rather than `{"a": 1}`); `None` lets the context decide.
    Object(Vec<(String, NewValue)>, Option<bool>),
}

fn entry_value(identifier: &str, domains: &[String]) -> NewValue {
    let mut members = vec![(json_string("link"), NewValue::Raw(json_string(identifier)))];
    if !domains.is_empty() {
        members.push((
            json_string("allowedDomains"),
            NewValue::Raw(json_array(domains)),
        ));
    }
    NewValue::Object(members, None)
}

fn secrets_value(name: &str, identifier: &str, domains: &[String]) -> NewValue {
    NewValue::Object(
        vec![(json_string(name), entry_value(identifier, domains))],
        None,
    )
}

impl NewValue {
    /// The value's text, for a member whose line is indented by `indent`.
    fn render(&self, style: &Style, indent: &str, one_line: bool) -> String {
        match self {
            NewValue::Raw(text) => text.clone(),
            NewValue::Object(members, _) if members.is_empty() => "{}".to_owned(),
            NewValue::Object(members, forced) if one_line || forced.is_some() => {
                let pad = if *forced == Some(true) { " " } else { "" };
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| format!("{k}{}{}", style.colon, v.render(style, indent, true)))
                    .collect();
                format!("{{{pad}{}{pad}}}", members.join(", "))
            }
            NewValue::Object(members, _) => {
                let inner = format!("{indent}{}", style.unit);
                let members: Vec<String> = members
                    .iter()
                    .map(|(k, v)| {
                        format!(
                            "{}{inner}{k}{}{}",
                            style.eol,
                            style.colon,
                            v.render(style, &inner, false)
                        )
                    })
                    .collect();
                format!("{{{}{}{indent}}}", members.join(","), style.eol)
            }
        }
    }
}

/// How the file is written.
struct Style {
    /// `\n` or `\r\n`.
    eol: &'static str,
    /// One level of indentation.
    unit: String,
    /// Between a key and its value: `": "` mostly.
    colon: String,
}

impl Style {
    fn detect(src: &str, root: &Value<'_>) -> Style {
        let colon = root
            .as_object()
            .and_then(|m| m.first())
            .map(|m| TextRange::new(m.key.range.end, m.value.range.start).slice(src))
            .filter(|s| s.contains(':') && s.bytes().all(|b| matches!(b, b':' | b' ' | b'\t')))
            .unwrap_or(": ");
        Style {
            eol: detect_eol(src),
            unit: detect_unit(src),
            colon: colon.to_owned(),
        }
    }
}

fn detect_eol(src: &str) -> &'static str {
    match src.find('\n') {
        Some(i) if i > 0 && src.as_bytes()[i - 1] == b'\r' => "\r\n",
        _ => "\n",
    }
}

/// The indentation unit: tabs when most indented lines start with one, else the smallest
/// indentation in spaces; two spaces when nothing is indented. Only lines that start with
/// JSON (a key, a bracket) count, not comment lines.
fn detect_unit(src: &str) -> String {
    let (mut tabs, mut spaces, mut min_spaces) = (0usize, 0usize, usize::MAX);
    for line in src.lines() {
        let rest = line.trim_start_matches([' ', '\t']);
        if !rest.starts_with(['"', '{', '}', '[', ']']) {
            continue;
        }
        let indent = &line[..line.len() - rest.len()];
        if indent.starts_with('\t') {
            tabs += 1;
        } else if !indent.is_empty() {
            spaces += 1;
            min_spaces = min_spaces.min(indent.len());
        }
    }
    if tabs > spaces {
        "\t".to_owned()
    } else if spaces > 0 {
        " ".repeat(min_spaces.min(8))
    } else {
        "  ".to_owned()
    }
}

/// Edits that add `new` members at the end of the object `obj`, in its layout.
fn add_members(
    src: &str,
    style: &Style,
    obj: &Value<'_>,
    new: Vec<(String, NewValue)>,
) -> Vec<TextEdit> {
    let members = obj.as_object().unwrap_or_default();
    let insert = |at: usize, new_text: String| TextEdit {
        range: TextRange::from_usize(at, at),
        new_text,
    };
    let Some(last) = members.last() else {
        return fill_empty_object(src, style, obj, &new);
    };
    let value_end = last.value.range.end as usize;
    let key_start = last.key.range.start as usize;
    if !first_on_line(src, key_start) {
        // A one-line object: stay on the line.
        let text: String = new
            .iter()
            .map(|(k, v)| format!(", {k}{}{}", style.colon, v.render(style, "", true)))
            .collect();
        return vec![insert(value_end, text)];
    }
    let indent = line_indent(src, key_start);
    let text: Vec<String> = new
        .iter()
        .map(|(k, v)| {
            format!(
                "{}{indent}{k}{}{}",
                style.eol,
                style.colon,
                v.render(style, indent, false)
            )
        })
        .collect();
    let text = text.join(",");
    // After a comment that ends the last member's line, so that it stays with that member.
    match blank_rest_of_line(src, value_end, false) {
        Some((eol, _)) if eol > value_end => {
            vec![insert(value_end, ",".to_owned()), insert(eol, text)]
        }
        _ => vec![insert(value_end, format!(",{text}"))],
    }
}

/// Edits that put `new` members into the empty object `obj`, one per line.
fn fill_empty_object(
    src: &str,
    style: &Style,
    obj: &Value<'_>,
    new: &[(String, NewValue)],
) -> Vec<TextEdit> {
    let open = obj.range.start as usize + 1;
    let close = (obj.range.end as usize).saturating_sub(1).max(open);
    let outer = line_indent(src, obj.range.start as usize);
    let inner = format!("{outer}{}", style.unit);
    let members: Vec<String> = new
        .iter()
        .map(|(k, v)| {
            format!(
                "{}{inner}{k}{}{}",
                style.eol,
                style.colon,
                v.render(style, &inner, false)
            )
        })
        .collect();
    let members = members.join(",");
    let inside = &src[open..close];
    if inside.trim().is_empty() {
        return vec![TextEdit {
            range: TextRange::from_usize(open, close),
            new_text: format!("{members}{}{outer}", style.eol),
        }];
    }
    // Comments inside: after the comment on the `{` line when the `}` is on another line,
    // else just before the `}`.
    match blank_rest_of_line(src, open, false) {
        Some((eol, _)) if eol < close => vec![TextEdit {
            range: TextRange::from_usize(eol, eol),
            new_text: members,
        }],
        _ => vec![TextEdit {
            range: TextRange::from_usize(close, close),
            new_text: format!("{members}{}{outer}", style.eol),
        }],
    }
}

/// Edits that remove member `i` of `obj`.
fn remove_member(src: &str, obj: &Value<'_>, members: &[Member<'_>], i: usize) -> Vec<TextEdit> {
    let delete = |start: usize, end: usize| TextEdit {
        range: TextRange::from_usize(start, end),
        new_text: String::new(),
    };
    let member = &members[i];
    let (key_start, value_end) = (
        member.key.range.start as usize,
        member.value.range.end as usize,
    );
    let last = i + 1 == members.len();
    let open = obj.range.start as usize + 1;
    let close = (obj.range.end as usize).saturating_sub(1).max(open);
    if members.len() == 1
        && src[open..key_start].trim().is_empty()
        && src[value_end..close].trim().is_empty()
    {
        // The only member, and nothing else inside: leave `{}`.
        return vec![delete(open, close)];
    }
    // The member has lines of its own (its comma, if any, and a comment may end its last line).
    let own_lines = first_on_line(src, key_start)
        .then(|| blank_rest_of_line(src, value_end, true))
        .flatten()
        .filter(|&(_, comma)| comma || last);
    if let Some((eol, _)) = own_lines {
        let mut edits = vec![delete(line_start(src, key_start), eol + eol_len(src, eol))];
        if last && i > 0 {
            if let Some(comma) = comma_after(src, members[i - 1].value.range.end as usize) {
                edits.push(delete(comma, comma + 1));
            }
        }
        return edits;
    }
    if !last {
        vec![delete(key_start, members[i + 1].key.range.start as usize)]
    } else if i > 0 {
        vec![delete(members[i - 1].value.range.end as usize, value_end)]
    } else {
        vec![delete(key_start, value_end)]
    }
}

/// One edit that turns `old` into `new`: the span between their common prefix and suffix.
pub(super) fn diff_edit(old: &str, new: &str) -> TextEdit {
    let mut prefix = old
        .bytes()
        .zip(new.bytes())
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(prefix) || !new.is_char_boundary(prefix) {
        prefix -= 1;
    }
    let max_suffix = old.len().min(new.len()) - prefix;
    let mut suffix = old
        .bytes()
        .rev()
        .zip(new.bytes().rev())
        .take(max_suffix)
        .take_while(|(a, b)| a == b)
        .count();
    while !old.is_char_boundary(old.len() - suffix) || !new.is_char_boundary(new.len() - suffix) {
        suffix -= 1;
    }
    TextEdit {
        range: TextRange::from_usize(prefix, old.len() - suffix),
        new_text: new[prefix..new.len() - suffix].to_owned(),
    }
}

fn line_start(src: &str, offset: usize) -> usize {
    src[..offset].rfind(['\n', '\r']).map_or(0, |i| i + 1)
}

/// The spaces and tabs that start the line holding `offset`.
fn line_indent(src: &str, offset: usize) -> &str {
    let start = line_start(src, offset);
    let line = &src[start..offset];
    &line[..line.len() - line.trim_start_matches([' ', '\t']).len()]
}

fn first_on_line(src: &str, offset: usize) -> bool {
    src[line_start(src, offset)..offset]
        .bytes()
        .all(|b| b == b' ' || b == b'\t')
}

fn eol_len(src: &str, at: usize) -> usize {
    match src.as_bytes().get(at..at + 2) {
        Some(b"\r\n") => 2,
        _ if at < src.len() => 1,
        _ => 0,
    }
}

/// When the rest of the line after `from` holds only spaces, comments that end on the line
/// and (with `allow_comma`) one comma: the offset of the line break (or the end of the text),
/// and whether there was a comma.
fn blank_rest_of_line(src: &str, from: usize, allow_comma: bool) -> Option<(usize, bool)> {
    let b = src.as_bytes();
    let mut pos = from;
    let mut comma = false;
    loop {
        match b.get(pos) {
            None | Some(b'\n' | b'\r') => return Some((pos, comma)),
            Some(b' ' | b'\t') => pos += 1,
            Some(b',') if allow_comma && !comma => {
                comma = true;
                pos += 1;
            }
            Some(b'/') if b.get(pos + 1) == Some(&b'/') => {
                let eol = src[pos..].find(['\n', '\r']).map_or(src.len(), |i| pos + i);
                return Some((eol, comma));
            }
            Some(b'/') if b.get(pos + 1) == Some(&b'*') => {
                let end = pos + 2 + src[pos + 2..].find("*/")? + 2;
                if src[pos..end].contains(['\n', '\r']) {
                    return None;
                }
                pos = end;
            }
            Some(_) => return None,
        }
    }
}

/// The offset of the comma that follows `from`, across whitespace and comments.
fn comma_after(src: &str, from: usize) -> Option<usize> {
    let b = src.as_bytes();
    let mut pos = from;
    loop {
        match b.get(pos)? {
            b' ' | b'\t' | b'\n' | b'\r' => pos += 1,
            b',' => return Some(pos),
            b'/' if b.get(pos + 1) == Some(&b'/') => {
                pos = src[pos..].find(['\n', '\r']).map(|i| pos + i)?;
            }
            b'/' if b.get(pos + 1) == Some(&b'*') => pos += 2 + src[pos + 2..].find("*/")? + 2,
            _ => return None,
        }
    }
}
