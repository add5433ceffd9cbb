import type { KeyRing } from '../../../crypto/keyring.js';
import type { IdentitySettings } from '../../../model/identity.js';
import { nowSeconds } from '../shared.js';
import type { Db } from './shared.js';

/**
 * One organization's identity settings. Secrets (client secret, API token) are
 * encrypted with the key ring before they reach the database and decrypted only for
 * Gatehouse's own use (sign-in, sync, connection test); API answers never show them.
 */

/** The values an admin sets, in canonical form, secrets in clear (in memory only). */
export type IdentitySettingsValues = Omit<IdentitySettings, 'organization_id' | 'tested_at' | 'updated_at'>;

/** The stored settings with secrets decrypted; undefined when the organization has none. */
export async function readIdentitySettings(db: Db, keyRing: KeyRing, organizationId: string): Promise<IdentitySettings | undefined> {
  const row = await db.selectFrom('identity_settings').selectAll().where('organization_id', '=', organizationId).executeTakeFirst();
  if (!row) return undefined;
  return {
    organization_id: row.organization_id,
    provider: row.provider,
    okta_domain: row.okta_domain,
    authorization_server_id: row.authorization_server_id,
    issuer: row.issuer,
    client_id: row.client_id,
    client_secret: await keyRing.decrypt(row.client_secret),
    api_token: row.api_token === null ? null : await keyRing.decrypt(row.api_token),
    scopes: JSON.parse(row.scopes) as string[],
    groups_claim: row.groups_claim,
    login_claim: row.login_claim,
    single_logout: row.single_logout === 1,
    sync_interval_seconds: row.sync_interval_seconds,
    tested_at: row.tested_at,
    updated_at: row.updated_at,
  };
}

/** Creates or replaces the settings (secrets encrypted), remembering the passing test they were saved on. */
export async function writeIdentitySettings(
  db: Db,
  keyRing: KeyRing,
  organizationId: string,
  values: IdentitySettingsValues,
  tested: { fingerprint: string; tested_at: number },
): Promise<void> {
  const row = {
    organization_id: organizationId,
    provider: values.provider,
    okta_domain: values.okta_domain,
    authorization_server_id: values.authorization_server_id,
    issuer: values.issuer,
    client_id: values.client_id,
    client_secret: await keyRing.encrypt(values.client_secret),
    api_token: values.api_token === null ? null : await keyRing.encrypt(values.api_token),
    scopes: JSON.stringify(values.scopes),
    groups_claim: values.groups_claim,
    login_claim: values.login_claim,
    single_logout: values.single_logout ? 1 : 0,
    sync_interval_seconds: values.sync_interval_seconds,
    tested_fingerprint: tested.fingerprint,
    tested_at: tested.tested_at,
    updated_at: nowSeconds(),
  };
  const { organization_id: _id, ...update } = row;
  await db
    .insertInto('identity_settings')
    .values(row)
    .onConflict((conflict) => conflict.column('organization_id').doUpdateSet(update))
    .execute();
}
