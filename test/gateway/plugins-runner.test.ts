import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { EchoReply, EchoUpstream } from '../../src/gateway/echo-upstream.js';
import { startEchoUpstream } from '../../src/gateway/echo-upstream.js';
import type { GatewayConfiguration } from '../../src/model/gateway.js';
import { addResponseHeader, clearUpstreamHeader, type PluginDefinition, type PluginHandler, type RequestContext } from '../../src/gateway/plugin.js';
import {
  makeConfig,
  makeConsumer,
  makePlugin,
  makeRoute,
  makeService,
  startGateway,
  testClient,
  type TestGateway,
} from './helpers.js';

/** Plugins defined for these tests only, with a registry of their own. */
interface Recorder {
  created: Array<{ id: string; config: unknown; hadPrevious: boolean }>;
  closed: string[];
}

function definitions(recorder: Recorder): Map<string, PluginDefinition> {
  const tracked = (id: string, handler: PluginHandler): PluginHandler => ({
    ...handler,
    close: () => recorder.closed.push(id),
  });

  // Runs first: answers 403 itself when asked to.
  const gate: PluginDefinition<{ header: string }> = {
    name: 'gate',
    priority: 2000,
    configSchema: z.object({ header: z.string() }),
    secretFields: [],
    create(config, { plugin, previous }) {
      recorder.created.push({ id: plugin.id, config, hadPrevious: previous !== undefined });
      return tracked(plugin.id, {
        access(ctx) {
          addResponseHeader(ctx, 'x-gate', 'seen');
          if (ctx.request.headers[config.header] !== undefined) {
            return { status: 403, headers: { 'x-denied-by': 'gate' }, body: { message: 'denied', route: ctx.route.name } };
          }
        },
      });
    },
  };

  // Sets and removes upstream headers, adds response headers, and records the order.
  const tagger: PluginDefinition<{ value: string }> = {
    name: 'tagger',
    priority: 1000,
    configSchema: z.object({ value: z.string() }),
    secretFields: [],
    create(config, { plugin, previous }) {
      recorder.created.push({ id: plugin.id, config, hadPrevious: previous !== undefined });
      if (previous) return previous;
      return tracked(plugin.id, {
        async access(ctx: RequestContext) {
          await new Promise((resolve) => setImmediate(resolve));
          ctx.upstreamHeaders.set('x-tag', config.value);
          ctx.upstreamHeaders.set('x-remove-me', null);
          ctx.upstreamHeaders.set('x-order', 'tagger');
          ctx.shared.set('tagger', config.value);
          addResponseHeader(ctx, 'set-cookie', 'tag=1; Path=/');
          const consumer = ctx.findConsumer('username', 'alice');
          if (consumer) ctx.upstreamHeaders.set('x-consumer-id', consumer.id);
        },
        response(ctx, upstream) {
          upstream.headers['x-upstream-status-seen'] = String(upstream.status);
          addResponseHeader(ctx, 'x-tag-response', String(ctx.shared.get('tagger')));
        },
      });
    },
  };

  // Runs after tagger (lower priority) and proves it saw tagger's work.
  const follower: PluginDefinition<Record<string, never>> = {
    name: 'follower',
    priority: 500,
    configSchema: z.object({}),
    secretFields: [],
    create(_config, { plugin }) {
      return tracked(plugin.id, {
        access(ctx) {
          ctx.upstreamHeaders.set('x-order', `${ctx.upstreamHeaders.get('x-order') ?? ''},follower`);
        },
      });
    },
  };

  // Runs last on its route: clears headers and says which ones it had to record.
  const clearer: PluginDefinition<{ names: string[] }> = {
    name: 'clearer',
    priority: 400,
    configSchema: z.object({ names: z.array(z.string()) }),
    secretFields: [],
    create: (config) => ({
      access(ctx) {
        for (const name of config.names) clearUpstreamHeader(ctx, name);
        const recorded = config.names.filter((name) => ctx.upstreamHeaders.has(name.toLowerCase()));
        ctx.upstreamHeaders.set('x-cleared', recorded.join(','));
      },
    }),
  };

  const broken: PluginDefinition = {
    name: 'broken',
    priority: 100,
    configSchema: z.object({}),
    secretFields: [],
    create() {
      throw new Error('cannot reach the identity provider');
    },
  };

  const exploding: PluginDefinition = {
    name: 'exploding',
    priority: 100,
    configSchema: z.object({}),
    secretFields: [],
    create: () => ({
      access(ctx) {
        throw new Error(`kaboom for ${ctx.route.name}`);
      },
    }),
  };

  const httpsOnly: PluginDefinition = {
    name: 'https-only-marker',
    priority: 100,
    configSchema: z.object({}),
    secretFields: [],
    create: () => ({
      access(ctx) {
        ctx.upstreamHeaders.set('x-https-only-plugin', 'ran');
      },
    }),
  };

  return new Map<string, PluginDefinition>(
    [gate, tagger, follower, clearer, broken, exploding, httpsOnly].map((d) => [d.name, d as PluginDefinition]),
  );
}

describe('plugin runner and snapshots', () => {
  let upstream: EchoUpstream;
  let gateway: TestGateway;
  const recorder: Recorder = { created: [], closed: [] };
  const { agent, call } = testClient();

  const service = makeService({ name: 'svc', url: 'http://127.0.0.1:1' });
  const routes = {
    plain: makeRoute({ name: 'plain', paths: ['/plain'], serviceId: service.id }),
    tagged: makeRoute({ name: 'tagged', paths: ['/tagged'], serviceId: service.id }),
    global: makeRoute({ name: 'global-only', paths: ['/global'] }),
    broken: makeRoute({ name: 'broken', paths: ['/broken'], serviceId: service.id }),
    exploding: makeRoute({ name: 'exploding', paths: ['/exploding'], serviceId: service.id }),
    disabled: makeRoute({ name: 'disabled', paths: ['/disabled'], serviceId: service.id }),
    cleared: makeRoute({ name: 'cleared', paths: ['/cleared'], serviceId: service.id }),
  };
  const plugins = {
    globalTagger: makePlugin({ name: 'tagger', config: { value: 'global' } }),
    serviceTagger: makePlugin({ name: 'tagger', config: { value: 'service' }, service: { id: service.id } }),
    routeTagger: makePlugin({ name: 'tagger', config: { value: 'route' }, route: { id: routes.tagged.id } }),
    disabledRouteTagger: makePlugin({ name: 'tagger', config: { value: 'disabled' }, route: { id: routes.disabled.id }, enabled: false }),
    gate: makePlugin({ name: 'gate', config: { header: 'x-deny' } }),
    follower: makePlugin({ name: 'follower', service: { id: service.id } }),
    clearer: makePlugin({ name: 'clearer', config: { names: ['x-tag', 'X-Client-Only', 'x-nobody'] }, route: { id: routes.cleared.id } }),
    broken: makePlugin({ name: 'broken', route: { id: routes.broken.id } }),
    exploding: makePlugin({ name: 'exploding', route: { id: routes.exploding.id } }),
    httpsOnly: makePlugin({ name: 'https-only-marker', protocols: ['https'] }),
    consumerScoped: makePlugin({ name: 'gate', config: { header: 'x-anything' }, consumer: { id: 'c' } }),
  };
  const alice = makeConsumer({ username: 'alice', custom_id: 'A-1' });
  let config: GatewayConfiguration;

  before(async () => {
    upstream = await startEchoUpstream();
    service.port = upstream.port;
    config = makeConfig({ services: [service], routes: Object.values(routes), plugins: Object.values(plugins), consumers: [alice] });
    gateway = await startGateway(config, { registry: definitions(recorder) });
  });

  after(async () => {
    await gateway.close();
    await upstream.close();
    await agent.close();
  });

  it('runs access handlers by priority, applies upstream header changes and adds response headers', async () => {
    const res = await call(`${gateway.url}/plain/x`, { headers: { 'x-remove-me': 'secret', 'x-keep': 'yes' } });
    assert.equal(res.status, 200);
    const reply = res.json<EchoReply>();
    assert.equal(reply.headers['x-tag'], 'service', 'the service plugin beats the global one');
    assert.equal(reply.headers['x-order'], 'tagger,follower', 'higher priority first');
    assert.equal(reply.headers['x-remove-me'], undefined, 'null removes a header');
    assert.equal(reply.headers['x-keep'], 'yes');
    assert.equal(reply.headers['x-consumer-id'], alice.id, 'findConsumer reads the snapshot');
    assert.equal(reply.headers['x-https-only-plugin'], undefined, 'a plugin limited to https does not run on http');
    assert.equal(res.headers['x-gate'], 'seen');
    assert.equal(res.headers['set-cookie'], 'tag=1; Path=/');
    assert.equal(res.headers['x-tag-response'], 'service');
    assert.equal(res.headers['x-upstream-status-seen'], '200', 'response handlers may edit the upstream headers');
  });

  it('clears upstream headers a client sent or an earlier plugin set, and records no others', async () => {
    const res = await call(`${gateway.url}/cleared`, { headers: { 'x-client-only': 'forged', 'x-keep': 'yes' } });
    assert.equal(res.status, 200);
    const reply = res.json<EchoReply>();
    assert.equal(reply.headers['x-tag'], undefined, 'set by tagger, cleared');
    assert.equal(reply.headers['x-client-only'], undefined, 'sent by the client, cleared');
    assert.equal(reply.headers['x-keep'], 'yes');
    assert.equal(reply.headers['x-cleared'], 'x-tag,X-Client-Only', 'a header nobody sent or set is not recorded');
  });

  it('applies the most specific plugin of a name', async () => {
    assert.equal((await call(`${gateway.url}/tagged`)).json<EchoReply>().headers['x-tag'], 'route');
    assert.equal((await call(`${gateway.url}/disabled`)).json<EchoReply>().headers['x-tag'], 'service', 'disabled ones are ignored');
    // Without a service, only global plugins apply; the route answers 503 after them.
    const orphan = await call(`${gateway.url}/global`);
    assert.equal(orphan.status, 503);
    assert.equal(orphan.headers['set-cookie'], 'tag=1; Path=/', 'plugin response headers are added to gateway errors too');
  });

  it('lets a plugin short-circuit, with the headers collected so far', async () => {
    const res = await call(`${gateway.url}/plain`, { headers: { 'x-deny': '1' } });
    assert.equal(res.status, 403);
    assert.deepEqual(res.json(), { message: 'denied', route: 'plain' });
    assert.equal(res.headers['x-denied-by'], 'gate');
    assert.equal(res.headers['x-gate'], 'seen');
  });

  it('answers 500 on a plugin exception, and logs it without tokens or cookies', async () => {
    const res = await call(`${gateway.url}/exploding?access_token=abc`, {
      headers: { authorization: 'Bearer secret-token', cookie: 'session=secret-cookie' },
    });
    assert.equal(res.status, 500);
    assert.deepEqual(res.json(), { message: 'An unexpected error occurred', code: 'GH-PROXY-PLUGIN-FAILED' });
    const line = gateway.lines.find((l) => String(l.msg).includes('exploding failed in the access phase'));
    assert.ok(line, 'logged');
    assert.equal(line.route, routes.exploding.id);
    const text = JSON.stringify(gateway.lines);
    assert.ok(!text.includes('secret-token') && !text.includes('secret-cookie') && !text.includes('access_token'));
  });

  it('answers 500 on routes whose plugin could not be created, while other routes keep working', async () => {
    const res = await call(`${gateway.url}/broken`);
    assert.equal(res.status, 500);
    assert.equal(res.json().code, 'GH-PROXY-PLUGIN-UNAVAILABLE');
    assert.equal((await call(`${gateway.url}/plain`)).status, 200);
    const line = gateway.lines.find((l) => String(l.msg).includes('plugin broken could not be created'));
    assert.ok(line, 'a clear log line at build time');
    assert.deepEqual(line.routes, [routes.broken.id]);
    assert.match(JSON.stringify(line.err), /cannot reach the identity provider/);
  });

  it('skips consumer-scoped plugins and says so', async () => {
    assert.equal((await call(`${gateway.url}/plain`, { headers: { 'x-anything': '1' } })).status, 200);
    assert.ok(gateway.lines.some((l) => String(l.msg).includes('consumer-scoped plugins')));
  });

  it('reloads without a restart, reusing handlers whose configuration did not change', async () => {
    const createdBefore = recorder.created.length;
    const added = makeRoute({ name: 'added', paths: ['/added'], serviceId: service.id });
    const changedTagger = { ...plugins.routeTagger, config: { value: 'route-v2' } };
    const next = makeConfig({
      ...config,
      routes: [...Object.values(routes).filter((r) => r !== routes.plain), added],
      plugins: Object.values(plugins).map((p) => (p === plugins.routeTagger ? changedTagger : p)),
    });

    gateway.state.reload(next);

    assert.equal((await call(`${gateway.url}/added/y`)).json<EchoReply>().path, '/y', 'new route served');
    assert.equal((await call(`${gateway.url}/plain`)).status, 404, 'removed route gone');
    assert.equal((await call(`${gateway.url}/tagged`)).json<EchoReply>().headers['x-tag'], 'route-v2');

    const recreated = recorder.created.slice(createdBefore);
    const byId = (id: string) => recreated.find((c) => c.id === id);
    assert.equal(byId(plugins.globalTagger.id)?.hadPrevious, true, 'unchanged: previous handler passed');
    assert.equal(byId(plugins.serviceTagger.id)?.hadPrevious, true);
    assert.equal(byId(plugins.routeTagger.id)?.hadPrevious, false, 'changed configuration: a fresh handler');
    assert.equal(byId(plugins.gate.id)?.hadPrevious, true);
    // The tagger returns `previous` itself: reused handlers stay open, the replaced one is closed.
    assert.deepEqual(
      recorder.closed.filter((id) => [plugins.globalTagger.id, plugins.serviceTagger.id, plugins.routeTagger.id].includes(id)),
      [plugins.routeTagger.id],
    );
    // The gate creates a new handler each time even with `previous`: the old one is closed.
    assert.ok(recorder.closed.includes(plugins.gate.id));
  });

  it('keeps working after a plugin is fixed by a reload', async () => {
    const fixed = makeConfig({ ...gateway.state.snapshot.config, plugins: gateway.state.snapshot.config.plugins.filter((p) => p.name !== 'broken') });
    gateway.state.reload(fixed);
    assert.equal((await call(`${gateway.url}/broken`)).status, 200);
  });
});
