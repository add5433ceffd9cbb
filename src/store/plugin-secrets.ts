import type { KeyRing } from '../crypto/keyring.js';
import type { FieldIssue } from './errors.js';

/**
 * Secret fields of plugin configurations (`PluginDefinition.secretFields`, dotted
 * paths such as `client_secret` or `session.secret`). A path may cross lists: every
 * element is visited, so `client_secret: ["a", "b"]` encrypts both values.
 * Only strings are secrets; null and absent values are left alone.
 */

/** What the Admin API returns instead of a secret, and what a client sends back to keep it. */
export const REDACTED = '[redacted]';

type Leaf = { value: string; replace: (next: unknown) => void; location: Array<string | number> };

function collectLeaves(root: unknown, path: string): Leaf[] {
  const segments = path.split('.');
  const leaves: Leaf[] = [];
  const visit = (node: unknown, index: number, replace: (next: unknown) => void, location: Array<string | number>): void => {
    if (Array.isArray(node)) {
      node.forEach((element, position) => visit(element, index, (next) => (node[position] = next), [...location, position]));
      return;
    }
    if (index === segments.length) {
      if (typeof node === 'string') leaves.push({ value: node, replace, location });
      return;
    }
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    const key = segments[index]!;
    if (!Object.hasOwn(record, key)) return;
    visit(record[key], index + 1, (next) => (record[key] = next), [...location, key]);
  };
  visit(root, 0, () => undefined, []);
  return leaves;
}

function valueAt(root: unknown, location: ReadonlyArray<string | number>): unknown {
  let node = root;
  for (const segment of location) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string | number, unknown>)[segment];
  }
  return node;
}

/** A deep copy with every secret encrypted by the key ring (for storage). */
export async function encryptSecrets(config: Record<string, unknown>, secretFields: readonly string[], keyRing: KeyRing): Promise<Record<string, unknown>> {
  const copy = structuredClone(config);
  for (const path of secretFields) {
    for (const leaf of collectLeaves(copy, path)) leaf.replace(await keyRing.encrypt(leaf.value));
  }
  return copy;
}

/** A deep copy with every secret decrypted (for the data plane and for merging updates). */
export async function decryptSecrets(config: Record<string, unknown>, secretFields: readonly string[], keyRing: KeyRing): Promise<Record<string, unknown>> {
  const copy = structuredClone(config);
  for (const path of secretFields) {
    for (const leaf of collectLeaves(copy, path)) leaf.replace(await keyRing.decrypt(leaf.value));
  }
  return copy;
}

/** A deep copy with `[redacted]` in place of every secret (for API answers). */
export function redactSecrets(config: Record<string, unknown>, secretFields: readonly string[]): Record<string, unknown> {
  const copy = structuredClone(config);
  for (const path of secretFields) {
    for (const leaf of collectLeaves(copy, path)) leaf.replace(REDACTED);
  }
  return copy;
}

/**
 * Puts the stored secret back wherever an update sends `[redacted]` (a client that read
 * the plugin and sends it back unchanged must not overwrite the secret with that
 * placeholder). Mutates `incoming`; returns an issue for every `[redacted]` that has no
 * stored secret at the same place, because the placeholder is never a valid secret.
 */
export function restoreRedactedSecrets(
  incoming: Record<string, unknown>,
  stored: Record<string, unknown> | undefined,
  secretFields: readonly string[],
  prefix: ReadonlyArray<string | number> = ['config'],
): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const path of secretFields) {
    for (const leaf of collectLeaves(incoming, path)) {
      if (leaf.value !== REDACTED) continue;
      let previous = stored === undefined ? undefined : valueAt(stored, leaf.location);
      // A list element sent back where a single value is stored (or the reverse) still means "keep it".
      if (previous === undefined && stored !== undefined && typeof leaf.location.at(-1) === 'number' && leaf.location.at(-1) === 0) {
        previous = valueAt(stored, leaf.location.slice(0, -1));
      }
      if (Array.isArray(previous) && previous.length === 1) previous = previous[0];
      if (typeof previous === 'string') {
        leaf.replace(previous);
      } else {
        issues.push({
          path: [...prefix, ...leaf.location],
          message: `'${REDACTED}' keeps a stored secret, but none is stored here; send the secret itself`,
        });
      }
    }
  }
  return issues;
}
