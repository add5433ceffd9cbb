import { z } from 'zod';
import { controlCharacterIn, nameText } from '../schema/name.js';
import { SchemaViolationError } from '../store/errors.js';
import { validate } from '../store/validation.js';

/**
 * What the identity operations read from a request body: an absent body is an empty
 * one, and every wrong field is named in one schema violation; and the fields several
 * of them take (a person's email and name).
 */

/** The fields of `input` that `schema` accepts, or one schema violation naming every wrong field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const body = input === undefined || input === null ? {} : input;
  const result = validate(schema, body);
  if (!result.success) throw new SchemaViolationError(result.issues);
  return result.data;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export const emailField = z
  .string()
  .trim()
  .max(320, { error: 'length must be at most 320' })
  .regex(EMAIL, { error: 'expected an email address such as admin@example.com' })
  // An email goes upstream in X-Gatehouse-Email, like a name (src/schema/name.ts says why).
  .refine((email) => controlCharacterIn(email) === undefined, { error: 'must not contain control characters' });

/** A person's display name; `null` or absent when unknown. */
export const personName = nameText({ min: 0, max: 200, trim: true }).nullable().optional();
