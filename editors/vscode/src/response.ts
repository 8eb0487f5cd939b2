// What Send Request shows: the answer of the server's `vaultlink.sendRequest` (SPEC §6) turned
// into a read-only document — its title (status and timing), its language and its text.
// Pure: no `vscode` import, unit-tested under node.

/** The result of `vaultlink.sendRequest`, secrets already redacted by the server. */
export interface SendResult {
  status: number;
  statusText: string;
  headers: [string, string][];
  body: string;
  bodyEncoding: 'utf-8' | 'base64';
  elapsedMs: number;
  request: { method: string; url: string; headers: [string, string][] };
}

export interface ResponseView {
  /** The editor tab's title: `200 OK · 123 ms · POST api.example.com`. */
  title: string;
  /** A VS Code language id: `jsonc`, `xml`, `html` or `plaintext`. */
  language: string;
  content: string;
}

/** Whether `value` has the shape of a `vaultlink.sendRequest` result. */
export function isSendResult(value: unknown): value is SendResult {
  const v = value as Partial<SendResult> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.status === 'number' &&
    typeof v.body === 'string' &&
    Array.isArray(v.headers) &&
    typeof v.request === 'object'
  );
}

/** The document that shows one response. */
export function formatResponse(r: SendResult): ResponseView {
  const statusLine = `${r.status} ${r.statusText}`.trim();
  const title = `${statusLine} · ${formatElapsed(r.elapsedMs)} · ${r.request.method} ${hostOf(r.request.url)}`
    // A tab title is the last segment of a URI path: no slashes.
    .replace(/[/\\]/g, '∕');
  const contentType = header(r.headers, 'content-type')?.toLowerCase() ?? '';
  const summary = [
    `${r.request.method} ${r.request.url}`,
    `HTTP ${statusLine} in ${formatElapsed(r.elapsedMs)}`,
    '',
    ...r.headers.map(([n, v]) => `${n}: ${v}`),
  ];

  if (r.bodyEncoding === 'base64') {
    const bytes = Math.floor((r.body.replace(/=+$/, '').length * 3) / 4);
    return {
      title,
      language: 'plaintext',
      content: `${summary.join('\n')}\n\n<${bytes} bytes of binary data${contentType ? ` (${contentType})` : ''}>\n`,
    };
  }
  const json = contentType.includes('json') || contentType === '' ? reindentJson(r.body) : undefined;
  if (json !== undefined) {
    const comments = summary.map((l) => (l === '' ? '//' : `// ${l}`));
    return { title, language: 'jsonc', content: `${comments.join('\n')}\n${json}\n` };
  }
  const markup = /xml/.test(contentType) ? 'xml' : /html/.test(contentType) ? 'html' : undefined;
  // `--` may not appear inside an XML comment.
  if (markup !== undefined && !summary.some((l) => l.includes('--'))) {
    const comment = `<!--\n${summary.map((l) => (l === '' ? '' : `  ${l}`)).join('\n')}\n-->`;
    return { title, language: markup, content: `${comment}\n${r.body}${r.body.endsWith('\n') ? '' : '\n'}` };
  }
  return {
    title,
    language: 'plaintext',
    content: `${summary.join('\n')}\n\n${r.body}${r.body.endsWith('\n') || r.body === '' ? '' : '\n'}`,
  };
}

/** `123 ms`, `4.2 s`. */
export function formatElapsed(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function header(headers: [string, string][], name: string): string | undefined {
  return headers.find(([n]) => n.toLowerCase() === name)?.[1];
}

function hostOf(url: string): string {
  const m = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(url);
  return m ? m[1] : url;
}

/**
 * `text` indented two spaces per level when it is one JSON value, else undefined. Works on the
 * text itself, so key order, number spelling and escapes stay exactly as received.
 */
export function reindentJson(text: string): string | undefined {
  const trimmed = text.trim();
  if (trimmed === '' || !isJson(trimmed)) {
    return undefined;
  }
  let out = '';
  let depth = 0;
  const newline = () => '\n' + '  '.repeat(depth);
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i];
    if (c === '"') {
      let j = i + 1;
      while (j < trimmed.length && trimmed[j] !== '"') {
        j += trimmed[j] === '\\' ? 2 : 1;
      }
      out += trimmed.slice(i, j + 1);
      i = j;
    } else if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      let k = i + 1;
      while (/\s/.test(trimmed[k] ?? '')) k++;
      if (trimmed[k] === close) {
        out += c + close;
        i = k;
      } else {
        depth++;
        out += c + newline();
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += newline() + c;
    } else if (c === ',') {
      out += ',' + newline();
    } else if (c === ':') {
      out += ': ';
    } else if (!/\s/.test(c)) {
      out += c;
    }
  }
  return out;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
