import { z } from 'zod';

/**
 * The one rule for names people give things: consumer `username` and `custom_id`,
 * service, route and plugin names, tags, organization, role, user and token names,
 * and the Okta group names of role mappings.
 *
 * Names travel where a control character does harm. A consumer's `username` and
 * `custom_id` become the upstream headers `X-Consumer-Username` and
 * `X-Consumer-Custom-Id`, where CR or LF makes every request of that consumer an
 * invalid HTTP request (the gateway answered 502) and NUL is cut short by C code;
 * role names go out in `X-Gatehouse-Roles`; every name lands in log lines and audit
 * entries, where a line break forges a second entry, and in the console's pages. So
 * a name refuses C0 (U+0000–U+001F, tab included), DEL (U+007F), C1 (U+0080–U+009F:
 * U+0085 is a line break for some readers, others take C1 for escape sequences) and
 * U+2028/U+2029 (line and paragraph separators: JavaScript and many log viewers
 * break lines there), and invisible format characters: zero-width ones and
 * bidirectional controls, with which two names that look the same differ, or a name
 * reads as something else. A name needs a visible character (display names of people
 * may be empty). Lengths are bounded so a name fits a header, a log line and a
 * table cell: 255 by default, the longest email address (254, for consumers named
 * by an `email` claim) and the longest Okta group name; fields that had a shorter
 * limit keep it.
 */

export const NAME_MAX_LENGTH = 255;

const CONTROL_CHARACTER = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/u;
// Invisible format characters: zero-width ones (U+200B–U+200D, U+2060, U+FEFF), which make
// two names that look alike differ, and the bidirectional controls (U+200E/F, U+202A–U+202E,
// U+2066–U+2069), which make a name read differently from what it is ("Trojan Source").
const INVISIBLE_CHARACTER = /[\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;

/** The first control character in `text`, as `U+000D` with its position, or undefined when there is none. */
export function controlCharacterIn(text: string): { codePoint: string; position: number } | undefined {
  const match = CONTROL_CHARACTER.exec(text);
  if (!match) return undefined;
  return { codePoint: `U+${match[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`, position: match.index };
}

export interface NameOptions {
  /** Shortest length; 0 lets a name be empty (optional display names). Default 1. */
  min?: number;
  /** Longest length, in UTF-16 code units as everywhere in the API. Default NAME_MAX_LENGTH. */
  max?: number;
  /** Surrounding whitespace is dropped before the checks (identity-side names; Kong's names are kept as sent). */
  trim?: boolean;
}

function nameProblem(name: string, min: number, max: number): string | undefined {
  if (name.length < min) return `length must be at least ${min}`;
  if (name.length > max) return `length must be at most ${max}`;
  const control = controlCharacterIn(name);
  if (control) {
    return `must not contain control characters (found ${control.codePoint} at position ${control.position}): no line breaks, tabs, NUL, C1 or U+2028/U+2029`;
  }
  const invisible = INVISIBLE_CHARACTER.exec(name);
  if (invisible) {
    const codePoint = `U+${invisible[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return `must not contain invisible or text-direction characters (found ${codePoint} at position ${invisible.index}): no zero-width spaces, joiners or bidirectional controls`;
  }
  if (min > 0 && !/[^\s]/u.test(name)) return 'must contain a visible character, not only spaces';
  return undefined;
}

/**
 * A name as zod checks it: a string of `min`..`max` characters without control
 * characters. One message per name (the first problem), which never quotes the value:
 * a refused name may be 100,000 characters long. Chain a field's own rules after it
 * (`.superRefine`); they see only names that passed.
 */
export function nameText(options: NameOptions = {}) {
  const min = options.min ?? 1;
  const max = options.max ?? NAME_MAX_LENGTH;
  const base = options.trim ? z.string().trim() : z.string();
  return base.check((ctx) => {
    const problem = nameProblem(ctx.value, min, max);
    if (problem !== undefined) ctx.issues.push({ code: 'custom', message: problem, input: ctx.value, continue: false });
  });
}

/** Whether a value stored before this rule existed would pass it (the default limits). */
export function isAcceptableName(value: string): boolean {
  return nameProblem(value, 1, NAME_MAX_LENGTH) === undefined;
}
