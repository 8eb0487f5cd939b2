// Builds the extension: bundles src/extension.ts with esbuild into dist/extension.js (one
// CommonJS file, `vscode` left external) and copies the grammars of ../../grammars into
// syntaxes/. With --tests, bundles test/*.test.ts into out/test/ for `node --test` instead.
// With --production, minifies and leaves out source maps (what the .vsix ships).
import { build } from 'esbuild';
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const production = args.has('--production');

if (args.has('--tests')) {
  const tests = readdirSync(join(root, 'test'))
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(root, 'test', f));
  rmSync(join(root, 'out'), { recursive: true, force: true });
  await build({
    entryPoints: tests,
    outdir: join(root, 'out', 'test'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    // The pure modules under test never import `vscode`; if one did, the test fails to load.
    external: ['vscode'],
    logLevel: 'warning',
  });
} else {
  await build({
    entryPoints: [join(root, 'src', 'extension.ts')],
    outfile: join(root, 'dist', 'extension.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
    minify: production,
    sourcemap: !production,
    logLevel: 'warning',
  });
  // One source of truth for the grammars: ../../grammars, copied into the package.
  const syntaxes = join(root, 'syntaxes');
  rmSync(syntaxes, { recursive: true, force: true });
  mkdirSync(syntaxes);
  for (const f of ['http.tmLanguage.json', 'vault-reference.injection.tmLanguage.json']) {
    cpSync(join(root, '..', '..', 'grammars', f), join(syntaxes, f));
  }
}
