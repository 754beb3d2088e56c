// Reads sample values out of a Prometheus text exposition, for the metrics and HTTP tests.

/** The value of one sample line, e.g. sample(text, 'x_total{kind="a"}'); undefined when absent. */
export function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
