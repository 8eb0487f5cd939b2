//! The reference scanner: `{{vault:NAME}}`, `{{variable}}` and `{{$dynamic}}` uses in request
//! text, and `pm.vault.get/set/unset("NAME")` calls in collection scripts.
//!
//! This runs on every keystroke over whole documents, so it scans bytes with `memchr` and
//! allocates only for what it finds. Offsets are relative to the scanned text plus a `base`
//! the caller gives, so that a slice of a larger document reports document offsets.

use crate::text::{TextRange, to_u32};

/// One `{{…}}` found in text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ref {
    /// The whole `{{…}}` (up to the end of the line when it is unterminated).
    pub range: TextRange,
    pub kind: RefKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefKind {
    /// `{{vault:NAME}}` with a well-formed static name; `name` is its range, spaces excluded.
    Vault { name: TextRange },
    /// `{{vault:…{{var}}…}}`: a name built from variables, resolved when the request is sent.
    DynamicVault { name: TextRange },
    /// A malformed vault reference; `message` says what is wrong.
    InvalidVault { message: &'static str },
    /// `{{name}}`, `{{name.path}}`; `name` is its range, spaces excluded.
    Variable { name: TextRange },
    /// `{{$uuid}}`, `{{$randomInt 1 10}}`; `name` is the `$word` range.
    Dynamic { name: TextRange },
    /// An empty `{{}}`, or a `{{name` that the line never closes; `message` says which.
    Malformed { message: &'static str },
    /// Something else between the braces (a script expression).
    Other,
}

/// The longest reference name.
pub const MAX_NAME_LEN: usize = 256;

/// Whether `name` is a valid static reference name: 1–256 letters, digits, `_`, `-`, `.`.
pub fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.chars().count() <= MAX_NAME_LEN && name.chars().all(is_name_char)
}

fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Why `name` is not a valid reference name, for messages.
pub fn name_problem(name: &str) -> Option<&'static str> {
    if name.is_empty() {
        Some("the vault reference has no name: write `{{vault:NAME}}`")
    } else if name.chars().count() > MAX_NAME_LEN {
        Some("the vault reference name is longer than 256 characters")
    } else if !name.chars().all(is_name_char) {
        Some("a vault reference name takes only letters, digits, `_`, `-` and `.`")
    } else {
        None
    }
}

/// Scans `text` for `{{…}}`, pushing what it finds to `out` with offsets shifted by `base`.
pub fn scan(text: &str, base: u32, out: &mut Vec<Ref>) {
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(rel) = find_pair(&b[i..], b'{') {
        let open = i + rel;
        let (r, next) = scan_one(text, open);
        out.push(Ref {
            range: r.range.shift(base),
            kind: shift_kind(r.kind, base),
        });
        // A dynamic vault name holds variables: report those too.
        if let RefKind::DynamicVault { name } = r.kind {
            let mut inner = Vec::new();
            scan(name.slice(text), name.start, &mut inner);
            out.extend(inner.into_iter().map(|r| Ref {
                range: r.range.shift(base),
                kind: shift_kind(r.kind, base),
            }));
        }
        i = next;
    }
}

fn shift_kind(kind: RefKind, d: u32) -> RefKind {
    match kind {
        RefKind::Vault { name } => RefKind::Vault {
            name: name.shift(d),
        },
        RefKind::DynamicVault { name } => RefKind::DynamicVault {
            name: name.shift(d),
        },
        RefKind::Variable { name } => RefKind::Variable {
            name: name.shift(d),
        },
        RefKind::Dynamic { name } => RefKind::Dynamic {
            name: name.shift(d),
        },
        k @ (RefKind::InvalidVault { .. } | RefKind::Malformed { .. } | RefKind::Other) => k,
    }
}

/// The first `cc` in `b`. Cheaper than a `memmem` search for short inputs, which is what
/// most scans are: a header value, a JSON string.
fn find_pair(b: &[u8], c: u8) -> Option<usize> {
    let mut i = 0;
    while let Some(rel) = memchr::memchr(c, &b[i..]) {
        let at = i + rel;
        match b.get(at + 1) {
            Some(&next) if next == c => return Some(at),
            Some(_) => i = at + 1,
            None => return None,
        }
    }
    None
}

/// The end of the line that holds `from`: the offset of its first `\n` or `\r`.
fn line_end(b: &[u8], from: usize) -> usize {
    memchr::memchr2(b'\n', b'\r', &b[from..]).map_or(b.len(), |i| from + i)
}

/// Scans the reference that starts with `{{` at `open`; returns it and where to go on.
fn scan_one(text: &str, open: usize) -> (Ref, usize) {
    let b = text.as_bytes();
    let eol = line_end(b, open);
    let inner_start = open + 2;
    let lead = b[inner_start..eol]
        .iter()
        .take_while(|&&c| c == b' ' || c == b'\t')
        .count();
    let body = inner_start + lead;
    if b[body..eol].starts_with(b"vault:") {
        return scan_vault(text, open, body + 6, eol);
    }
    // `{{name}}`: the first `}}` on the line closes it.
    let Some(close) = find_pair(&b[inner_start..eol], b'}').map(|i| inner_start + i) else {
        // Unterminated: a name left open is reported; other braces are plain text.
        let opens_name = b
            .get(body)
            .is_some_and(|&c| c.is_ascii_alphabetic() || c == b'_' || c == b'$');
        let kind = if opens_name {
            RefKind::Malformed {
                message: "unterminated `{{`: close the variable with `}}`",
            }
        } else {
            RefKind::Other
        };
        return (
            Ref {
                range: TextRange::from_usize(open, eol),
                kind,
            },
            inner_start,
        );
    };
    let range = TextRange::from_usize(open, close + 2);
    let inner = text[inner_start..close].trim_matches([' ', '\t']);
    let start = inner_start + lead;
    let kind = if inner.is_empty() {
        RefKind::Malformed {
            message: "empty `{{}}`: write a variable name between the braces",
        }
    } else if let Some(rest) = inner.strip_prefix('$') {
        let word = rest
            .bytes()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_' || *c == b'.')
            .count();
        if word == 0 {
            RefKind::Other
        } else {
            RefKind::Dynamic {
                name: TextRange::from_usize(start, start + 1 + word),
            }
        }
    } else if !inner.is_empty()
        && inner.bytes().all(|c| {
            c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.' | b'[' | b']' | b'$' | b'*')
        })
        || (!inner.is_empty() && inner.chars().all(is_name_char))
    {
        RefKind::Variable {
            name: TextRange::from_usize(start, start + inner.len()),
        }
    } else {
        RefKind::Other
    };
    (Ref { range, kind }, close + 2)
}

/// `{{vault:` has been seen; `name_start` is the first byte after the colon.
fn scan_vault(text: &str, open: usize, name_start: usize, eol: usize) -> (Ref, usize) {
    let b = text.as_bytes();
    // Find the matching `}}`, counting nested `{{ }}` (dynamic names).
    let mut depth = 0u32;
    let mut i = name_start;
    let mut close = None;
    while i < eol {
        if b[i] == b'{' && i + 1 < eol && b[i + 1] == b'{' {
            depth += 1;
            i += 2;
        } else if b[i] == b'}' && i + 1 < eol && b[i + 1] == b'}' {
            if depth == 0 {
                close = Some(i);
                break;
            }
            depth -= 1;
            i += 2;
        } else {
            i += 1;
        }
    }
    let Some(close) = close else {
        let range = TextRange::from_usize(open, eol);
        let kind = RefKind::InvalidVault {
            message: "unterminated vault reference: close it with `}}`",
        };
        return (Ref { range, kind }, eol);
    };
    let range = TextRange::from_usize(open, close + 2);
    let raw = &text[name_start..close];
    let lead = raw.len() - raw.trim_start_matches([' ', '\t']).len();
    let name = raw.trim_matches([' ', '\t']);
    let name_range = TextRange::from_usize(name_start + lead, name_start + lead + name.len());
    let kind = if name.contains("{{") {
        RefKind::DynamicVault { name: name_range }
    } else {
        match name_problem(name) {
            None => RefKind::Vault { name: name_range },
            Some(message) => RefKind::InvalidVault { message },
        }
    };
    (Ref { range, kind }, close + 2)
}

static SCRIPT_FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"pm.vault."));

/// Whether `raw`, the source of a JSON string, can hold a `{{…}}` once decoded: it has `{{`,
/// or a `\u` escape that might spell a brace.
pub fn json_may_have_refs(raw: &str) -> bool {
    find_pair(raw.as_bytes(), b'{').is_some() || raw.contains("\\u")
}

/// Whether `raw`, the source of a JSON string, can hold a `pm.vault.` call once decoded.
pub fn json_may_have_script_calls(raw: &str) -> bool {
    SCRIPT_FINDER.find(raw.as_bytes()).is_some() || raw.contains("\\u")
}

/// `text` with each reference for which `with` gives a replacement replaced by it (the
/// others kept as written), in one pass. Borrowed when nothing was replaced.
pub fn rewrite<'t>(
    text: &'t str,
    mut with: impl FnMut(&Ref) -> Option<String>,
) -> std::borrow::Cow<'t, str> {
    use std::borrow::Cow;
    if find_pair(text.as_bytes(), b'{').is_none() {
        return Cow::Borrowed(text);
    }
    let mut found = Vec::new();
    scan(text, 0, &mut found);
    let mut out = String::new();
    let (mut last, mut changed) = (0, false);
    for r in &found {
        // A reference inside one already replaced (a variable in a dynamic vault name) went
        // with it.
        if (r.range.start as usize) < last {
            continue;
        }
        if let Some(value) = with(r) {
            out.push_str(&text[last..r.range.start as usize]);
            out.push_str(&value);
            last = r.range.end as usize;
            changed = true;
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// How many bytes [`substitute`] may add beyond the length of the text it is given.
const MAX_SUBSTITUTED_GROWTH: usize = 8 * 1024;

/// `text` with each `{{name}}` whose value `value_of` knows replaced by it, again in the
/// result up to a fixed depth (values may use other variables; a cycle stops there).
pub fn substitute<'t>(
    text: &'t str,
    mut value_of: impl FnMut(&str) -> Option<String>,
) -> std::borrow::Cow<'t, str> {
    use std::borrow::Cow;
    let mut cur: Cow<str> = Cow::Borrowed(text);
    // What substitution may add in all, so that values that repeat each other cannot grow
    // the text exponentially: past it, variables are left as written.
    let mut budget = text.len() + MAX_SUBSTITUTED_GROWTH;
    for _ in 0..8 {
        let next = rewrite(&cur, |r| match r.kind {
            RefKind::Variable { name } => {
                let value = value_of(name.slice(&cur))?;
                budget = budget.checked_sub(value.len())?;
                Some(value)
            }
            _ => None,
        });
        match next {
            Cow::Borrowed(_) => break,
            Cow::Owned(o) => cur = Cow::Owned(o),
        }
    }
    cur
}

/// A `pm.vault.*` call in a script.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScriptCall {
    pub method: VaultMethod,
    /// The whole `pm.vault.get(` … up to the closing quote of the name.
    pub range: TextRange,
    /// The name inside the quotes.
    pub name: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VaultMethod {
    Get,
    Set,
    Unset,
}

impl VaultMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            VaultMethod::Get => "get",
            VaultMethod::Set => "set",
            VaultMethod::Unset => "unset",
        }
    }
}

/// Scans script text for `pm.vault.get/set/unset(` followed by a quoted literal name.
/// Calls whose argument is not a literal (a variable, an expression) are not reported.
pub fn scan_script(text: &str, base: u32, out: &mut Vec<ScriptCall>) {
    let b = text.as_bytes();
    let finder = &*SCRIPT_FINDER;
    let mut i = 0;
    while let Some(rel) = finder.find(&b[i..]) {
        let start = i + rel;
        i = start + 9;
        let rest = &b[i..];
        let (method, len) = if rest.starts_with(b"unset") {
            (VaultMethod::Unset, 5)
        } else if rest.starts_with(b"get") {
            (VaultMethod::Get, 3)
        } else if rest.starts_with(b"set") {
            (VaultMethod::Set, 3)
        } else {
            continue;
        };
        let mut j = i + len;
        j += ws(&b[j..]);
        if b.get(j) != Some(&b'(') {
            continue;
        }
        j += 1;
        j += ws(&b[j..]);
        let Some(&q) = b.get(j).filter(|&&q| matches!(q, b'"' | b'\'' | b'`')) else {
            continue;
        };
        let name_start = j + 1;
        let Some(name_len) = b[name_start..]
            .iter()
            .position(|&c| c == q || c == b'\n' || c == b'\r')
        else {
            continue;
        };
        let name_end = name_start + name_len;
        if b[name_end] != q {
            continue;
        }
        // A template literal with `${…}` is an expression, not a literal name.
        if q == b'`' && text[name_start..name_end].contains("${") {
            continue;
        }
        out.push(ScriptCall {
            method,
            range: TextRange::from_usize(start, name_end + 1).shift(base),
            name: TextRange::from_usize(name_start, name_end).shift(base),
        });
        i = name_end + 1;
    }
}

fn ws(b: &[u8]) -> usize {
    b.iter().take_while(|c| matches!(c, b' ' | b'\t')).count()
}

/// Offsets of a `&str` inside the text it was sliced from.
pub fn offset_in(outer: &str, inner: &str) -> u32 {
    to_u32(inner.as_ptr() as usize - outer.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{Expect, expect};

    fn check(text: &str, expect: Expect) {
        let mut out = Vec::new();
        scan(text, 0, &mut out);
        let rendered: Vec<String> = out
            .iter()
            .map(|r| {
                let whole = r.range.slice(text);
                match &r.kind {
                    RefKind::Vault { name } => {
                        format!("vault {:?} {whole:?} name={:?}", r.range, name.slice(text))
                    }
                    RefKind::DynamicVault { name } => format!(
                        "dynamic-vault {:?} {whole:?} name={:?}",
                        r.range,
                        name.slice(text)
                    ),
                    RefKind::InvalidVault { message } => {
                        format!("invalid {:?} {whole:?}: {message}", r.range)
                    }
                    RefKind::Variable { name } => {
                        format!("var {:?} {whole:?} name={:?}", r.range, name.slice(text))
                    }
                    RefKind::Dynamic { name } => {
                        format!("dyn {:?} {whole:?} name={:?}", r.range, name.slice(text))
                    }
                    RefKind::Malformed { message } => {
                        format!("malformed {:?} {whole:?}: {message}", r.range)
                    }
                    RefKind::Other => format!("other {:?} {whole:?}", r.range),
                }
            })
            .collect();
        expect.assert_eq(&rendered.join("\n"));
    }

    #[test]
    fn vault_references() {
        check(
            "Authorization: Bearer {{vault:stripe-key}} and {{ vault:db.pass_1 }}",
            expect![[r#"
                vault 22..42 "{{vault:stripe-key}}" name="stripe-key"
                vault 47..68 "{{ vault:db.pass_1 }}" name="db.pass_1""#]],
        );
    }

    #[test]
    fn malformed_vault_references() {
        check(
            "{{vault:}} {{vault:bad name}} {{vault:a/b}}\n{{vault:open\nx",
            expect![[r#"
                invalid 0..10 "{{vault:}}": the vault reference has no name: write `{{vault:NAME}}`
                invalid 11..29 "{{vault:bad name}}": a vault reference name takes only letters, digits, `_`, `-` and `.`
                invalid 30..43 "{{vault:a/b}}": a vault reference name takes only letters, digits, `_`, `-` and `.`
                invalid 44..56 "{{vault:open": unterminated vault reference: close it with `}}`"#]],
        );
        let long = format!("{{{{vault:{}}}}}", "a".repeat(257));
        let mut out = Vec::new();
        scan(&long, 0, &mut out);
        assert!(matches!(out[0].kind, RefKind::InvalidVault { .. }));
        let ok = format!("{{{{vault:{}}}}}", "é".repeat(256));
        out.clear();
        scan(&ok, 0, &mut out);
        assert!(matches!(out[0].kind, RefKind::Vault { .. }), "{out:?}");
    }

    #[test]
    fn rewriting_a_dynamic_vault_name_takes_the_variables_inside_it_along() {
        // Both the reference and the variable in its name are replaced: the variable goes with
        // the reference instead of being cut out of text already replaced.
        let text = "k={{vault:{{user}}-key}}&u={{user}}";
        let out = rewrite(text, |r| match r.kind {
            RefKind::DynamicVault { .. } => Some("{{vault:api-key}}".to_owned()),
            RefKind::Variable { .. } => Some("api".to_owned()),
            _ => None,
        });
        assert_eq!(out, "k={{vault:api-key}}&u=api");
        let out = rewrite(text, |r| match r.kind {
            RefKind::Variable { .. } => Some("api".to_owned()),
            _ => None,
        });
        assert_eq!(out, "k={{vault:api-key}}&u=api");
    }

    #[test]
    fn substitution_of_values_that_repeat_each_other_stays_small() {
        // Each round would multiply the text by ten: it stops growing at the budget instead.
        let out = crate::syntax::finishes(|| {
            substitute("{{a}}", |_| Some("{{a}}".repeat(10))).into_owned()
        });
        assert!(
            out.len() <= 5 + MAX_SUBSTITUTED_GROWTH + 50,
            "{}",
            out.len()
        );
        assert!(out.starts_with("{{a}}{{a}}"), "{out}");
    }

    #[test]
    fn dynamic_vault_names_are_not_malformed() {
        check(
            "{{vault:{{env}}-api-key}} {{vault:{{ $processEnv X }}}}",
            expect![[r#"
                dynamic-vault 0..25 "{{vault:{{env}}-api-key}}" name="{{env}}-api-key"
                var 8..15 "{{env}}" name="env"
                dynamic-vault 26..55 "{{vault:{{ $processEnv X }}}}" name="{{ $processEnv X }}"
                dyn 34..53 "{{ $processEnv X }}" name="$processEnv""#]],
        );
    }

    #[test]
    fn variables_and_dynamic_variables() {
        check(
            "{{host}}/{{ login.response.body.$.id }}?{{$randomInt 1 10}}&{{$uuid}} {{ a + b }} {{}} {{open",
            expect![[r#"
                var 0..8 "{{host}}" name="host"
                var 9..39 "{{ login.response.body.$.id }}" name="login.response.body.$.id"
                dyn 40..59 "{{$randomInt 1 10}}" name="$randomInt"
                dyn 60..69 "{{$uuid}}" name="$uuid"
                other 70..81 "{{ a + b }}"
                malformed 82..86 "{{}}": empty `{{}}`: write a variable name between the braces
                malformed 87..93 "{{open": unterminated `{{`: close the variable with `}}`"#]],
        );
    }

    #[test]
    fn offsets_are_bytes_after_non_ascii_and_shifted_by_base() {
        let text = "é中😀{{vault:k}}";
        let mut out = Vec::new();
        scan(text, 100, &mut out);
        assert_eq!(out[0].range, TextRange::new(100 + 9, 100 + 9 + 11));
        let RefKind::Vault { name } = out[0].kind else {
            panic!()
        };
        assert_eq!(name, TextRange::new(100 + 17, 100 + 18));
    }

    #[test]
    fn script_calls() {
        let text = r#"const k = pm.vault.get("api-key"); await pm.vault.set('x', v); pm.vault.unset(`y`); pm.vault.get(name); pm.vault.get(`a${b}`); pm.vault.get ( "z" )"#;
        let mut out = Vec::new();
        scan_script(text, 0, &mut out);
        let got: Vec<(&str, &str)> = out
            .iter()
            .map(|c| (c.method.as_str(), c.name.slice(text)))
            .collect();
        assert_eq!(
            got,
            [
                ("get", "api-key"),
                ("set", "x"),
                ("unset", "y"),
                ("get", "z")
            ]
        );
        assert_eq!(out[0].range.slice(text), r#"pm.vault.get("api-key""#);
    }

    #[test]
    fn never_panics() {
        for t in [
            "{{",
            "{{vault:",
            "{{vault:{{",
            "}}{{vault:}}}}",
            "{{vault:a}",
            "{{$",
            "{{ vault:",
            "{{vault:é",
            "{{\r\n}}",
        ] {
            let mut out = Vec::new();
            scan(t, 0, &mut out);
            for r in &out {
                assert!(t.get(r.range.as_usize()).is_some(), "{t:?} {r:?}");
            }
            let mut calls = Vec::new();
            scan_script("pm.vault.get(\"", 0, &mut calls);
            scan_script(t, 0, &mut calls);
        }
    }
}
