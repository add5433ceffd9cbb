import { z } from 'zod';
import type { PluginConfigDefinition, PluginConfigRegistry } from '../../model/plugin.js';
import { isAcceptableName, nameText } from '../../schema/name.js';
import type { FieldIssue } from '../errors.js';
import { restoreRedactedSecrets } from '../plugin-secrets.js';
import { validate } from '../validation.js';
import { entityRef, enabledField, idField, isPlainObject, protocolsField, tagsField, timestampFields } from './common.js';

const pluginFieldsSchema = z
  .strictObject({
    id: idField.optional(),
    name: nameText(),
    // Validated separately with the plugin's own schema, once the name is known.
    config: z.record(z.string(), z.unknown()).nullable().optional(),
    enabled: enabledField,
    route: entityRef('route', ['name']).nullable().optional(),
    service: entityRef('service', ['name']).nullable().optional(),
    consumer: entityRef('consumer', ['username', 'name']).nullable().optional(),
    protocols: protocolsField,
    tags: tagsField,
    ...timestampFields,
  })
  .transform(({ created_at: _created, updated_at: _updated, config: _config, ...plugin }) => ({
    ...plugin,
    route: plugin.route ?? null,
    service: plugin.service ?? null,
    consumer: plugin.consumer ?? null,
    tags: plugin.tags ?? null,
  }));

export type PluginFields = z.output<typeof pluginFieldsSchema> & {
  /** Validated by the plugin's schema, defaults filled, secrets in clear (encrypt before storing). */
  config: Record<string, unknown>;
  definition: PluginConfigDefinition;
};

/**
 * Validates a complete plugin: the entity fields with the common schema, `config` with
 * the schema of the plugin named by `name`. `storedConfig` is the current (decrypted)
 * configuration when updating, so `[redacted]` placeholders keep the stored secrets.
 */
export function parsePlugin(
  input: unknown,
  registry: PluginConfigRegistry,
  storedConfig?: Record<string, unknown>,
): { data: PluginFields; issues: [] } | { data: undefined; issues: FieldIssue[] } {
  if (!isPlainObject(input)) return { data: undefined, issues: [{ path: [], message: 'expected a JSON object or form fields' }] };
  const issues: FieldIssue[] = [];
  const fields = validate(pluginFieldsSchema, input);
  issues.push(...fields.issues);

  const definition = typeof input.name === 'string' ? registry.get(input.name) : undefined;
  // A name the name rule refuses has its issue already; naming it again here would quote it.
  if (typeof input.name === 'string' && isAcceptableName(input.name) && !definition) {
    const available = [...registry.keys()].sort().join(', ') || 'none';
    issues.push({ path: ['name'], message: `plugin '${input.name}' is not available on this server (available: ${available})` });
  }

  let config: Record<string, unknown> | undefined;
  const rawConfig = input.config ?? {};
  if (definition && isPlainObject(rawConfig)) {
    const incoming = structuredClone(rawConfig);
    issues.push(...restoreRedactedSecrets(incoming, storedConfig, definition.secretFields));
    const parsed = validate(definition.configSchema, incoming, ['config']);
    issues.push(...parsed.issues);
    if (parsed.success) {
      if (isPlainObject(parsed.data)) config = parsed.data;
      else issues.push({ path: ['config'], message: 'the plugin schema must produce an object' });
    }
  }

  if (issues.length > 0 || !fields.success || !definition || !config) {
    return { data: undefined, issues: issues.length > 0 ? issues : [{ path: [], message: 'invalid plugin' }] };
  }
  return { data: { ...fields.data, config, definition }, issues: [] };
}
