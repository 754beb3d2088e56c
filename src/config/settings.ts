// The raw settings both sources (flags, config file) produce before validation: each value keeps
// the name of the flag or field it came from, so a validation error names what the user wrote.

export type SettingKey =
  | 'mode'
  | 'hostnameOverride'
  | 'kubeconfig'
  | 'master'
  | 'kubeApiContentType'
  | 'scheduler'
  | 'syncPeriod'
  | 'minSyncPeriod'
  | 'excludeCIDRs'
  | 'strictARP'
  | 'tcpTimeout'
  | 'tcpFinTimeout'
  | 'udpTimeout'
  | 'gracefulPeriod'
  | 'clusterCIDR'
  | 'bindAddress'
  | 'healthzBindAddress'
  | 'metricsBindAddress'
  | 'serviceProxyName'
  | 'verbosity'
  | 'logFormat'
  | 'cleanup'
  | 'writeConfigTo'
  | 'configFile';

export interface RawSetting {
  readonly value: unknown;
  /** "--ipvs-sync-period" or "ipvs.syncPeriod" */
  readonly field: string;
}

export type RawSettings = Partial<Record<SettingKey, RawSetting>>;
