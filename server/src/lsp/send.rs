//! `vaultlink.sendRequest`: the request at a position, sent with its secrets; the answer
//! carries the response and the request as sent, every secret value masked. One redactor
//! serves the whole session: every value fetched since the server started stays masked in
//! every later answer, and responses are kept masked for the requests that read them.
//! Progress is reported with `$/progress`; `$/cancelRequest` drops the request's future,
//! which closes its connection.

use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::NumberOrString;

use crate::lsp::handlers::{self, failed_request};
use crate::lsp::server::Publisher;
use crate::send::{self, run};
use crate::vault::identifier::Store;

impl Publisher {
    pub(super) async fn send_request(&self, args: Value) -> Result<Option<Value>> {
        // The values fetched for this send are dropped when it ends, however it ends.
        let _values = ForgetValues(&self.state.providers);
        let state = self.state.clone();
        let (responses, mut redactor) = {
            let session = self.responses.lock().unwrap();
            (session.responses.clone(), session.redactor.clone())
        };
        redactor.add_credentials(|v| std::env::var(v).ok());
        let masked = redactor.clone();
        let (plan, links, _) = tokio::task::spawn_blocking(move || {
            handlers::plan_at(&state, &args, &responses)
                .map_err(|e| failed_request(masked.redact(&e.message).into_owned()))
        })
        .await
        .map_err(|_| failed_request("could not read the request"))??;
        let stores = send::stores_needed(&plan, links.as_ref());
        if stores.contains(&Store::KeyVault) && !self.state.providers.azure.is_signed_in() {
            self.sign_in(None, None).await.map_err(|e| {
                failed_request(format!("{} needs Azure for its secrets: {e}", plan.label))
            })?;
        }
        if stores.contains(&Store::SecretsManager) && !self.state.providers.aws.is_signed_in() {
            self.state
                .providers
                .aws
                .sign_in_silently(true)
                .await
                .map_err(|e| {
                    failed_request(format!("{} needs AWS for its secrets: {e}", plan.label))
                })?;
        }
        for s in self.state.providers.credential_secrets() {
            redactor.add(&s);
        }
        let token = NumberOrString::String(format!("vaultlink/send/{}", uuid::Uuid::new_v4()));
        let progress = match self.client.create_work_done_progress(token.clone()).await {
            Ok(()) => Some(
                self.client
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
            let values =
                send::fetch_secrets(&plan, links.as_ref(), &self.state.providers, &mut redactor)
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
            let mut session = self.responses.lock().unwrap();
            session.redactor.merge(&redactor);
            if let (Ok((_, response)), Some(name)) = (&outcome, &plan.name) {
                let kept = send::remember(&plan, response, &redactor);
                session.responses.insert(name.clone(), kept);
            }
        }
        let (echo, response) =
            outcome.map_err(|e| failed_request(redactor.redact(&e).into_owned()))?;
        let mut result = send::response_json(&response, &redactor);
        result["request"] = echo;
        if let Some(note) = &response.redirect_refused {
            result["redirectNotFollowed"] = json!(note);
        }
        Ok(Some(result))
    }
}

/// Drops the secret values the session keeps, when dropped.
struct ForgetValues<'a>(&'a crate::providers::Providers);

impl Drop for ForgetValues<'_> {
    fn drop(&mut self) {
        self.0.forget_values();
    }
}
