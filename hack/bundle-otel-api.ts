// What the bundle gives prom-client for `@opentelemetry/api`: the two calls it makes (for exemplars of
// process CPU time) answered as the real API answers when no OpenTelemetry SDK is registered, which
// the proxy never does. Loading the package cost every start ~3 ms natively (more in UML).
// hack/bundle.ts aliases the package to this file.
export const context = { active: (): undefined => undefined };
export const trace = { getSpan: (_context: unknown): undefined => undefined };
