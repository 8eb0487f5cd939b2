// Packages the extension into a .vsix with @vscode/vsce, then checks what the .vsix holds:
// the bundle, both grammars, the vaultlink.json schema, the language configuration, the icon,
// the changelog, every file package.json's contributions name — and nothing from src/, test/ or
// node_modules/ — and that a .vsix with the server in it stays under 10 MB (a server built with
// debug information would not).
//
//   node scripts/package.mjs                          platform-neutral, `vaultlink` from PATH
//   node scripts/package.mjs --server ../../target/release/vaultlink --target linux-x64
//                                                     ships that binary in server/
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
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
  ...(target ? ['--target', target] : []),
  '--out',
  vsix,
]);

// The .vsix is a zip: read the names in its central directory.
function zipEntries(file) {
  const buf = readFileSync(file);
  let eocd = buf.length - 22;
  while (eocd >= 0 && buf.readUInt32LE(eocd) !== 0x06054b50) eocd--;
  if (eocd < 0) throw new Error(`${file} is not a zip file`);
  const count = buf.readUInt16LE(eocd + 10);
  let at = buf.readUInt32LE(eocd + 16);
  const names = [];
  for (let i = 0; i < count; i++) {
    if (buf.readUInt32LE(at) !== 0x02014b50) throw new Error(`${file}: bad central directory`);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    names.push(buf.toString('utf8', at + 46, at + 46 + nameLen));
    at += 46 + nameLen + extraLen + commentLen;
  }
  return names;
}

const entries = new Set(zipEntries(vsix));
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
if (missing.length > 0 || stray.length > 0) {
  if (missing.length > 0) console.error(`${vsix} lacks: ${missing.join(', ')}`);
  if (stray.length > 0) console.error(`${vsix} should not hold: ${stray.join(', ')}`);
  process.exit(1);
}
const MAX_BYTES = 10 * 1024 * 1024;
const size = statSync(vsix).size;
if (size >= MAX_BYTES) {
  console.error(`${vsix} is ${(size / 1048576).toFixed(1)} MB, over the 10 MB a download should stay under`);
  process.exit(1);
}
console.log(
  `${vsix}: ${entries.size} entries, with ${[...required].length} required ones; ${(size / 1048576).toFixed(1)} MB`,
);
