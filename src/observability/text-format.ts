// Turns one pino JSON line into a readable one: "2026-01-02T03:04:05.678Z INFO  msg key=value".
// Small on purpose (no pino-pretty): operators read it in `kubectl logs` on a terminal.

const BARE = /^[A-Za-z0-9_.:/@+-]+$/;

function valueText(v: unknown): string {
  if (typeof v === 'string') return BARE.test(v) ? v : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  return JSON.stringify(v) ?? '';
}

export function formatTextLine(jsonLine: string): string {
  let rec: Record<string, unknown>;
  try {
    rec = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine; // not ours: pass through unchanged
  }
  const { time, level, msg, ...rest } = rec;
  const text = (v: unknown): string => (typeof v === 'string' ? v : valueText(v));
  const parts = [text(time), text(level).toUpperCase().padEnd(5), text(msg)];
  for (const [k, v] of Object.entries(rest)) parts.push(`${k}=${valueText(v)}`);
  return parts.join(' ') + '\n';
}
