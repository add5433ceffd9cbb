import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { EchoReply, EchoUpstream } from '../../src/gateway/echo-upstream.js';
import { startEchoUpstream } from '../../src/gateway/echo-upstream.js';
import {
  makeConfig,
  makeRoute,
  makeService,
  startGateway,
  testClient,
  type TestGateway,
} from './helpers.js';

/** A request through node:http, which (unlike undici) lets us send hop-by-hop headers. */
function rawRequest(
  url: string,
  options: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; rawHeaders: string[]; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode!, headers: res.headers, rawHeaders: res.rawHeaders, text: Buffer.concat(chunks).toString() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Writes a raw request and returns everything the server sends until it closes the connection. */
async function socketRequest(port: number, text: string): Promise<string> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  // write, not end: a half-closed client gets its in-flight request aborted by Node.
  socket.write(text);
  let data = '';
  for await (const chunk of socket) data += (chunk as Buffer).toString('latin1');
  return data;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('proxy', () => {
  let upstream: EchoUpstream;
  let gateway: TestGateway;
  const { agent, call } = testClient();

  const echo = makeService({ name: 'echo', url: 'http://127.0.0.1:1/' });
  const withPath = makeService({ name: 'with-path', url: 'http://127.0.0.1:1/base' });
  const routes = {
    echo: makeRoute({ name: 'echo', paths: ['/echo'], serviceId: echo.id }),
    keep: makeRoute({ name: 'keep', paths: ['/keep'], strip_path: false, serviceId: withPath.id }),
    strip: makeRoute({ name: 'strip', paths: ['/strip'], serviceId: withPath.id }),
    regex: makeRoute({ name: 'regex', paths: ['~/v\\d+/items'], serviceId: echo.id }),
    preserve: makeRoute({ name: 'preserve', hosts: ['preserved.test'], preserve_host: true, serviceId: echo.id }),
    public: makeRoute({ name: 'public', paths: ['/public'], serviceId: echo.id }),
    httpsOnly: makeRoute({ name: 'https-only', paths: ['/secure'], protocols: ['https'], serviceId: echo.id }),
    noService: makeRoute({ name: 'no-service', paths: ['/orphan'] }),
  };

  before(async () => {
    upstream = await startEchoUpstream();
    echo.port = upstream.port;
    withPath.port = upstream.port;
    gateway = await startGateway(makeConfig({ services: [echo, withPath], routes: Object.values(routes) }));
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
    await agent.close();
  });

  describe('routing and paths', () => {
    it('strips the matched prefix and keeps the query as sent', async () => {
      const res = await call(`${gateway.url}/echo/a/b?x=1&y=%20z`);
      assert.equal(res.status, 200);
      const reply = res.json<EchoReply>();
      assert.equal(reply.url, '/a/b?x=1&y=%20z');
      assert.equal(reply.method, 'GET');
    });

    it('joins the service path and the route path as Kong does', async () => {
      assert.equal((await call(`${gateway.url}/keep/x`)).json<EchoReply>().path, '/base/keep/x');
      assert.equal((await call(`${gateway.url}/strip/x`)).json<EchoReply>().path, '/base/x');
      assert.equal((await call(`${gateway.url}/strip`)).json<EchoReply>().path, '/base');
      assert.equal((await call(`${gateway.url}/strip/`)).json<EchoReply>().path, '/base/');
    });

    it('strips the whole regex match', async () => {
      const reply = (await call(`${gateway.url}/v2/items/7`)).json<EchoReply>();
      assert.equal(reply.path, '/7');
      assert.equal(reply.headers['x-forwarded-prefix'], '/v2/items');
    });

    it('routes and forwards the normalized path, so dot segments cannot escape a route', async () => {
      const res = await call(`${gateway.url}/public/%2e%2e/echo/x`);
      // /public/../echo/x is /echo/x: the echo route, stripped to /x.
      assert.equal(res.json<EchoReply>().path, '/x');
      const merged = await call(`${gateway.url}//echo//y`);
      assert.equal(merged.json<EchoReply>().path, '/y');
    });

    it('forwards a path Fastify considers malformed', async () => {
      const res = await call(`${gateway.url}/echo/%zz`);
      assert.equal(res.status, 200);
      assert.equal(res.json<EchoReply>().path, '/%zz');
    });

    it('sets the upstream Host unless preserve_host', async () => {
      const plain = (await call(`${gateway.url}/echo`)).json<EchoReply>();
      assert.equal(plain.headers.host, `127.0.0.1:${upstream.port}`);
      const preserved = (await call(`${gateway.url}/anything`, { headers: { host: 'preserved.test:1234' } })).json<EchoReply>();
      assert.equal(preserved.headers.host, 'preserved.test:1234');
    });

    it('answers 404 with Kong\'s message and a code', async () => {
      const res = await call(`${gateway.url}/nowhere`);
      assert.equal(res.status, 404);
      assert.match(String(res.headers['content-type']), /^application\/json/);
      assert.deepEqual(res.json(), { message: 'no Route matched with those values', code: 'GH-PROXY-NO-ROUTE' });
    });

    it('gives browsers an HTML page instead of JSON', async () => {
      const res = await call(`${gateway.url}/nowhere`, {
        headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' },
      });
      assert.equal(res.status, 404);
      assert.match(String(res.headers['content-type']), /^text\/html/);
      assert.match(res.text, /no Route matched with those values/);
      assert.match(res.text, /GH-PROXY-NO-ROUTE/);
      const api = await call(`${gateway.url}/nowhere`, { headers: { accept: 'application/json, text/html;q=0.5' } });
      assert.match(String(api.headers['content-type']), /^application\/json/);
    });

    it('answers 426 on an https-only route over http', async () => {
      const res = await call(`${gateway.url}/secure`);
      assert.equal(res.status, 426);
      assert.equal(res.json().message, 'Please use HTTPS protocol');
      assert.equal(res.json().code, 'GH-PROXY-HTTPS-REQUIRED');
    });

    it('answers 503 for a route without a service', async () => {
      const res = await call(`${gateway.url}/orphan`);
      assert.equal(res.status, 503);
      assert.deepEqual(res.json(), { message: 'no Service found with those values', code: 'GH-PROXY-NO-SERVICE' });
    });

    it('proxies HEAD and methods Fastify does not know', async () => {
      const head = await call(`${gateway.url}/echo`, { method: 'HEAD' });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      const propfind = await rawRequest(`${gateway.url}/echo/dav`, { method: 'PROPFIND', body: '<x/>', headers: { 'content-type': 'text/xml' } });
      const reply = JSON.parse(propfind.text) as EchoReply;
      assert.equal(reply.method, 'PROPFIND');
      assert.equal(reply.body, '<x/>');
    });

    it('forwards bodies whatever their content type', async () => {
      const res = await call(`${gateway.url}/echo`, { method: 'POST', body: 'not json', headers: { 'content-type': 'garbage' } });
      assert.equal(res.status, 200);
      assert.equal(res.json<EchoReply>().body, 'not json');
      assert.equal(res.json<EchoReply>().headers['content-type'], 'garbage');
    });

    it('adds latency headers', async () => {
      const res = await call(`${gateway.url}/echo`);
      assert.match(String(res.headers['x-gatehouse-upstream-latency']), /^\d+$/);
      assert.match(String(res.headers['x-gatehouse-proxy-latency']), /^\d+$/);
    });
  });

  describe('forwarding headers', () => {
    it('sets X-Forwarded-* and X-Real-IP as Kong does for an untrusted client', async () => {
      const reply = (
        await call(`${gateway.url}/strip/x?q=1`, {
          headers: {
            host: 'client.test:8443',
            'x-forwarded-for': '203.0.113.9',
            'x-forwarded-proto': 'https',
            'x-forwarded-host': 'evil.test',
            'x-real-ip': '203.0.113.10',
          },
        })
      ).json<EchoReply>();
      assert.equal(reply.headers['x-forwarded-for'], '203.0.113.9, 127.0.0.1', 'client address appended');
      assert.equal(reply.headers['x-forwarded-proto'], 'http', 'a forged proto is replaced');
      assert.equal(reply.headers['x-forwarded-host'], 'client.test');
      assert.equal(reply.headers['x-forwarded-port'], String(gateway.port));
      assert.equal(reply.headers['x-forwarded-path'], '/strip/x');
      assert.equal(reply.headers['x-forwarded-prefix'], '/strip');
      assert.equal(reply.headers['x-real-ip'], '127.0.0.1');
    });

    it('sends no X-Forwarded-Prefix when nothing was stripped', async () => {
      const reply = (await call(`${gateway.url}/keep/x`, { headers: { 'x-forwarded-prefix': '/forged' } })).json<EchoReply>();
      assert.equal(reply.headers['x-forwarded-prefix'], undefined);
      assert.equal(reply.headers['x-forwarded-for'], '127.0.0.1');
    });

    it('believes a trusted load balancer', async () => {
      const trusting = await startGateway(gateway.state.snapshot.config, { trustedIps: ['127.0.0.0/8'], via: true });
      try {
        const res = await call(`${trusting.url}/strip/x`, {
          headers: {
            'x-forwarded-for': '198.51.100.7',
            'x-forwarded-proto': 'https',
            'x-forwarded-host': 'public.example.com',
            'x-forwarded-port': '443',
            'x-forwarded-path': '/outer/strip/x',
            'x-forwarded-prefix': '/outer',
            'x-real-ip': '198.51.100.7',
          },
        });
        const reply = res.json<EchoReply>();
        assert.equal(reply.headers['x-forwarded-for'], '198.51.100.7, 127.0.0.1');
        assert.equal(reply.headers['x-forwarded-proto'], 'https');
        assert.equal(reply.headers['x-forwarded-host'], 'public.example.com');
        assert.equal(reply.headers['x-forwarded-port'], '443');
        assert.equal(reply.headers['x-forwarded-path'], '/outer/strip/x');
        assert.equal(reply.headers['x-forwarded-prefix'], '/outer');
        assert.equal(reply.headers['x-real-ip'], '198.51.100.7');
        assert.equal(reply.headers.via, '1.1 gatehouse');
        assert.equal(res.headers.via, '1.1 gatehouse');
        // A trusted X-Forwarded-Proto: https satisfies an https-only route.
        const secure = await call(`${trusting.url}/secure`, { headers: { 'x-forwarded-proto': 'https' } });
        assert.equal(secure.status, 200);
      } finally {
        await trusting.close();
      }
    });

    it('removes hop-by-hop request headers, including those named by Connection', async () => {
      // A raw request: HTTP clients refuse to send some of these headers themselves.
      const response = await socketRequest(
        gateway.port,
        [
          'POST /echo HTTP/1.1',
          'Host: 127.0.0.1',
          'Connection: close, X-Hop-Secret',
          'X-Hop-Secret: must not pass',
          'Keep-Alive: timeout=5',
          'TE: trailers',
          'Trailer: X-Checksum',
          'Transfer-Encoding: chunked',
          'Upgrade: websocket',
          'Proxy-Authorization: Basic c2VjcmV0',
          'Proxy-Connection: keep-alive',
          'Proxy: http://evil.test',
          'X-End-To-End: kept',
          '',
          '5',
          'hello',
          '0',
          'X-Checksum: 1',
          '',
          '',
        ].join('\r\n'),
      );
      const reply = JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as EchoReply;
      for (const name of ['x-hop-secret', 'keep-alive', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'proxy']) {
        assert.equal(reply.headers[name], undefined, `${name} must not reach the upstream`);
      }
      assert.equal(reply.headers['x-end-to-end'], 'kept');
      assert.equal(reply.body, 'hello');
    });

    it('keeps repeated request headers', async () => {
      const res = await rawRequest(`${gateway.url}/echo`, { headers: { 'x-multi': ['one', 'two'] } });
      assert.equal((JSON.parse(res.text) as EchoReply).headers['x-multi'], 'one, two');
    });

    it('removes hop-by-hop response headers, including those named by Connection', async () => {
      const params = new URLSearchParams();
      for (const header of ['Connection: X-Up-Secret', 'X-Up-Secret: hidden', 'Proxy-Authenticate: Basic', 'Upgrade: h2c', 'X-Kept: yes', 'Set-Cookie: a=1', 'Set-Cookie: b=2']) {
        params.append('response_header', header);
      }
      const res = await rawRequest(`${gateway.url}/echo?${params}`);
      assert.equal(res.status, 200);
      assert.equal(res.headers['x-up-secret'], undefined);
      assert.equal(res.headers['proxy-authenticate'], undefined);
      assert.equal(res.headers.upgrade, undefined);
      assert.notEqual(res.headers.connection, 'X-Up-Secret');
      assert.equal(res.headers['x-kept'], 'yes');
      assert.deepEqual(res.headers['set-cookie'], ['a=1', 'b=2']);
    });
  });

  describe('streaming', () => {
    it('streams request and response bodies both ways at once (nothing buffered)', async () => {
      // The client sends a chunk only after reading the previous one back through the
      // proxy: if either direction were buffered until the end, this would deadlock.
      const received: string[] = [];
      const turn: { next?: () => void } = {};
      const body = Readable.from(
        (async function* () {
          for (let i = 0; i < 5; i++) {
            yield Buffer.from(`part-${i};`);
            await new Promise<void>((resolve) => (turn.next = resolve));
          }
        })(),
      );
      const response = await agent.request({
        origin: gateway.url,
        path: '/echo/pipe',
        method: 'POST',
        body,
        headers: { 'content-type': 'application/octet-stream' },
        headersTimeout: 5000,
      });
      assert.equal(response.statusCode, 200);
      for await (const chunk of response.body) {
        received.push((chunk as Buffer).toString());
        turn.next?.();
      }
      assert.equal(received.join(''), 'part-0;part-1;part-2;part-3;part-4;');
      assert.ok(received.length >= 5, 'arrived piece by piece');
    });

    it('uploads a large body with the upstream reading it while the client still sends', async () => {
      const size = 32 * 1024 * 1024;
      let sentAllAt = 0;
      const chunk = Buffer.alloc(256 * 1024, 'u');
      const body = Readable.from(
        (async function* () {
          for (let sent = 0; sent < size; sent += chunk.length) yield chunk;
          sentAllAt = Date.now();
        })(),
      );
      const res = await call(`${gateway.url}/echo/count`, { method: 'PUT', body });
      const reply = res.json<{ bytes: number; firstChunkAt: number; endAt: number }>();
      assert.equal(reply.bytes, size);
      assert.ok(reply.firstChunkAt <= sentAllAt, 'the upstream got data before the client finished');
    });

    it('downloads a large body', async () => {
      const size = 20 * 1024 * 1024 + 7;
      const response = await agent.request({ origin: gateway.url, path: `/echo/large/${size}`, method: 'GET' });
      assert.equal(response.headers['content-length'], String(size));
      let bytes = 0;
      for await (const chunk of response.body) bytes += (chunk as Buffer).length;
      assert.equal(bytes, size);
    });

    it('passes response chunks on as the upstream sends them', async () => {
      const response = await agent.request({ origin: gateway.url, path: '/echo/stream/5', method: 'GET' });
      const arrivals: number[] = [];
      for await (const _chunk of response.body) arrivals.push(Date.now());
      assert.ok(arrivals.length >= 3, `expected several chunks, got ${arrivals.length}`);
      assert.ok(arrivals.at(-1)! - arrivals[0]! >= 40, 'chunks arrived over time, not all at the end');
    });
  });
});

describe('upstream failures', () => {
  const { agent, call } = testClient();
  after(() => agent.close());

  it('answers 502 when the upstream refuses connections, after the retries', async () => {
    const port = await closedPort();
    const service = makeService({ url: `http://127.0.0.1:${port}`, retries: 2 });
    const gateway = await startGateway(makeConfig({ services: [service], routes: [makeRoute({ paths: ['/'], serviceId: service.id })] }));
    try {
      const res = await call(`${gateway.url}/x`);
      assert.equal(res.status, 502);
      assert.deepEqual(res.json(), {
        message: 'An invalid response was received from the upstream server',
        code: 'GH-PROXY-UPSTREAM-UNAVAILABLE',
      });
      const html = await call(`${gateway.url}/x`, { headers: { accept: 'text/html' } });
      assert.match(String(html.headers['content-type']), /^text\/html/);
    } finally {
      await gateway.close();
    }
  });

  it('treats routes of a disabled service as absent, and isolates a service with an unusable host', async () => {
    const upstream = await startEchoUpstream();
    const good = makeService({ url: upstream.url });
    const disabled = makeService({ url: upstream.url, enabled: false });
    const unusable = makeService({ url: upstream.url, host: 'not a host' });
    const gateway = await startGateway(
      makeConfig({
        services: [good, disabled, unusable],
        routes: [
          makeRoute({ paths: ['/good'], serviceId: good.id }),
          makeRoute({ paths: ['/disabled'], serviceId: disabled.id }),
          makeRoute({ paths: ['/unusable'], serviceId: unusable.id }),
        ],
      }),
    );
    try {
      assert.equal((await call(`${gateway.url}/good`)).status, 200);
      assert.equal((await call(`${gateway.url}/disabled`)).status, 404);
      const res = await call(`${gateway.url}/unusable`);
      assert.equal(res.status, 502);
      assert.ok(gateway.lines.some((l) => String(l.msg).includes('upstream address is unusable')));
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });

  it('answers 502 when the upstream closes the connection without answering', async () => {
    const server = net.createServer((socket) => socket.once('data', () => socket.destroy()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const service = makeService({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const gateway = await startGateway(makeConfig({ services: [service], routes: [makeRoute({ paths: ['/'], serviceId: service.id })] }));
    try {
      const res = await call(`${gateway.url}/x`);
      assert.equal(res.status, 502);
      assert.equal(res.json().code, 'GH-PROXY-UPSTREAM-INVALID');
    } finally {
      await gateway.close();
      server.close();
    }
  });

  it('cuts the client connection when the upstream breaks mid-body, so it does not look complete', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-length': '1000' });
      res.write('only ten b');
      setTimeout(() => res.socket?.destroy(), 20);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const service = makeService({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const gateway = await startGateway(makeConfig({ services: [service], routes: [makeRoute({ paths: ['/'], serviceId: service.id })] }));
    try {
      await assert.rejects(call(`${gateway.url}/x`));
    } finally {
      await gateway.close();
      server.close();
    }
  });

  it('aborts the upstream request when the client goes away', async () => {
    let upstreamSawClose: () => void = () => undefined;
    const closed = new Promise<void>((resolve) => (upstreamSawClose = resolve));
    let upstreamGotRequest: () => void = () => undefined;
    const received = new Promise<void>((resolve) => (upstreamGotRequest = resolve));
    const server = http.createServer((req, res) => {
      // Never answers; the proxy must hang up once its client did.
      res.on('close', () => upstreamSawClose());
      req.resume();
      upstreamGotRequest();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const service = makeService({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
    const gateway = await startGateway(makeConfig({ services: [service], routes: [makeRoute({ paths: ['/'], serviceId: service.id })] }));
    try {
      const controller = new AbortController();
      const pending = call(`${gateway.url}/wait`, { signal: controller.signal });
      // The client goes away once the request is upstream (a fixed delay could end it before it got there).
      await received;
      controller.abort();
      await assert.rejects(pending);
      await closed;
    } finally {
      await gateway.close();
      server.close();
    }
  });

  it('answers 504 when the upstream is slower than read_timeout', async () => {
    const upstream = await startEchoUpstream();
    const service = makeService({ url: upstream.url, read_timeout: 100 });
    const gateway = await startGateway(makeConfig({ services: [service], routes: [makeRoute({ paths: ['/'], serviceId: service.id })] }));
    try {
      const started = Date.now();
      const res = await call(`${gateway.url}/delay/2000`);
      assert.equal(res.status, 504);
      assert.deepEqual(res.json(), { message: 'The upstream server is timed out', code: 'GH-PROXY-UPSTREAM-TIMEOUT' });
      assert.ok(Date.now() - started < 1500);
      assert.equal((await call(`${gateway.url}/delay/10`)).status, 200, 'faster requests still pass');
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });

  it('answers 504 when the upstream stops reading the body for longer than write_timeout', async () => {
    // An upstream that accepts the connection but never reads the request body.
    const server = http.createServer((req) => req.pause());
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const service = makeService({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, write_timeout: 200 });
    const gateway = await startGateway(makeConfig({ services: [service], routes: [makeRoute({ paths: ['/'], serviceId: service.id })] }));
    try {
      const chunk = Buffer.alloc(1024 * 1024, 'w');
      const body = Readable.from(
        (async function* () {
          for (let i = 0; i < 128; i++) yield chunk;
        })(),
      );
      const res = await call(`${gateway.url}/upload`, { method: 'POST', body });
      assert.equal(res.status, 504);
      assert.equal(res.json().code, 'GH-PROXY-UPSTREAM-TIMEOUT');
    } finally {
      await gateway.close();
      server.closeAllConnections();
      server.close();
    }
  });
});
