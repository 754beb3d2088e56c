// The generated IPVS table the kernel tests and the benchmarks share: pure functions, no I/O, so a
// benchmark's floor process can load them without the test helpers that run programs.

/** The i-th virtual IPv4 address of a generated table: 10.96.0.0 + i. */
export function generatedVip(i: number): string {
  return `10.${96 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}
/** The j-th real server address of a generated table. */
export function generatedReal(j: number): string {
  return `10.244.${j >> 8}.${(j & 255) + 1}`;
}

/**
 * `ipvsadm -Sn` lines (also valid `ipvsadm -R` input) of a generated table: `services` TCP rr
 * virtual servers on port 80, each with `reals` masq real servers on 8080, weight 1.
 */
export function generatedTableLines(services: number, reals: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < services; i++) {
    const vip = generatedVip(i);
    lines.push(`-A -t ${vip}:80 -s rr`);
    for (let j = 0; j < reals; j++) lines.push(`-a -t ${vip}:80 -r ${generatedReal(j)}:8080 -m -w 1`);
  }
  return lines;
}
