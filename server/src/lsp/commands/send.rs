//! `vaultlink.sendRequest`: the request at a position, sent with its secrets; the answer
//! carries the response and the request as sent, every secret value masked. One redactor
//! serves the whole session: every value fetched since the server started stays masked in
//! every later answer, and responses are kept masked for the requests that read them.
//! Progress is reported with `$/progress`; `$/cancelRequest` drops the request's future,
//! which closes its connection.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};
use tower_lsp_server::ls_types::{NumberOrString, Position, Uri};

use crate::lsp::diagnostics::runtime_names;
use crate::lsp::error::{Error, Result};
use crate::lsp::from_proto;
use crate::lsp::global::GlobalState;
use crate::lsp::snapshot::{Around, open};
use crate::lsp::state::State;
use crate::send::plan::{EarlierResponse, Plan};
use crate::send::{self, run};
use crate::vault::identifier::Store;
use crate::vault::links::LinksFile;

/// The arguments of `vaultlink.sendRequest`: the document and a position in the request.
pub struct SendArgs {
    pub uri: Uri,
    pub position: Position,
}

impl SendArgs {
    pub fn decode(args: &Value) -> Result<SendArgs> {
        let uri =
            from_proto::uri_arg(args, "uri").ok_or_else(|| Error::invalid("`uri` is required"))?;
        let position = from_proto::typed_arg(args, "position")
            .ok_or_else(|| Error::invalid("`position` is required"))?;
        Ok(SendArgs { uri, position })
    }
}

pub async fn send_request(global: GlobalState, args: Value) -> Result<Option<Value>> {
    // The values fetched for this send are dropped when it ends, however it ends.
    let _values = ForgetValues(&global.state.providers);
    let state = global.state.clone();
    let (responses, mut redactor) = {
        let session = global.responses.lock().unwrap();
        (session.responses.clone(), session.redactor.clone())
    };
    redactor.add_credentials(|v| std::env::var(v).ok());
    let masked = redactor.clone();
    let (plan, links, _) = tokio::task::spawn_blocking(move || {
        SendArgs::decode(&args)
            .and_then(|args| plan_at(&state, &args, &responses))
            .map_err(|e| Error::failed(masked.redact(&e.message).into_owned()))
    })
    .await
    .map_err(|_| Error::failed("could not read the request"))??;
    let stores = send::stores_needed(&plan, links.as_ref());
    if stores.contains(&Store::KeyVault) && !global.state.providers.azure.is_signed_in() {
        global.sign_in(None, None).await.map_err(|e| {
            Error::failed(format!("{} needs Azure for its secrets: {e}", plan.label))
        })?;
    }
    if stores.contains(&Store::SecretsManager) && !global.state.providers.aws.is_signed_in() {
        global
            .state
            .providers
            .aws
            .sign_in_silently(true)
            .await
            .map_err(|e| Error::failed(format!("{} needs AWS for its secrets: {e}", plan.label)))?;
    }
    for s in global.state.providers.credential_secrets() {
        redactor.add(&s);
    }
    let token = NumberOrString::String(format!("vaultlink/send/{}", uuid::Uuid::new_v4()));
    let progress = match global.client.create_work_done_progress(token.clone()).await {
        Ok(()) => Some(
            global
                .client
                .progress(token, format!("Sending {}", plan.label))
                .with_message(redactor.redact(&format!(
                    "{} {}",
                    plan.method,
                    send::mask_refs(&plan.url)
                )))
                .begin()
                .await,
        ),
        Err(_) => None,
    };
    let outcome = async {
        let values = send::fetch_secrets(
            &plan,
            links.as_ref(),
            &global.state.providers,
            &mut redactor,
        )
        .await?;
        let concrete = send::concrete(&plan, &values, &mut redactor)?;
        let echo = json!({
            "method": concrete.method.as_str(),
            "url": redactor.redact(&concrete.shown_url),
            "headers": concrete
                .headers
                .iter()
                .map(|(n, v)| json!([n, redactor.redact(v)]))
                .collect::<Vec<_>>(),
        });
        let client = run::client(std::time::Duration::from_secs(60));
        let response = run::execute(&client, concrete)
            .await
            .map_err(|e| format!("{}: {e}", plan.label))?;
        Ok::<_, String>((echo, response))
    }
    .await;
    if let Some(p) = progress {
        p.finish_with_message(match &outcome {
            Ok((_, r)) => format!("{} {}", r.status, r.status_text),
            Err(_) => "failed".to_owned(),
        })
        .await;
    }
    {
        let mut session = global.responses.lock().unwrap();
        session.redactor.merge(&redactor);
        if let (Ok((_, response)), Some(name)) = (&outcome, &plan.name) {
            let kept = send::remember(&plan, response, &redactor);
            session.responses.insert(name.clone(), kept);
        }
    }
    let (echo, response) = outcome.map_err(|e| Error::failed(redactor.redact(&e).into_owned()))?;
    let mut result = send::response_json(&response, &redactor);
    result["request"] = echo;
    if let Some(note) = &response.redirect_refused {
        result["redirectNotFollowed"] = json!(note);
    }
    Ok(Some(result))
}

/// The plan of the request at the position of an open document, its secrets checked against
/// the links file, and that links file.
fn plan_at(
    state: &State,
    args: &SendArgs,
    responses: &HashMap<String, EarlierResponse>,
) -> Result<(Plan, Option<LinksFile>, Option<PathBuf>)> {
    let (doc, data) =
        open(state, &args.uri)?.ok_or_else(|| Error::invalid("the document is not open"))?;
    let lines = doc.lines(state.encoding());
    let offset = from_proto::offset(&lines, args.position);
    let listed = send::requests(&data.text, &data.parsed);
    let index = listed
        .iter()
        .filter(|l| l.range.start <= offset)
        .min_by_key(|l| (!l.range.contains_inclusive(offset), offset - l.range.start))
        .or_else(|| listed.first())
        .map(|l| l.index)
        .ok_or_else(|| Error::invalid("there is no request in this document"))?;
    let around = Around::new(state, &data);
    let envs = around.envs();
    let mut world = around.world(&envs);
    world.keyvault = None;
    let dir = data
        .path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf);
    let dynamics = send::dynamics::SystemDynamics { dir: dir.clone() };
    let read_file = |p: &Path| std::fs::read(p);
    let inputs = send::plan::Inputs {
        doc: data.doc(),
        world,
        dynamics: &dynamics,
        responses,
        read_file: &read_file,
        runtime_names: &runtime_names(&data),
    };
    let plan = send::plan_request(&inputs, index).map_err(|e| Error::failed(e.0))?;
    let links = world.links.map(|l| l.file.clone());
    send::check_secrets(&plan, links.as_ref()).map_err(Error::failed)?;
    Ok((plan, links, data.path.clone()))
}

/// Drops the secret values the session keeps, when dropped.
struct ForgetValues<'a>(&'a crate::providers::Providers);

impl Drop for ForgetValues<'_> {
    fn drop(&mut self) {
        self.0.forget_values();
    }
}
