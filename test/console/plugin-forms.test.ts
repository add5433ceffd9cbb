import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { PluginDefinition, PluginFormField } from '../../src/gateway/plugin.js';
import { pluginRegistry } from '../../src/gateway/plugins/index.js';

/**
 * Every plugin's console form (`PluginDefinition.form`, in the plugin's folder) against
 * its configuration schema: no config field without a form field (a field added to a
 * schema and forgotten in the form fails here), no form field the schema does not
 * have, secrets write-only, the defaults shown those the schema fills in, and every
 * option of a choice accepted.
 */

/** The smallest valid configuration of each plugin (a new plugin without an entry gets one from its required fields). */
const MINIMAL: Record<string, Record<string, unknown>> = {
  'openid-connect': { issuer: 'https://idp.example.com/oauth2/default', client_id: 'client', client_secret: 'secret' },
  sso: { organization: 'acme' },
  acl: { allow: ['admins'] },
};

const SAMPLE: Record<PluginFormField['kind'], unknown> = {
  text: 'x',
  secret: 'secret',
  url: 'https://example.com/',
  list: ['x'],
  'url-list': ['https://example.com/'],
  boolean: true,
  number: 1,
  choice: undefined,
  choices: undefined,
};

function fieldsOf(definition: PluginDefinition): PluginFormField[] {
  return definition.form!.sections.flatMap((section) => section.fields);
}

function minimalConfig(definition: PluginDefinition): Record<string, unknown> {
  const known = MINIMAL[definition.name];
  if (known) return known;
  return Object.fromEntries(fieldsOf(definition).filter((field) => field.required).map((field) => [field.key, field.options?.[0] ?? SAMPLE[field.kind]]));
}

function configKeys(definition: PluginDefinition): string[] {
  const schema = definition.configSchema;
  assert.ok(schema instanceof z.ZodObject, `${definition.name}: the config schema is a z.object (its keys are the form's fields)`);
  return Object.keys(schema.shape).sort();
}

describe('plugin forms', () => {
  const definitions = [...pluginRegistry.values()];

  it('every plugin has a form with a summary', () => {
    for (const definition of definitions) {
      assert.ok(definition.form, `${definition.name} declares a form (src/gateway/plugins/${definition.name}/form.ts)`);
      assert.ok(definition.form.summary.length > 20, `${definition.name}: a summary`);
    }
  });

  it('every key of the config schema has exactly one form field, and no form field is unknown to the schema', () => {
    for (const definition of definitions) {
      const keys = configKeys(definition);
      const fields = fieldsOf(definition).map((field) => field.key);
      assert.deepEqual([...fields].sort(), keys, `${definition.name}: form fields = config keys`);
      assert.equal(new Set(fields).size, fields.length, `${definition.name}: no field twice`);
    }
    assert.equal(fieldsOf(pluginRegistry.get('openid-connect')!).length, 54, 'openid-connect: all 54 fields');
  });

  it('every field has a label and a help text', () => {
    for (const definition of definitions) {
      for (const field of fieldsOf(definition)) {
        assert.ok(field.label.trim().length > 0, `${definition.name}.${field.key}: label`);
        assert.ok(field.help.trim().length > 15, `${definition.name}.${field.key}: help text`);
        if (field.kind === 'choice' || field.kind === 'choices') assert.ok(field.options && field.options.length > 0, `${definition.name}.${field.key}: options`);
      }
    }
  });

  it('secret fields are exactly the definition’s secretFields (write-only in the console, encrypted at rest)', () => {
    for (const definition of definitions) {
      const secrets = fieldsOf(definition).filter((field) => field.kind === 'secret').map((field) => field.key).sort();
      assert.deepEqual(secrets, [...definition.secretFields].sort(), definition.name);
    }
  });

  it('the defaults a form shows are the ones the schema fills in, and fields without one stay unset', () => {
    for (const definition of definitions) {
      const input = minimalConfig(definition);
      const parsed = definition.configSchema.safeParse(input);
      assert.ok(parsed.success, `${definition.name}: the minimal configuration is valid: ${JSON.stringify(parsed.error?.issues)}`);
      const config = parsed.data as Record<string, unknown>;
      for (const field of fieldsOf(definition)) {
        if (field.key in input) continue;
        assert.deepEqual(config[field.key], field.default, `${definition.name}.${field.key}: form default = schema default`);
      }
    }
  });

  it('every option of a choice is accepted by the schema, and a value of each field’s kind too', () => {
    for (const definition of definitions) {
      const base = minimalConfig(definition);
      for (const field of fieldsOf(definition)) {
        const values = field.kind === 'choice' ? field.options! : field.kind === 'choices' ? field.options!.map((option) => [option]) : [field.default ?? field.placeholder ?? SAMPLE[field.kind]];
        for (const value of values) {
          // Pairs validated together: header names need as many claims.
          const extra = field.key === 'upstream_headers_claims' ? { upstream_headers_names: ['x'] } : field.key === 'upstream_headers_names' ? { upstream_headers_claims: ['x'] } : {};
          const config: Record<string, unknown> = { ...base, ...extra, [field.key]: value };
          if (definition.name === 'acl' && field.key === 'deny') delete config.allow;
          const parsed = definition.configSchema.safeParse(config);
          assert.ok(parsed.success, `${definition.name}.${field.key} = ${JSON.stringify(value)}: ${JSON.stringify(parsed.error?.issues)}`);
        }
      }
    }
  });
});
