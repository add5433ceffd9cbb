import { nowSeconds } from '../shared.js';
import { timeOrderedId, type Db } from './shared.js';

/**
 * Connection test runs ("Test Configuration"), each under a keyed fingerprint of
 * exactly the values tested: saving settings needs a passing run with the same
 * fingerprint. Never the values themselves.
 */

/** A connection test run: passed or not, and its checks (no secrets in them). */
export interface IdentityTestRecord {
  id: string;
  organization_id: string;
  fingerprint: string;
  passed: boolean;
  checks: unknown[];
  created_at: number;
}

/** How many test runs are kept per organization (older ones are pruned as new ones arrive). */
const KEPT_TESTS = 50;

export async function insertIdentityTest(
  db: Db,
  input: { organization_id: string; fingerprint: string; passed: boolean; checks: unknown[] },
): Promise<IdentityTestRecord> {
  const row = {
    id: timeOrderedId(),
    organization_id: input.organization_id,
    fingerprint: input.fingerprint,
    passed: input.passed ? 1 : 0,
    checks: JSON.stringify(input.checks),
    created_at: nowSeconds(),
  };
  await db.insertInto('identity_tests').values(row).execute();
  const stale = await db
    .selectFrom('identity_tests')
    .select('id')
    .where('organization_id', '=', input.organization_id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .offset(KEPT_TESTS)
    .limit(1000)
    .execute();
  if (stale.length > 0) {
    await db
      .deleteFrom('identity_tests')
      .where(
        'id',
        'in',
        stale.map((entry) => entry.id).filter((id) => id !== row.id),
      )
      .execute();
  }
  return { ...input, id: row.id, created_at: row.created_at };
}

/** The latest passing test of exactly these values (by fingerprint), if any. */
/** How long a passing Test Configuration allows saving exactly those values. */
export const PASSING_TEST_VALIDITY_SECONDS = 3600;

export async function findPassingIdentityTest(db: Db, organizationId: string, fingerprint: string): Promise<IdentityTestRecord | undefined> {
  const row = await db
    .selectFrom('identity_tests')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .where('fingerprint', '=', fingerprint)
    .where('passed', '=', 1)
    // A pass proves the values worked recently, not forever (a secret may have been revoked since).
    .where('created_at', '>=', Math.floor(Date.now() / 1000) - PASSING_TEST_VALIDITY_SECONDS)
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return row ? testFromRow(row) : undefined;
}

/** The most recent test run of the organization, if any. */
export async function latestIdentityTest(db: Db, organizationId: string): Promise<IdentityTestRecord | undefined> {
  const row = await db
    .selectFrom('identity_tests')
    .selectAll()
    .where('organization_id', '=', organizationId)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .executeTakeFirst();
  return row ? testFromRow(row) : undefined;
}

function testFromRow(row: { id: string; organization_id: string; fingerprint: string; passed: number; checks: string; created_at: number }): IdentityTestRecord {
  return {
    id: row.id,
    organization_id: row.organization_id,
    fingerprint: row.fingerprint,
    passed: row.passed === 1,
    checks: JSON.parse(row.checks) as unknown[],
    created_at: row.created_at,
  };
}
