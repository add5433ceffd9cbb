import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ensureBuilt } from '../../bench/lib/gatehouse-cli.js';
import { CookieJar, authorizeWithSession, browserFetch, signIn } from '../../testkit/browser-flow.js';
import { freePorts } from '../../testkit/free-ports.js';

/** The `gatehouse` command as a newcomer runs it: a real process, real ports, real files. */

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
/** What `npm start` runs after `npm install` built the package: the quick start's two commands. */
const BUILT_CLI = ['dist/cli/main.js'];
/** The demo's bootstrap token (GATEHOUSE_ADMIN_TOKEN): the demo calls its own Admin API with it. */
const DEMO_ADMIN_TOKEN = 'cli-demo-admin-token-0123456789abcdefghij';

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

function waitForOutput(child: ChildProcess, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${output}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      output += chunk;
      if (pattern.test(output)) {
        clearTimeout(timer);
        resolve(output);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited with ${code} before ${pattern}:\n${output}`)));
  });
}

describe('gatehouse CLI', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-'));
    dirs.push(dir);
    return dir;
  };
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('refuses to start with bad settings and lists every problem in one message', async () => {
    const result = await run(['start'], {
      GATEHOUSE_ADMIN_LISTEN: 'localhost',
      GATEHOUSE_KEYS: 'too-short',
      GATEHOUSE_DATABASE: 'mysql://nope',
      GATEHOUSE_DATA_DIR: tempDir(),
    });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /GATEHOUSE_ADMIN_LISTEN/);
    assert.match(result.stderr, /GATEHOUSE_KEYS/);
    assert.match(result.stderr, /GATEHOUSE_DATABASE/);
  });

  it('migrates a database once', async () => {
    const dir = tempDir();
    const env = { GATEHOUSE_DATABASE: `sqlite:${join(dir, 'g.db')}`, GATEHOUSE_DATA_DIR: dir };
    const first = await run(['migrate'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /Applied: 0001_initial/);
    const second = await run(['migrate'], env);
    assert.match(second.stdout, /up to date/);
  });

  it('runs the demo: sign in at the stand-in and reach the echo upstream through /demo', async () => {
    await runDemo(CLI);
  });

  it('runs the demo from the built package, as `npm start` does', async () => {
    // `npm ci` builds dist/ (the prepare script); elsewhere it is rebuilt when src/ is newer.
    ensureBuilt(() => undefined);
    await runDemo(BUILT_CLI);
  });

  async function runDemo(cli: string[]): Promise<void> {
    const dir = tempDir();
    const [proxy, admin, idp, upstream] = await freePorts(4);
    const child = spawn(process.execPath, [...cli, 'demo'], {
      env: {
        ...process.env,
        GATEHOUSE_PROXY_LISTEN: `127.0.0.1:${proxy}`,
        GATEHOUSE_ADMIN_LISTEN: `127.0.0.1:${admin}`,
        GATEHOUSE_DEV_IDP_LISTEN: `127.0.0.1:${idp}`,
        GATEHOUSE_DEMO_UPSTREAM_LISTEN: `127.0.0.1:${upstream}`,
        GATEHOUSE_CONSOLE_LISTEN: '127.0.0.1:0',
        GATEHOUSE_DATA_DIR: dir,
        GATEHOUSE_DATABASE: `sqlite:${join(dir, 'gatehouse.db')}`,
        GATEHOUSE_ADMIN_TOKEN: DEMO_ADMIN_TOKEN,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    child.stdout!.on('data', (chunk) => (log += chunk));
    child.stderr!.on('data', (chunk) => (log += chunk));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    try {
      const output = await waitForOutput(child, /Press Ctrl\+C to stop/);
      assert.match(output, new RegExp(`http://localhost:${proxy}/demo`));
      assert.match(output, /generated a key into the data folder/);
      assert.doesNotMatch(output, /Unsupported runtime|WARNING|"level":40,(?![^\n]*GATEHOUSE_KEYS is not set)/, 'start-up says only what an operator needs: no warning but the generated key');

      const jar = new CookieJar();
      const start = await browserFetch(jar, `http://localhost:${proxy}/demo`);
      assert.equal(start.status, 302);
      const { callbackUrl } = await signIn({
        authorizeUrl: start.headers.get('location')!,
        username: 'alice@example.com',
        password: 'Passw0rd!',
        jar,
        isCallback: (url) => url.port === String(proxy),
      });
      const callback = await browserFetch(jar, callbackUrl);
      assert.equal(callback.status, 302);
      const page = await browserFetch(jar, `http://localhost:${proxy}/demo`);
      assert.equal(page.status, 200);
      const echo = (await page.json()) as { headers: Record<string, string> };
      assert.match(echo.headers.authorization ?? '', /^Bearer /);

      const anonymous = await fetch(`http://127.0.0.1:${admin}/routes`);
      assert.equal(anonymous.status, 401, 'the Admin API needs credentials');
      const routes = (await (await fetch(`http://127.0.0.1:${admin}/routes`, { headers: { authorization: `Bearer ${DEMO_ADMIN_TOKEN}` } })).json()) as {
        data: Array<{ name: string; organization?: { id: string } }>;
      };
      assert.deepEqual(routes.data.map((route) => route.name).sort(), ['app', 'demo', 'demo-start']);
      assert.ok(routes.data.find((route) => route.name === 'app')!.organization, "/app is Acme's: its admins see it in the console");
      assert.equal(routes.data.find((route) => route.name === 'demo')!.organization, undefined, "/demo is the operator's");

      // The demo organization signs in with Okta and protects /app with the sso plugin.
      const orgJar = new CookieJar();
      const orgStart = await browserFetch(orgJar, `http://localhost:${proxy}/login/acme?return_to=/app`);
      assert.equal(orgStart.status, 302);
      const org = await signIn({
        authorizeUrl: orgStart.headers.get('location')!,
        username: 'alice@example.com',
        password: 'Passw0rd!',
        jar: orgJar,
        isCallback: (url) => url.port === String(proxy),
      });
      const orgCallback = await browserFetch(orgJar, org.callbackUrl);
      assert.equal(orgCallback.headers.get('location'), '/app');
      const app = await browserFetch(orgJar, `http://localhost:${proxy}/app`);
      assert.equal(app.status, 200);
      const appEcho = (await app.json()) as { headers: Record<string, string> };
      assert.equal(appEcho.headers['x-gatehouse-email'], 'alice@example.com');
      assert.equal(appEcho.headers['x-gatehouse-roles'], 'Gateway Admin');

      // carol is in 120 groups, over Okta's limit: asked again without the groups scope, her
      // groups come from the Management API, and team-117 makes her a Viewer.
      const carolJar = new CookieJar();
      const carolStart = await browserFetch(carolJar, `http://localhost:${proxy}/login/acme?return_to=/app`);
      const carol = await signIn({
        authorizeUrl: carolStart.headers.get('location')!,
        username: 'carol@example.com',
        password: 'Passw0rd!',
        jar: carolJar,
        isCallback: (url) => url.port === String(proxy),
      });
      const groupsRefused = await browserFetch(carolJar, carol.callbackUrl);
      assert.equal(groupsRefused.status, 302, 'Okta refused the groups claim: signing in again without it');
      const retried = await authorizeWithSession({ authorizeUrl: groupsRefused.headers.get('location')!, jar: carolJar, isCallback: (url) => url.port === String(proxy) });
      const carolCallback = await browserFetch(carolJar, retried.callbackUrl);
      assert.equal(carolCallback.headers.get('location'), '/app');
      const carolApp = (await (await browserFetch(carolJar, `http://localhost:${proxy}/app`)).json()) as { headers: Record<string, string> };
      assert.equal(carolApp.headers['x-gatehouse-email'], 'carol@example.com');
      assert.equal(carolApp.headers['x-gatehouse-roles'], 'Viewer');

      // The start page at / is public, and signing out of /demo lands there.
      const home = await fetch(`http://localhost:${proxy}/`);
      assert.equal(home.status, 200);
      assert.match(await home.text(), /<h1>Gatehouse demo<\/h1>/);

      // One sign-in at the stand-in for Acme and /demo: signing out of /demo ends it there,
      // and the stand-in's back-channel logout ends the Acme session of that sign-in too.
      const demoInSameSignIn = await browserFetch(orgJar, `http://localhost:${proxy}/demo`);
      const sso = await signIn({
        authorizeUrl: demoInSameSignIn.headers.get('location')!,
        username: 'alice@example.com',
        password: 'Passw0rd!',
        jar: orgJar,
        isCallback: (url) => url.port === String(proxy),
      });
      assert.equal(sso.signInFormShown, false, 'the stand-in remembered the Acme sign-in');
      await browserFetch(orgJar, sso.callbackUrl);
      assert.equal((await browserFetch(orgJar, `http://localhost:${proxy}/demo`)).status, 200);
      const signOut = await browserFetch(orgJar, `http://localhost:${proxy}/demo/logout`);
      assert.equal(signOut.status, 302);
      const atStandIn = await browserFetch(orgJar, signOut.headers.get('location')!);
      assert.equal(atStandIn.headers.get('location'), `http://localhost:${proxy}/`, 'back on the start page');
      assert.equal((await browserFetch(orgJar, `http://localhost:${proxy}/app`)).status, 302, 'the Acme session ended by back-channel logout');
    } catch (error) {
      // The demo's own output says why: a crash, a refusal, a port taken.
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- the demo's output (exit ${child.exitCode ?? child.signalCode ?? 'none yet'}) ---\n${log}`, { cause: error });
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        // A demo that does not stop must not keep the test run waiting.
        const stuck = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(stuck);
      }
    }
  }
});
