// cli: the composition root — parses the configuration, opens the kernel ports, wires the cluster
// adapter, reconciler and observability together, and handles signals. No logic of its own.
export { runCommand, type CommandResult } from './run.js';
