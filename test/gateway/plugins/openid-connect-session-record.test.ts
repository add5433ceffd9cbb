import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openIdConnectConfigSchema } from '../../../src/gateway/plugins/openid-connect/schema.js';
import { SESSION_RULES, isDue, sessionExpiry, touchSession, useNeedsWrite, type OidcSession } from '../../../src/gateway/plugins/openid-connect/session-record.js';

const config = (settings: Record<string, unknown>) =>
  openIdConnectConfigSchema.parse({ issuer: 'https://example.okta.com/oauth2/default', client_id: 'app', client_secret: 'secret', ...settings });

const session = (at: number): OidcSession => ({
  v: 1,
  issuer: 'https://example.okta.com/oauth2/default',
  client_id: 'app',
  sub: 'alice',
  created_at: at,
  last_seen: at,
  persisted_seen: at,
  rolled_at: at,
  tokens: { access_token: 'at', token_type: 'Bearer', obtained_at: at },
  claims: {},
  id_claims: {},
});

describe('openid-connect session record', () => {
  it('ends at the earliest of the limits that are set, and says 0 once it has', () => {
    const record = session(1000);
    record.last_seen = 1500;
    const limits = config({ session_absolute_timeout: 3600, session_idling_timeout: 900, session_rolling_timeout: 0 });
    assert.equal(sessionExpiry(record, limits, 1600), 2400, 'idle: last seen + 900');
    assert.equal(sessionExpiry(record, config({ session_absolute_timeout: 1000, session_idling_timeout: 900, session_rolling_timeout: 0 }), 1600), 2000);
    assert.equal(sessionExpiry(record, limits, 2400), 0);
    const none = config({ session_absolute_timeout: 0, session_idling_timeout: 0, session_rolling_timeout: 0 });
    assert.equal(sessionExpiry(record, none, 1e9), Number.MAX_SAFE_INTEGER, 'no limit set');
  });

  it('useNeedsWrite says what touchSession will return, and changes nothing', () => {
    const settings = config({ session_idling_timeout: 900, session_rolling_timeout: 3600 });
    // Idle slack is min(60, 900 / 4) = 60 s; rolling is due after 1800 s.
    for (const [elapsed, expected] of [
      [10, false],
      [59, false],
      [60, true],
      [1800, true],
    ] as const) {
      const record = session(1000);
      const before = structuredClone(record);
      assert.equal(useNeedsWrite(record, settings, 1000 + elapsed), expected, `${elapsed} s later`);
      assert.deepEqual(record, before, 'unchanged');
      assert.equal(touchSession(record, settings, 1000 + elapsed), expected, `${elapsed} s later`);
      assert.equal(record.last_seen, 1000 + elapsed, 'touchSession moves the idle clock either way');
      assert.equal(record.persisted_seen, expected ? 1000 + elapsed : 1000);
      assert.equal(record.rolled_at, elapsed >= 1800 ? 1000 + elapsed : 1000, 'rolled only when rolling is due');
    }
  });

  it('states the session rules both paths obey, each due on its own condition', () => {
    const settings = config({ session_absolute_timeout: 3600, session_idling_timeout: 900, session_rolling_timeout: 0, upstream_id_token_header: 'x-id-token' });
    const due = (record: OidcSession, at: number, active = settings) => SESSION_RULES.filter((rule) => isDue(rule, record, active, at));
    assert.deepEqual(due(session(1000), 1010), [], 'a fresh session serves as it is');
    assert.deepEqual(due(session(1000), 1000 + 900), ['ended', 'use-write'], 'idle for the whole idling timeout');
    const expiring = session(1000);
    expiring.tokens.expires_at = 1100;
    assert.deepEqual(due(expiring, 1050), ['token-renewal'], 'half the token lifetime left');
    assert.deepEqual(due(session(1000), 1060), ['use-write'], 'the stored idle clock lags a minute');
    const packed = session(1000);
    packed.tokens.id_token_in_store = true;
    assert.deepEqual(due(packed, 1010), ['whole-record'], 'the ID token is sent upstream but this copy left it out');
    assert.deepEqual(due(packed, 1010, config({ session_idling_timeout: 900 })), [], 'not needed without upstream_id_token_header');
  });
});
