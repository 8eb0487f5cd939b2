import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';

// The tests run from out/test/; package.json is two folders up.
const manifest = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
  contributes: { configuration: { properties: Record<string, { scope?: string }> } };
};

describe('package.json', () => {
  it('lets vaultlink.server.path apply from User settings in remote windows', () => {
    // VS Code drops `machine` and `machine-overridable` settings of the User settings in a remote
    // window (code-server, Remote-SSH, WSL, dev containers): the extension would never see them.
    const scope = manifest.contributes.configuration.properties['vaultlink.server.path'].scope;
    assert.ok(scope !== 'machine' && scope !== 'machine-overridable', `scope is ${scope}`);
  });
});
