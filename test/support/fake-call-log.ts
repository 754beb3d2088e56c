// What both kernel fakes share: a log of the calls they received and failures injected into them.

export interface FakeCallLogEntry<Call extends string> {
  readonly call: Call;
  readonly key: string;
  /** 0 for success, else the errno the call answered */
  readonly errno: number;
  /** true for calls that would change the kernel */
  readonly write: boolean;
}

export interface FakeFailure<Call extends string> {
  readonly call: Call;
  /** the operation's key; omit to match any key */
  readonly key?: string;
  readonly errno: number;
  /** how many matching calls fail (1) */
  readonly times?: number;
}

export class FakeCallLog<Call extends string> {
  #failures: Array<{ call: Call; key?: string; errno: number; remaining: number }> = [];
  #log: Array<FakeCallLogEntry<Call>> = [];

  /** Every call received since construction or the last clearLog(). */
  get log(): ReadonlyArray<FakeCallLogEntry<Call>> {
    return this.#log;
  }

  /** Number of write calls attempted (successful or not) since the last clearLog(). */
  get writeCount(): number {
    return this.#log.filter((e) => e.write).length;
  }

  clearLog(): void {
    this.#log = [];
  }

  /** Makes the next `times` matching calls fail with `errno` (the state is left unchanged). */
  injectFailure(failure: FakeFailure<Call>): void {
    this.#failures.push({
      call: failure.call,
      ...(failure.key !== undefined ? { key: failure.key } : {}),
      errno: failure.errno,
      remaining: failure.times ?? 1,
    });
  }

  clearFailures(): void {
    this.#failures = [];
  }

  protected record(entry: FakeCallLogEntry<Call>): void {
    this.#log.push(entry);
  }

  /** The errno of an injected failure matching this call (used up), or undefined. */
  protected takeFailure(call: Call, key: string): number | undefined {
    const f = this.#failures.find((x) => x.call === call && (x.key === undefined || x.key === key) && x.remaining > 0);
    if (!f) return undefined;
    f.remaining--;
    if (f.remaining <= 0) this.#failures = this.#failures.filter((x) => x !== f);
    return f.errno;
  }
}
