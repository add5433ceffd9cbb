import { withAdminToken } from '../admin/auth.js';
import { consoleUrlOf, publicUrlOf, type Settings } from '../config/settings.js';
import { startDevIdp, type DevIdpSeed } from '../dev-idp/index.js';
import { demoSeed } from '../dev-idp/demo-seed.js';
import { startEchoUpstream } from '../gateway/echo-upstream.js';
import type { Logger } from '../log.js';
import { startNode } from '../cluster/index.js';
import type { Gatehouse } from '../runtime.js';

import { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET } from './demo-constants.js';
import { setUpDemoOrganization } from './demo-organization.js';
import { demoStartPage } from './demo-start-page.js';

export { DEMO_CLIENT_ID, DEMO_CLIENT_SECRET };

/** The demo's openid-connect plugin: a fixed id, so that `PUT /plugins/{id}` can repeat it. */
export const DEMO_PLUGIN_ID = '0d3e0b5c-5a4f-4d3b-9a7e-6f1c2b8e4d10';

/**
 * The Admin API calls that set up the demo's routes, made over HTTP exactly as the
 * README shows them with curl: every one a PUT (services and routes by name, the plugin
 * by a fixed id), so every start, and anyone pasting the README, can repeat them.
 */
export function demoAdminCalls(urls: { upstream: string; issuer: string; proxyOrigin: string }) {
  return [
    { method: 'PUT', path: '/services/demo', form: { url: urls.upstream } },
    { method: 'PUT', path: '/routes/demo', form: { 'service.name': 'demo', paths: '/demo' } },
    {
      method: 'PUT',
      path: `/plugins/${DEMO_PLUGIN_ID}`,
      form: {
        name: 'openid-connect',
        'route.name': 'demo',
        'config.issuer': `${urls.issuer}/.well-known/openid-configuration`,
        'config.client_id': DEMO_CLIENT_ID,
        'config.client_secret': DEMO_CLIENT_SECRET,
        'config.redirect_uri': `${urls.proxyOrigin}/demo/callback`,
        'config.scopes_claim': 'scp',
        // Bearer tokens must be for this API, not any the stand-in issued (Okta's custom server's audience).
        'config.audience_required': 'api://default',
        'config.scopes': ['openid', 'email', 'profile', 'offline_access'],
        'config.auth_methods': ['authorization_code', 'session', 'bearer', 'refresh_token'],
        'config.logout_uri_suffix': '/logout',
        'config.logout_methods': ['GET', 'POST'],
        'config.logout_redirect_uri': `${urls.proxyOrigin}/`,
      },
    },
    // The start page at `/` (exactly), where signing out of /demo lands: public, no plugin.
    { method: 'PUT', path: '/services/demo-start', form: { url: `${urls.upstream}${DEMO_START_PATH}` } },
    { method: 'PUT', path: '/routes/demo-start', form: { 'service.name': 'demo-start', paths: '~/$' } },
  ] as const;
}

/** Where the demo's echo upstream serves the start page. */
const DEMO_START_PATH = '/start';

async function applyAdminCall(adminUrl: string, call: ReturnType<typeof demoAdminCalls>[number], adminToken: string): Promise<void> {
  const authorization = `Bearer ${adminToken}`;
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(call.form)) {
    for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
  }
  const response = await fetch(`${adminUrl}${call.path}`, { method: call.method, body, headers: { authorization } });
  if (!response.ok) {
    throw new Error(`demo set-up failed: ${call.method} ${call.path} answered ${response.status}: ${await response.text()}`);
  }
}

/**
 * Databases of earlier demos hold the openid-connect plugin under a random id (it was
 * POSTed): it goes, so that the PUT by the fixed id does not meet it as a duplicate.
 */
async function dropEarlierDemoPlugin(adminUrl: string, adminToken: string): Promise<void> {
  const authorization = `Bearer ${adminToken}`;
  const listed = await fetch(`${adminUrl}/routes/demo/plugins`, { headers: { authorization } });
  if (!listed.ok) return;
  const { data } = (await listed.json()) as { data: Array<{ id: string; name: string }> };
  for (const plugin of data) {
    if (plugin.name === 'openid-connect' && plugin.id !== DEMO_PLUGIN_ID) {
      await fetch(`${adminUrl}/plugins/${plugin.id}`, { method: 'DELETE', headers: { authorization } });
    }
  }
}

/** The demo seed with the demo app's redirect URIs on the proxy's actual port. */
export function demoSeedFor(port: number): DevIdpSeed {
  return {
    ...demoSeed,
    clients: (demoSeed.clients ?? []).map((app) =>
      app.client_id === DEMO_CLIENT_ID
        ? {
            ...app,
            redirect_uris: [
              `http://localhost:${port}/demo/callback`,
              `http://127.0.0.1:${port}/demo/callback`,
              // Organization sign-in (issue 3): one callback for every organization.
              `http://localhost:${port}/login/callback`,
              `http://127.0.0.1:${port}/login/callback`,
            ],
            post_logout_redirect_uris: [
              `http://localhost:${port}/`,
              `http://127.0.0.1:${port}/`,
              `http://localhost:${port}/login/acme`,
              `http://127.0.0.1:${port}/login/acme`,
            ],
            // Acme's receiver (okta_app.backchannel_logout_uri): a sign-out at the stand-in,
            // from /demo or from Acme, ends Acme's sessions of that sign-in too.
            backchannel_logout_uri: `http://localhost:${port}/login/acme/backchannel-logout`,
          }
        : app,
    ),
  };
}

export interface Demo {
  gatehouse: Gatehouse;
  idpOrigin: string;
  upstreamUrl: string;
  close(): Promise<void>;
}

/** Starts the Okta stand-in, an echo upstream and Gatehouse, and protects `/demo` with `openid-connect`. */
export async function startDemo(input: Settings, log: Logger): Promise<Demo> {
  // The demo calls its own Admin API: with the configured bootstrap token, or one made up for this run.
  const { settings, token: adminToken } = withAdminToken(input);
  const port = settings.proxy_listen.port;
  const idp = await startDevIdp({
    host: settings.dev_idp_listen.host,
    port: settings.dev_idp_listen.port,
    seed: demoSeedFor(port),
    log,
  });
  const publicUrl = publicUrlOf(settings);
  const startPage = demoStartPage({
    proxy: publicUrl,
    console: consoleUrlOf(settings, publicUrl),
    admin: `http://${settings.admin_listen.host}:${settings.admin_listen.port}`,
    idp: idp.issuer('default'),
  });
  const upstream = await startEchoUpstream({
    host: settings.demo_upstream_listen.host,
    port: settings.demo_upstream_listen.port,
    pages: { [DEMO_START_PATH]: startPage },
  });
  let gatehouse: Gatehouse;
  try {
    // With workers (GATEHOUSE_WORKERS, default one per core within the CPU quota) like `gatehouse start`; the stand-in and the upstream stay in this process.
    gatehouse = await startNode({ settings, log });
  } catch (error) {
    await Promise.allSettled([idp.close(), upstream.close()]);
    throw error;
  }
  const proxyOrigin = `http://localhost:${port}`;
  await dropEarlierDemoPlugin(gatehouse.adminUrl, adminToken);
  for (const call of demoAdminCalls({ upstream: upstream.url, issuer: idp.issuer('default'), proxyOrigin })) {
    await applyAdminCall(gatehouse.adminUrl, call, adminToken);
  }
  await setUpDemoOrganization({
    adminUrl: gatehouse.adminUrl,
    proxyUrl: gatehouse.proxyUrl,
    token: adminToken,
    idpOrigin: idp.origin,
    upstreamUrl: upstream.url,
  });
  return {
    gatehouse,
    idpOrigin: idp.origin,
    upstreamUrl: upstream.url,
    async close() {
      await gatehouse.close();
      await Promise.allSettled([idp.close(), upstream.close()]);
    },
  };
}
