import type { z } from 'zod';

/**
 * What the store must know of a plugin to keep its configuration, and no more: the
 * schema that validates it and fills in defaults, and where its secrets are (encrypted
 * at rest, redacted in answers). The gateway's `PluginDefinition` (src/gateway/plugin.ts)
 * extends it with what runs; the store never runs a plugin, so it never sees that part.
 * (The one import of `model/`: zod's types, erased at compile time.)
 */
export interface PluginConfigDefinition<Config = any> {
  /**
   * Validates a configuration and fills in defaults. Must accept the output of
   * form bodies too (strings for numbers and booleans, one value for a list).
   */
  configSchema: z.ZodType<Config>;
  /** Dotted paths inside `config` that hold secrets: encrypted at rest, never returned in clear. */
  secretFields: readonly string[];
}

/**
 * The plugins a server knows, by name, as the store sees them. The store receives it
 * from whoever assembles it (src/runtime.ts gives the gateway's registry; tests their own).
 */
export type PluginConfigRegistry = ReadonlyMap<string, PluginConfigDefinition>;
