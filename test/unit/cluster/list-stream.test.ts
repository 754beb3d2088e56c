// The streaming list parser against JSON.parse of the whole body: same items, same skeleton, for any
// document and any split into chunks; clear errors for bodies that are not list documents.
import { expect } from 'chai';
import fc from 'fast-check';
import { ListDecodeError, ListStreamParser } from '../../../src/cluster/list-stream.js';

function parseInChunks(body: Buffer, cuts: readonly number[]): { items: unknown[]; skeleton: unknown } {
  const items: unknown[] = [];
  const parser = new ListStreamParser((item) => items.push(item));
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
const json = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, awkwardString, fc.integer(), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 4 }),
  object: fc.dictionary(awkwardString, tie('value'), { maxKeys: 4 }),
}));
const item = fc.dictionary(awkwardString, json.value, { maxKeys: 5 });

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
