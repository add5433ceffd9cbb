import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { Settings } from './settings.js';

/**
 * The secrets of the key ring: `GATEHOUSE_KEYS` when set; otherwise a key generated
 * once into the data folder (readable by the owner only), so a first start just
 * works and restarts keep sessions and stored secrets readable.
 */
export function resolveKeys(settings: Settings, log: Logger): string[] {
  if (settings.keys) return settings.keys;
  const file = join(settings.data_dir, 'keys');
  if (existsSync(file)) {
    const keys = readFileSync(file, 'utf8')
      .split(/[\n,]/)
      .map((key) => key.trim())
      .filter(Boolean);
    if (keys.length > 0) return keys;
  }
  mkdirSync(settings.data_dir, { recursive: true });
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  log.warn(
    { file },
    'GATEHOUSE_KEYS is not set: generated a key into the data folder; set GATEHOUSE_KEYS in production and keep it secret',
  );
  return [key];
}
