import type { PluginDefinition } from '../plugin.js';
import { aclPlugin } from './acl/handler.js';
import { openIdConnectPlugin } from './openid-connect/handler.js';

/** Every plugin the gateway knows, by name. Adding a plugin is one line here. */
export const pluginRegistry: ReadonlyMap<string, PluginDefinition> = new Map<string, PluginDefinition>(
  [openIdConnectPlugin, aclPlugin].map((plugin) => [plugin.name, plugin]),
);
