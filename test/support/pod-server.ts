// A pod's workload: an HTTP server (and optionally a UDP echo) that says which pod answered.
// Started inside a pod's network namespace by test/support/pods.ts and by the demo.
//   node pod-server.js --name NAME [--http PORT] [--udp PORT] [--welcome]
// GET /            → "NAME\n" (or the nginx welcome page with --welcome)
// GET /slow?bytes=N&rate=R → N bytes at about R bytes/s, for connections that must outlive a restart
import { createServer } from 'node:http';
import { createSocket } from 'node:dgram';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    name: { type: 'string', default: 'pod' },
    http: { type: 'string' },
    udp: { type: 'string' },
    welcome: { type: 'boolean', default: false },
  },
});
const name = values.name;

const WELCOME = `<!DOCTYPE html>
<html>
<head><title>Welcome to nginx!</title></head>
<body>
<h1>Welcome to nginx!</h1>
<p>Served by pod ${name}.</p>
</body>
</html>
`;

if (values.http) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://pod');
    if (url.pathname === '/slow') {
      const total = Number(url.searchParams.get('bytes') ?? '1000000');
      const rate = Number(url.searchParams.get('rate') ?? '100000');
      const chunk = Math.max(1, Math.floor(rate / 10));
      let sent = 0;
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(total) });
      const timer = setInterval(() => {
        const n = Math.min(chunk, total - sent);
        res.write(Buffer.alloc(n, 0x61));
        sent += n;
        if (sent >= total) {
          clearInterval(timer);
          res.end();
        }
      }, 100);
      res.on('close', () => clearInterval(timer));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html', 'x-pod': name });
    res.end(values.welcome ? WELCOME : `${name}\n`);
  });
  server.listen(Number(values.http), '0.0.0.0');
}

if (values.udp) {
  const sock = createSocket('udp4');
  sock.on('message', (_msg, rinfo) => sock.send(`${name}\n`, rinfo.port, rinfo.address));
  sock.bind(Number(values.udp), '0.0.0.0');
}

// ready marker for the parent: it waits for this line
console.log(`pod-server ${name} ready`);
