import type { z } from 'zod';
import { SchemaViolationError, type FieldIssue } from './errors.js';

const ARTICLE: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'a boolean',
  array: 'an array',
  object: 'a record (an object)',
  record: 'a record (an object)',
  null: 'null',
};

/**
 * Kong's wording for zod's default messages ("expected a string", "expected one of:
 * http, https"). Passed per parse, so messages a schema author wrote still win.
 */
const kongErrorMap: z.core.$ZodErrorMap = (issue) => {
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined) return 'required field missing';
      return `expected ${ARTICLE[issue.expected] ?? issue.expected}`;
    case 'invalid_value':
      return `expected one of: ${issue.values.map(String).join(', ')}`;
    case 'too_small': {
      const min = String(issue.minimum);
      if (issue.origin === 'string') return `length must be at least ${min}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at least ${min} element${min === '1' ? '' : 's'}`;
      return `value must be ${issue.inclusive === false ? 'greater than' : 'at least'} ${min}`;
    }
    case 'too_big': {
      const max = String(issue.maximum);
      if (issue.origin === 'string') return `length must be at most ${max}`;
      if (issue.origin === 'array' || issue.origin === 'set') return `must have at most ${max} elements`;
      return `value must be ${issue.inclusive === false ? 'less than' : 'at most'} ${max}`;
    }
    case 'invalid_format':
      if (issue.format === 'uuid' || issue.format === 'guid') return 'expected a valid UUID';
      if (issue.format === 'url') return 'expected a URL';
      if (issue.format === 'regex') return `invalid value: must match ${issue.pattern ?? 'the expected pattern'}`;
      return `expected a valid ${issue.format}`;
    case 'invalid_union':
      return 'value does not match any of the accepted forms';
    default:
      return undefined;
  }
};

function valueAt(input: unknown, path: ReadonlyArray<PropertyKey>): unknown {
  let value = input;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/**
 * Turns zod issues into Kong field issues: one per unknown key ("unknown field"),
 * "required field missing" wherever the input has nothing, even when a schema author
 * wrote a custom message for the type check (that message speaks of wrong values).
 */
export function toFieldIssues(issues: readonly z.core.$ZodIssue[], input: unknown, prefix: ReadonlyArray<string | number> = []): FieldIssue[] {
  const result: FieldIssue[] = [];
  for (const issue of issues) {
    const path = issue.path.filter((segment): segment is string | number => typeof segment !== 'symbol');
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) result.push({ path: [...prefix, ...path, key], message: 'unknown field' });
      continue;
    }
    let message = issue.message;
    if (issue.code === 'invalid_type' && valueAt(input, path) === undefined) message = 'required field missing';
    result.push({ path: [...prefix, ...path], message });
  }
  return result;
}

export type Validation<T> = { success: true; data: T; issues: [] } | { success: false; data: undefined; issues: FieldIssue[] };

/** Validates `input` with `schema`, issues named under `prefix` (e.g. `['config']`). */
export function validate<T>(schema: z.ZodType<T>, input: unknown, prefix: ReadonlyArray<string | number> = []): Validation<T> {
  const result = schema.safeParse(input, { error: kongErrorMap });
  if (result.success) return { success: true, data: result.data, issues: [] };
  return { success: false, data: undefined, issues: toFieldIssues(result.error.issues, input, prefix) };
}

/** Throws one SchemaViolationError naming every issue, when there are any. */
export function throwIfIssues(issues: readonly FieldIssue[]): void {
  if (issues.length > 0) throw new SchemaViolationError(issues);
}
