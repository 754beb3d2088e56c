// Go duration syntax ("30s", "1m30s", "500ms", "1.5h"), as kube-proxy's flags and
// KubeProxyConfiguration use it. Values are carried in milliseconds (fractions allowed).

const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  'µs': 1e-3, // U+00B5 micro sign
  'μs': 1e-3, // U+03BC Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

const TERM = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;

/** Milliseconds for a Go duration string, or undefined when the text is not one. */
export function parseGoDuration(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0; // Go accepts a bare zero, and no other unit-less number
  if (rest === '') return undefined;
  let total = 0;
  TERM.lastIndex = 0;
  while (TERM.lastIndex < rest.length) {
    const m = TERM.exec(rest);
    if (m === null) return undefined;
    const [, num, unit] = m;
    if (num === undefined || unit === undefined) return undefined;
    total += Number(num) * (UNIT_MS[unit] ?? Number.NaN);
  }
  return Number.isFinite(total) ? sign * total : undefined;
}

function trimNumber(n: number): string {
  // at most nanosecond precision, no trailing zeros (Go prints "1.5s", not "1.500s")
  return String(Number(n.toFixed(9)));
}

/** Go's time.Duration.String() for a millisecond count: "0s", "500ms", "1m30s", "1h0m0s". */
export function formatGoDuration(ms: number): string {
  if (ms === 0) return '0s';
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  if (abs < 1) {
    const us = abs * 1000;
    return us < 1 ? `${sign}${trimNumber(us * 1000)}ns` : `${sign}${trimNumber(us)}µs`;
  }
  if (abs < 1000) return `${sign}${trimNumber(abs)}ms`;
  const hours = Math.floor(abs / 3_600_000);
  const minutes = Math.floor((abs % 3_600_000) / 60_000);
  const seconds = (abs % 60_000) / 1000;
  if (hours > 0) return `${sign}${hours}h${minutes}m${trimNumber(seconds)}s`;
  if (minutes > 0) return `${sign}${minutes}m${trimNumber(seconds)}s`;
  return `${sign}${trimNumber(seconds)}s`;
}
