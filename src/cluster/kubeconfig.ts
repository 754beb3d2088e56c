// Where the API server is and how to talk to it: in-cluster service account, a kubeconfig file, or a
// bare --master URL. Read here without @kubernetes/client-node: importing it costs ~2.7 s of startup
// in UML (thousands of generated modules). Kubeconfigs needing exec plugins, auth providers,
// impersonation or proxies are handed to client-node's KubeConfig, imported only then.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import type { KubeConfig } from '@kubernetes/client-node';
import { load as loadYaml } from 'js-yaml';

export interface ConnectionOptions {
  /** path of a kubeconfig file (--kubeconfig) */
  readonly kubeconfig?: string | undefined;
  /** API server URL (--master); overrides the kubeconfig's server, as kube-proxy's flag does */
  readonly master?: string | undefined;
}

/** What each request needs: TLS material and headers (read per request: tokens rotate). */
export interface RequestSecurity {
  readonly headers: Readonly<Record<string, string>>;
  readonly ca?: string | Buffer | undefined;
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  readonly rejectUnauthorized?: boolean | undefined;
  readonly servername?: string | undefined;
  /** user:password for basic auth */
  readonly auth?: string | undefined;
}

export interface ApiConnection {
  /** the API server's base URL (may carry a path prefix) */
  readonly server: URL;
  /** the kubeconfig cluster's disable-compression: list answers are asked for uncompressed */
  readonly disableCompression?: boolean;
  security(): Promise<RequestSecurity>;
  /** told of each request's outcome: the HTTP status ("<error>" when none came) and the time to its response headers */
  readonly observe?: RequestObserver;
}

export type RequestObserver = (method: string, host: string, code: string, seconds: number) => void;

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** A client-node KubeConfig as a connection (tests and embedders pass one; exotic auth uses it). */
export function connectionFromKubeConfig(kc: KubeConfig): ApiConnection {
  const cluster = kc.getCurrentCluster();
  if (cluster === null) throw new Error('no current cluster in the Kubernetes client configuration');
  return {
    server: new URL(cluster.server),
    async security() {
      const opts: { headers?: Record<string, string>; ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized?: boolean; servername?: string; auth?: string } = {};
      await kc.applyToHTTPSOptions(opts);
      return { headers: opts.headers ?? {}, ca: opts.ca, cert: opts.cert, key: opts.key, rejectUnauthorized: opts.rejectUnauthorized, servername: opts.servername, auth: opts.auth };
    },
  };
}

function lazyClientNode(load: (kc: KubeConfig) => void): ApiConnection['security'] {
  let connection: Promise<ApiConnection> | undefined;
  return async () => {
    connection ??= import('@kubernetes/client-node').then(({ KubeConfig: Config }) => {
      const kc = new Config();
      load(kc);
      return connectionFromKubeConfig(kc);
    });
    return (await connection).security();
  };
}

type Named<T> = { readonly name?: string; readonly [k: string]: unknown } & { readonly [K in keyof T]?: T[K] };

interface KubeconfigCluster {
  readonly server?: string;
  readonly 'certificate-authority'?: string;
  readonly 'certificate-authority-data'?: string;
  readonly 'insecure-skip-tls-verify'?: boolean;
  readonly 'tls-server-name'?: string;
  readonly 'proxy-url'?: string;
  readonly 'disable-compression'?: boolean;
}

interface KubeconfigUser {
  readonly token?: string;
  readonly tokenFile?: string;
  readonly 'client-certificate'?: string;
  readonly 'client-certificate-data'?: string;
  readonly 'client-key'?: string;
  readonly 'client-key-data'?: string;
  readonly username?: string;
  readonly password?: string;
  readonly exec?: unknown;
  readonly 'auth-provider'?: unknown;
  readonly as?: unknown;
}

interface KubeconfigFile {
  readonly clusters?: ReadonlyArray<Named<{ cluster: KubeconfigCluster }>>;
  readonly users?: ReadonlyArray<Named<{ user: KubeconfigUser }>>;
  readonly contexts?: ReadonlyArray<Named<{ context: { readonly cluster?: string; readonly user?: string } }>>;
  readonly 'current-context'?: string;
}

function fileOrData(base: string, file: string | undefined, data: string | undefined): Buffer | undefined {
  if (data !== undefined && data !== '') return Buffer.from(data, 'base64');
  if (file !== undefined && file !== '') return readFileSync(isAbsolute(file) ? file : join(base, file));
  return undefined;
}

interface CurrentEntries {
  readonly cluster: KubeconfigCluster;
  readonly user: KubeconfigUser;
}

/** The current context's cluster and user; throws when there is no current cluster. */
function currentEntries(path: string, doc: KubeconfigFile): CurrentEntries {
  const context = doc.contexts?.find((c) => c.name === doc['current-context'])?.context;
  const cluster = doc.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  if (context === undefined || cluster === undefined) throw new Error(`kubeconfig ${path} has no current cluster`);
  return { cluster, user: doc.users?.find((u) => u.name === context.user)?.user ?? {} };
}

/** --master when given, else the current cluster's server. */
function serverOf(path: string, cluster: KubeconfigCluster, master: string | undefined): URL {
  const server = master !== undefined && master !== '' ? master : cluster.server;
  if (server === undefined || server === '') throw new Error(`kubeconfig ${path}: the current cluster has no server`);
  return new URL(server);
}

/** Exec plugins, auth providers, impersonation and proxies: client-node's KubeConfig does them. */
function needsClientNode({ cluster, user }: CurrentEntries): boolean {
  return user.exec !== undefined || user['auth-provider'] !== undefined || user.as !== undefined || cluster['proxy-url'] !== undefined;
}

/** A connection from the kubeconfig forms a node uses: token or tokenFile, client certificate, CA. */
function staticConnection(path: string, { cluster, user }: CurrentEntries, master: string | undefined): ApiConnection {
  const base = dirname(path);
  const ca = fileOrData(base, cluster['certificate-authority'], cluster['certificate-authority-data']);
  const cert = fileOrData(base, user['client-certificate'], user['client-certificate-data']);
  const key = fileOrData(base, user['client-key'], user['client-key-data']);
  const skipVerify = cluster['insecure-skip-tls-verify'] === true;
  const tokenFile = user.tokenFile;
  return {
    server: serverOf(path, cluster, master),
    disableCompression: cluster['disable-compression'] === true,
    async security() {
      const headers: Record<string, string> = {};
      const token = tokenFile !== undefined && tokenFile !== '' ? (await readFile(tokenFile, 'utf8')).trim() : user.token;
      if (token !== undefined && token !== '') headers.Authorization = `Bearer ${token}`;
      return {
        headers,
        ca,
        cert,
        key,
        rejectUnauthorized: skipVerify ? false : undefined,
        servername: cluster['tls-server-name'],
        auth: user.username !== undefined ? `${user.username}:${user.password ?? ''}` : undefined,
      };
    },
  };
}

/**
 * The connection to use. Neither option: in-cluster (service account token and
 * KUBERNETES_SERVICE_HOST/PORT). Throws when the kubeconfig cannot be read.
 */
export function loadConnection(options: ConnectionOptions): ApiConnection {
  const master = options.master;
  const file = options.kubeconfig;
  if (file !== undefined && file !== '') {
    const doc = (loadYaml(readFileSync(file, 'utf8')) ?? {}) as KubeconfigFile;
    const current = currentEntries(file, doc);
    if (!needsClientNode(current)) return staticConnection(file, current, master);
    return {
      server: serverOf(file, current.cluster, master),
      disableCompression: current.cluster['disable-compression'] === true,
      security: lazyClientNode((kc) => {
        kc.loadFromFile(file);
        const currentCluster = kc.getCurrentCluster();
        if (master !== undefined && master !== '' && currentCluster !== null) {
          kc.loadFromOptions({
            clusters: kc.clusters.map((c) => (c.name === currentCluster.name ? { ...c, server: master } : c)),
            contexts: kc.contexts,
            users: kc.users,
            currentContext: kc.currentContext,
          });
        }
      }),
    };
  }
  if (master !== undefined && master !== '') {
    return { server: new URL(master), security: () => Promise.resolve({ headers: {} }) };
  }
  const host = process.env.KUBERNETES_SERVICE_HOST;
  const port = process.env.KUBERNETES_SERVICE_PORT;
  if (host === undefined || host === '' || port === undefined || port === '') {
    throw new Error('not running in a cluster (KUBERNETES_SERVICE_HOST/PORT unset) and neither --kubeconfig nor --master given');
  }
  const ca = readFileSync(join(SERVICE_ACCOUNT_DIR, 'ca.crt'));
  return {
    server: new URL(`https://${host.includes(':') ? `[${host}]` : host}:${port}`),
    async security() {
      // bound service account tokens are rotated by the kubelet: read the file every time
      const token = (await readFile(join(SERVICE_ACCOUNT_DIR, 'token'), 'utf8')).trim();
      return { headers: { Authorization: `Bearer ${token}` }, ca };
    },
  };
}
