// A real HTTP Kubernetes API server for tests, the demo and benchmarks (list/watch of Services,
// EndpointSlices, Nodes). Start with `await FakeApiServer.start()`, connect with `kubeconfig()`.
export * from './server.js';
export * from './selectors.js';
export * from './objects.js';
export * from './protobuf.js';
