// The streaming list parser against JSON.parse of the whole body: same items, same skeleton, for any
// document and any split into chunks; clear errors for bodies that are not list documents.
import { expect } from 'chai';
import fc from 'fast-check';
import { ListDecodeError, ListStreamParser } from '../../../src/cluster/list-stream.js';

function parseInChunks(body: Buffer, cuts: readonly number[], groupBytes?: number): { items: unknown[]; skeleton: unknown } {
  const items: unknown[] = [];
  const parser = new ListStreamParser((item) => items.push(item), groupBytes === undefined ? {} : { groupBytes });
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    parser.write(body.subarray(at, cut));
    at = cut;
  }
  parser.write(body.subarray(at));
  return { items, skeleton: parser.end() };
}

// strings that stress the scanner: quotes, runs of backslashes, brackets, non-ASCII
const awkwardString = fc.oneof(fc.string(), fc.constantFrom('"', '\\', '\\\\"', '{[', ']}', '"items"', 'ü€😀', '\\u0022'), fc.string({ unit: 'grapheme' }));
// Keys exclude one-character strings that JSON escapes (`"`, `\`, control characters): Node 24.21's
// JSON.parse, parsing a second time objects that share a shape and differ only in such a key
// (`[{"x":1,"\"":1},{"x":2,"\\":1}]`), gives both objects the second's key. Our parser is JSON.parse
// underneath, so the test would compare V8 with itself; no Kubernetes key is a lone escape.
const awkwardKey = awkwardString.filter((k) => k.length !== 1 || JSON.stringify(k).length === 3);
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, awkwardString, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(awkwardKey, tie('value'), { maxKeys: 4 }),
}));
const item = fc.dictionary(awkwardKey, json.value, { maxKeys: 5 });

describe('list stream parser', () => {
  it('yields the items and the rest of the document as JSON.parse does, for any chunking', () => {
    fc.assert(
      fc.property(
        fc.array(item, { maxLength: 6 }),
        fc.dictionary(fc.constantFrom('kind', 'apiVersion', 'x', 'itemsX'), awkwardString, { maxKeys: 3 }),
        fc.string(),
        fc.boolean(),
        fc.array(fc.nat(), { maxLength: 8 }),
        (items, extra, resourceVersion, pretty, rawCuts) => {
          const doc = { ...extra, metadata: { resourceVersion }, items };
          const body = Buffer.from(JSON.stringify(doc, null, pretty ? 2 : undefined));
          const cuts = rawCuts.map((c) => c % (body.length + 1));
          const got = parseInChunks(body, cuts);
          expect(got.items).to.deep.equal(JSON.parse(JSON.stringify(items)));
          expect(got.skeleton).to.deep.equal({ ...JSON.parse(JSON.stringify(extra)), metadata: { resourceVersion }, items: [] });
        },
      ),
      { numRuns: 300 },
    );
  });

  // items shaped as an API server writes them (`{"metadata":…` first), with what could fool the cuts
  // between them: nested arrays of objects opening with the same key, strings holding a cut
  const cutBait = fc.constantFrom('},{"metadata":', '},{\\"metadata\\":', '}],"metadata":{', '"},{"metadata":"');
  const apiItem = fc.record({
    metadata: fc.record({ name: fc.oneof(awkwardString, cutBait), labels: fc.dictionary(awkwardKey, fc.oneof(awkwardString, cutBait), { maxKeys: 2 }) }),
    spec: fc.array(fc.record({ metadata: fc.oneof(cutBait, fc.integer()), v: json.value }), { maxLength: 3 }),
  });

  it('yields the same items in groups as the byte scanner does, for any group size and chunking', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof({ weight: 4, arbitrary: apiItem }, { weight: 1, arbitrary: item }), { maxLength: 12 }),
        fc.boolean(),
        fc.integer({ min: 1, max: 400 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (items, pretty, groupBytes, rawCuts) => {
          const body = Buffer.from(JSON.stringify({ kind: 'List', metadata: { resourceVersion: '7' }, items }, null, pretty ? 1 : undefined));
          const cuts = rawCuts.map((c) => c % (body.length + 1));
          const grouped = parseInChunks(body, cuts, groupBytes);
          expect(grouped).to.deep.equal(parseInChunks(body, cuts, 0));
          expect(grouped.items).to.deep.equal(JSON.parse(JSON.stringify(items)));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('hands a group that does not parse to the byte scanner, which names the broken item', () => {
    const good = Array.from({ length: 50 }, (_, i) => JSON.stringify({ metadata: { name: `s${i}` } }));
    const body = Buffer.from(`{"items":[${[...good.slice(0, 25), '{"metadata":{"name":tru}}', ...good.slice(25)].join(',')}]}`);
    const seen: unknown[] = [];
    const parser = new ListStreamParser((x) => seen.push(x), { groupBytes: 64 });
    expect(() => {
      for (let at = 0; at < body.length; at += 16) parser.write(body.subarray(at, at + 16));
      parser.end();
    }).to.throw(ListDecodeError, /an item of the list is not JSON/);
    expect(seen).to.deep.equal(good.slice(0, 25).map((g) => JSON.parse(g) as unknown));
  });

  it('reads byte by byte, with items before metadata and a key named "items" inside an item', () => {
    const body = Buffer.from('{"items":[{"items":[1,2],"a":"x\\"]}"},{}],"metadata":{"resourceVersion":"42"},"kind":"ServiceList"}');
    const got = parseInChunks(body, Array.from({ length: body.length }, (_, i) => i));
    expect(got.items).to.deep.equal([{ items: [1, 2], a: 'x"]}' }, {}]);
    expect(got.skeleton).to.deep.equal({ items: [], metadata: { resourceVersion: '42' }, kind: 'ServiceList' });
  });

  it('treats a null or missing items as no items', () => {
    expect(parseInChunks(Buffer.from('{"items":null,"metadata":{}}'), []).items).to.deep.equal([]);
    expect(parseInChunks(Buffer.from('{"kind":"List"}'), []).skeleton).to.deep.equal({ kind: 'List' });
  });

  for (const [what, body] of [
    ['a truncated document', '{"metadata":{},"items":[{"a":1},{"b"'],
    ['an item that is not JSON', '{"items":[{"a":tru}]}'],
    ['an element that is not an object', '{"items":[[1]]}'],
    ['an element that is a string or a number', '{"items":[{},"x",1]}'],
    ['text after the document', '{"items":[]} x'],
    ['a document that is not an object', '[1,2]'],
  ] as const) {
    it(`rejects ${what} with a ListDecodeError`, () => {
      expect(() => parseInChunks(Buffer.from(body), [3])).to.throw(ListDecodeError);
    });
  }
});
