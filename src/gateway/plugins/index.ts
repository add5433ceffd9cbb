import type { PluginDefinition } from '../plugin.js';
import { aclPlugin } from './acl/handler.js';
import { openIdConnectPlugin } from './openid-connect/handler.js';
import { ssoPlugin } from './sso/handler.js';

/** Every plugin the gateway knows, by name. Adding a plugin is one line here. */
export const pluginRegistry: ReadonlyMap<string, PluginDefinition> = new Map<string, PluginDefinition>(
  [openIdConnectPlugin, ssoPlugin, aclPlugin].map((plugin) => [plugin.name, plugin]),
);
