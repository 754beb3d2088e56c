// The protobuf wire format, read in place: varints, length-delimited fields and skipping what the
// caller does not want. No schema here; the message decoders say which field numbers they read.
import { recentStrings, sameText } from '../shared-values.js';

/** A body that is not well-formed protobuf, with the byte offset where reading failed. */
export class ProtobufError extends Error {
  override readonly name = 'ProtobufError';
  readonly offset: number;
  constructor(message: string, offset: number) {
    super(`${message} (at byte ${offset})`);
    this.offset = offset;
  }
}

/** Wire types, the low three bits of a field's tag. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH_DELIMITED = 2;
export const FIXED32 = 5;

/** A field's tag as written on the wire: its number shifted left by three, then its wire type. */
export function tagOf(field: number, wireType: number): number {
  return (field << 3) | wireType;
}

const TWO_POW_53 = 2 ** 53;

/** Reads one message's bytes from `pos` on; `end` is where the message stops. */
export class ProtoReader {
  readonly bytes: Buffer;
  pos: number;
  /** where `bytes` starts in the whole body, for the offsets errors name */
  readonly #base: number;
  constructor(bytes: Buffer, pos = 0, base = 0) {
    this.bytes = bytes;
    this.pos = pos;
    this.#base = base;
  }

  #error(message: string, at: number): ProtobufError {
    return new ProtobufError(message, this.#base + at);
  }

  /** An unsigned varint up to 2^53 exactly (tags, lengths, counts, int32 ≥ 0, bools). */
  varint(): number {
    // one byte (most tags, small lengths and numbers) without the general loop
    const first = this.bytes[this.pos];
    if (first !== undefined && first < 0x80) {
      this.pos++;
      return first;
    }
    const value = this.varintIfWhole();
    if (value === undefined) throw this.#error('truncated varint', this.pos);
    return value;
  }

  /**
   * The varint here if its bytes are all in (the reader moves past it), else undefined and the
   * reader stays (a streamed body waits for more).
   */
  varintIfWhole(): number | undefined {
    const b = this.bytes;
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let p = start; p < start + 10; p++) {
      const c = b[p];
      if (c === undefined) return undefined;
      value += (c & 0x7f) * scale;
      if (c < 0x80) {
        this.pos = p + 1;
        return value;
      }
      scale *= 0x80;
    }
    throw this.#error('varint longer than 10 bytes', start);
  }

  /** An int32 field: negative values come as 10-byte varints of their 64-bit two's complement. */
  int32(): number {
    const b = this.bytes;
    let p = this.pos;
    let low = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      const c = b[p++];
      if (c === undefined) throw this.#error('truncated varint', this.pos);
      // bits past the 32nd fall off the shift: the low 32 bits are the int32
      if (shift < 32) low |= (c & 0x7f) << shift;
      if (c < 0x80) {
        this.pos = p;
        return low | 0;
      }
    }
    throw this.#error('varint longer than 10 bytes', this.pos);
  }

  /** An int64 field as a number: exact within ±2^53 (seconds, counts), negatives included. */
  int64(): number {
    const start = this.pos;
    const v = this.varint();
    if (v < TWO_POW_53) return v;
    let big = 0n;
    for (let p = this.pos - 1; p >= start; p--) big = (big << 7n) | BigInt((this.bytes[p] as number) & 0x7f);
    return Number(BigInt.asIntN(64, big));
  }

  bool(): boolean {
    return this.varint() !== 0;
  }

  /** Reads a length prefix and returns where the field's bytes end. */
  lengthEnd(limit: number): number {
    const at = this.pos;
    const end = this.varint() + this.pos;
    if (end > limit) throw this.#error('length-delimited field runs past its message', at);
    return end;
  }

  /** A string field (UTF-8), the reader left after it. */
  string(limit: number): string {
    const end = this.lengthEnd(limit);
    const start = this.pos;
    this.pos = end;
    // Buffer's native decoder: decoding short ASCII strings by hand in JavaScript was slower
    return this.bytes.toString('utf8', start, end);
  }

  /**
   * A string field whose value recurs across objects (namespaces, label and annotation keys, node
   * names, protocols, policies): the string made the last time the same bytes were read, found
   * without decoding them; a new string only for bytes not seen recently.
   */
  sharedString(limit: number): string {
    const end = this.lengthEnd(limit);
    const start = this.pos;
    this.pos = end;
    return recentStrings.fromBytes(this.bytes, start, end);
  }

  /** A string field that may repeat `known` (a Service's clusterIPs repeat its clusterIP): then `known` itself. */
  stringLike(limit: number, known: string): string {
    const end = this.lengthEnd(limit);
    const start = this.pos;
    this.pos = end;
    return sameText(known, this.bytes, start, end) ? known : this.bytes.toString('utf8', start, end);
  }

  /** Steps over one field's value of the given wire type. */
  skip(wireType: number, limit: number): void {
    switch (wireType) {
      case VARINT:
        this.varint();
        return;
      case FIXED64:
        this.pos += 8;
        break;
      case LENGTH_DELIMITED:
        this.pos = this.lengthEnd(limit);
        return;
      case FIXED32:
        this.pos += 4;
        break;
      default:
        throw this.#error(`unsupported wire type ${wireType}`, this.pos);
    }
    if (this.pos > limit) throw this.#error('fixed-size field runs past its message', this.pos);
  }

  /** Checks that a message's fields ended exactly at its end. */
  expectEnd(end: number): void {
    if (this.pos !== end) throw this.#error('a field runs past its message', this.pos);
  }
}
