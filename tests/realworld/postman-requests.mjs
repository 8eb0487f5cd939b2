// Prints, for each Postman collection named on the command line, the requests the Postman
// Collection SDK finds in it, in order: one JSON object per line, {"file", "requests":
// [{name, method, url}]} or {"file", "error"}. `name` is the item's path, folders joined by
// '/'. Nothing is sent.
import { readFile } from 'node:fs/promises';
import sdk from 'postman-collection';

const { Collection } = sdk;
for (const file of process.argv.slice(2)) {
  try {
    const json = JSON.parse((await readFile(file, 'utf8')).replace(/^\uFEFF/, ''));
    const collection = new Collection(json);
    const requests = [];
    collection.forEachItem(item => {
      const names = [];
      for (let node = item; node && !(node instanceof Collection); node = node.parent()) {
        names.unshift(node.name ?? '');
      }
      const request = item.request;
      // `vaultlink requests` lists URLs as written, variables unresolved: so are path
      // variables (`:id`) here, which the SDK would otherwise fill in from `url.variable`.
      if (request && request.url) request.url.variables.clear();
      requests.push({
        name: names.join('/'),
        method: request ? request.method : null,
        url: request && request.url ? request.url.toString() : null,
      });
    });
    console.log(JSON.stringify({ file, requests }));
  } catch (error) {
    console.log(JSON.stringify({ file, error: String(error && error.message ? error.message : error) }));
  }
}
