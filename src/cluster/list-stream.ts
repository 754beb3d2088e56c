// Splits a list response (`{"kind":…,"metadata":{…},"items":[{…},{…}]}`) into its items as the
// bytes arrive, so each item is parsed (and slimmed by the caller) on its own. Parsing the whole body
// at once kept every full object alive together: at 20,000 objects that was seconds of garbage
// collection and a body-sized buffer and string, in UML where each fresh page is a trapped fault.
// Everything outside the items array (kind, metadata.resourceVersion) is kept as a small skeleton
// and parsed at the end.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const ITEMS_KEY = Buffer.from('"items"');

/** The list body was not the JSON document a list answer is. */
export class ListDecodeError extends Error {
  override readonly name = 'ListDecodeError';
}

export interface ListSkeleton {
  readonly metadata?: { readonly resourceVersion?: unknown };
  readonly items?: unknown;
  readonly [key: string]: unknown;
}

/** A JSON value that is an object (not null, not an array). */
export function isJsonObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A list document's JSON text, parsed: an object, or a ListDecodeError saying why not. */
export function parseListDocument(text: string): ListSkeleton {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new ListDecodeError(`the list document is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!isJsonObject(doc)) throw new ListDecodeError('the list document is not an object');
  return doc;
}

/** The list's resourceVersion ('' when it has none). */
export function listResourceVersion(doc: ListSkeleton): string {
  const rv = doc.metadata?.resourceVersion;
  return typeof rv === 'string' ? rv : '';
}

/**
 * Feed it the body's chunks in order; `onItem` gets each parsed element of the top-level "items"
 * array. `end()` returns the rest of the document (items elided) once the body is complete.
 */
export class ListStreamParser {
  readonly #onItem: (item: unknown) => void;
  /** open objects and arrays around the byte being read */
  #depth = 0;
  #inString = false;
  /** the previous byte inside a string was an unpaired backslash */
  #escaped = false;
  /** bytes of the top-level document outside the items array */
  readonly #skeleton: Buffer[] = [];
  /** the last complete top-level key, as its raw bytes with quotes, while a value may follow */
  #lastKey: Buffer | undefined;
  #keyParts: Buffer[] | undefined;
  /** the depth of the items array's contents while inside it, else 0 */
  #itemsDepth = 0;
  /** pieces of the item being read (an item may span chunks) */
  #itemParts: Buffer[] | undefined;
  #itemsSeen = false;
  #done = false;

  constructor(onItem: (item: unknown) => void) {
    this.#onItem = onItem;
  }

  write(chunk: Buffer): void {
    if (this.#done) {
      if (chunk.some((b) => !isSpace(b))) throw new ListDecodeError('data after the end of the list document');
      return;
    }
    let segmentStart = 0; // start of the part of `chunk` not yet handed to the skeleton or an item
    let keyFrom = 0; // where the top-level string being read began in this chunk
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#inString) {
        if (this.#escaped) {
          this.#escaped = false;
          i++;
          continue;
        }
        // jump to the next quote; it ends the string unless an odd run of backslashes precedes it
        const q = chunk.indexOf(QUOTE, i);
        const end = q === -1 ? n : q;
        let run = 0;
        while (end - run - 1 >= i && chunk[end - run - 1] === BACKSLASH) run++;
        if (q === -1) {
          this.#escaped = run % 2 === 1;
          break;
        }
        i = q + 1;
        if (run % 2 === 1) continue;
        this.#inString = false;
        if (this.#keyParts !== undefined) {
          this.#keyParts.push(chunk.subarray(keyFrom, i));
          this.#lastKey = Buffer.concat(this.#keyParts);
          this.#keyParts = undefined;
        }
        continue;
      }
      const c = chunk[i] as number;
      if (this.#itemsDepth !== 0 && this.#depth === this.#itemsDepth && c !== OPEN_OBJECT && c !== CLOSE_ARRAY && c !== COMMA && !isSpace(c)) {
        throw new ListDecodeError('an element of items is not an object');
      }
      if (c === QUOTE) {
        this.#inString = true;
        // a string right inside the top-level object: a key (or a value), kept to spot "items"
        if (this.#depth === 1 && this.#itemsDepth === 0) {
          this.#keyParts = [];
          keyFrom = i;
        }
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        if (this.#itemsDepth !== 0 && this.#depth === this.#itemsDepth) {
          this.#itemParts = [];
          segmentStart = i;
        }
        this.#depth++;
        if (c === OPEN_ARRAY && this.#depth === 2 && this.#itemsDepth === 0 && this.#lastKey?.equals(ITEMS_KEY) === true) {
          if (this.#itemsSeen) throw new ListDecodeError('two items arrays');
          this.#itemsSeen = true;
          // the skeleton keeps `[` and, later, `]`: an empty array where the items were
          this.#skeleton.push(chunk.subarray(segmentStart, i + 1));
          segmentStart = i + 1;
          this.#itemsDepth = 2;
        }
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        this.#depth--;
        if (this.#depth < 0) throw new ListDecodeError('unbalanced brackets');
        if (this.#itemsDepth !== 0) {
          if (this.#depth === this.#itemsDepth && this.#itemParts !== undefined) {
            this.#itemParts.push(chunk.subarray(segmentStart, i + 1));
            this.#emit();
            segmentStart = i + 1;
          } else if (this.#depth === this.#itemsDepth - 1) {
            // the items array closed: what follows belongs to the skeleton again
            this.#itemsDepth = 0;
            segmentStart = i;
          }
        } else if (this.#depth === 0) {
          this.#skeleton.push(chunk.subarray(segmentStart, i + 1));
          this.#done = true;
          if (chunk.subarray(i + 1).some((b) => !isSpace(b))) throw new ListDecodeError('data after the end of the list document');
          return;
        }
      } else if (c === COMMA && this.#depth === 1) {
        this.#lastKey = undefined;
      }
      i++;
    }
    // the unread tail of this chunk goes to whoever owns it
    if (this.#keyParts !== undefined) this.#keyParts.push(chunk.subarray(keyFrom, n));
    if (segmentStart >= n) return;
    if (this.#itemsDepth !== 0) {
      // between items there are only commas and white space: nothing to keep
      if (this.#itemParts !== undefined) this.#itemParts.push(chunk.subarray(segmentStart, n));
    } else {
      this.#skeleton.push(chunk.subarray(segmentStart, n));
    }
  }

  #emit(): void {
    const parts = this.#itemParts ?? [];
    this.#itemParts = undefined;
    const text = parts.length === 1 ? (parts[0] as Buffer).toString('utf8') : Buffer.concat(parts).toString('utf8');
    let item: unknown;
    try {
      item = JSON.parse(text);
    } catch (e) {
      throw new ListDecodeError(`an item of the list is not JSON: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.#onItem(item);
  }

  /** The document without its items; throws when the body ended early or was not a list. */
  end(): ListSkeleton {
    if (!this.#done || this.#inString) throw new ListDecodeError('the list document ended early');
    return parseListDocument(Buffer.concat(this.#skeleton).toString('utf8'));
  }
}

function isSpace(b: number): boolean {
  return b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
}
