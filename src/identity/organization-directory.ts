import type { IdentityStore, Organization } from './model.js';

/**
 * Organizations held in memory for the data plane (the `sso` plugin looks one up on
 * every request and must not query the database). Reloaded whenever the Admin API
 * changes anything, like the gateway's configuration snapshot.
 */
export class OrganizationDirectory {
  #byReference = new Map<string, Organization>();

  async reload(store: IdentityStore): Promise<void> {
    const next = new Map<string, Organization>();
    for (const organization of await store.organizations()) {
      next.set(organization.id, organization);
      next.set(organization.name, organization);
      next.set(organization.login_path, organization);
    }
    this.#byReference = next;
  }

  organization(reference: string): Organization | undefined {
    return this.#byReference.get(reference) ?? this.#byReference.get(reference.toLowerCase());
  }
}
