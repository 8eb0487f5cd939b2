import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { checkReferenceName, checkSecretId, parseSecretId, referenceAt } from '../src/identifier';

// [identifier, the start of the reason it is refused, or null when valid]
const CASES: [string, string | null][] = [
  ['https://corp-kv.vault.azure.net/secrets/stripe-key', null],
  ['https://corp-kv.vault.azure.net/secrets/db-password/4387e9f3d6e14c459867679a90fd0f79', null],
  ['HTTPS://Corp-KV.Vault.Azure.NET:443/secrets/stripe-key/', null],
  ['https://corp-kv.vault.azure.cn/secrets/a', null],
  ['https://corp-kv.vault.usgovcloudapi.net/secrets/a/4387E9F3D6E14C459867679A90FD0F79/', null],
  ['https://abc.vault.azure.net/secrets/x', null],
  ['https://a23456789012345678901234.vault.azure.net/secrets/x', null],
  ['', 'the link is empty'],
  [' https://corp-kv.vault.azure.net/secrets/x', 'the link starts or ends with spaces'],
  ['https://corp-kv.vault.azure.net/secrets/x y', 'the link contains a space'],
  ['corp-kv.vault.azure.net/secrets/x', 'the link is not a URL'],
  ['http://corp-kv.vault.azure.net/secrets/x', 'the link must use https, not http'],
  ['ftp://corp-kv.vault.azure.net/secrets/x', 'the link must start with https://'],
  ['https://corp-kv.vault.azure.net\\@evil.com/secrets/x', 'the link must not contain backslashes'],
  ['https://corp-kv.vault.azure.net/secrets/%78', 'the link must not contain percent-encoded'],
  ['https://corp-kv.vault.azure.net/secrets/é', 'the link must contain only ASCII'],
  ['https://user@corp-kv.vault.azure.net/secrets/x', 'the link must not contain a user name'],
  ['https://corp-kv.evil.net/secrets/x', '`corp-kv.evil.net` is not an Azure Key Vault host'],
  ['https://vault.azure.net/secrets/x', 'the host names no vault'],
  ['https://ab.vault.azure.net/secrets/x', 'the vault name `ab` must be 3–24 characters'],
  ['https://a234567890123456789012345.vault.azure.net/secrets/x', 'the vault name `a234567890123456789012345` must be 3–24'],
  ['https://1kv.vault.azure.net/secrets/x', 'the vault name `1kv` must start with a letter'],
  ['https://corp-.vault.azure.net/secrets/x', 'the vault name `corp-` must end with a letter or a digit'],
  ['https://corp--kv.vault.azure.net/secrets/x', 'the vault name `corp--kv` must not contain `--`'],
  ['https://corp_kv.vault.azure.net/secrets/x', 'the vault name `corp_kv` may contain only'],
  ['https://a.b.vault.azure.net/secrets/x', 'the vault name `a.b` must not contain dots'],
  ['https://corp-kv.vault.azure.net:8443/secrets/x', 'the port `8443` is not allowed'],
  ['https://corp-kv.vault.azure.net/secrets/x?api-version=7.4', 'the link must not have a query'],
  ['https://corp-kv.vault.azure.net/secrets/x#v', 'the link must not have a fragment'],
  ['https://corp-kv.vault.azure.net', 'the link names no secret'],
  ['https://corp-kv.vault.azure.net/keys/x', 'the link must point to a secret'],
  ['https://corp-kv.vault.azure.net/secrets/', 'the link has no secret name'],
  ['https://corp-kv.vault.azure.net/secrets/stripe_key', 'the secret name `stripe_key` may contain only'],
  [`https://corp-kv.vault.azure.net/secrets/${'a'.repeat(128)}`, 'the secret name'],
  ['https://corp-kv.vault.azure.net/secrets/x/123', 'the version `123` must be 32 hexadecimal digits'],
  ['https://corp-kv.vault.azure.net/secrets/x//', 'unexpected path after the secret name'],
  ['https://corp-kv.vault.azure.net/secrets/x/4387e9f3d6e14c459867679a90fd0f79/y', 'unexpected path after the version'],
];

describe('secret identifiers (SPEC §4)', () => {
  for (const [id, reason] of CASES) {
    it(`${reason === null ? 'accepts' : 'refuses'} ${JSON.stringify(id.slice(0, 80))}`, () => {
      const message = checkSecretId(id);
      if (reason === null) {
        assert.equal(message, undefined);
      } else {
        assert.ok(message?.startsWith(reason), `got: ${message}`);
      }
    });
  }

  it('splits a valid identifier, host and version lowercased', () => {
    assert.deepEqual(parseSecretId('https://Corp-KV.vault.azure.net/secrets/Stripe-Key/4387E9F3D6E14C459867679A90FD0F79'), {
      ok: true,
      value: { vault: 'corp-kv', suffix: 'vault.azure.net', name: 'Stripe-Key', version: '4387e9f3d6e14c459867679a90fd0f79' },
    });
  });

  it('agrees with the pattern of the vaultlink.json schema', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, '../../schemas/vaultlink.schema.json'), 'utf8')) as {
      definitions: { secret: { properties: { link: { pattern: string } } } };
    };
    const pattern = new RegExp(schema.definitions.secret.properties.link.pattern);
    for (const [id, reason] of CASES) {
      assert.equal(pattern.test(id), reason === null, id);
    }
  });
});

describe('reference names (SPEC §3)', () => {
  it('accepts letters, digits, _, - and .', () => {
    assert.equal(checkReferenceName('stripe-key_v2.prod'), undefined);
    assert.equal(checkReferenceName('a'.repeat(256)), undefined);
  });
  it('refuses empty, too long and other characters', () => {
    assert.match(checkReferenceName('') ?? '', /enter the name/);
    assert.match(checkReferenceName('a'.repeat(257)) ?? '', /at most 256/);
    assert.match(checkReferenceName('stripe key') ?? '', /not " "/);
    assert.match(checkReferenceName('a/b') ?? '', /not "\/"/);
  });
});

describe('the reference under the cursor', () => {
  const line = 'Authorization: Bearer {{vault:stripe-key}} {{ vault: other }}';
  it('finds the name anywhere inside the braces', () => {
    assert.equal(referenceAt(line, line.indexOf('{{vault')), 'stripe-key');
    assert.equal(referenceAt(line, line.indexOf('key}}') + 4), 'stripe-key');
    assert.equal(referenceAt(line, line.indexOf('other')), 'other');
  });
  it('finds nothing outside a reference', () => {
    assert.equal(referenceAt(line, 3), undefined);
    assert.equal(referenceAt('{{variable}}', 4), undefined);
  });
});
