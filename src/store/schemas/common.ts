import { z } from 'zod';
import { flexBoolean, flexInteger, flexList } from '../../schema/flex.js';
import { nameText } from '../../schema/name.js';

/**
 * Field types shared by the entity schemas, with Kong's rules and Kong's wording.
 * Values may arrive from form bodies, so numbers, booleans and lists use the `flex`
 * helpers from src/schema/flex.ts (shared with the plugin schemas).
 */

export const PROTOCOLS = ['http', 'https'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

/** Any 8-4-4-4-12 hex id, as Kong accepts (not only RFC 4122 versions). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID_PATTERN.test(value);
}

export const idField = z.string().regex(UUID_PATTERN, { error: 'expected a valid UUID (e.g. 7f3c1e2a-5b6d-4e8f-9a0b-1c2d3e4f5a6b)' });

/**
 * A field whose absence and `null` both mean "use the default": JSON `null` and an
 * empty form value (`key=`) reset the field, as in Kong.
 */
export function withDefault<T extends z.ZodType>(schema: T, value: z.output<T>) {
  return z.preprocess((input) => (input === null ? undefined : input), schema.default(value as never));
}

/** An integer in a closed range, with Kong's message. */
export function integerBetween(min: number, max: number) {
  const message = `value should be between ${min} and ${max}`;
  return flexInteger.pipe(z.number().min(min, { error: message }).max(max, { error: message }));
}

/** Kong's `utf8_name`: service and route names (and the name rule every name follows). */
export const nameField = nameText().superRefine((name, ctx) => {
  // ASCII is limited to a URL-safe set so the name can stand in for the id in paths.
  if (!/^(?:[A-Za-z0-9._~-]|[^\x00-\x7F])+$/.test(name)) {
    ctx.addIssue({
      code: 'custom',
      message: `invalid value '${name}': the only accepted ascii characters are alphanumerics or ., -, _, and ~`,
    });
  } else if (isUuid(name)) {
    // A UUID-shaped name would be read as an id in /services/{id or name}.
    ctx.addIssue({ code: 'custom', message: 'must not be a UUID (it would be read as an id in URLs); choose another name' });
  }
});

const tag = nameText().superRefine((value, ctx) => {
  if (!/^[\x20-\x2B\x2D\x2E\x30-\x7E\u0080-\u{10FFFF}]+$/u.test(value)) {
    ctx.addIssue({ code: 'custom', message: `invalid tag '${value}': expected printable ascii (except \`,\` and \`/\`) or valid utf-8 sequences` });
  }
});

export const tagsField = flexList(tag).nullable().optional();

export const enabledField = withDefault(flexBoolean, true);

export const protocolsField = withDefault(
  flexList(z.enum(PROTOCOLS, { error: 'expected one of: http, https' })).refine((list) => list.length > 0, {
    error: 'must have at least one protocol (http or https)',
  }),
  ['http', 'https'],
);

/**
 * `created_at` and `updated_at` are accepted and ignored, so an entity read with GET
 * can be sent back with PUT unchanged; the store keeps its own timestamps.
 */
export const timestampFields = {
  created_at: z.unknown().optional(),
  updated_at: z.unknown().optional(),
};

/** A reference to another entity, `{"id": ...}` or by its endpoint key (`{"name": ...}`, `{"username": ...}`). */
export type EntityRef = { id: string } | { name: string } | { username: string };

/** Zod schema for a reference; `keys` are the accepted endpoint keys besides `id`. */
export function entityRef(entity: string, keys: ReadonlyArray<'name' | 'username'>) {
  const shape: Record<string, z.ZodType> = { id: idField.optional() };
  for (const key of keys) shape[key] = z.string().min(1).optional();
  const accepted = ['id', ...keys];
  return z
    .strictObject(shape)
    .superRefine((ref, ctx) => {
      const given = accepted.filter((key) => ref[key] !== undefined);
      if (given.length !== 1) {
        ctx.addIssue({
          code: 'custom',
          message: `give exactly one of ${accepted.map((key) => `'${key}'`).join(', ')} to name the ${entity} (e.g. {"id": "..."} or ${entity}.${keys[0] ?? 'id'}=... in a form)`,
        });
      }
    })
    .transform((ref) => {
      const key = accepted.find((candidate) => ref[candidate] !== undefined)!;
      return { [key]: ref[key] } as EntityRef;
    });
}

/** True when a list-or-scalar input holds at least one value (for "at least one of" checks on raw input). */
export function isNonEmpty(value: unknown): boolean {
  if (value === undefined || value === null || value === '') return false;
  if (Array.isArray(value)) return value.length > 0;
  return true;
}

/** The request body must be an object; anything else is one entity-wide issue. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
