import type { DevIdpSeed } from './seed.js';

/**
 * The directory `gatehouse demo` and most tests sign in against. Ids have Okta's shape and
 * length (20 characters) but are readable, so logs and test failures are easy to follow.
 */

const PASSWORD = 'Passw0rd!';

/** `carol` is in more than 100 groups, to show what Okta does with the groups claim limit (and how Gatehouse gets past it). */
const TEAM_GROUP_COUNT = 120;
const teamName = (n: number) => `team-${String(n).padStart(3, '0')}`;
const teamGroups = Array.from({ length: TEAM_GROUP_COUNT }, (_, i) => ({
  id: `00gteam${String(i + 1).padStart(3, '0')}0000000000`,
  name: teamName(i + 1),
  description: `Demo team ${i + 1}`,
  type: 'OKTA_GROUP' as const,
}));

export const demoSeed: DevIdpSeed = {
  users: [
    {
      id: '00ualice000000000001',
      login: 'alice@example.com',
      email: 'alice@example.com',
      password: PASSWORD,
      firstName: 'Alice',
      lastName: 'Admin',
      status: 'ACTIVE',
      groups: ['service_admin', 'Everyone'],
    },
    {
      id: '00ubob00000000000002',
      login: 'bob@example.com',
      email: 'bob@example.com',
      password: PASSWORD,
      firstName: 'Bob',
      lastName: 'Viewer',
      status: 'ACTIVE',
      groups: ['viewers', 'Everyone'],
    },
    {
      id: '00ucarol000000000003',
      login: 'carol@example.com',
      email: 'carol@example.com',
      password: PASSWORD,
      firstName: 'Carol',
      lastName: 'Manyteams',
      status: 'ACTIVE',
      groups: ['developers', 'Everyone', ...teamGroups.map((group) => group.name)],
    },
    {
      id: '00udave0000000000004',
      login: 'dave@example.com',
      email: 'dave@example.com',
      password: PASSWORD,
      firstName: 'Dave',
      lastName: 'Departed',
      status: 'DEPROVISIONED',
      groups: ['developers', 'Everyone'],
    },
  ],
  groups: [
    { id: '00geveryone000000001', name: 'Everyone', description: 'All users in your organization', type: 'BUILT_IN' },
    { id: '00gsvcadmin000000002', name: 'service_admin', description: 'Administrators of the demo service', type: 'OKTA_GROUP' },
    { id: '00gviewers0000000003', name: 'viewers', description: 'Read-only users of the demo service', type: 'OKTA_GROUP' },
    { id: '00gdevelopers0000004', name: 'developers', description: 'Engineering', type: 'OKTA_GROUP' },
    { id: '00gauditors000000005', name: 'auditors', description: 'Compliance reviewers (no members)', type: 'OKTA_GROUP' },
    { id: '00gdirectory00000006', name: 'ad_sales', description: 'Imported from a directory', type: 'APP_GROUP' },
    ...teamGroups,
  ],
  clients: [
    {
      client_id: 'gatehouse-demo',
      client_secret: 'gatehouse-demo-secret',
      redirect_uris: ['http://localhost:8000/demo/callback', 'http://127.0.0.1:8000/demo/callback'],
      post_logout_redirect_uris: ['http://localhost:8000/', 'http://127.0.0.1:8000/'],
      groups_claim_filter: '.*',
      grant_types: ['authorization_code', 'refresh_token'],
    },
  ],
  api_tokens: ['dev-api-token', { token: 'dev-readonly-api-token', read_only: true }],
  access_token_ttl: 3600,
  id_token_ttl: 3600,
  // The recommended set-up for people in more than 100 groups: the groups claim only for the
  // `groups` scope, so a relying party can sign them in again without it and read their groups
  // from the Management API (with the claim in any scope, Okta refuses them whatever it asks).
  authorization_servers: [{ id: 'default', groups_claim: { scopes: ['groups'] } }],
};
