import { z } from 'zod';
import { flexBoolean, flexInteger, flexList, flexStringList } from '../../../schema/flex.js';
import { isLoopbackHost } from '../../../oidc/loopback.js';
import { DEFAULT_LEEWAY_SECONDS } from '../../../oidc/token-verification.js';
import { HEADER_NAME_MESSAGE, headerName } from '../../../schema/header-name.js';

/**
 * Configuration of the `openid-connect` plugin, with the names and defaults of Kong
 * Gateway's plugin of the same name so that Kong's guides work as written. Durations
 * are in seconds, as in Kong. Lists accept a single value (form bodies).
 */

export const AUTH_METHODS = ['authorization_code', 'session', 'bearer', 'introspection', 'refresh_token'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

const url = z.url({ error: 'expected an absolute URL (https://...)' });
/** A claim name or a path into nested claims (`["realm_access", "roles"]`). */
const claimPath = flexStringList.refine((list) => list.length > 0, { error: 'must name at least one claim' });
const seconds = flexInteger.pipe(z.number().int().min(0, { error: 'must be 0 (no limit) or a number of seconds' }));

export const openIdConnectConfigSchema = z
  .object({
    issuer: url,
    client_id: flexStringList.refine((list) => list.length > 0, { error: 'required field missing' }),
    client_secret: flexStringList.optional(),
    client_auth: flexList(z.enum(['client_secret_basic', 'client_secret_post', 'none'])).optional(),
    redirect_uri: flexList(url).optional(),
    scopes: flexStringList.default(['openid']),
    auth_methods: flexList(
      z.enum(AUTH_METHODS, { error: `expected one of ${AUTH_METHODS.join(', ')}` }),
    ).default([...AUTH_METHODS]),

    audience_required: flexStringList.optional(),
    audience_claim: claimPath.default(['aud']),
    scopes_required: flexStringList.optional(),
    scopes_claim: claimPath.default(['scope']),
    groups_required: flexStringList.optional(),
    groups_claim: claimPath.default(['groups']),
    roles_required: flexStringList.optional(),
    roles_claim: claimPath.default(['roles']),

    consumer_claim: claimPath.optional(),
    consumer_by: flexList(z.enum(['id', 'username', 'custom_id'])).default(['username', 'custom_id']),
    consumer_optional: flexBoolean.default(false),
    anonymous: z.string().min(1).optional(),
    credential_claim: claimPath.default(['sub']),
    authenticated_groups_claim: claimPath.optional(),

    session_cookie_name: z.string().regex(/^[A-Za-z0-9_.-]+$/, { error: 'letters, digits, _ . - only' }).default('session'),
    session_cookie_path: z
      .string()
      .regex(/^\/[\x21-\x3A\x3C-\x7E]*$/, { error: 'a path starting with / without spaces or semicolons' })
      .default('/'),
    session_cookie_domain: z
      .string()
      .regex(/^\.?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i, { error: 'a domain name such as example.com' })
      .optional(),
    session_cookie_secure: flexBoolean.optional(),
    session_cookie_http_only: flexBoolean.default(true),
    session_cookie_same_site: z.enum(['Strict', 'Lax', 'None', 'Default']).default('Lax'),
    session_absolute_timeout: seconds.default(86400),
    session_idling_timeout: seconds.default(900),
    session_rolling_timeout: seconds.default(3600),
    authorization_cookie_name: z.string().regex(/^[A-Za-z0-9_.-]+$/).default('authorization'),
    authorization_rolling_timeout: seconds.default(600),

    refresh_tokens: flexBoolean.default(true),
    /** Kong reads a client's refresh token from the `Refresh-Token` header unless told otherwise. */
    refresh_token_param_name: headerName.default('refresh_token'),
    refresh_token_param_type: flexList(z.enum(['header', 'query'])).default(['header']),
    bearer_token_param_type: flexList(z.enum(['header', 'query'])).default(['header']),
    introspection_endpoint: url.optional(),
    cache_introspection: flexBoolean.default(true),
    leeway: seconds.default(DEFAULT_LEEWAY_SECONDS),
    timeout: flexInteger.pipe(z.number().int().min(1)).default(10000),

    /** Kong's `name:scheme` (`authorization:bearer`): a header name, and the token's scheme word. */
    upstream_access_token_header: z
      .string()
      .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?::[!#$%&'*+\-.^_`|~0-9A-Za-z]*)?$/, {
        error: `must be a header name, optionally followed by ':' and a scheme (authorization:bearer); the name ${HEADER_NAME_MESSAGE}`,
      })
      .nullable()
      .default('authorization:bearer'),
    upstream_id_token_header: headerName.optional(),
    upstream_user_info_header: headerName.optional(),
    upstream_headers_claims: flexStringList.optional(),
    upstream_headers_names: flexList(headerName).optional(),

    logout_uri_suffix: z.string().min(1).optional(),
    logout_methods: flexList(z.enum(['GET', 'POST', 'DELETE'])).default(['POST', 'DELETE']),
    logout_query_arg: z.string().min(1).optional(),
    logout_redirect_uri: flexList(url).optional(),
    logout_revoke: flexBoolean.default(false),
    logout_revoke_access_token: flexBoolean.default(true),
    logout_revoke_refresh_token: flexBoolean.default(true),

    unauthorized_redirect_uri: flexList(url).optional(),
    forbidden_redirect_uri: flexList(url).optional(),
  })
  .strict()
  .superRefine((config, issues) => {
    const issuer = safeUrl(config.issuer);
    if (issuer && issuer.protocol === 'http:' && !isLoopbackHost(issuer.hostname)) {
      issues.addIssue({
        code: 'custom',
        path: ['issuer'],
        message: 'plain http is accepted only for loopback issuers (127.0.0.1, ::1, localhost); use https',
      });
    }
    const interactive = config.auth_methods.includes('authorization_code');
    if (interactive && (config.client_secret === undefined || config.client_secret.length === 0) && !config.client_auth?.includes('none')) {
      issues.addIssue({
        code: 'custom',
        path: ['client_secret'],
        message: 'required for the authorization_code method; set client_auth=none for a public client',
      });
    }
    const claims = config.upstream_headers_claims?.length ?? 0;
    const names = config.upstream_headers_names?.length ?? 0;
    if (claims !== names) {
      issues.addIssue({
        code: 'custom',
        path: ['upstream_headers_names'],
        message: `must name one header per entry of upstream_headers_claims (${claims} claims, ${names} names)`,
      });
    }
    if (config.session_cookie_same_site === 'None' && config.session_cookie_secure === false) {
      issues.addIssue({
        code: 'custom',
        path: ['session_cookie_same_site'],
        message: 'browsers drop SameSite=None cookies that are not Secure; use Lax or enable session_cookie_secure',
      });
    }
    if (config.auth_methods.length === 0) {
      issues.addIssue({ code: 'custom', path: ['auth_methods'], message: 'must allow at least one method' });
    }
  });

export type OpenIdConnectConfig = z.infer<typeof openIdConnectConfigSchema>;

function safeUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
