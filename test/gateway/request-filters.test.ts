import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setsCookie, withoutCookies, withoutQueryArguments } from '../../src/gateway/request-filters.js';

const reserved = new Set(['session', 'gatehouse_session']);

describe('request filters', () => {
  it('removes the named cookies and keeps every other pair as sent', () => {
    assert.equal(withoutCookies('session=abc', reserved), null, 'nothing left');
    assert.equal(withoutCookies('_ga=GA1.2.3; session=abc; theme=dark', reserved), '_ga=GA1.2.3; theme=dark');
    assert.equal(withoutCookies('sig=a%2Bb==; gatehouse_session=x', reserved), 'sig=a%2Bb==', 'values with = and escapes untouched');
    assert.equal(withoutCookies('session=abc;session=def', reserved), null, 'every occurrence');
    assert.equal(withoutCookies('sessionx=1; xsession=2', reserved), 'sessionx=1; xsession=2', 'whole names only');
  });

  it('drops empty pieces and spaces around pairs, as a browser would send them', () => {
    assert.equal(withoutCookies('a=1;;  b = 2 ;', reserved), 'a=1; b = 2');
    assert.equal(withoutCookies('', reserved), null);
    assert.equal(withoutCookies(';', reserved), null);
    assert.equal(withoutCookies(' =x; y', reserved), 'y', 'a pair without a name goes; a name without a value stays');
    assert.equal(withoutCookies(' session =abc; a=1', reserved), 'a=1', 'spaces around a name do not hide it');
  });

  it('removes query arguments by decoded name and keeps the rest byte for byte', () => {
    assert.equal(withoutQueryArguments('access_token=abc&q=a+b%20c', new Set(['access_token'])), 'q=a+b%20c');
    assert.equal(withoutQueryArguments('access%5Ftoken=abc&x=1', new Set(['access_token'])), 'x=1');
    assert.equal(withoutQueryArguments('access_token=abc', new Set(['access_token'])), '');
  });

  it('recognizes Set-Cookie lines for the named cookies', () => {
    assert.equal(setsCookie('session=abc; Path=/; HttpOnly', reserved), true);
    assert.equal(setsCookie('other=abc; Path=/', reserved), false);
  });
});
