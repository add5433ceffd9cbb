import { createServer } from 'node:http';

/**
 * The upstream every scenario ends at: a small fixed answer, the same bytes for every
 * request, so the figures measure the gateway and not the application. Its own
 * process, so that it never shares an event loop with the load generator.
 *
 *   node --import tsx bench/servers/upstream.ts 127.0.0.1:PORT
 */
const BODY = Buffer.from('{"ok":true,"from":"bench-upstream"}\n');
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

const [host = '127.0.0.1', port = '0'] = (process.argv[2] ?? '').split(':');
const server = createServer((request, response) => {
  // Drain any request body before answering, so keep-alive connections stay usable.
  request.resume();
  request.once('end', () => {
    response.writeHead(200, HEADERS);
    response.end(BODY);
  });
});
// Load generators keep their connections open between scenarios and warm-ups.
server.keepAliveTimeout = 60_000;
server.listen(Number(port), host, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  console.log(`bench upstream listening on http://${host}:${bound}`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
