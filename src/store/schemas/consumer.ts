import { z } from 'zod';
import { nameText } from '../../schema/name.js';
import type { FieldIssue } from '../errors.js';
import { validate } from '../validation.js';
import { idField, isNonEmpty, isPlainObject, tagsField, timestampFields } from './common.js';

const consumerFieldsSchema = z
  .strictObject({
    id: idField.optional(),
    username: nameText().nullable().optional(),
    custom_id: nameText().nullable().optional(),
    tags: tagsField,
    ...timestampFields,
  })
  .transform(({ created_at: _created, updated_at: _updated, ...consumer }) => ({
    ...consumer,
    username: consumer.username ?? null,
    custom_id: consumer.custom_id ?? null,
    tags: consumer.tags ?? null,
  }));

export type ConsumerFields = z.output<typeof consumerFieldsSchema>;

/** Validates a complete consumer: `username` or `custom_id` (or both) identify it. */
export function parseConsumer(input: unknown): { data: ConsumerFields; issues: [] } | { data: undefined; issues: FieldIssue[] } {
  if (!isPlainObject(input)) return { data: undefined, issues: [{ path: [], message: 'expected a JSON object or form fields' }] };
  const issues: FieldIssue[] = [];
  if (!isNonEmpty(input.username) && !isNonEmpty(input.custom_id)) {
    issues.push({ path: [], message: "at least one of these fields must be non-empty: 'custom_id', 'username'" });
  }
  const result = validate(consumerFieldsSchema, input);
  if (result.success && issues.length === 0) return { data: result.data, issues: [] };
  return { data: undefined, issues: [...issues, ...result.issues] };
}
