import { z } from 'zod';

/**
 * Form bodies (`--data config.x=y`, as in Kong's guides) deliver every value as a
 * string and a one-element list as a single value. These helpers let one schema
 * accept both the JSON and the form shape, the way Kong's Admin API does.
 */

export const flexBoolean = z.preprocess((value) => {
  if (value === 'true') return true;
  if (value === 'false') return false;
  return value;
}, z.boolean({ error: 'expected a boolean (true or false)' }));

export const flexInteger = z.preprocess(
  (value) => (typeof value === 'string' && /^-?\d+$/.test(value.trim()) ? Number(value) : value),
  z.number({ error: 'expected an integer' }).int({ error: 'expected an integer' }),
);

export const flexNumber = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() !== '' && !Number.isNaN(Number(value)) ? Number(value) : value),
  z.number({ error: 'expected a number' }),
);

/** A list that also accepts one bare value (form bodies send a single `key=value`). */
export function flexList<T extends z.ZodType>(item: T) {
  return z.preprocess(
    (value) => (value === undefined || value === null || Array.isArray(value) ? value : [value]),
    z.array(item),
  );
}

export const flexStringList = flexList(z.string().min(1, { error: 'must not be empty' }));
