import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { formatElapsed, formatResponse, isSendResult, reindentJson, type SendResult } from '../src/response';

const result = (over: Partial<SendResult>): SendResult => ({
  status: 200,
  statusText: 'OK',
  headers: [['content-type', 'application/json']],
  body: '{"b":1,"a":[1,2,{"x":"y, z: {}"}],"e":{},"n":1.50}',
  bodyEncoding: 'utf-8',
  elapsedMs: 123,
  request: { method: 'POST', url: 'https://api.example.com/v1/charges?x=1', headers: [['Authorization', 'Bearer ***']] },
  ...over,
});

describe('formatResponse', () => {
  it('shows JSON pretty, as jsonc with the request and headers as comments, status and timing in the title', () => {
    const view = formatResponse(result({}));
    assert.equal(view.title, '200 OK · 123 ms · POST api.example.com');
    assert.equal(view.language, 'jsonc');
    assert.equal(
      view.content,
      [
        '// POST https://api.example.com/v1/charges?x=1',
        '// HTTP 200 OK in 123 ms',
        '//',
        '// content-type: application/json',
        '{',
        '  "b": 1,',
        '  "a": [',
        '    1,',
        '    2,',
        '    {',
        '      "x": "y, z: {}"',
        '    }',
        '  ],',
        '  "e": {},',
        '  "n": 1.50',
        '}',
        '',
      ].join('\n'),
    );
  });

  it('keeps redacted values as the server sent them', () => {
    const view = formatResponse(result({ body: '{"authorization":"Bearer ***"}' }));
    assert.ok(view.content.includes('"authorization": "Bearer ***"'));
  });

  it('shows XML with a comment header, text as plain text, binary as a size', () => {
    const xml = formatResponse(result({ headers: [['Content-Type', 'application/xml']], body: '<a>1</a>' }));
    assert.equal(xml.language, 'xml');
    assert.ok(xml.content.startsWith('<!--\n  POST https://api.example.com/v1/charges?x=1\n'));
    assert.ok(xml.content.endsWith('-->\n<a>1</a>\n'));

    const text = formatResponse(result({ status: 404, statusText: 'Not Found', headers: [['content-type', 'text/plain']], body: 'nope', elapsedMs: 4200 }));
    assert.equal(text.title, '404 Not Found · 4.2 s · POST api.example.com');
    assert.equal(text.language, 'plaintext');
    assert.ok(text.content.endsWith('content-type: text/plain\n\nnope\n'));

    const binary = formatResponse(result({ headers: [['content-type', 'image/png']], body: 'AAECAw==', bodyEncoding: 'base64' }));
    assert.ok(binary.content.endsWith('<4 bytes of binary data (image/png)>\n'));
  });

  it('shows a body that says JSON but is not as text', () => {
    const view = formatResponse(result({ body: '{not json' }));
    assert.equal(view.language, 'plaintext');
    assert.ok(view.content.endsWith('\n{not json\n'));
  });

  it('never puts a slash in the title', () => {
    const view = formatResponse(result({ request: { method: 'GET', url: 'relative/path', headers: [] } }));
    assert.ok(!view.title.includes('/'), view.title);
  });
});

describe('reindentJson', () => {
  it('keeps key order, numbers and escapes as written', () => {
    assert.equal(reindentJson('{"z":1e3,"a":"\\"q\\"\\u00e9"}'), '{\n  "z": 1e3,\n  "a": "\\"q\\"\\u00e9"\n}');
  });
  it('leaves scalars and empty containers on one line', () => {
    assert.equal(reindentJson(' 42 '), '42');
    assert.equal(reindentJson('[ ]'), '[]');
  });
  it('refuses what is not JSON', () => {
    assert.equal(reindentJson(''), undefined);
    assert.equal(reindentJson('{"a":}'), undefined);
  });
});

describe('isSendResult and formatElapsed', () => {
  it('tells a result from anything else', () => {
    assert.ok(isSendResult(result({})));
    assert.ok(!isSendResult(null));
    assert.ok(!isSendResult({ status: 200 }));
  });
  it('formats times', () => {
    assert.equal(formatElapsed(0), '0 ms');
    assert.equal(formatElapsed(999), '999 ms');
    assert.equal(formatElapsed(1500), '1.5 s');
  });
});
