/**
 * A process of test/sign-in/throttle.test.ts: its own connection to the shared
 * database file, like a proxy worker, counting failures as fast as it can once told to
 * (a line on standard input), then printing how many attempts were let through.
 */
import { once } from 'node:events';
import { KeyRing } from '../../src/crypto/keyring.js';
import { SignInThrottle } from '../../src/sign-in/throttle.js';
import { openDatabase } from '../../src/store/index.js';

const { file, secret, account, attempts, name } = JSON.parse(process.argv[2]!) as {
  file: string;
  secret: string;
  account: string;
  attempts: number;
  name: string;
};
const db = await openDatabase(`sqlite:${file}`);
const keyRing = KeyRing.fromSecrets([secret]);
const throttle = new SignInThrottle(db, { hash: (key) => keyRing.fingerprint('sign-in-throttle', key) });
process.stdout.write('ready\n');
await once(process.stdin, 'data');
let allowed = 0;
for (let i = 0; i < attempts; i++) {
  // A new address each time, so only the account's count decides.
  if ((await throttle.fail(account, `${name}-${i}`)) === 0) allowed += 1;
}
await db.destroy();
process.stdout.write(`${JSON.stringify({ allowed })}\n`);
process.stdin.destroy();
