import type { KeyRing } from '../crypto/keyring.js';
import type { Logger } from '../log.js';
import type { ProviderCache } from '../oidc/provider-cache.js';
import type { SessionStore } from '../sessions/store.js';
import type { PluginEntity } from '../model/gateway.js';
import type { IdentityServices, PluginDefinition, PluginHandler } from './plugin.js';

/**
 * Plugin handlers across configuration reloads: each plugin's handler is created with
 * the previous snapshot's handler for the same plugin id and an identical configuration
 * (`previous`), so caches survive a reload; a handler no live snapshot uses is closed.
 */

/** What every plugin handler is created with, shared by all plugins of the process. */
export interface PluginServices {
  keyRing: KeyRing;
  sessions: SessionStore;
  /** OpenID providers by issuer, shared by every plugin of the process. */
  providers: ProviderCache;
  identity?: IdentityServices | undefined;
  log: Logger;
}

export interface HandlerRecord {
  readonly plugin: PluginEntity;
  /** Canonical JSON of the configuration, to spot unchanged plugins across reloads. */
  readonly configKey: string;
  readonly handler: PluginHandler | null;
  readonly error: unknown;
}

/** JSON with object keys sorted, so equal configurations compare equal whatever the key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const sorted: Record<string, unknown> = {};
    for (const key of Object.keys(v).sort()) sorted[key] = (v as Record<string, unknown>)[key];
    return sorted;
  });
}

/**
 * The handler for `plugin`; `before` is the previous snapshot's record for its id, whose
 * handler is passed on as `previous` when name and configuration are unchanged. Never
 * throws: a plugin that cannot be created is a record with its error.
 */
export function createHandler(
  plugin: PluginEntity,
  registry: ReadonlyMap<string, PluginDefinition>,
  options: PluginServices,
  before: HandlerRecord | undefined,
): HandlerRecord {
  const configKey = canonicalJson(plugin.config);
  const definition = registry.get(plugin.name);
  if (!definition) {
    return { plugin, configKey, handler: null, error: new Error(`unknown plugin "${plugin.name}"`) };
  }
  const reusable =
    before !== undefined && before.handler !== null && before.plugin.name === plugin.name && before.configKey === configKey
      ? before.handler
      : undefined;
  try {
    const handler = definition.create(plugin.config, {
      plugin,
      keyRing: options.keyRing,
      sessions: options.sessions,
      providers: options.providers,
      identity: options.identity,
      log: options.log,
      previous: reusable,
    });
    return { plugin, configKey, handler, error: null };
  } catch (error) {
    return { plugin, configKey, handler: null, error };
  }
}

/** Closes a handler that no live snapshot uses; a failure is logged, never thrown. */
export function closeHandler(record: HandlerRecord, log: Logger): void {
  try {
    record.handler?.close?.();
  } catch (error) {
    log.error(
      { plugin: { id: record.plugin.id, name: record.plugin.name }, err: error instanceof Error ? error.message : String(error) },
      'plugin handler failed to close',
    );
  }
}
