/**
 * Reading claims the way Kong's plugin does: a claim is named by a path into nested
 * objects, its value may be a list or a space-separated string (OAuth's `scope`),
 * and it is looked up in several sources in turn (access token, ID token, userinfo):
 * the first source that has it wins.
 */

export type ClaimSources = ReadonlyArray<Record<string, unknown> | undefined>;

export function claimAt(sources: ClaimSources, path: readonly string[]): unknown {
  for (const claims of sources) {
    let value: unknown = claims;
    for (const segment of path) {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        value = undefined;
        break;
      }
      value = (value as Record<string, unknown>)[segment];
    }
    if (value !== undefined && value !== null) return value;
  }
  return undefined;
}

/** A claim's value as a list of strings; `undefined` when the claim is absent. */
export function claimValues(sources: ClaimSources, path: readonly string[]): string[] | undefined {
  const value = claimAt(sources, path);
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  if (typeof value === 'string') return value.split(' ').filter(Boolean);
  if (typeof value === 'number' || typeof value === 'boolean') return [String(value)];
  return undefined;
}

/** A claim's value as one string (for headers and consumer lookups). */
export function claimString(sources: ClaimSources, path: readonly string[]): string | undefined {
  const value = claimAt(sources, path);
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/**
 * Kong's rule for `*_required`: the entries are alternatives (OR), and the values
 * inside one entry, separated by spaces, must all be present (AND).
 */
export function satisfiesRequirement(present: readonly string[] | undefined, required: readonly string[]): boolean {
  if (!present) return false;
  const have = new Set(present);
  return required.some((entry) => entry.split(' ').filter(Boolean).every((value) => have.has(value)));
}
