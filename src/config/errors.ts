// Configuration errors: each names the flag or file field at fault, so the CLI prints one clear
// line per problem and exits before touching the kernel.

export interface ConfigIssue {
  /** "--ipvs-sync-period", "ipvs.syncPeriod", or "argv"/"config file" for whole-input problems */
  readonly field: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code = 'KIPVS_CONFIG_INVALID';
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map((i) => `${i.field}: ${i.message}`).join('\n'));
    this.issues = issues;
  }
}
