import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

// The tests run from out/test/; the extension's folder is two folders up.
const root = join(__dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'vaultlink-package-'));
// The package build leaves the server it shipped in server/ and the .vsix beside package.json.
after(() => {
  rmSync(scratch, { recursive: true, force: true });
  rmSync(join(root, 'server'), { recursive: true, force: true });
  for (const platform of ['linux-x64', 'alpine-x64', 'alpine-arm64']) {
    rmSync(join(root, `vaultlink-0.1.0-${platform}.vsix`), { force: true });
  }
});

/// The first bytes of a 64-bit little-endian ELF executable for `machine` (e_machine), with
/// one program header of type `phType` (3 is PT_INTERP: a dynamic loader), then `rest`.
function elf(machine: number, phType: number, rest: Buffer): Buffer {
  const head = Buffer.alloc(64 + 56);
  head.writeUInt32BE(0x7f454c46, 0);
  head[4] = 2; // 64-bit
  head[5] = 1; // little-endian
  head[6] = 1;
  head.writeUInt16LE(2, 0x10); // executable
  head.writeUInt16LE(machine, 0x12);
  head.writeBigUInt64LE(64n, 0x20); // program headers right after this header
  head.writeUInt16LE(56, 0x36);
  head.writeUInt16LE(1, 0x38);
  head.writeUInt32LE(phType, 64);
  return Buffer.concat([head, rest]);
}

/// Runs the package build, as `scripts/package.sh` does, with `server` for `target`.
function packageWith(name: string, server: Buffer, target: string) {
  const file = join(scratch, name);
  writeFileSync(file, server, { mode: 0o755 });
  const run = spawnSync(process.execPath, ['scripts/package.mjs', '--server', file, '--target', target], {
    cwd: root,
    encoding: 'utf8',
  });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

const X64 = 0x3e;
const ARM64 = 0xb7;
const PT_LOAD = 1;
const PT_INTERP = 3;

describe('the platform .vsix check', { timeout: 240_000 }, () => {
  it('refuses a .vsix of 10 MB or more', () => {
    // Random bytes do not compress: the .vsix ends up as large as the server.
    const run = packageWith('large', elf(X64, PT_INTERP, randomBytes(11 * 1024 * 1024)), 'linux-x64');
    assert.equal(run.status, 1, run.stderr);
    assert.match(run.stderr, /vaultlink-0\.1\.0-linux-x64\.vsix is 1\d\.\d MB, over the 10 MB/);
  });

  it('refuses a server for another architecture, and a dynamic one for Alpine', () => {
    const arm = packageWith('arm', elf(ARM64, PT_LOAD, randomBytes(1024)), 'linux-x64');
    assert.equal(arm.status, 1, arm.stderr);
    assert.match(arm.stderr, /is ELF for machine 0xb7, not ELF for 0x3e as linux-x64 needs/);
    const dynamic = packageWith('dynamic', elf(X64, PT_INTERP, randomBytes(1024)), 'alpine-x64');
    assert.equal(dynamic.status, 1, dynamic.stderr);
    assert.match(dynamic.stderr, /needs a dynamic loader, which alpine-x64 does not have/);
  });

  it('takes a static server of the right architecture, and reads the platform in the manifest', () => {
    const ok = packageWith('static', elf(ARM64, PT_LOAD, randomBytes(1024)), 'alpine-arm64');
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /vaultlink-0\.1\.0-alpine-arm64\.vsix: alpine-arm64, /);
  });
});
