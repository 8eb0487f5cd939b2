// Packages the extension into a .vsix with @vscode/vsce, then checks what the .vsix holds:
// the bundle, both grammars, the vaultlink.json schema, the language configuration, the icon,
// the changelog, every file package.json's contributions name — and nothing from src/, test/ or
// node_modules/ — and that it stays under 10 MB (a server built with debug information would
// not). With --target, the manifest's targetPlatform must name it and the server must be a
// binary for it: its ELF or PE header names the architecture, and an Alpine server has no
// dynamic loader (it is static, as musl builds are).
//
//   node scripts/package.mjs                          platform-neutral, `vaultlink` from PATH
//   node scripts/package.mjs --server ../../target/release/vaultlink --target linux-x64
//                                                     ships that binary in server/
// scripts/package.sh at the repository's root builds the server for each platform and calls this.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));

const argv = process.argv.slice(2);
const option = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const server = option('--server');
const target = option('--target');

function run(args) {
  const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    process.exit(r.status ?? 1);
  }
}

run([join(root, 'scripts', 'build.mjs'), '--production']);
// One changelog, the repository's, shown on the extension's Marketplace page.
copyFileSync(join(root, '..', '..', 'CHANGELOG.md'), join(root, 'CHANGELOG.md'));

rmSync(join(root, 'server'), { recursive: true, force: true });
if (server) {
  const exe = server.endsWith('.exe') ? 'vaultlink.exe' : 'vaultlink';
  mkdirSync(join(root, 'server'));
  copyFileSync(resolve(server), join(root, 'server', exe));
  chmodSync(join(root, 'server', exe), 0o755);
}

const vsix = join(root, `${manifest.name}-${manifest.version}${target ? `-${target}` : ''}.vsix`);
rmSync(vsix, { force: true });
run([
  require.resolve('@vscode/vsce/vsce'),
  'package',
  '--no-dependencies',
  '--skip-license',
  // package.json names no repository (none is public yet); vsce asks for one unless told.
  '--allow-missing-repository',
  ...(target ? ['--target', target] : []),
  '--out',
  vsix,
]);

// The .vsix is a zip: read the entries of its central directory, each with a way to read it.
function zipEntries(file) {
  const buf = readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const entries = new Map();
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const method = buf.readUInt16LE(at + 10);
    const compressed = buf.readUInt32LE(at + 20);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const local = buf.readUInt32LE(at + 42);
    const read = () => {
      const start = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
      const data = buf.subarray(start, start + compressed);
      return method === 8 ? inflateRawSync(data) : data;
    };
    entries.set(buf.toString('utf8', at + 46, at + 46 + nameLen), read);
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

// What a server for each platform is: its executable format and architecture, as its header
// says (ELF e_machine, PE machine), and for Alpine a static binary (no PT_INTERP program
// header: Alpine has no glibc loader).
const PLATFORMS = {
  'linux-x64': { format: 'ELF', machine: 0x3e },
  'linux-arm64': { format: 'ELF', machine: 0xb7 },
  'alpine-x64': { format: 'ELF', machine: 0x3e, static: true },
  'alpine-arm64': { format: 'ELF', machine: 0xb7, static: true },
  'win32-x64': { format: 'PE', machine: 0x8664 },
  'win32-arm64': { format: 'PE', machine: 0xaa64 },
  'darwin-x64': { format: 'Mach-O', machine: 0x01000007 },
  'darwin-arm64': { format: 'Mach-O', machine: 0x0100000c },
};

function binaryKind(buf) {
  if (buf.length >= 64 && buf.readUInt32BE(0) === 0x7f454c46 && buf[4] === 2 && buf[5] === 1) {
    const phoff = Number(buf.readBigUInt64LE(0x20));
    const phentsize = buf.readUInt16LE(0x36);
    const phnum = buf.readUInt16LE(0x38);
    let interp = false;
    for (let i = 0; i < phnum; i++) {
      if (buf.readUInt32LE(phoff + i * phentsize) === 3) interp = true;
    }
    return { format: 'ELF', machine: buf.readUInt16LE(0x12), static: !interp };
  }
  if (buf.length >= 64 && buf.toString('latin1', 0, 2) === 'MZ') {
    const pe = buf.readUInt32LE(0x3c);
    if (buf.readUInt32BE(pe) === 0x50450000) return { format: 'PE', machine: buf.readUInt16LE(pe + 4) };
  }
  if (buf.length >= 8 && buf.readUInt32LE(0) === 0xfeedfacf) {
    return { format: 'Mach-O', machine: buf.readUInt32LE(4) };
  }
  return { format: 'unknown', machine: 0 };
}

const hex = (n) => `0x${n.toString(16)}`;
const problems = [];
if (target) {
  const expected = PLATFORMS[target];
  if (!expected) {
    console.error(`unknown --target ${target}: one of ${Object.keys(PLATFORMS).join(', ')}`);
    process.exit(1);
  }
  if (server) {
    const got = binaryKind(readFileSync(resolve(server)));
    if (got.format !== expected.format || got.machine !== expected.machine) {
      problems.push(
        `${server} is ${got.format} for machine ${hex(got.machine)}, not ${expected.format} for ${hex(expected.machine)} as ${target} needs`,
      );
    } else if (expected.static && !got.static) {
      problems.push(`${server} needs a dynamic loader, which ${target} does not have: build it for musl`);
    }
  }
}

const zip = zipEntries(vsix);
const entries = new Set(zip.keys());
const vsixManifest = zip.get('extension.vsixmanifest')?.().toString('utf8') ?? '';
const targetPlatform = /<Identity\b[^>]*\bTargetPlatform="([^"]*)"/.exec(vsixManifest)?.[1];
if (targetPlatform !== target) {
  problems.push(`the .vsix's manifest names the platform ${targetPlatform ?? '(none)'}, not ${target ?? '(none)'}`);
}
const c = manifest.contributes;
const required = new Set([
  'extension/package.json',
  'extension/dist/extension.js',
  'extension/syntaxes/http.tmLanguage.json',
  'extension/syntaxes/vault-reference.injection.tmLanguage.json',
  'extension/schemas/vaultlink.schema.json',
  'extension/language-configuration.json',
  'extension/changelog.md',
  manifest.icon,
  ...c.grammars.map((g) => g.path),
  ...c.jsonValidation.map((j) => j.url),
  ...c.languages.filter((l) => l.configuration).map((l) => l.configuration),
  manifest.main,
].map((p) => (p.startsWith('extension/') ? p : join('extension', p))));
if (server) {
  required.add(`extension/server/${server.endsWith('.exe') ? 'vaultlink.exe' : 'vaultlink'}`);
}
const missing = [...required].filter((p) => !entries.has(p));
const stray = [...entries].filter((p) => /^extension\/(src|test|out|node_modules|scripts)\//.test(p));
if (missing.length > 0) problems.push(`${vsix} lacks: ${missing.join(', ')}`);
if (stray.length > 0) problems.push(`${vsix} should not hold: ${stray.join(', ')}`);
const MAX_BYTES = 10 * 1024 * 1024;
const size = statSync(vsix).size;
if (size >= MAX_BYTES) {
  problems.push(`${vsix} is ${(size / 1048576).toFixed(1)} MB, over the 10 MB a download should stay under`);
}
if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(
  `${vsix}: ${targetPlatform ?? 'every platform'}, ${entries.size} entries, with ${[...required].length} required ones; ${(size / 1048576).toFixed(1)} MB`,
);
