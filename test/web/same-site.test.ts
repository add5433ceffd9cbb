import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isCrossSite, requestSite, sameSitePath, sameSitePathOfRequest, sameSitePathOfUrl } from '../../src/web/same-site.js';
import { ACCEPTED_TARGETS, REFUSED_TARGETS, REWRITTEN_TARGETS } from './hostile-targets.js';

/** What a browser does with a `Location` header on https://gatehouse.example. */
function browserResolves(location: string): URL {
  return new URL(location, 'https://gatehouse.example/some/page');
}

describe('same-site redirect targets', () => {
  it('has a table of at least 100 hostile targets', () => {
    assert.ok(REFUSED_TARGETS.length >= 100, `${REFUSED_TARGETS.length} targets`);
  });

  for (const target of REFUSED_TARGETS) {
    it(`refuses ${JSON.stringify(target).slice(0, 80)}`, () => {
      assert.equal(sameSitePath(target), undefined);
    });
  }

  for (const [target, serialized] of REWRITTEN_TARGETS) {
    it(`sends ${JSON.stringify(target)} as ${serialized}`, () => {
      const answer = sameSitePath(target);
      assert.equal(answer, serialized);
      assert.match(answer!, /^[\x21-\x7e]+$/, 'printable ASCII only: Node refuses anything else in a header');
      assert.equal(browserResolves(answer!).origin, 'https://gatehouse.example');
    });
  }

  for (const target of ACCEPTED_TARGETS) {
    it(`keeps ${target}`, () => {
      assert.equal(sameSitePath(target), target);
    });
  }

  it('never answers anything a browser would take off-site, whatever it is given', () => {
    const pieces = ['/', '\\', '.', '%2f', '%5c', '%2e', '\t', '\n', 'evil.example', '@', ':', '?', '#', '。', '\u2028', 'a'];
    let checked = 0;
    const walk = (prefix: string, depth: number): void => {
      if (depth === 0) return;
      for (const piece of pieces) {
        const candidate = prefix + piece;
        const answer = sameSitePath(candidate);
        if (answer !== undefined) {
          assert.match(answer, /^\/(?![/\\])[\x21-\x7e]*$/, JSON.stringify(candidate));
          assert.equal(browserResolves(answer).origin, 'https://gatehouse.example', JSON.stringify(candidate));
        }
        checked++;
        walk(candidate, depth - 1);
      }
    };
    walk('', 4);
    assert.ok(checked > 60_000);
  });

  it('refuses what is not a string', () => {
    for (const value of [undefined, null, 42, ['/x'], { toString: () => '/x' }]) assert.equal(sameSitePath(value), undefined);
  });

  it('takes a request line’s own path back, folding leading slashes, else /', () => {
    assert.equal(sameSitePathOfRequest('/app?x=1'), '/app?x=1');
    assert.equal(sameSitePathOfRequest('//evil.example/landing'), '/evil.example/landing');
    assert.equal(sameSitePathOfRequest('/\\evil.example'), '/evil.example');
    assert.equal(sameSitePathOfRequest('/%2f%2fevil.example'), '/');
    assert.equal(sameSitePathOfRequest('/%E3%80%82'), '/%E3%80%82');
  });

  it('accepts an absolute URL only on the given origin (target_link_uri)', () => {
    const origin = new URL('https://gatehouse.example');
    assert.equal(sameSitePathOfUrl('https://gatehouse.example/app?x=1', origin), '/app?x=1');
    assert.equal(sameSitePathOfUrl('/app', origin), '/app');
    for (const bad of ['https://evil.example/app', 'http://gatehouse.example/app', 'https://user@gatehouse.example/', 'https://gatehouse.example//evil.example', 'https://gatehouse.example/\t/x', '//evil.example/', 'javascript:alert(1)']) {
      assert.equal(sameSitePathOfUrl(bad, origin), undefined, bad);
    }
  });
});

describe('cross-site requests', () => {
  const host = 'gatehouse.example';
  const site = (headers: Record<string, string>, addressed: string | undefined = host) => requestSite(headers, addressed);

  it('believes Fetch Metadata first, and only same-origin or none is this site', () => {
    assert.equal(site({ 'sec-fetch-site': 'same-origin', origin: 'https://evil.example' }), 'same-origin');
    assert.equal(site({ 'sec-fetch-site': 'none' }), 'same-origin');
    assert.equal(site({ 'sec-fetch-site': 'same-site', origin: 'https://gatehouse.example' }), 'cross-site');
    assert.equal(site({ 'sec-fetch-site': 'cross-site' }), 'cross-site');
    assert.equal(site({ 'sec-fetch-site': 'something-new' }), 'cross-site');
  });

  it('falls back to Origin, then Referer', () => {
    assert.equal(site({ origin: 'https://gatehouse.example' }), 'same-origin');
    assert.equal(site({ origin: 'https://evil.example' }), 'cross-site');
    assert.equal(site({ origin: 'null' }), 'cross-site');
    assert.equal(site({ origin: 'not a url' }), 'cross-site');
    assert.equal(site({ referer: 'https://gatehouse.example/page' }), 'same-origin');
    assert.equal(site({ referer: 'https://evil.example/page' }), 'cross-site');
    assert.equal(site({ referer: 'https://gatehouse.example.evil.example/' }), 'cross-site');
    assert.equal(site({ origin: 'https://gatehouse.example', referer: 'https://evil.example/' }), 'same-origin', 'Origin outranks Referer');
    assert.equal(site({}), 'unknown');
    assert.equal(isCrossSite({}, host), false, 'curl and servers send no browser signal');
  });

  it('compares ports, with the scheme’s default when the Host header has none', () => {
    assert.equal(site({ origin: 'http://localhost:8000' }, 'localhost:8000'), 'same-origin');
    assert.equal(site({ origin: 'http://localhost:8002' }, 'localhost:8000'), 'cross-site');
    assert.equal(site({ origin: 'https://gatehouse.example:443' }, 'gatehouse.example'), 'same-origin');
    assert.equal(site({ origin: 'https://gatehouse.example' }, 'gatehouse.example:443'), 'same-origin');
    assert.equal(site({ origin: 'https://gatehouse.example:8443' }, 'gatehouse.example'), 'cross-site');
    assert.equal(site({ origin: 'https://GATEHOUSE.example' }, 'gatehouse.EXAMPLE'), 'same-origin');
    assert.equal(requestSite({ origin: 'https://gatehouse.example' }, undefined), 'cross-site', 'no Host header: nothing to be the same as');
  });
});
