import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RouteEntity, ServiceEntity } from '../../src/model/gateway.js';
import { compileRouter, hostnameOf, portOf } from '../../src/gateway/router.js';
import { makeRoute, makeService } from './helpers.js';

function routerFor(routes: RouteEntity[], services: ServiceEntity[] = []) {
  const router = compileRouter(routes, new Map(services.map((s) => [s.id, s])));
  return (method: string, path: string, host = 'example.com', port = 80) => router.match(method, path, host, port);
}

describe('router', () => {
  it('picks the longest matching prefix, whatever the order of definition', () => {
    const short = makeRoute({ name: 'short', paths: ['/api'] });
    const long = makeRoute({ name: 'long', paths: ['/api/users'] });
    const root = makeRoute({ name: 'root', paths: ['/'] });
    const match = routerFor([root, short, long]);
    assert.equal(match('GET', '/api/users/1')?.route.name, 'long');
    assert.equal(match('GET', '/api/users/1')?.matchedPath, '/api/users');
    assert.equal(match('GET', '/api/other')?.route.name, 'short');
    assert.equal(match('GET', '/apix')?.route.name, 'short', 'Kong prefixes are plain string prefixes');
    assert.equal(match('GET', '/elsewhere')?.route.name, 'root');
  });

  it('splits a route with paths of different lengths, so each path ranks on its own', () => {
    const multi = makeRoute({ name: 'multi', paths: ['/a', '/a/b/c'] });
    const middle = makeRoute({ name: 'middle', paths: ['/a/b'] });
    const match = routerFor([multi, middle]);
    assert.equal(match('GET', '/a/b/c/d')?.route.name, 'multi');
    assert.equal(match('GET', '/a/b/c/d')?.matchedPath, '/a/b/c');
    assert.equal(match('GET', '/a/b/x')?.route.name, 'middle');
    assert.equal(match('GET', '/a/x')?.route.name, 'multi');
  });

  it('anchors regex paths at the start and returns the whole match and captures', () => {
    const regex = makeRoute({ name: 'regex', paths: ['~/users/(?<id>\\d+)/profile'] });
    const match = routerFor([regex]);
    const found = match('GET', '/users/42/profile/photo');
    assert.equal(found?.route.name, 'regex');
    assert.equal(found?.matchedPath, '/users/42/profile');
    assert.equal(found?.captures?.groups?.id, '42');
    assert.equal(match('GET', '/x/users/42/profile'), null, 'anchored at the start');
  });

  it('anchors every alternative of a regex', () => {
    const match = routerFor([makeRoute({ name: 'alt', paths: ['~/a|/b'] })]);
    assert.equal(match('GET', '/b')?.route.name, 'alt');
    assert.equal(match('GET', '/x/b'), null);
  });

  it('evaluates regex paths before prefix paths, ordered by regex_priority', () => {
    const prefix = makeRoute({ name: 'prefix', paths: ['/version/1/service'] });
    const low = makeRoute({ name: 'low', paths: ['~/version/\\d+'], regex_priority: 0 });
    const high = makeRoute({ name: 'high', paths: ['~/version/\\d+/service'], regex_priority: 10 });
    const match = routerFor([prefix, low, high]);
    assert.equal(match('GET', '/version/1/service')?.route.name, 'high');
    assert.equal(match('GET', '/version/1/other')?.route.name, 'low');
    // regex_priority only orders regex routes; it cannot lift a prefix route.
    const lifted = makeRoute({ name: 'lifted', paths: ['/version'], regex_priority: 100 });
    assert.equal(routerFor([lifted, low])('GET', '/version/3')?.route.name, 'low');
  });

  it('ranks routes with more matching attributes first', () => {
    const pathOnly = makeRoute({ name: 'path-only', paths: ['/api/users'] });
    const methodAndPath = makeRoute({ name: 'method-and-path', paths: ['/api'], methods: ['GET'] });
    const hostMethodPath = makeRoute({ name: 'all-three', paths: ['/'], methods: ['GET'], hosts: ['example.com'] });
    const match = routerFor([pathOnly, methodAndPath, hostMethodPath]);
    assert.equal(match('GET', '/api/users')?.route.name, 'all-three');
    assert.equal(match('GET', '/api/users', 'other.com')?.route.name, 'method-and-path');
    assert.equal(match('POST', '/api/users', 'other.com')?.route.name, 'path-only');
  });

  it('matches methods exactly and upper-cases configured ones', () => {
    const match = routerFor([makeRoute({ name: 'get', methods: ['get', 'HEAD'], paths: ['/'] })]);
    assert.equal(match('GET', '/')?.route.name, 'get');
    assert.equal(match('HEAD', '/')?.route.name, 'get');
    assert.equal(match('POST', '/'), null);
  });

  it('matches exact and wildcard hosts, plain hosts first', () => {
    const exact = makeRoute({ name: 'exact', hosts: ['api.example.com'] });
    const suffix = makeRoute({ name: 'suffix', hosts: ['*.example.com'] });
    const prefix = makeRoute({ name: 'prefix', hosts: ['example.*'] });
    const match = routerFor([suffix, prefix, exact]);
    assert.equal(match('GET', '/', 'api.example.com')?.route.name, 'exact');
    assert.equal(match('GET', '/', 'www.example.com')?.route.name, 'suffix');
    assert.equal(match('GET', '/', 'a.b.example.com')?.route.name, 'suffix');
    assert.equal(match('GET', '/', 'example.org')?.route.name, 'prefix');
    assert.equal(match('GET', '/', 'example.com')?.route.name, 'prefix');
    assert.equal(match('GET', '/', 'other.org'), null);
  });

  it('matches a host with a port only on that port', () => {
    const withPort = makeRoute({ name: 'with-port', hosts: ['example.com:8000'] });
    const wildcardPort = makeRoute({ name: 'wildcard-port', hosts: ['*.example.com:9000'] });
    const match = routerFor([withPort, wildcardPort]);
    assert.equal(match('GET', '/', 'example.com', 8000)?.route.name, 'with-port');
    assert.equal(match('GET', '/', 'example.com', 80), null);
    assert.equal(match('GET', '/', 'a.example.com', 9000)?.route.name, 'wildcard-port');
    assert.equal(match('GET', '/', 'a.example.com', 9001), null);
  });

  it('compares hosts case-insensitively', () => {
    const match = routerFor([makeRoute({ name: 'mixed', hosts: ['API.Example.com'] })]);
    assert.equal(match('GET', '/', hostnameOf('api.EXAMPLE.com:8000'))?.route.name, 'mixed');
  });

  it('breaks ties between equal priorities by the higher route id, as the ATC router', () => {
    const a = makeRoute({ id: '00000000-0000-4000-8000-000000000001', name: 'a', paths: ['/same'] });
    const b = makeRoute({ id: '00000000-0000-4000-8000-000000000002', name: 'b', paths: ['/same'] });
    assert.equal(routerFor([a, b])('GET', '/same')?.route.name, 'b');
    assert.equal(routerFor([b, a])('GET', '/same')?.route.name, 'b');
  });

  it('returns the service and the route index', () => {
    const service = makeService({ name: 'svc' });
    const other = makeRoute({ paths: ['/other'] });
    const route = makeRoute({ paths: ['/x'], serviceId: service.id });
    const found = routerFor([other, route], [service])('GET', '/x');
    assert.equal(found?.service?.name, 'svc');
    assert.equal(found?.index, 1);
  });

  it('leaves out regex paths that do not compile, without matching everything', () => {
    const errors: string[] = [];
    const broken = makeRoute({ name: 'broken', paths: ['~/(unclosed'] });
    const router = compileRouter([broken], new Map(), (_route, path) => errors.push(path));
    assert.deepEqual(errors, ['~/(unclosed']);
    assert.equal(router.match('GET', '/anything', 'example.com', 80), null);
  });

  it('matches non-ASCII prefixes against percent-decoded request paths', () => {
    const match = routerFor([makeRoute({ name: 'cafe', paths: ['/café'] })]);
    // normalizePath('/caf%C3%A9') yields the bytes as characters.
    assert.equal(match('GET', '/caf\u00c3\u00a9/menu')?.route.name, 'cafe');
  });
});

describe('host header helpers', () => {
  it('splits hosts and ports, IPv6 included', () => {
    assert.equal(hostnameOf('Example.com:8000'), 'example.com');
    assert.equal(hostnameOf('[::1]:8000'), '[::1]');
    assert.equal(hostnameOf('[::1]'), '[::1]');
    assert.equal(hostnameOf(undefined), '');
    assert.equal(portOf('example.com:8000', 80), 8000);
    assert.equal(portOf('example.com', 443), 443);
    assert.equal(portOf('[::1]', 80), 80);
    assert.equal(portOf('[::1]:81', 80), 81);
  });
});
