import type { PluginDefinition, PluginResponse, RequestContext } from '../../plugin.js';
import { aclConfigSchema, type AclConfig } from './schema.js';
import { aclForm } from './form.js';
import { PLUGIN_FORBIDDEN, PLUGIN_UNAUTHORIZED } from '../../error-codes.js';

const UNAUTHORIZED: PluginResponse = { status: 401, body: { message: 'Unauthorized', error_code: PLUGIN_UNAUTHORIZED } };
const FORBIDDEN: PluginResponse = { status: 403, body: { message: 'You cannot consume this service', error_code: PLUGIN_FORBIDDEN } };

/**
 * Kong's `acl` plugin over the groups an authentication plugin established
 * (`authenticated_groups_claim` of `openid-connect`). Consumer ACL credentials are
 * not an entity in Gatehouse, so authenticated groups are the only source.
 */
export const aclPlugin: PluginDefinition<AclConfig> = {
  name: 'acl',
  priority: 950,
  configSchema: aclConfigSchema,
  secretFields: [],
  form: aclForm,
  create(config) {
    const allow = config.allow ? new Set(config.allow) : undefined;
    const deny = config.deny ? new Set(config.deny) : undefined;
    return {
      access(ctx: RequestContext): PluginResponse | void {
        const groups = ctx.authenticatedGroups;
        if (!groups) {
          // Kong: an authenticated client without groups is forbidden, an anonymous one unauthorized.
          return ctx.consumer || ctx.credential ? FORBIDDEN : UNAUTHORIZED;
        }
        const permitted = allow ? groups.some((group) => allow.has(group)) : !groups.some((group) => deny!.has(group));
        if (!permitted) return FORBIDDEN;
        ctx.upstreamHeaders.set('x-authenticated-groups', config.hide_groups_header ? null : groups.join(', '));
      },
    };
  },
};
