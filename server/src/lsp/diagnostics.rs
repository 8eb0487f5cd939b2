//! The diagnostics of an open document, one computation for both ways they reach the
//! editor (pushed after an edit, pulled by `textDocument/diagnostic`): the offline findings,
//! cached per version and context generation, and what the stores' cached answers add, with
//! the linked secrets that have no answer yet (to fetch in the background).

use std::path::Path;
use std::sync::Arc;

use tower_lsp_server::ls_types::Diagnostic;

use crate::lsp::live;
use crate::lsp::state::{Document, FileData, State, Unfinished};
use crate::lsp::to_proto;
use crate::vault::document::Parsed;
use crate::vault::identifier::{LinkId, Store};

/// A document's diagnostics, and the linked secrets no store has answered about yet.
pub struct Report {
    pub items: Arc<Vec<Diagnostic>>,
    pub unknown: Vec<LinkId>,
}

/// Everything the editor shows for `doc`: offline findings and the stores' answers.
pub fn report(state: &State, doc: &Document) -> Result<Report, Unfinished> {
    let mut items = offline(state, doc)?;
    let (live, unknown) = live(state, doc);
    if !live.is_empty() {
        Arc::make_mut(&mut items).extend(live);
    }
    Ok(Report { items, unknown })
}

/// Diagnostics of an open document that need no store, computed once per version and
/// context generation.
pub fn offline(state: &State, doc: &Document) -> Result<Arc<Vec<Diagnostic>>, Unfinished> {
    let generation = state.generation();
    if let Some((g, d)) = &*doc.diagnostics.lock().unwrap()
        && *g == generation
    {
        return Ok(d.clone());
    }
    let Some(data) = doc.data()? else {
        return Ok(Arc::new(Vec::new()));
    };
    let mut around = state.surroundings(data.path.as_deref(), data.kind, false);
    around.envs.extend(state.names_beside(&data));
    let envs = around.env_sources();
    let env_name = state.env_name.read().unwrap().clone();
    let ctx = around.context(&envs, env_name.as_deref());
    let findings = doc.findings_indexed(&data, generation, &ctx);
    let lines = doc.lines(state.encoding());
    let diags: Arc<Vec<Diagnostic>> = Arc::new(
        findings
            .iter()
            .map(|f| to_proto::diagnostic(&lines, f))
            .collect(),
    );
    *doc.diagnostics.lock().unwrap() = Some((generation, diags.clone()));
    Ok(diags)
}

/// The names an `.http` document gets when a request runs, or from `.env`.
pub fn runtime_names(data: &FileData) -> Vec<String> {
    match (data.path.as_deref().and_then(Path::parent), &data.parsed) {
        (Some(dir), Parsed::Http(file)) => crate::workspace::runtime_names(dir, &data.text, file),
        _ => Vec::new(),
    }
}

/// What the stores' cached answers say about an open document, and the linked secrets with
/// no answer yet. Nothing from a store vaultlink cannot ask.
fn live(state: &State, doc: &Document) -> (Vec<Diagnostic>, Vec<LinkId>) {
    if !state.providers.is_signed_in(Store::KeyVault)
        && !state.providers.is_signed_in(Store::SecretsManager)
    {
        return (Vec::new(), Vec::new());
    }
    let Ok(Some(data)) = doc.data() else {
        return (Vec::new(), Vec::new());
    };
    let generation = state.generation();
    let cached = doc
        .linked_uses
        .lock()
        .unwrap()
        .as_ref()
        .filter(|(g, _)| *g == generation)
        .map(|(_, u)| u.clone());
    let uses = cached.unwrap_or_else(|| {
        let uses = Arc::new(live::linked_uses(state, &data));
        *doc.linked_uses.lock().unwrap() = Some((generation, uses.clone()));
        uses
    });
    if uses.is_empty() {
        return (Vec::new(), Vec::new());
    }
    let now = jiff::Timestamp::now().as_second();
    let uses: Vec<_> = uses
        .iter()
        .filter(|u| state.providers.is_signed_in(u.id.store()))
        .cloned()
        .collect();
    let (findings, unknown) = crate::vault::features::live::findings(&uses, &state.providers, now);
    let lines = doc.lines(state.encoding());
    let diags = findings
        .iter()
        .map(|f| to_proto::diagnostic(&lines, f))
        .collect();
    (diags, unknown)
}
