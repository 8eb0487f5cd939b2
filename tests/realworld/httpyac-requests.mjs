// Prints, for each .http/.rest file named on the command line, the requests httpyac's own
// parser finds in it: one JSON object per line, {"file", "requests": [{method, url, line}]}
// or {"file", "error"}. Nothing is sent: the files are only parsed.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import httpyac from 'httpyac';

const { HttpFileStore } = httpyac.store;
// httpyac reads files (imports, `< file` bodies) through providers its command line sets up.
httpyac.cli.initFileProvider();

const store = new HttpFileStore();
for (const file of process.argv.slice(2)) {
  try {
    const text = await readFile(file, 'utf8');
    const absolute = path.resolve(file);
    const httpFile = await store.parse(absolute, text, { workingDir: path.dirname(absolute) });
    const requests = httpFile.httpRegions
      .filter(region => region.request)
      .map(region => ({
        method: region.request.method ?? null,
        url: region.request.url ?? null,
        line: region.symbol.startLine + 1,
      }));
    console.log(JSON.stringify({ file, requests }));
  } catch (error) {
    console.log(JSON.stringify({ file, error: String(error && error.message ? error.message : error) }));
  }
}
