// Runs the TextMate grammar tests: vscode-tmgrammar-test over grammars/test/*, with the grammars
// of ../../grammars as VS Code loads them (the injection grammar injected into source.http and
// source.json) and the JSON, XML, JavaScript and GraphQL grammars the .http grammar embeds,
// taken from the pinned tm-grammars package (VS Code ships its own). Offline after `npm ci`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const here = dirname(fileURLToPath(import.meta.url));
const extension = resolve(here, '..');
const grammars = resolve(extension, '../../grammars');
const require = createRequire(import.meta.url);
const embedded = (name) => require.resolve(`tm-grammars/grammars/${name}.json`);

const config = {
  contributes: {
    languages: [{ id: 'http', extensions: ['.http', '.rest'] }],
    grammars: [
      { language: 'http', scopeName: 'source.http', path: join(grammars, 'http.tmLanguage.json') },
      {
        scopeName: 'vaultlink.reference.injection',
        path: join(grammars, 'vault-reference.injection.tmLanguage.json'),
        injectTo: ['source.http', 'source.json', 'source.json.comments'],
      },
      { scopeName: 'source.json', path: embedded('json') },
      { scopeName: 'text.xml', path: embedded('xml') },
      { scopeName: 'source.js', path: embedded('javascript') },
      { scopeName: 'source.graphql', path: embedded('graphql') },
    ],
  },
};

const dir = mkdtempSync(join(tmpdir(), 'vaultlink-grammar-'));
try {
  // loadConfiguration joins each path to the config's folder: make them relative to it.
  for (const g of config.contributes.grammars) {
    g.path = relative(dir, g.path);
  }
  // The XML grammar embeds Java; nothing here needs it, so it gets an empty stand-in.
  const java = join(dir, 'java.json');
  writeFileSync(java, JSON.stringify({ scopeName: 'source.java', patterns: [] }));
  config.contributes.grammars.push({ scopeName: 'source.java', path: 'java.json' });
  const configPath = join(dir, 'package.json');
  writeFileSync(configPath, JSON.stringify(config, null, 2));
  const cli = require.resolve('vscode-tmgrammar-test/dist/unit.js');
  const run = spawnSync(
    process.execPath,
    [cli, '--config', configPath, join(grammars, 'test', '*.test.*')],
    { stdio: 'inherit' },
  );
  process.exitCode = run.status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
