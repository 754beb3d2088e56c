// What the bundle gives yargs (its cliui layout, wrap-ansi) for `string-width`: the column count of a
// string without its ANSI control sequences. The package also measures East Asian wide characters
// and emoji; building its Unicode tables and an Intl.Segmenter when yargs is imported was ~50 ms of
// every start natively, more in UML, and the proxy prints its own ASCII help (src/config/flags.ts),
// so yargs' layout is used for its own messages at most. hack/bundle.ts aliases the package here.

/** ANSI control sequences (CSI: colours, cursor moves) */
// eslint-disable-next-line no-control-regex -- an ANSI sequence starts with ESC
const CSI = /\u001B\[[0-?]*[ -/]*[@-~]/g;

export default function stringWidth(text: unknown): number {
  if (typeof text !== 'string' || text === '') return 0;
  let width = 0;
  for (const ch of text.replace(CSI, '')) {
    const code = ch.codePointAt(0) ?? 0;
    // control characters take no column
    if (code >= 0x20 && (code < 0x7f || code > 0x9f)) width++;
  }
  return width;
}
