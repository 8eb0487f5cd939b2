// The VS Code client of `vaultlink lsp`: starts the server (see serverPath.ts), and adds what
// the protocol leaves to the editor: Send Request with the response beside the request, Link
// Secret with a validated identifier, Azure sign-in with a status bar item, restart and logs.
// Everything else (diagnostics, hover, completion, code actions and lenses) is the server's.

import * as fs from 'node:fs';
import * as vscode from 'vscode';
import {
  ExecuteCommandRequest,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
} from 'vscode-languageclient/node';

import { checkReferenceName, checkSecretId, referenceAt } from './identifier';
import { formatResponse, isSendResult, type SendResult } from './response';
import { resolveServer } from './serverPath';
import { type SignIn, type SignInStatusParams, SIGN_IN_STATUS, fromStatus, statusText } from './status';

const RESPONSE_SCHEME = 'vaultlink-response';
const SEND_REQUEST = 'vaultlink.sendRequest';
const SIGN_IN = 'vaultlink.signIn';
const SIGN_OUT = 'vaultlink.signOut';
const WORKSPACE_TRUST = 'vaultlink/didChangeWorkspaceTrust';
const SAVE_LINKS = 'vaultlink.saveLinksAfterEdit';

let client: LanguageClient | undefined;
let signIn: SignIn | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const log = vscode.window.createOutputChannel('vaultlink', { log: true });
  const responses = new ResponseDocuments();
  const status = vscode.window.createStatusBarItem('vaultlink.azure', vscode.StatusBarAlignment.Right, 100);
  status.name = 'vaultlink: Azure sign-in';
  const showStatus = () => {
    const s = statusText(signIn, Date.now());
    status.text = s.text;
    status.tooltip = s.tooltip;
    status.command = signIn === undefined || s.expired ? 'vaultlink.signInToAzure' : 'vaultlink.signOutOfAzure';
    if (s.expired) {
      signIn = undefined;
    }
    status.show();
  };
  const timer = setInterval(showStatus, 30_000);
  context.subscriptions.push(log, status, { dispose: () => clearInterval(timer) });
  context.subscriptions.push(vscode.workspace.registerTextDocumentContentProvider(RESPONSE_SCHEME, responses));

  const start = async () => {
    client = createClient(context, log, responses, showStatus);
    if (client) {
      await client.start();
    }
  };
  const restart = async () => {
    log.info('restarting the server');
    if (client) {
      await client.stop().catch((e: unknown) => log.warn(`stopping the server: ${String(e)}`));
      client = undefined;
    }
    signIn = undefined;
    showStatus();
    await start();
  };
  let restarting: Promise<void> = Promise.resolve();

  context.subscriptions.push(
    vscode.commands.registerCommand('vaultlink.send', () => sendRequest(log, responses)),
    vscode.commands.registerCommand('vaultlink.link', () => linkSecret()),
    vscode.commands.registerCommand('vaultlink.signInToAzure', async () => {
      await signInToAzure(log);
      showStatus();
    }),
    vscode.commands.registerCommand('vaultlink.signOutOfAzure', async () => {
      await execute(SIGN_OUT, {});
      signIn = undefined;
      showStatus();
    }),
    vscode.commands.registerCommand('vaultlink.restart', () => {
      // One restart at a time: granting trust changes the effective vaultlink.server.path too,
      // and two clients started together would register the server's commands twice.
      restarting = restarting.then(restart, restart);
      return restarting;
    }),
    vscode.commands.registerCommand('vaultlink.showLogs', () => log.show(true)),
    vscode.commands.registerCommand(SAVE_LINKS, async (uris: string[], then?: vscode.Command) => {
      for (const uri of uris) {
        const doc = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
        if (doc?.isDirty && !(await doc.save())) {
          void vscode.window.showWarningMessage(`vaultlink: ${doc.uri.fsPath} was changed but could not be saved.`);
        }
      }
      if (then) {
        await vscode.commands.executeCommand(then.command, ...((then.arguments ?? []) as unknown[]));
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => {
      if (!client || vscode.workspace.getConfiguration('vaultlink').get<string>('server.path')) {
        void vscode.commands.executeCommand('vaultlink.restart');
      } else if (client?.state === State.Running) {
        // The server waits for trust before it signs in, runs `az` or reaches Key Vault.
        void client.sendNotification(WORKSPACE_TRUST, { trusted: true });
      }
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('vaultlink.server.path')) {
        void vscode.commands.executeCommand('vaultlink.restart');
      }
    }),
    { dispose: () => void client?.stop() },
  );

  showStatus();
  restarting = start();
  await restarting;
}

export async function deactivate(): Promise<void> {
  await client?.stop();
  client = undefined;
}

function createClient(
  context: vscode.ExtensionContext,
  log: vscode.LogOutputChannel,
  responses: ResponseDocuments,
  onSignIn: () => void,
): LanguageClient | undefined {
  const config = vscode.workspace.getConfiguration('vaultlink');
  const resolved = resolveServer({
    configured: config.get<string>('server.path') ?? '',
    trusted: vscode.workspace.isTrusted,
    envPath: process.env.PATH ?? '',
    platform: process.platform,
    extensionDir: context.extensionPath,
    workspaceDir: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
    isExecutable,
  });
  for (const line of resolved.log) {
    log.info(`server: ${line}`);
  }
  if (!resolved.ok && resolved.waitsForTrust) {
    // Not an error to fix in the settings: the notification says what trust would change, and
    // closes when the folder is trusted (the server then starts) or when dismissed.
    log.warn(resolved.message);
    void vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: resolved.message, cancellable: true },
      (_progress, cancelled) =>
        new Promise<void>((done) => {
          const trusted = vscode.workspace.onDidGrantWorkspaceTrust(() => {
            trusted.dispose();
            done();
          });
          cancelled.onCancellationRequested(() => {
            trusted.dispose();
            done();
          });
        }),
    );
    return undefined;
  }
  if (!resolved.ok) {
    log.error(resolved.message);
    void vscode.window.showErrorMessage(resolved.message, 'Open Settings', 'Show Logs').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'vaultlink.server.path');
      } else if (choice === 'Show Logs') {
        log.show(true);
      }
    });
    return undefined;
  }

  const serverOptions: ServerOptions = {
    command: resolved.path,
    args: ['lsp'],
    options: { env: process.env },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'http' },
      { scheme: 'untitled', language: 'http' },
      { scheme: 'file', pattern: '**/*.postman_collection.json' },
      { scheme: 'file', pattern: '**/*.postman_environment.json' },
      { scheme: 'file', pattern: '**/http-client.env.json' },
      { scheme: 'file', pattern: '**/http-client.private.env.json' },
      { scheme: 'file', pattern: '**/vaultlink.json' },
    ],
    outputChannel: log,
    initializationOptions: settings(),
    synchronize: {
      configurationSection: 'vaultlink',
      fileEvents: vscode.workspace.createFileSystemWatcher(
        '**/{vaultlink.json,http-client.env.json,http-client.private.env.json,*.postman_environment.json}',
      ),
    },
    middleware: {
      // A quick fix that writes vaultlink.json leaves it saved, as `vaultlink link` does: the
      // link is what the next check, send or teammate reads from disk. The action's own
      // command, if any, runs after the save.
      provideCodeActions: async (document, range, context, token, next) => {
        const actions = await next(document, range, context, token);
        for (const action of actions ?? []) {
          if (!(action instanceof vscode.CodeAction) || !action.edit) continue;
          const links = action.edit
            .entries()
            .map(([uri]) => uri)
            .filter((uri) => uri.path.endsWith('/vaultlink.json'));
          if (links.length > 0) {
            action.command = {
              title: action.command?.title ?? 'Save vaultlink.json',
              command: SAVE_LINKS,
              arguments: [links.map((u) => u.toString()), action.command],
            };
          }
        }
        return actions;
      },
      // A `vaultlink.sendRequest` or `vaultlink.signIn` started by the server (a code lens or a
      // code action) shows its result the same way as the editor's own commands.
      executeCommand: async (command, args, next) => {
        const result: unknown = await next(command, args);
        if (command === SEND_REQUEST && isSendResult(result)) {
          await responses.show(result);
        } else if (command === SIGN_IN) {
          noteSignIn(result);
          onSignIn();
        }
        return result;
      },
    },
  };
  const c = new LanguageClient('vaultlink', 'vaultlink', serverOptions, clientOptions);
  // The server says whenever the sign-in changes, including sign-ins that needed nobody (the
  // environment or the Azure CLI at start) and sign-ins started by a send.
  c.onNotification(SIGN_IN_STATUS, (p: SignInStatusParams) => {
    signIn = fromStatus(p, Date.now());
    onSignIn();
  });
  c.onDidChangeState((e) => {
    if (e.newState === State.Stopped) {
      signIn = undefined;
      onSignIn();
    }
  });
  return c;
}

/**
 * What the server is told at start: `{"vaultlink": {"env": …, "trusted": …}}`. `trusted` is
 * VS Code's workspace trust, never a setting (a workspace could set that for itself).
 */
function settings(): { vaultlink: { env: string | null; trusted: boolean } } {
  const env = vscode.workspace.getConfiguration('vaultlink').get<string | null>('env') ?? null;
  return { vaultlink: { env, trusted: vscode.workspace.isTrusted } };
}

function isExecutable(file: string): boolean {
  try {
    if (!fs.statSync(file).isFile()) {
      return false;
    }
    fs.accessSync(file, process.platform === 'win32' ? fs.constants.F_OK : fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Runs a server command; undefined (after saying why) when there is no running server. */
async function execute(command: string, argument: object): Promise<unknown> {
  if (!client || client.state !== State.Running) {
    void vscode.window.showErrorMessage(
      'vaultlink: the language server is not running. Run "vaultlink: Show Logs" to see why, or "vaultlink: Restart Server".',
    );
    return undefined;
  }
  return client.sendRequest(ExecuteCommandRequest.type, { command, arguments: [argument] });
}

async function sendRequest(log: vscode.LogOutputChannel, responses: ResponseDocuments): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  if (!editor || !client) {
    void vscode.window.showInformationMessage('vaultlink: open a request file and put the cursor in a request.');
    return;
  }
  const argument = {
    uri: editor.document.uri.toString(),
    position: client.code2ProtocolConverter.asPosition(editor.selection.active),
  };
  try {
    if (editor.document.isDirty) {
      // The server reads `< file` bodies from disk but the request itself from the editor.
      log.debug('sending the request as edited (unsaved)');
    }
    const result = await execute(SEND_REQUEST, argument);
    if (result === undefined) {
      return;
    }
    if (!isSendResult(result)) {
      log.error(`vaultlink.sendRequest answered something unexpected: ${JSON.stringify(result)}`);
      void vscode.window.showErrorMessage('vaultlink: the server answered Send Request with something unexpected; see the logs.');
      return;
    }
    await responses.show(result);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error(`Send Request: ${message}`);
    void vscode.window.showErrorMessage(`vaultlink: ${message}`);
  }
}

async function linkSecret(): Promise<void> {
  const editor = vscode.window.activeTextEditor;
  const atCursor = editor
    ? referenceAt(editor.document.lineAt(editor.selection.active.line).text, editor.selection.active.character)
    : undefined;
  const name = await vscode.window.showInputBox({
    title: 'Link Secret (1/2)',
    prompt: 'The name used in {{vault:NAME}}',
    value: atCursor ?? '',
    validateInput: checkReferenceName,
  });
  if (name === undefined) {
    return;
  }
  const identifier = await vscode.window.showInputBox({
    title: 'Link Secret (2/2)',
    prompt: `The Key Vault secret that {{vault:${name}}} stands for`,
    placeHolder: 'https://<vault>.vault.azure.net/secrets/<name>[/<version>]',
    ignoreFocusOut: true,
    validateInput: (value) => checkSecretId(value.trim()),
  });
  if (identifier === undefined) {
    return;
  }
  try {
    await execute('vaultlink.linkSecret', {
      name,
      identifier: identifier.trim(),
      uri: editor?.document.uri.toString(),
    });
  } catch (e) {
    void vscode.window.showErrorMessage(`vaultlink: ${e instanceof Error ? e.message : String(e)}`);
  }
}

const METHODS: (vscode.QuickPickItem & { method?: string })[] = [
  { label: 'Automatic', description: 'service principal, then Azure CLI, then ask', method: undefined },
  { label: 'Browser', description: 'sign in on the Microsoft sign-in page', method: 'browser' },
  { label: 'Device code', description: 'enter a code on another device', method: 'device-code' },
  { label: 'Azure CLI', description: 'the account of `az login`', method: 'azure-cli' },
  { label: 'Environment', description: 'AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_CLIENT_SECRET', method: 'environment' },
];

async function signInToAzure(log: vscode.LogOutputChannel): Promise<void> {
  const setting = vscode.workspace.getConfiguration('vaultlink').get<string>('signIn.method') ?? 'ask';
  let method: string | undefined;
  if (setting === 'ask') {
    const pick = await vscode.window.showQuickPick(METHODS, { title: 'Sign in to Azure' });
    if (!pick) {
      return;
    }
    method = pick.method;
  } else if (setting !== 'auto') {
    method = setting;
  }
  try {
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'vaultlink: signing in to Azure…', cancellable: false },
      () => execute(SIGN_IN, method ? { method } : {}),
    );
    noteSignIn(result);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error(`sign-in: ${message}`);
  }
}

function noteSignIn(result: unknown): void {
  const r = result as { signedIn?: boolean; account?: string | null; method?: string | null } | undefined;
  if (r?.signedIn) {
    signIn = { account: r.account ?? undefined, method: r.method ?? undefined, at: Date.now() };
  }
}

/** The read-only documents that show responses, one per Send Request. */
class ResponseDocuments implements vscode.TextDocumentContentProvider {
  private readonly contents = new Map<string, string>();
  private count = 0;

  provideTextDocumentContent(uri: vscode.Uri): string {
    return this.contents.get(uri.toString()) ?? '';
  }

  async show(result: SendResult): Promise<void> {
    const view = formatResponse(result);
    this.count += 1;
    const uri = vscode.Uri.from({ scheme: RESPONSE_SCHEME, path: `/${view.title}`, query: String(this.count) });
    this.contents.set(uri.toString(), view.content);
    // Keep the last few; older tabs show empty once closed and reopened.
    if (this.contents.size > 20) {
      const oldest = this.contents.keys().next().value;
      if (oldest !== undefined) this.contents.delete(oldest);
    }
    let doc = await vscode.workspace.openTextDocument(uri);
    doc = await vscode.languages.setTextDocumentLanguage(doc, view.language);
    await vscode.window.showTextDocument(doc, {
      viewColumn: vscode.ViewColumn.Beside,
      preserveFocus: true,
      preview: false,
    });
  }
}
