import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapePath, joinUpstreamPath, normalizePath } from '../../src/gateway/paths.js';

describe('joinUpstreamPath (Kong path_handling v0)', () => {
  // [service.path, route path (the matched prefix), request path, strip_path, expected upstream path]
  const cases: Array<[string | null, string, string, boolean, string]> = [
    ['/s', '/fv0', '/fv0/req', false, '/s/fv0/req'],
    ['/s', '/fv0', '/fv0', false, '/s/fv0'],
    ['/s', '/tv0', '/tv0/req', true, '/s/req'],
    ['/s', '/tv0', '/tv0', true, '/s'],
    ['/s', '/tv0', '/tv0req', true, '/s/req'],
    ['/s', '/fv0/', '/fv0/req', false, '/s/fv0/req'],
    ['/s', '/fv0/', '/fv0/', false, '/s/fv0/'],
    ['/s', '/tv0/', '/tv0/req', true, '/s/req'],
    ['/s', '/tv0/', '/tv0/', true, '/s/'],
    ['/s/', '/fv0', '/fv0/req', false, '/s/fv0/req'],
    ['/s/', '/fv0', '/fv0', false, '/s/fv0'],
    ['/s/', '/tv0', '/tv0/req', true, '/s/req'],
    ['/s/', '/tv0', '/tv0', true, '/s'],
    ['/s/', '/tv0/', '/tv0/', true, '/s/'],
    [null, '/tv0', '/tv0/req', true, '/req'],
    [null, '/tv0', '/tv0', true, '/'],
    [null, '/', '/anything', true, '/anything'],
    [null, '/fv0', '/fv0/req', false, '/fv0/req'],
    [null, '/', '/', false, '/'],
  ];
  for (const [servicePath, matched, request, strip, expected] of cases) {
    it(`${servicePath ?? '(none)'} + ${matched} + ${request} strip=${strip} → ${expected}`, () => {
      assert.equal(joinUpstreamPath(servicePath, strip, matched, request), expected);
    });
  }

  it('appends the whole request path for routes without paths, even with strip_path', () => {
    assert.equal(joinUpstreamPath('/s', true, null, '/foo/bar'), '/s/foo/bar');
    assert.equal(joinUpstreamPath('/s', true, null, '/'), '/s');
  });

  it('drops a leading dot segment left after stripping', () => {
    assert.equal(joinUpstreamPath('/s', true, '/foo', '/foo../bar'), '/s/bar');
  });
});

describe('normalizePath (Kong normalize, merge_slashes)', () => {
  const cases: Array<[string, string]> = [
    ['/', '/'],
    ['/plain/path', '/plain/path'],
    ['/a/./b/../c', '/a/c'],
    ['//a//b', '/a/b'],
    ['/public/%2e%2e/admin', '/admin'],
    ['/public/%2E./admin', '/admin'],
    ['/a/..', '/'],
    ['/../../x', '/x'],
    ['/a%2Fb', '/a%2Fb'],
    ['/a%2fb', '/a%2Fb'],
    ['/%41%7e', '/A~'],
    ['/file.txt', '/file.txt'],
  ];
  for (const [input, expected] of cases) {
    it(`${input} → ${expected}`, () => assert.equal(normalizePath(input), expected));
  }

  it('returns the same string when nothing changes', () => {
    const path = '/api/v1/users/42';
    assert.equal(normalizePath(path), path);
  });
});

describe('escapePath', () => {
  it('keeps safe characters and re-encodes decoded ones', () => {
    assert.equal(escapePath('/a/b-c_d.e~f'), '/a/b-c_d.e~f');
    assert.equal(escapePath(normalizePath('/a%20b')), '/a%20b');
    assert.equal(escapePath(normalizePath('/caf%C3%A9')), '/caf%C3%A9');
    assert.equal(escapePath('/a"b'), '/a%22b');
    // A single character below 256 is one byte; this only happens with plugin-made paths.
    assert.equal(escapePath('/é'), '/%E9');
    assert.equal(escapePath('/€'), '/%E2%82%AC');
  });
});
