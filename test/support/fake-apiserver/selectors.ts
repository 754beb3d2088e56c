// Label and field selectors as the Kubernetes API server parses them (the subset informers send):
// labels `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`; fields `path=v`, `path!=v`.

export type Labels = Readonly<Record<string, string>> | undefined;
export type LabelMatcher = (labels: Labels) => boolean;
export type ObjectMatcher = (object: unknown) => boolean;

export class SelectorError extends Error {
  override readonly name = 'SelectorError';
}

/** Splits on commas that are not inside a parenthesised value list. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '(') depth++;
    else if (c === ')') depth--;
    else if (c === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

function parseLabelTerm(term: string): LabelMatcher {
  const setMatch = /^([^\s!=()]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (setMatch) {
    const [, key = '', op, list = ''] = setMatch;
    const values = new Set(list.split(',').map((v) => v.trim()));
    return op === 'in'
      ? (labels) => labels?.[key] !== undefined && values.has(labels[key])
      : (labels) => labels?.[key] === undefined || !values.has(labels[key]);
  }
  const notExists = /^!\s*([^\s!=()]+)$/.exec(term);
  if (notExists) {
    const key = notExists[1] ?? '';
    return (labels) => labels?.[key] === undefined;
  }
  const compare = /^([^\s!=()]+)\s*(!=|==|=)\s*([^\s!=()]*)$/.exec(term);
  if (compare) {
    const [, key = '', op, value = ''] = compare;
    return op === '!=' ? (labels) => labels?.[key] !== value : (labels) => labels?.[key] === value;
  }
  const exists = /^([^\s!=()]+)$/.exec(term);
  if (exists) {
    const key = exists[1] ?? '';
    return (labels) => labels?.[key] !== undefined;
  }
  throw new SelectorError(`unable to parse requirement: ${JSON.stringify(term)}`);
}

export function parseLabelSelector(text: string | null | undefined): LabelMatcher {
  if (text === null || text === undefined || text.trim() === '') return () => true;
  const matchers = splitTerms(text).map(parseLabelTerm);
  return (labels) => matchers.every((m) => m(labels));
}

function fieldValue(object: unknown, path: string): string | undefined {
  let cur: unknown = object;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return typeof cur === 'string' || typeof cur === 'number' || typeof cur === 'boolean' ? String(cur) : undefined;
}

/** The fields a real server accepts for every resource; others get 400 there too. */
const SUPPORTED_FIELDS = new Set(['metadata.name', 'metadata.namespace']);

export function parseFieldSelector(text: string | null | undefined): ObjectMatcher {
  if (text === null || text === undefined || text.trim() === '') return () => true;
  const matchers = splitTerms(text).map((term): ObjectMatcher => {
    const m = /^([^\s!=]+)\s*(!=|==|=)\s*(.*)$/.exec(term);
    if (!m) throw new SelectorError(`invalid field selector term ${JSON.stringify(term)}`);
    const [, field = '', op, value = ''] = m;
    if (!SUPPORTED_FIELDS.has(field)) throw new SelectorError(`field label not supported: ${field}`);
    // a cluster-scoped object has no namespace; the server compares it as ""
    return op === '!='
      ? (o) => (fieldValue(o, field) ?? '') !== value
      : (o) => (fieldValue(o, field) ?? '') === value;
  });
  return (object) => matchers.every((m) => m(object));
}
