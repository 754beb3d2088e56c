// cli: the composition root — parses the configuration, opens the kernel ports, wires the cluster
// adapter, reconciler and observability together, handles signals, and sets the process's heap policy.
export { runCommand, type CommandResult } from './run.js';
