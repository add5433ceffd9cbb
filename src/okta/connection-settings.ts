import { z } from 'zod';
import { GatehouseError } from '../errors.js';
import { isLoopbackHost } from '../oidc/loopback.js';
import { oktaAuthorizationServer } from './issuer.js';
import { IDENTITY_SETTINGS_INVALID } from './error-codes.js';

/**
 * The settings a connection test takes (connection-test.ts), validated with every
 * problem named at once, in the form's field order.
 */

/** An https URL, or plain http to a loopback host when that is allowed (test servers, the stand-in). */
export function isAllowedUrl(value: string, allowHttpOnLoopback: boolean): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && allowHttpOnLoopback && isLoopbackHost(url.hostname);
}

/** `null` from a JSON body means "not set", as an absent key does. */
const optionalString = z
  .string()
  .trim()
  .nullish()
  .transform((value) => value ?? undefined);

export const identityConnectionSettingsSchema = z
  .object({
    provider: z.enum(['okta', 'oidc'], { message: "provider must be 'okta' or 'oidc'" }),
    /** Okta: `dev-123.okta.com` (scheme and trailing slash optional). */
    okta_domain: optionalString,
    /** Okta: `default` when absent; `''` or `org` for the org authorization server. Kept untrimmed-empty on purpose. */
    authorization_server_id: z
      .string()
      .nullish()
      .transform((value) => value ?? undefined),
    /** oidc: the issuer exactly as the provider writes it. */
    issuer: optionalString
      .refine((value) => value === undefined || value === '' || (isAllowedUrl(value, true) && !/[?#]/.test(value)), {
        message: 'issuer must be an https URL without query or fragment (plain http only for loopback test servers)',
      })
      .refine((value) => !value?.includes('/.well-known/'), {
        message: 'issuer must be the issuer itself, not its discovery document: drop /.well-known/... from the URL',
      }),
    client_id: z.string().trim().min(1, 'client_id is required: copy it from the app in Okta (General > Client Credentials)'),
    client_secret: z.string().min(1, 'client_secret is required: copy it from the app in Okta (General > Client Credentials)'),
    /** Okta Management API token (SSWS); empty means none. */
    api_token: optionalString.transform((value) => (value === '' ? undefined : value)),
    /** Gatehouse's sign-in redirect URI, as registered in the app. */
    redirect_uri: z
      .string()
      .trim()
      .min(1, 'redirect_uri is required')
      .refine((value) => isAllowedUrl(value, true) && !value.includes('#'), {
        message: 'redirect_uri must be an absolute https URL without a fragment (plain http only on loopback), the one registered in the app',
      }),
    /** The scopes sign-in asks for; default: Okta's defaults for the authorization server. */
    scopes: z
      .array(z.string().trim().min(1, 'scope names must not be empty'))
      .nullish()
      .transform((value) => value ?? undefined),
    /** Okta group names the role mappings use. */
    mapped_groups: z
      .array(z.string().trim().min(1, 'group names must not be empty'))
      .max(500, 'at most 500 mapped groups can be tested')
      .nullish()
      .transform((value) => value ?? undefined),
    /**
     * How the client authenticates at the token endpoint, as registered in Okta (the app's
     * "Client authentication"); default `client_secret_basic`, Okta's default.
     */
    token_endpoint_auth_method: z
      .enum(['client_secret_basic', 'client_secret_post'])
      .nullish()
      .transform((value) => value ?? undefined),
  })
  .superRefine(
    (settings, ctx) => {
      // Runs even when other fields failed (see `when`), so every problem is reported at
      // once; fields that failed their own checks may hold raw input, hence the typeof.
      const domain = typeof settings.okta_domain === 'string' ? settings.okta_domain : undefined;
      const serverId = typeof settings.authorization_server_id === 'string' ? settings.authorization_server_id : undefined;
      if (settings.provider === 'okta') {
        if (!domain) {
          ctx.addIssue({ code: 'custom', path: ['okta_domain'], message: 'okta_domain is required for provider okta: enter e.g. dev-123.okta.com' });
        } else {
          try {
            oktaAuthorizationServer(domain, serverId);
          } catch (error) {
            if (!(error instanceof GatehouseError)) throw error;
            ctx.addIssue({ code: 'custom', path: [error.field ?? 'okta_domain'], message: error.message });
          }
        }
      } else if (settings.provider === 'oidc') {
        if (settings.issuer === undefined || settings.issuer === '') {
          ctx.addIssue({ code: 'custom', path: ['issuer'], message: 'issuer is required for provider oidc: enter the issuer URL, e.g. https://login.example.com' });
        }
        if (settings.api_token) {
          ctx.addIssue({ code: 'custom', path: ['api_token'], message: "api_token is an Okta Management API token: remove it, or use provider 'okta'" });
        }
      }
    },
    { when: (payload) => typeof payload.value === 'object' && payload.value !== null },
  );

export type IdentityConnectionSettingsInput = z.input<typeof identityConnectionSettingsSchema>;
export type IdentityConnectionSettings = z.output<typeof identityConnectionSettingsSchema>;

/**
 * Validated settings, or IDENTITY_SETTINGS_INVALID (400) naming every problem; the
 * first wrong field (in the schema's order) is the error's `field`. Values are never
 * echoed (secrets).
 */
export function parseIdentityConnectionSettings(input: unknown): IdentityConnectionSettings {
  const parsed = identityConnectionSettingsSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  // In the form's field order, so `field` points at the first wrong field from the top.
  const order = Object.keys(identityConnectionSettingsSchema.shape);
  const rank = (path: PropertyKey[]) => {
    const index = order.indexOf(String(path[0]));
    return index === -1 ? order.length : index;
  };
  const issues = [...parsed.error.issues].sort((a, b) => rank(a.path) - rank(b.path));
  const describe = (issue: (typeof issues)[number]) => {
    const field = issue.path.join('.');
    return issue.message.startsWith(field) || field === '' ? issue.message : `${field}: ${issue.message}`;
  };
  const field = issues[0]?.path.join('.');
  throw new GatehouseError(IDENTITY_SETTINGS_INVALID, `identity settings are invalid: ${issues.map(describe).join('; ')}`, {
    status: 400,
    ...(field ? { field } : {}),
  });
}
