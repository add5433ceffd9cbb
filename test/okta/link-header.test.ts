import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findLink, parseLinkHeader } from '../../src/okta/link-header.js';
import { readRateLimit, retryDelayMs } from '../../src/okta/rate-limit.js';

describe('Link header parsing', () => {
  it("reads Okta's self and next links as fetch joins them", () => {
    const header =
      '<https://dev-123.okta.com/api/v1/groups?limit=2>; rel="self", <https://dev-123.okta.com/api/v1/groups?after=00g2&limit=2>; rel="next"';
    assert.deepEqual(parseLinkHeader(header), [
      { href: 'https://dev-123.okta.com/api/v1/groups?limit=2', rel: ['self'], params: { rel: 'self' } },
      { href: 'https://dev-123.okta.com/api/v1/groups?after=00g2&limit=2', rel: ['next'], params: { rel: 'next' } },
    ]);
    assert.equal(findLink(header, 'next'), 'https://dev-123.okta.com/api/v1/groups?after=00g2&limit=2');
    assert.equal(findLink(header, 'prev'), undefined);
  });

  it('keeps commas and semicolons inside the URI and inside quoted values', () => {
    const header = '<https://x.test/a,b;c?q=1,2>; title="a, b; c"; rel=next, <https://x.test/z>; rel="prev"';
    const links = parseLinkHeader(header);
    assert.equal(links.length, 2);
    assert.equal(links[0]?.href, 'https://x.test/a,b;c?q=1,2');
    assert.equal(links[0]?.params.title, 'a, b; c');
    assert.deepEqual(links[0]?.rel, ['next']);
    assert.equal(findLink(header, 'prev'), 'https://x.test/z');
  });

  it('handles several relation types, case-insensitively, and escaped quotes', () => {
    const header = '<https://x.test/p2>; REL="Next Last"; title="say \\"hi\\""';
    const [link] = parseLinkHeader(header);
    assert.deepEqual(link?.rel, ['next', 'last']);
    assert.equal(link?.params.title, 'say "hi"');
    assert.equal(findLink(header, 'NEXT'), 'https://x.test/p2');
  });

  it('lets the first rel win (RFC 8288 3.3) and tolerates spaces around ; and =', () => {
    assert.equal(findLink('<https://x.test/a> ;  rel = "next" ; rel="prev"', 'next'), 'https://x.test/a');
    assert.equal(findLink('<https://x.test/a>; rel="prev"; rel="next"', 'next'), undefined);
  });

  it('resolves relative targets against the base and drops them without one', () => {
    assert.equal(findLink('</api/v1/groups?after=x>; rel="next"', 'next', 'https://dev-123.okta.com/api/v1/groups'), 'https://dev-123.okta.com/api/v1/groups?after=x');
    assert.equal(findLink('</api/v1/groups?after=x>; rel="next"', 'next'), undefined);
  });

  it('skips malformed link-values and keeps the good ones', () => {
    const header = 'garbage; rel="next", <https://x.test/unterminated; rel="x", <https://x.test/ok>; rel="next"';
    // The unclosed `<` runs to the next `>`: a "URI" with spaces and quotes, refused rather than guessed at.
    assert.deepEqual(parseLinkHeader(header), []);
    const tolerant = 'garbage, <https://x.test/a> junk, <https://x.test/b>; title="open, <https://x.test/c>; rel="next"';
    assert.deepEqual(parseLinkHeader(tolerant), []);
    assert.deepEqual(
      parseLinkHeader('oops "a,b", <https://x.test/ok>; rel=next').map((link) => link.href),
      ['https://x.test/ok'],
    );
  });

  it('answers nothing for an empty or missing header', () => {
    assert.deepEqual(parseLinkHeader(''), []);
    assert.deepEqual(parseLinkHeader(null), []);
    assert.deepEqual(parseLinkHeader(undefined), []);
    assert.deepEqual(parseLinkHeader(' , ,'), []);
  });
});

describe('rate-limit headers', () => {
  it("converts X-Rate-Limit-Reset to local time through Okta's Date header", () => {
    const now = Date.parse('2026-01-01T12:00:00.500Z');
    const headers = new Headers({
      'X-Rate-Limit-Limit': '600',
      'X-Rate-Limit-Remaining': '0',
      // Okta's clock is 10 s ahead of ours; the window resets 30 s from Okta's now.
      'X-Rate-Limit-Reset': String(Date.parse('2026-01-01T12:00:40Z') / 1000),
      Date: new Date('2026-01-01T12:00:10Z').toUTCString(),
    });
    const state = readRateLimit(headers, now);
    assert.equal(state?.limit, 600);
    assert.equal(state?.remaining, 0);
    assert.equal(state?.resetAt.getTime(), now + 30_000);
    assert.equal(retryDelayMs(state, 0, 60_000, now), 30_250);
    assert.equal(retryDelayMs(state, 0, 5_000, now), 5_000);
  });

  it('ignores incomplete or malformed headers and backs off exponentially without them', () => {
    assert.equal(readRateLimit(new Headers({ 'X-Rate-Limit-Limit': '600' })), undefined);
    assert.equal(readRateLimit(new Headers({ 'X-Rate-Limit-Limit': '600', 'X-Rate-Limit-Remaining': 'lots', 'X-Rate-Limit-Reset': '1' })), undefined);
    assert.equal(retryDelayMs(undefined, 0, 60_000), 1_000);
    assert.equal(retryDelayMs(undefined, 3, 60_000), 8_000);
    assert.equal(retryDelayMs(undefined, 10, 60_000), 60_000);
  });

  it('waits at least the margin when the announced reset is already past', () => {
    const now = Date.now();
    const past = { limit: 600, remaining: 0, resetAt: new Date(now - 5_000), observedAt: new Date(now) };
    assert.equal(retryDelayMs(past, 0, 60_000, now), 250);
    assert.equal(retryDelayMs(past, 0, 10, now), 10);
  });
});
