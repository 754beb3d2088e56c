// Values both decoders (JSON in slim.ts, protobuf in protobuf/objects.ts) hand out once instead of
// a copy per endpoint or object: frozen objects (the core only reads them) and recurring strings.
import type { EndpointLike } from '../model/kube.js';

export type EndpointConditions = NonNullable<EndpointLike['conditions']>;

// A condition is unknown (absent), false or true: 27 combinations, each made once. At 10,000 ×
// 5 endpoints that is 50,000 objects fewer held, promoted and counted by every collection.
const CONDITIONS: readonly EndpointConditions[] = (() => {
  const values = [undefined, false, true] as const;
  const out: EndpointConditions[] = [];
  for (const ready of values) for (const serving of values) for (const terminating of values) out.push(Object.freeze({ ready, serving, terminating }));
  return out;
})();

function tri(v: boolean | undefined): number {
  return v === undefined ? 0 : v ? 2 : 1;
}

export function endpointConditions(ready: boolean | undefined, serving: boolean | undefined, terminating: boolean | undefined): EndpointConditions {
  return CONDITIONS[tri(ready) * 9 + tri(serving) * 3 + tri(terminating)] as EndpointConditions;
}

/** An object's annotations when none the proxy reads are among them (most objects). */
export const NO_PROXY_ANNOTATIONS: Readonly<Record<string, string>> = Object.freeze({});

/** True when `text` is exactly these bytes read as UTF-8, compared as ASCII (other text never matches). */
export function sameText(text: string, bytes: Buffer, start: number, end: number): boolean {
  if (text.length !== end - start) return false;
  for (let i = start; i < end; i++) {
    const c = text.charCodeAt(i - start);
    // past ASCII a character is not its byte: 'Ã' (U+00C3) is not the byte 0xC3 of a UTF-8 sequence
    if (c !== bytes[i] || c >= 0x80) return false;
  }
  return true;
}

/** Strings longer than this are not kept: the values that recur (names of things) are short. */
const LONGEST = 128;

/**
 * Recently seen strings (namespaces, label keys and values, node names, protocols, policies), one
 * per slot of a table indexed by a hash of their characters; a newer string takes its slot. The
 * protobuf reader looks a field's bytes up before decoding them (a hit costs a pass over the bytes
 * and no allocation); the JSON path hands back the kept string for one JSON.parse made again, so
 * objects from watch events hold no more than objects from lists. Only ASCII strings are kept.
 */
export class RecentStrings {
  readonly #slots: (string | undefined)[];
  readonly #mask: number;
  constructor(bits: number) {
    this.#slots = new Array<string | undefined>(1 << bits).fill(undefined);
    this.#mask = (1 << bits) - 1;
  }

  #slot(hash: number): number {
    return (hash ^ (hash >>> 13)) & this.#mask;
  }

  /** These bytes as Buffer decodes them (UTF-8), the kept string when there is one. */
  fromBytes(bytes: Buffer, start: number, end: number): string {
    if (end - start > LONGEST) return bytes.toString('utf8', start, end);
    let hash = end - start;
    for (let i = start; i < end; i++) hash = (Math.imul(hash, 31) + (bytes[i] as number)) | 0;
    const slot = this.#slot(hash);
    const known = this.#slots[slot];
    if (known !== undefined && sameText(known, bytes, start, end)) return known;
    const text = bytes.toString('utf8', start, end);
    if (text.length === end - start) this.#slots[slot] = text;
    return text;
  }

  /** An equal string seen before (the same slot as its ASCII bytes), else this one, kept. */
  fromText(text: string): string {
    if (text.length > LONGEST) return text;
    let hash = text.length;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c >= 0x80) return text;
      hash = (Math.imul(hash, 31) + c) | 0;
    }
    const slot = this.#slot(hash);
    const known = this.#slots[slot];
    if (known === text) return known;
    this.#slots[slot] = text;
    return text;
  }
}

export const recentStrings = new RecentStrings(12);
