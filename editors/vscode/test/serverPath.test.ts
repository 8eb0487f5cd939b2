import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { resolveServer, type ServerLookup } from '../src/serverPath';

const lookup = (over: Partial<ServerLookup> & { files?: string[] }): ServerLookup => {
  const files = new Set(over.files ?? []);
  return {
    configured: '',
    trusted: true,
    envPath: '/usr/local/bin:/usr/bin',
    platform: 'linux',
    extensionDir: '/ext',
    workspaceDir: '/workspace',
    isExecutable: (f) => files.has(f),
    ...over,
  };
};

describe('resolveServer', () => {
  it('prefers the setting, then PATH, then the bundled binary', () => {
    const all = ['/opt/vaultlink', '/usr/bin/vaultlink', '/ext/server/vaultlink'];
    const r1 = resolveServer(lookup({ configured: '/opt/vaultlink', files: all }));
    assert.deepEqual([r1.ok && r1.path, r1.ok && r1.source], ['/opt/vaultlink', 'setting']);
    const r2 = resolveServer(lookup({ files: all }));
    assert.deepEqual([r2.ok && r2.path, r2.ok && r2.source], ['/usr/bin/vaultlink', 'PATH']);
    const r3 = resolveServer(lookup({ files: ['/ext/server/vaultlink'] }));
    assert.deepEqual([r3.ok && r3.path, r3.ok && r3.source], ['/ext/server/vaultlink', 'bundled']);
    assert.deepEqual(r3.log, [
      'no `vaultlink` on PATH',
      'using /ext/server/vaultlink (shipped with the extension)',
    ]);
  });

  it('takes the first match on PATH', () => {
    const r = resolveServer(lookup({ files: ['/usr/local/bin/vaultlink', '/usr/bin/vaultlink'] }));
    assert.equal(r.ok && r.path, '/usr/local/bin/vaultlink');
  });

  it('ignores the setting in an untrusted workspace, and says so', () => {
    const r = resolveServer(lookup({ configured: '/tmp/evil', trusted: false, files: ['/tmp/evil', '/usr/bin/vaultlink'] }));
    assert.equal(r.ok && r.path, '/usr/bin/vaultlink');
    assert.match(r.log[0], /ignored: this workspace is not trusted/);
  });

  it('says the setting waits for trust when nothing else is found in an untrusted workspace', () => {
    const r = resolveServer(lookup({ configured: '/opt/vaultlink', trusted: false, files: ['/opt/vaultlink'] }));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.waitsForTrust, true);
    const message = !r.ok ? r.message : '';
    assert.match(message, /Restricted Mode/);
    assert.match(message, /vaultlink\.server\.path \(\/opt\/vaultlink\) is not used/);
    assert.match(message, /Trust the folder/);
    assert.doesNotMatch(message, /or set vaultlink\.server\.path/);
  });

  it('resolves a relative setting against the workspace folder', () => {
    const r = resolveServer(lookup({ configured: 'target/debug/vaultlink', files: ['/workspace/target/debug/vaultlink'] }));
    assert.equal(r.ok && r.path, '/workspace/target/debug/vaultlink');
  });

  it('fails on a setting that points at nothing rather than running another binary', () => {
    const r = resolveServer(lookup({ configured: '/nope', files: ['/usr/bin/vaultlink'] }));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /vaultlink.server.path is set to \/nope/);
  });

  it('fails, saying how to install, when there is no binary anywhere', () => {
    const r = resolveServer(lookup({}));
    assert.equal(r.ok, false);
    assert.match(!r.ok ? r.message : '', /cargo install/);
  });

  it('looks for vaultlink.exe on Windows', () => {
    const r = resolveServer(
      lookup({ platform: 'win32', envPath: 'C:\\tools;C:\\bin', extensionDir: 'C:\\ext', files: ['C:\\bin\\vaultlink.exe'] }),
    );
    assert.equal(r.ok && r.path, 'C:\\bin\\vaultlink.exe');
  });
});
