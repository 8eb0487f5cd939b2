// Validation of what Link Secret asks for, with the rules of SPEC §3 and §4 and the messages of
// the server's `vault/identifier.rs`, so the input box refuses exactly what the server would.
// Pure: no `vscode` import, unit-tested under node.

/** The form a secret identifier must have, for messages. */
export const EXPECTED_FORM = 'https://<vault>.vault.azure.net/secrets/<name>[/<version>]';

/** The DNS suffixes of the Key Vault hosts of the known Azure clouds. */
export const KEY_VAULT_SUFFIXES = ['vault.azure.net', 'vault.azure.cn', 'vault.usgovcloudapi.net'];

const MAX_LEN = 2048;

/** A valid identifier, split into its parts (host lowercased). */
export interface SecretId {
  vault: string;
  suffix: string;
  name: string;
  version?: string;
}

export type Checked<T> = { ok: true; value: T } | { ok: false; message: string };

const fail = (message: string): { ok: false; message: string } => ({ ok: false, message });

/** The reason `name` is not a usable reference name (`{{vault:NAME}}`), or undefined. */
export function checkReferenceName(name: string): string | undefined {
  if (name.length === 0) {
    return 'enter the name used in {{vault:NAME}}';
  }
  if (name.length > 256) {
    return `the name must be at most 256 characters (it has ${name.length})`;
  }
  const bad = [...name].find((c) => !/^[A-Za-z0-9_.-]$/.test(c));
  if (bad !== undefined) {
    return `the name may contain only letters, digits, \`_\`, \`-\` and \`.\`, not ${JSON.stringify(bad)}`;
  }
  return undefined;
}

/** Parses a Key Vault secret identifier as the server does (SPEC §4). */
export function parseSecretId(s: string): Checked<SecretId> {
  if (s.length === 0) {
    return fail(`the link is empty; expected ${EXPECTED_FORM}`);
  }
  if (s.length > MAX_LEN) {
    return fail(`the link is too long (${s.length} characters); expected ${EXPECTED_FORM}`);
  }
  if (s.trim() !== s) {
    return fail('the link starts or ends with spaces; remove them');
  }
  // eslint-disable-next-line no-control-regex
  const odd = /[\s\u0000-\u001f\u007f]/.exec(s);
  if (odd) {
    const what = /\s/.test(odd[0]) ? 'a space' : 'a control character';
    return fail(`the link contains ${what}; remove it`);
  }
  const sep = s.indexOf('://');
  if (sep < 0) {
    return fail(`the link is not a URL; expected ${EXPECTED_FORM}`);
  }
  const scheme = s.slice(0, sep).toLowerCase();
  const rest = s.slice(sep + 3);
  if (scheme !== 'https') {
    return fail(
      scheme === 'http'
        ? `the link must use https, not http; expected ${EXPECTED_FORM}`
        : `the link must start with https://; expected ${EXPECTED_FORM}`,
    );
  }
  if (s.includes('\\')) {
    return fail('the link must not contain backslashes (`\\`)');
  }
  if (s.includes('%')) {
    return fail('the link must not contain percent-encoded characters (`%`)');
  }
  // eslint-disable-next-line no-control-regex
  if (/[^\u0000-\u007f]/.test(s)) {
    return fail(
      'the link must contain only ASCII characters (write an international host name in its xn-- form)',
    );
  }
  const authorityEnd = rest.search(/[/?#]/);
  const authority = authorityEnd < 0 ? rest : rest.slice(0, authorityEnd);
  const tail = authorityEnd < 0 ? '' : rest.slice(authorityEnd);
  if (authority.includes('@')) {
    return fail('the link must not contain a user name or password (`…@`)');
  }
  const colon = authority.indexOf(':');
  const host = colon < 0 ? authority : authority.slice(0, colon);
  const port = colon < 0 ? undefined : authority.slice(colon + 1);
  if (host.length === 0) {
    return fail(`the link has no host; expected ${EXPECTED_FORM}`);
  }
  const lower = host.toLowerCase();
  const suffix = KEY_VAULT_SUFFIXES.find((x) => lower === x || lower.endsWith(`.${x}`));
  if (suffix === undefined) {
    return fail(
      `\`${host}\` is not an Azure Key Vault host: the host must be <vault>.vault.azure.net, <vault>.vault.azure.cn or <vault>.vault.usgovcloudapi.net`,
    );
  }
  if (lower === suffix) {
    return fail(`the host names no vault: expected <vault>.${suffix}, as in ${EXPECTED_FORM}`);
  }
  const vault = lower.slice(0, lower.length - suffix.length - 1);
  const vaultProblem = checkVaultName(vault);
  if (vaultProblem) {
    return fail(vaultProblem);
  }
  if (port !== undefined && port !== '443') {
    return fail(`the port \`${port}\` is not allowed: use 443 or none`);
  }
  const q = tail.search(/[?#]/);
  const path = q < 0 ? tail : tail.slice(0, q);
  if (q >= 0) {
    return fail(
      tail[q] === '?'
        ? 'the link must not have a query (`?…`)'
        : 'the link must not have a fragment (`#…`)',
    );
  }
  const segments = path.split('/').slice(1);
  const collection = segments[0] ?? '';
  if (collection === '') {
    return fail(`the link names no secret; expected ${EXPECTED_FORM}`);
  }
  if (collection.toLowerCase() !== 'secrets') {
    return fail(
      `the link must point to a secret (\`/secrets/<name>\`), not \`/${collection}\`; expected ${EXPECTED_FORM}`,
    );
  }
  const name = segments[1] ?? '';
  if (name === '') {
    return fail(`the link has no secret name after \`/secrets/\`; expected ${EXPECTED_FORM}`);
  }
  const nameProblem = checkSecretName(name);
  if (nameProblem) {
    return fail(nameProblem);
  }
  const version = segments[2] === undefined || segments[2] === '' ? undefined : segments[2];
  if (version !== undefined && !/^[0-9A-Fa-f]{32}$/.test(version)) {
    return fail(
      `the version \`${version}\` must be 32 hexadecimal digits (or leave it out for the latest version)`,
    );
  }
  const extra = segments.slice(3);
  const trailingOk =
    version === undefined
      ? segments.length <= 2 || (segments.length === 3 && segments[2] === '')
      : extra.length === 0 || (extra.length === 1 && extra[0] === '');
  if (!trailingOk) {
    return fail(
      `unexpected path after ${version === undefined ? 'the secret name' : 'the version'}; expected ${EXPECTED_FORM}`,
    );
  }
  return {
    ok: true,
    value: { vault, suffix, name, version: version?.toLowerCase() },
  };
}

/** The reason `s` is not a valid identifier, or undefined: an input box's `validateInput`. */
export function checkSecretId(s: string): string | undefined {
  const parsed = parseSecretId(s);
  return parsed.ok ? undefined : parsed.message;
}

function checkVaultName(s: string): string | undefined {
  if (s.includes('.')) {
    return `the vault name \`${s}\` must not contain dots`;
  }
  const bad = [...s].find((c) => !/^[A-Za-z0-9-]$/.test(c));
  if (bad !== undefined) {
    return `the vault name \`${s}\` may contain only letters, digits and \`-\`, not ${JSON.stringify(bad)}`;
  }
  if (s.length < 3 || s.length > 24) {
    return `the vault name \`${s}\` must be 3–24 characters`;
  }
  if (!/^[A-Za-z]/.test(s)) {
    return `the vault name \`${s}\` must start with a letter`;
  }
  if (s.endsWith('-')) {
    return `the vault name \`${s}\` must end with a letter or a digit`;
  }
  if (s.includes('--')) {
    return `the vault name \`${s}\` must not contain \`--\``;
  }
  return undefined;
}

function checkSecretName(s: string): string | undefined {
  const bad = [...s].find((c) => !/^[A-Za-z0-9-]$/.test(c));
  if (bad !== undefined) {
    return `the secret name \`${s}\` may contain only letters, digits and \`-\`, not ${JSON.stringify(bad)}`;
  }
  if (s.length > 127) {
    return `the secret name \`${s}\` must be 1–127 characters (it has ${s.length})`;
  }
  return undefined;
}

/** The name of the `{{vault:NAME}}` that contains `column` on `line`, if any. */
export function referenceAt(line: string, column: number): string | undefined {
  const re = /\{\{\s*vault\s*:\s*([A-Za-z0-9_.-]*)\s*\}\}/g;
  for (let m = re.exec(line); m; m = re.exec(line)) {
    if (column >= m.index && column <= m.index + m[0].length) {
      return m[1];
    }
  }
  return undefined;
}
