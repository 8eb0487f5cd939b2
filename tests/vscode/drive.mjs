// Drives the vaultlink extension in a real VS Code: code-server (VS Code in a browser) with the
// .vsix installed, opened on a workspace, in headless Chromium through puppeteer-core, the way a
// person would use it: keys, the command palette, clicks, and what the screen then shows.
// tests/vscode.rs starts the Key Vault emulator and the echo server, writes the workspace and
// runs this script; it prints one JSON object per step on stdout ({"step", "ok", "detail"}),
// then {"done": true, "page": …} with the workbench text at the end. A failed step keeps a
// screenshot and the workbench text in the artefacts folder and ends the run.
//
// Environment: VSCODE_E2E_NODE (Node 24 for code-server), VSCODE_E2E_CHROMIUM, VSCODE_E2E_VSIX,
// VSCODE_E2E_SERVER (the vaultlink binary, set as vaultlink.server.path in the User settings),
// VSCODE_E2E_WORKSPACE, VSCODE_E2E_ARTIFACTS, VSCODE_E2E_EMULATOR (for the device code page).

import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';

const here = dirname(fileURLToPath(import.meta.url));
const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};
const NODE = env('VSCODE_E2E_NODE');
const CHROMIUM = env('VSCODE_E2E_CHROMIUM');
const VSIX = env('VSCODE_E2E_VSIX');
const SERVER = env('VSCODE_E2E_SERVER');
const WORKSPACE = env('VSCODE_E2E_WORKSPACE');
const ARTIFACTS = env('VSCODE_E2E_ARTIFACTS');
const EMULATOR = env('VSCODE_E2E_EMULATOR');
const CODE_SERVER = join(here, 'node_modules', 'code-server', 'out', 'node', 'entry.js');

const home = mkdtempSync(join(tmpdir(), 'vaultlink-code-server-'));
const userData = join(home, 'user-data');
const extensions = join(home, 'extensions');
mkdirSync(join(userData, 'User'), { recursive: true });
// The User settings, as a person would set them. code-server's window is a remote window:
// a setting scoped to the machine would be dropped from here.
writeFileSync(
  join(userData, 'User', 'settings.json'),
  JSON.stringify(
    {
      'vaultlink.server.path': SERVER,
      'vaultlink.signIn.method': 'ask',
      'security.workspace.trust.enabled': true,
      'security.workspace.trust.startupPrompt': 'never',
      'workbench.startupEditor': 'none',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'workbench.welcomePage.walkthroughs.openOnInstall': false,
      'chat.disableAIFeatures': true,
      'telemetry.telemetryLevel': 'off',
      'update.mode': 'none',
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'extensions.ignoreRecommendations': true,
      'editor.hover.delay': 200,
      'editor.minimap.enabled': false,
      'files.autoSave': 'off',
    },
    null,
    2,
  ),
);

function emit(o) {
  process.stdout.write(`${JSON.stringify(o)}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const codeServerArgs = [CODE_SERVER, '--user-data-dir', userData, '--extensions-dir', extensions];
const install = spawnSync(NODE, [...codeServerArgs, '--install-extension', VSIX], { encoding: 'utf8' });
if (install.status !== 0) {
  emit({ step: 'install the .vsix', ok: false, detail: `${install.stdout}\n${install.stderr}` });
  process.exit(1);
}
emit({ step: 'install the .vsix', ok: true, detail: install.stdout.trim().split('\n').pop() });

const port = await freePort();
const codeServer = spawn(
  NODE,
  [
    ...codeServerArgs,
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    WORKSPACE,
  ],
  { stdio: ['ignore', 'pipe', 'pipe'], env: process.env },
);
let codeServerLog = '';
codeServer.stdout.on('data', (d) => (codeServerLog += d));
codeServer.stderr.on('data', (d) => (codeServerLog += d));

let browser;
let page;
let failed = false;

async function cleanup() {
  await browser?.close().catch(() => {});
  codeServer.kill();
  rmSync(home, { recursive: true, force: true });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The workbench's text as a person reads it (no-break spaces as spaces). */
async function screenText() {
  return page.evaluate(() => document.body.innerText.replaceAll('\u00a0', ' '));
}

/** Texts of the elements matching `selector`. */
async function texts(selector) {
  return page.$$eval(selector, (els) => els.map((e) => e.innerText.replaceAll('\u00a0', ' ')));
}

/** Waits until some element matching `selector` has text matching `re`; returns that text. */
async function waitText(selector, re, timeout = 30_000) {
  const handle = await page.waitForFunction(
    (sel, source, flags) => {
      const r = new RegExp(source, flags);
      for (const e of document.querySelectorAll(sel)) {
        const t = e.innerText.replaceAll('\u00a0', ' ');
        if (r.test(t)) return t;
      }
      return false;
    },
    { timeout, polling: 250 },
    selector,
    re.source,
    re.flags,
  );
  return handle.jsonValue();
}

/** Waits until no element matching `selector` has text matching `re`. */
async function waitNoText(selector, re, timeout = 30_000) {
  await page.waitForFunction(
    (sel, source, flags) => {
      const r = new RegExp(source, flags);
      return ![...document.querySelectorAll(sel)].some((e) => r.test(e.innerText.replaceAll('\u00a0', ' ')));
    },
    { timeout, polling: 250 },
    selector,
    re.source,
    re.flags,
  );
}

/** Runs a command from the palette by its title, as typed into F1; the command must be the
 * focused row before Enter. Tried again when the palette does not list it yet (commands of
 * the workbench and extensions register while it starts). */
async function palette(title) {
  const want = new RegExp(`^${escapeRe(title)}`, 'i');
  let last;
  for (let attempt = 0; attempt < 3; attempt++) {
    await page.keyboard.press('F1');
    await page.waitForSelector('.quick-input-widget input', { visible: true, timeout: 5_000 }).catch(async () => {
      await chord('Control', 'Shift', 'P');
      await page.waitForSelector('.quick-input-widget input', { visible: true });
    });
    await page.keyboard.type(title, { delay: 5 });
    try {
      await waitText('.quick-input-list .monaco-list-row.focused', want, 10_000);
      await page.keyboard.press('Enter');
      return;
    } catch (e) {
      last = e;
      await page.keyboard.press('Escape');
      await sleep(1000);
    }
  }
  throw new Error(`the palette does not offer "${title}": ${last}`);
}

function escapeRe(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Puts the cursor at a 1-based line and column with Go to Line. */
async function goTo(line, column) {
  await page.keyboard.down('Control');
  await page.keyboard.press('g');
  await page.keyboard.up('Control');
  await page.waitForSelector('.quick-input-widget input', { visible: true });
  await page.keyboard.type(`${line}:${column}`);
  await page.keyboard.press('Enter');
  await sleep(300);
}

async function chord(...keys) {
  for (const k of keys.slice(0, -1)) await page.keyboard.down(k);
  await page.keyboard.press(keys[keys.length - 1]);
  for (const k of keys.slice(0, -1).reverse()) await page.keyboard.up(k);
}

async function step(name, fn) {
  if (failed) return undefined;
  const started = Date.now();
  try {
    const detail = await fn();
    emit({ step: name, ok: true, detail, ms: Date.now() - started });
    return detail;
  } catch (e) {
    failed = true;
    const file = name.replace(/[^a-z0-9]+/gi, '-').toLowerCase();
    mkdirSync(ARTIFACTS, { recursive: true });
    let shot = '';
    try {
      shot = join(ARTIFACTS, `${file}.png`);
      await page.screenshot({ path: shot });
      writeFileSync(join(ARTIFACTS, `${file}.txt`), await screenText());
    } catch {
      shot = '(no screenshot)';
    }
    writeFileSync(join(ARTIFACTS, 'code-server.log'), codeServerLog);
    cpSync(join(userData, 'logs'), join(ARTIFACTS, 'logs'), { recursive: true });
    emit({ step: name, ok: false, detail: `${e instanceof Error ? e.message : String(e)}; screenshot: ${shot}` });
    return undefined;
  }
}

/** The 1-based line and column of the middle of `needle` in the workspace's api.http. */
function locate(needle) {
  const lines = readFileSync(join(WORKSPACE, 'api.http'), 'utf8').split('\n');
  const i = lines.findIndex((l) => l.includes(needle));
  if (i < 0) throw new Error(`api.http has no ${needle}`);
  return [i + 1, lines[i].indexOf(needle) + Math.floor(needle.length / 2) + 1];
}
const LINKED = locate('{{vault:echo-token}}');
const UNLINKED = locate('{{vault:other-token}}');

const NOTIFICATIONS = '.notifications-toasts .notification-list-item';
const STATUS = '.statusbar-item';
const EDITOR_LINES = '.editor-instance .monaco-editor .view-lines';

try {
  await step('code-server listens', async () => {
    for (let i = 0; i < 240; i++) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.ok) return `port ${port}`;
      } catch {
        // not yet
      }
      if (codeServer.exitCode !== null) throw new Error(`code-server exited: ${codeServerLog}`);
      await sleep(250);
    }
    throw new Error(`code-server did not answer: ${codeServerLog}`);
  });

  await step('the workbench opens the workspace', async () => {
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--window-size=1400,900'],
      defaultViewport: { width: 1400, height: 900 },
    });
    page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(WORKSPACE)}`, { waitUntil: 'domcontentloaded' });
    await page.waitForSelector('.monaco-workbench .part.statusbar', { timeout: 90_000 });
    return page.title();
  });

  const openApi = async () => {
    await chord('Control', 'p');
    await page.waitForSelector('.quick-input-widget input', { visible: true });
    await page.keyboard.type('api.http', { delay: 5 });
    await waitText('.quick-input-list .monaco-list-row', /api\.http/);
    await page.keyboard.press('Enter');
    return waitText(EDITOR_LINES, /vault:echo-token/);
  };
  await step('open api.http with Quick Open', openApi);

  // Restricted Mode: the folder is not trusted yet, so the setting is not used, and without
  // another binary the server cannot start. The notification says so.
  await step('Restricted Mode: the notification says the setting waits for trust', () =>
    waitText(NOTIFICATIONS, /Restricted Mode.*vaultlink\.server\.path.*Trust the folder/s, 60_000),
  );
  await step('Restricted Mode: no message blames a missing setting', async () => {
    const all = (await texts(NOTIFICATIONS)).join('\n');
    if (/or set vaultlink\.server\.path/.test(all)) throw new Error(`notifications: ${all}`);
    return all;
  });

  await step('trusting the folder closes the notification and starts the server', async () => {
    await palette('Workspaces: Manage Workspace Trust');
    // The trust editor re-renders its buttons while it settles, so a handle taken one moment
    // may be detached the next: find and click the button in one step, inside the page.
    await page.waitForFunction(
      () => {
        const b = [...document.querySelectorAll('.workspace-trust-editor .monaco-button')].find((x) =>
          /^Trust/.test(x.innerText.trim()),
        );
        if (!b || !b.isConnected) return false;
        b.click();
        return true;
      },
      { timeout: 30_000, polling: 250 },
    );
    await waitNoText(NOTIFICATIONS, /Restricted Mode/, 30_000);
    // The trust editor opens over the workbench: close it with its ✕, back to api.http.
    const close = await page.evaluate(() => {
      let el = document.querySelector('.workspace-trust-editor');
      while (el && el.parentElement) {
        el = el.parentElement;
        const x = [...el.querySelectorAll('.codicon-close, .codicon-chrome-close')].find(
          (c) => !c.closest('.workspace-trust-editor') && c.getBoundingClientRect().width > 0,
        );
        if (x) {
          const r = x.getBoundingClientRect();
          return { x: r.x + r.width / 2, y: r.y + r.height / 2 };
        }
      }
      return undefined;
    });
    if (close) await page.mouse.click(close.x, close.y);
    await page.waitForFunction(
      () => {
        const e = document.querySelector('.workspace-trust-editor');
        return !e || e.getBoundingClientRect().width === 0;
      },
      { timeout: 10_000 },
    );
    await openApi();
    return 'trusted';
  });

  await step('activation: the status bar shows the Azure sign-in', () => waitText(STATUS, /Azure: signed out/, 30_000));

  await step('diagnostics: the unlinked reference is squiggled', async () => {
    await page.waitForSelector('.monaco-editor .squiggly-warning', { timeout: 30_000 });
    return (await page.$$('.monaco-editor .squiggly-warning')).length;
  });

  await step('diagnostics: the Problems panel lists it', async () => {
    await palette('Problems: Focus on Problems View');
    const t = await waitText('.markers-panel', /other-token.*not linked/s);
    return t.split('\n').filter((l) => /not linked/.test(l));
  });

  const hoverAt = async (line, column) => {
    await chord('Control', 'Home'); // out of any panel: back in the editor
    await page.click('.editor-instance .monaco-editor .view-lines');
    await goTo(line, column);
    await palette('Show or Focus Hover');
    return waitText('.monaco-hover', /echo-token/);
  };

  await step('hover: the link rows', async () => {
    const t = await hoverAt(...LINKED);
    for (const want of [/corp-kv/, /latest/, /https:\/\/corp-kv\.vault\.azure\.net\/secrets\/echo-token/]) {
      if (!want.test(t)) throw new Error(`hover lacks ${want}: ${t}`);
    }
    if (/created/i.test(t)) throw new Error(`metadata before sign-in: ${t}`);
    // The hint names the command as the palette lists it, not its internal id.
    if (!/vaultlink: Sign in to Azure/.test(t) || /vaultlink\.signIn/.test(t)) {
      throw new Error(`the sign-in hint does not name the palette's command: ${t}`);
    }
    await page.keyboard.press('Escape');
    return t;
  });

  await step('sign-in: the device code is shown in VS Code and entered on the sign-in page', async () => {
    await palette('vaultlink: Sign in to Azure');
    await waitText('.quick-input-list .monaco-list-row', /Device code/);
    await page.keyboard.type('Device code', { delay: 5 });
    await page.keyboard.press('Enter');
    const message = await waitText(NOTIFICATIONS, /enter the code [A-Z0-9-]+/, 30_000);
    const code = /enter the code ([A-Z0-9-]+)/.exec(message)[1];
    // What a person does on the page the message names: enter the code, approve.
    const r = await fetch(`${EMULATOR}/_emulator/device/approve`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ user_code: code }),
    });
    if (!r.ok) throw new Error(`approving ${code}: ${r.status} ${await r.text()}`);
    return message;
  });

  await step('status bar: signed in', async () => {
    const t = await waitText(STATUS, /·\s*(\d+ h|\d+ min)/, 60_000);
    if (/signed out/.test(t)) throw new Error(t);
    return t;
  });

  await step('hover: metadata after sign-in', async () => {
    // The server asks Key Vault after the sign-in; the hover shows what it has so far.
    let t = '';
    for (let i = 0; i < 15; i++) {
      await page.keyboard.press('Escape');
      t = await hoverAt(...LINKED);
      if (/created/i.test(t) && /enabled/i.test(t)) {
        await page.keyboard.press('Escape');
        return { tries: i + 1, hover: t };
      }
      await sleep(2000);
    }
    throw new Error(`no metadata: ${t}`);
  });

  await step('completion after {{vault:', async () => {
    await goTo(LINKED[0], 1);
    await chord('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('X-Typed: {{vault:', { delay: 20 });
    const t = await waitText('.suggest-widget .monaco-list-row', /echo-token/, 30_000);
    const rows = await texts('.suggest-widget .monaco-list-row');
    await page.keyboard.press('Escape');
    // Back to the file as it was: the typed line goes.
    await chord('End');
    await chord('Shift', 'Home');
    await page.keyboard.press('Backspace');
    await page.keyboard.press('Backspace');
    await waitNoText(EDITOR_LINES, /X-Typed/, 10_000);
    return { first: t, rows };
  });

  await step('quick fix: link the unlinked secret', async () => {
    await goTo(...UNLINKED);
    await chord('Control', '.');
    // The list may re-render between finding the row and clicking it: find it again then.
    let title;
    for (let attempt = 0; ; attempt++) {
      const item = await page.waitForFunction(
        () =>
          [...document.querySelectorAll('.action-widget .monaco-list-row')].find((r) =>
            /Link .?other-token.? to https:\/\/corp-kv/.test(r.innerText),
          ),
        { timeout: 30_000, polling: 250 },
      );
      try {
        title = await item.evaluate((e) => e.innerText);
        await item.asElement().click();
        break;
      } catch (e) {
        if (attempt >= 5 || !/detached|not clickable/i.test(String(e))) throw e;
      }
    }
    // The link is written to disk, and the warning goes.
    for (let i = 0; i < 120; i++) {
      let links;
      try {
        links = JSON.parse(readFileSync(join(WORKSPACE, 'vaultlink.json'), 'utf8'));
      } catch {
        // Caught while the editor writes it: read again.
      }
      if (links?.secrets?.['other-token']) {
        await page.waitForFunction(() => document.querySelectorAll('.monaco-editor .squiggly-warning').length === 0, {
          timeout: 30_000,
          polling: 250,
        });
        return { title, link: links.secrets['other-token'] };
      }
      await sleep(250);
    }
    throw new Error(`vaultlink.json on disk has no link for other-token after "${title}"`);
  });

  await step('send: the response view shows the answer with the secret masked', async () => {
    await page.click('.editor-instance .monaco-editor .view-lines');
    await goTo(LINKED[0], 1);
    await palette('vaultlink: Send Request');
    const t = await waitText(EDITOR_LINES, /HTTP 200[\s\S]*Bearer \*\*\*/, 60_000);
    return t;
  });
} finally {
  let screen = '';
  try {
    screen = page ? await screenText() : '';
  } catch {
    // the page is gone
  }
  emit({ done: true, failed, page: screen });
  await cleanup();
}
process.exit(failed ? 1 : 0);
