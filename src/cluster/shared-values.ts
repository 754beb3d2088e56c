// Values both list decoders (JSON in slim.ts, protobuf in protobuf/objects.ts) hand out as one
// shared, frozen object instead of a copy per endpoint or object: the core only reads them.
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
