import type { Kysely } from 'kysely';
import type { KeyRing } from '../crypto/keyring.js';
import type { Logger } from '../log.js';
import type { IdentityConnectionSettingsInput } from '../okta/connection-settings.js';
import type { ConnectionTestOptions, ConnectionTestResult } from '../okta/connection-test.js';
import type { Database } from '../store/schema.js';
import type { IdentitySettings } from '../model/identity.js';

/** What the operations on an organization's identity settings need from the process that runs them. */

/** Runs Okta's connection test (src/okta/connection-test.ts; tests bring their own). */
export type ConnectionTester = (settings: IdentityConnectionSettingsInput, options?: ConnectionTestOptions) => Promise<ConnectionTestResult>;

export interface OktaGroupSuggestion {
  id: string;
  name: string;
  description: string | null;
  type: string;
}

/** Group names from Okta's Management API for the suggestions in the mapping UI. */
export type OktaGroupSearcher = (settings: IdentitySettings, query: string, limit: number) => Promise<OktaGroupSuggestion[]>;

export interface IdentityServiceDeps {
  db: Kysely<Database>;
  keyRing: KeyRing;
  /** The proxy's public URL (`GATEHOUSE_PUBLIC_URL`), without a trailing slash. */
  publicUrl: () => string;
  testConnection: ConnectionTester;
  searchGroups: OktaGroupSearcher;
  log: Logger;
}
