import type { Organization } from '../model/identity.js';
import type { IdentityStore } from '../store/repositories/identity/identity-store.js';

/**
 * Organizations held in memory for the data plane (the `sso` plugin looks one up on
 * every request and must not query the database). Reloaded whenever the Admin API
 * changes anything, like the gateway's configuration snapshot.
 */
export class OrganizationDirectory {
  #byId = new Map<string, Organization>();
  #byLoginPath = new Map<string, Organization>();
  #byName = new Map<string, Organization>();

  async reload(store: IdentityStore): Promise<void> {
    const byId = new Map<string, Organization>();
    const byLoginPath = new Map<string, Organization>();
    const byName = new Map<string, Organization>();
    for (const organization of await store.organizations()) {
      byId.set(organization.id, organization);
      byLoginPath.set(organization.login_path, organization);
      byName.set(organization.name, organization);
    }
    this.#byId = byId;
    this.#byLoginPath = byLoginPath;
    this.#byName = byName;
  }

  /**
   * By id, then login path, then name, each in its own map: one organization renaming
   * itself after another's login path must not capture the routes that name it.
   */
  organization(reference: string): Organization | undefined {
    return this.#byId.get(reference) ?? this.#byLoginPath.get(reference.toLowerCase()) ?? this.#byName.get(reference);
  }
}
