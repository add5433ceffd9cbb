import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorPage, errorPageContent } from '../../src/web/error-page.js';

describe('error page', () => {
  it('escapes every value and shows the code when there is one', () => {
    const page = errorPage({ title: '404 Not Found', heading: 'Not <Found>', message: 'no "Route" & more.', code: 'GH-<X>' });
    assert.match(page, /^<!doctype html>/);
    assert.match(page, /<title>404 Not Found<\/title>/);
    assert.match(page, /<h1>Not &lt;Found&gt;<\/h1>/);
    assert.match(page, /role="alert"/);
    assert.match(page, /<p>no &quot;Route&quot; &amp; more\.<\/p>/);
    assert.match(page, /Error code: <code>GH-&lt;X&gt;<\/code>/);
    assert.equal(page.includes('<script'), false);
  });

  it('titles the document with the heading by default, and places the caller’s markup after the message', () => {
    assert.match(errorPage({ heading: 'Access denied', message: 'No.' }), /<title>Access denied<\/title>/);
    const content = errorPageContent({ heading: 'Page not found', message: 'Nothing here.' }, '<p><a href="/">Back</a></p>');
    assert.equal(content.includes('notice-code'), false);
    assert.ok(content.indexOf('Nothing here.') < content.indexOf('<a href="/">Back</a>'));
  });
});
