import type { Logger } from '../log.js';
import { OktaManagementApi } from '../okta/management-api.js';
import type { IdentitySettings } from '../model/identity.js';

/**
 * One Management API client per Okta org and token, kept for the life of the process
 * so its view of Okta's rate limits carries from one call to the next.
 */
const ACTIVE_STATUSES = new Set(['ACTIVE', 'PASSWORD_EXPIRED', 'LOCKED_OUT', 'RECOVERY']);

export class OktaDirectory {
  readonly #clients = new Map<string, OktaManagementApi>();
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  /** The API client for an organization's settings; undefined without an Okta domain and API token. */
  client(settings: IdentitySettings): OktaManagementApi | undefined {
    if (settings.provider !== 'okta' || !settings.okta_domain || !settings.api_token) return undefined;
    const key = `${settings.okta_domain}\n${settings.api_token}`;
    let api = this.#clients.get(key);
    if (!api) {
      api = new OktaManagementApi({ oktaDomain: settings.okta_domain, apiToken: settings.api_token, log: this.#log });
      this.#clients.set(key, api);
    }
    return api;
  }

  /**
   * Whether Okta still lets the user in. Statuses in which a user can sign in count as
   * active (password expired, locked out and recovery are temporary states of an active user).
   */
  async isActive(settings: IdentitySettings, subject: string): Promise<boolean> {
    const api = this.client(settings);
    if (!api) throw new Error('no Okta API token is configured for this organization');
    return ACTIVE_STATUSES.has(await api.userStatus(subject));
  }

  /** A user's group names; Okta's user id is the ID token's `sub`. */
  async groupsOf(settings: IdentitySettings, subject: string): Promise<string[]> {
    const api = this.client(settings);
    if (!api) throw new Error('no Okta API token is configured for this organization');
    return (await api.listUserGroups(subject)).map((group) => group.profile.name);
  }
}
