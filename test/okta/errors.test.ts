import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNetworkError, oktaApiErrorFromAnswer } from '../../src/okta/errors.js';

const okta = (errorCode: string, errorSummary = 'summary') => ({ errorCode, errorSummary, errorLink: errorCode, errorId: 'oae123', errorCauses: [] });

describe('Okta Management API errors', () => {
  const table: Array<[status: number, body: unknown, code: string]> = [
    [401, okta('E0000011', 'Invalid token provided'), 'GH-OKTA-INVALID-TOKEN'],
    [403, okta('E0000006'), 'GH-OKTA-FORBIDDEN'],
    [404, okta('E0000007'), 'GH-OKTA-NOT-FOUND'],
    [429, okta('E0000047'), 'GH-OKTA-RATE-LIMITED'],
    [500, okta('E0000009'), 'GH-OKTA-UNAVAILABLE'],
    [503, okta('E0000010'), 'GH-OKTA-UNAVAILABLE'],
    [400, okta('E0000001'), 'GH-OKTA-API-ERROR'],
    [502, okta('E0000999'), 'GH-OKTA-UNAVAILABLE'],
    // The error code decides, not the status: a 401 whose body says E0000006 is a refusal of rights.
    [401, okta('E0000006'), 'GH-OKTA-FORBIDDEN'],
    // Without an Okta body (a proxy, a load balancer), the status decides.
    [401, undefined, 'GH-OKTA-INVALID-TOKEN'],
    [429, '<html>', 'GH-OKTA-RATE-LIMITED'],
    [503, undefined, 'GH-OKTA-UNAVAILABLE'],
    [404, undefined, 'GH-OKTA-API-ERROR'],
  ];
  for (const [status, body, code] of table) {
    it(`HTTP ${status} ${JSON.stringify(body)?.slice(0, 40)} → ${code}`, () => {
      assert.equal(oktaApiErrorFromAnswer({ status, body, orgUrl: 'https://dev-123.okta.com', what: 'a group listing' }).code, code);
    });
  }

  it("keeps Okta's fields and names the field and the fix", () => {
    const error = oktaApiErrorFromAnswer({
      status: 403,
      body: { ...okta('E0000006', 'You do not have permission to perform the requested action'), errorCauses: [{ errorSummary: 'cause one' }] },
      orgUrl: 'https://dev-123.okta.com',
      what: 'a group listing',
    });
    assert.equal(error.field, 'api_token');
    assert.equal(error.status, 400);
    assert.equal(error.httpStatus, 403);
    assert.equal(error.oktaErrorCode, 'E0000006');
    assert.equal(error.oktaErrorId, 'oae123');
    assert.deepEqual(error.errorCauses, ['cause one']);
    assert.match(error.message, /refused a group listing \(E0000006: You do not have permission to perform the requested action \(cause one\)\)/);
    assert.match(error.message, /Read-Only Administrator/);
  });

  it('says when a rate limit resets', () => {
    const retryAt = new Date('2026-01-01T00:01:00Z');
    const error = oktaApiErrorFromAnswer({ status: 429, body: okta('E0000047'), orgUrl: 'https://dev-123.okta.com', what: 'x', retryAt });
    assert.equal(error.retryAt, retryAt);
    assert.match(error.message, /resets at 2026-01-01T00:01:00\.000Z/);
  });

  it('points at the domain when the answer is not from Okta', () => {
    const error = oktaApiErrorFromAnswer({ status: 404, body: undefined, orgUrl: 'https://example.com', what: 'a group listing' });
    assert.match(error.message, /no Okta error: check that the Okta domain/);
  });

  it('describes network failures by their system code', () => {
    const refused = new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }) });
    assert.equal(describeNetworkError(refused), 'connection refused (ECONNREFUSED)');
    const timeout = new DOMException('The operation was aborted due to timeout', 'TimeoutError');
    assert.equal(describeNetworkError(timeout, 2500), 'no answer within 2.5 s');
    const tls = new TypeError('fetch failed', { cause: Object.assign(new Error('self-signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) });
    assert.match(describeNetworkError(tls), /TLS certificate was not accepted/);
  });
});
