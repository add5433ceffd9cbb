import { performance } from 'node:perf_hooks';
import type { PluginResponse } from '../../plugin.js';

/**
 * Where the time of a sign-in callback goes: the calls to the identity provider (token
 * endpoint, userinfo) and everything else, which is the gateway's own work (checking
 * the authorization response, verifying the ID token, storing the session, sealing
 * the cookie). Sent as a W3C `Server-Timing` header, so a browser's developer tools
 * and `npm run bench` can tell the gateway's share of a sign-in from the provider's.
 * The provider's share includes openid-client's handling of its answers.
 */
export class CallbackTiming {
  readonly #startedAt = performance.now();
  #providerMs = 0;

  /** Runs a call to the provider, counting its time as the provider's. */
  async provider<T>(call: () => Promise<T>): Promise<T> {
    const startedAt = performance.now();
    try {
      return await call();
    } finally {
      this.#providerMs += performance.now() - startedAt;
    }
  }

  /** The response with `Server-Timing: idp;dur=…, gatehouse;dur=…` (milliseconds) added. */
  addTo(response: PluginResponse): PluginResponse {
    const totalMs = performance.now() - this.#startedAt;
    const value = `idp;dur=${this.#providerMs.toFixed(3)};desc="identity provider", gatehouse;dur=${(totalMs - this.#providerMs).toFixed(3)};desc="gateway"`;
    return { ...response, headers: { ...response.headers, 'server-timing': value } };
  }
}
