// The real process environment for parseProxyConfig, and writing --write-config-to: the only
// places src/config touches the file system.
import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { renderKubeProxyConfiguration } from './file.js';
import type { ConfigEnvironment } from './parse.js';
import type { ProxyConfig } from './types.js';

export function processConfigEnvironment(): ConfigEnvironment {
  return {
    hostname: hostname(),
    stderrIsTTY: process.stderr.isTTY === true,
    readFile: (path: string): string => readFileSync(path, 'utf8'),
  };
}

/** Writes the effective configuration as a KubeProxyConfiguration (for --write-config-to). */
export function writeKubeProxyConfiguration(path: string, config: ProxyConfig): void {
  writeFileSync(path, renderKubeProxyConfiguration(config), { encoding: 'utf8', mode: 0o644 });
}
