import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeyRing } from '../../src/crypto/keyring.js';
import { verifyPassword } from '../../src/identity/passwords.js';
import { createIdentityStore, openDatabase } from '../../src/store/index.js';

const CLI = ['--import', 'tsx', 'src/cli/main.ts'];
const KEYS = 'cli-org-test-key-0123456789abcdef0123';

function run(args: string[], env: Record<string, string>, stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { ...process.env, GATEHOUSE_LOG_LEVEL: 'warn', ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk) => (stdout += chunk));
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

describe('gatehouse org create', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-cli-org-'));
  const env = {
    GATEHOUSE_DATA_DIR: dir,
    GATEHOUSE_DATABASE: `sqlite:${join(dir, 'gatehouse.db')}`,
    GATEHOUSE_KEYS: KEYS,
    GATEHOUSE_PUBLIC_URL: 'https://gateway.example.com',
  };
  after(() => rmSync(dir, { recursive: true, force: true }));

  async function owner(loginPath: string) {
    const db = await openDatabase(env.GATEHOUSE_DATABASE);
    try {
      const store = createIdentityStore(db, KeyRing.fromSecrets([KEYS]));
      const organization = await store.organizationByLoginPath(loginPath);
      assert.ok(organization, loginPath);
      const user = await store.user(organization.id, organization.owner_user_id!);
      return { organization, user: user!, hash: await store.passwordHash(organization.id, user!.id) };
    } finally {
      await db.destroy();
    }
  }

  it('creates an organization and prints a one-time password when stdin gives none', async () => {
    const result = await run(['org', 'create', '--name', 'Acme Corp', '--owner-email', 'owner@acme.example'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Created organization "Acme Corp"/);
    assert.match(result.stdout, /Sign-in URL\s+https:\/\/gateway\.example\.com\/login\/acme-corp/);
    const password = /Password\s+(\S+)/.exec(result.stdout)?.[1];
    assert.ok(password && password.length >= 20, result.stdout);
    const { user, hash } = await owner('acme-corp');
    assert.equal(user.email, 'owner@acme.example');
    assert.deepEqual(user.roles.map((role) => role.role_name), ['Organization Admin']);
    assert.equal(await verifyPassword(password, hash), true);
  });

  it('reads the owner password from stdin when it is not a terminal', async () => {
    const result = await run(['org', 'create', '--name', 'Globex', '--owner-email', 'o@globex.example', '--login-path', '/Globex-HQ'], env, 'a piped passphrase\n');
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.includes('a piped passphrase'), false, 'never printed');
    const { organization, hash } = await owner('globex-hq');
    assert.equal(organization.name, 'Globex');
    assert.equal(await verifyPassword('a piped passphrase', hash), true);
  });

  it('says what is wrong: missing options, taken and reserved login paths, weak passwords', async () => {
    const missing = await run(['org', 'create', '--name', 'X'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /missing --owner-email/);
    const taken = await run(['org', 'create', '--name', 'Other', '--owner-email', 'o@other.example', '--login-path', 'ACME-corp'], env);
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /login_path 'acme-corp' is already taken/);
    const reserved = await run(['org', 'create', '--name', 'Other', '--owner-email', 'o@other.example', '--login-path', 'admin'], env);
    assert.equal(reserved.code, 1);
    assert.match(reserved.stderr, /reserved/);
    const weak = await run(['org', 'create', '--name', 'Other', '--owner-email', 'o@other.example', '--login-path', 'other'], env, 'short\n');
    assert.equal(weak.code, 1);
    assert.match(weak.stderr, /owner_password must be at least 12 characters/);
    const unknown = await run(['org', 'explode'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown org command/);
  });
});
