import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { DEMO_PLUGIN_ID, demoAdminCalls } from '../../src/cli/demo.js';
import { ADMIN_TOKEN, startStack, type Stack } from '../support/stack.js';

/**
 * The quick start's curl commands, read from the README itself: they are what the demo
 * runs (so neither can drift from the other), and pasting them again answers 200 each
 * time, as the README promises.
 */

interface CurlCall {
  method: string;
  path: string;
  form: Array<[string, string]>;
}

/** The curl commands of the README's first shell block that uses `$AUTH`. */
function readmeCurlCalls(): CurlCall[] {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const block = /```sh\n(AUTH=[\s\S]*?)```/.exec(readme);
  assert.ok(block, 'the README has the Admin API commands');
  const lines = block[1]!.replace(/\\\n\s*/g, ' ').split('\n').filter((line) => line.startsWith('curl '));
  return lines.map((line) => {
    const words = [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((match) => match[1] ?? match[2] ?? match[3]!);
    let method = 'GET';
    let path = '';
    const form: Array<[string, string]> = [];
    for (let i = 1; i < words.length; i++) {
      const word = words[i]!;
      if (word === '-H') i++;
      else if (word === '-X') method = words[++i]!;
      else if (word === '--data') {
        const pair = words[++i]!.replace(/"/g, '');
        const eq = pair.indexOf('=');
        form.push([pair.slice(0, eq), pair.slice(eq + 1)]);
      } else if (word.startsWith('http')) path = new URL(word).pathname;
    }
    return { method, path, form };
  });
}

describe('the README’s Admin API commands', () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack?.close());

  it('are the calls the demo makes at every start', () => {
    const demo = demoAdminCalls({ upstream: 'http://127.0.0.1:9001', issuer: 'http://127.0.0.1:9000/oauth2/default', proxyOrigin: 'http://localhost:8000' });
    const asCurl = demo
      .filter((call) => !call.path.includes('demo-start'))
      .map((call) => ({
        method: call.method,
        path: call.path,
        form: Object.entries(call.form).flatMap(([key, value]) => (Array.isArray(value) ? value : [value]).map((item) => [key, item] as [string, string])),
      }));
    assert.deepEqual(readmeCurlCalls(), asCurl);
    assert.ok(readmeCurlCalls().some((call) => call.path === `/plugins/${DEMO_PLUGIN_ID}`));
  });

  it('answer 200 when pasted twice', async () => {
    for (const round of [1, 2]) {
      for (const call of readmeCurlCalls()) {
        const response = await fetch(`${stack.admin}${call.path}`, {
          method: call.method,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
          body: new URLSearchParams(call.form),
        });
        assert.equal(response.status, 200, `round ${round}: ${call.method} ${call.path}: ${await response.text()}`);
      }
    }
    const plugins = (await stack.adminCall('GET', '/routes/demo/plugins')).data as Array<{ id: string }>;
    assert.deepEqual(plugins.map((plugin) => plugin.id), [DEMO_PLUGIN_ID]);
  });
});
