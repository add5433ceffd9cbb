import type { PluginForm, PluginFormField } from '../../plugin.js';
import { AUTH_METHODS } from './schema.js';

/**
 * The console's form for `openid-connect`: every configuration field of schema.ts,
 * with the help text of Kong's plugin reference (adapted where Gatehouse does less or
 * differs, e.g. the methods it supports), so Kong's guides read the same here.
 * Defaults are Gatehouse's (test/console/plugin-forms.test.ts compares them with the
 * schema's).
 */

const NESTED_CLAIM = 'One name per line; several lines are a path into a nested object of the token payload.';

function claimField(key: string, label: string, what: string, defaultValue?: string): PluginFormField {
  return {
    key,
    label,
    kind: 'list',
    help: `The claim that contains ${what}. ${NESTED_CLAIM}`,
    ...(defaultValue === undefined ? {} : { default: [defaultValue] }),
  };
}

function requiredValues(key: string, label: string, what: string, claim: string): PluginFormField {
  return {
    key,
    label,
    kind: 'list',
    help: `The ${what} (\`${claim}\` claim) required to be present in the access token (or introspection results) for successful authorization: one per line, any one of them is enough. Empty: not checked.`,
  };
}

function seconds(key: string, label: string, help: string, defaultValue: number): PluginFormField {
  return { key, label, kind: 'number', unit: 'seconds', help, default: defaultValue };
}

export const openIdConnectForm: PluginForm = {
  summary:
    'Signs people in with an OpenID Connect provider (Okta, or any other) before a request reaches the upstream: the authorization code flow with a session cookie for browsers, bearer tokens or introspection for API clients.',
  sections: [
    {
      title: 'Provider and client',
      fields: [
        {
          key: 'issuer',
          label: 'Issuer',
          kind: 'url',
          required: true,
          placeholder: 'https://example.okta.com/oauth2/default',
          help: 'The discovery endpoint (or the issuer identifier) of the identity provider; its /.well-known/openid-configuration is read from here. https, or http for a loopback address only.',
        },
        {
          key: 'client_id',
          label: 'Client ID',
          kind: 'text',
          required: true,
          help: 'The client id that the plugin uses when it calls authenticated endpoints on the identity provider.',
        },
        {
          key: 'client_secret',
          label: 'Client secret',
          kind: 'secret',
          help: 'The client secret. Required for the authorization code flow unless client authentication is `none` (a public client). Stored encrypted and never shown again.',
        },
        {
          key: 'client_auth',
          label: 'Client authentication',
          kind: 'choices',
          options: ['client_secret_basic', 'client_secret_post', 'none'],
          help: 'How the client authenticates at the token and introspection endpoints: `client_secret_basic` (an `Authorization: Basic` header), `client_secret_post` (credentials in the body), or `none` (no authentication). None ticked: the provider’s preferred method.',
        },
        {
          key: 'redirect_uri',
          label: 'Redirect URI',
          kind: 'url',
          placeholder: 'https://gateway.example.com/app/callback',
          help: 'The redirect URI passed to the authorization and token endpoints; it must be registered with the provider and lie under this route. Empty: the URL of the request that started the sign-in.',
        },
        {
          key: 'scopes',
          label: 'Scopes',
          kind: 'list',
          default: ['openid'],
          help: 'The scopes passed to the authorization and token endpoints, one per line.',
        },
        {
          key: 'auth_methods',
          label: 'Authentication methods',
          kind: 'choices',
          options: AUTH_METHODS,
          default: [...AUTH_METHODS],
          help: 'Types of credentials/grants to enable: `authorization_code` (browsers are sent to sign in), `session` (the session cookie of an earlier sign-in), `bearer` (a JWT access token), `introspection` (an opaque access token checked at the provider), `refresh_token` (a client’s refresh token).',
        },
      ],
    },
    {
      title: 'Authorization',
      fields: [
        requiredValues('audience_required', 'Audiences required', 'audiences', 'audience_claim'),
        claimField('audience_claim', 'Audience claim', 'the audience', 'aud'),
        requiredValues('scopes_required', 'Scopes required', 'scopes', 'scopes_claim'),
        claimField('scopes_claim', 'Scopes claim', 'the scopes', 'scope'),
        requiredValues('groups_required', 'Groups required', 'groups', 'groups_claim'),
        claimField('groups_claim', 'Groups claim', 'the groups', 'groups'),
        requiredValues('roles_required', 'Roles required', 'roles', 'roles_claim'),
        claimField('roles_claim', 'Roles claim', 'the roles', 'roles'),
      ],
    },
    {
      title: 'Consumers and credentials',
      fields: [
        {
          key: 'consumer_claim',
          label: 'Consumer claim',
          kind: 'list',
          help: `The claim used for consumer mapping. ${NESTED_CLAIM} Empty: no consumer mapping.`,
        },
        {
          key: 'consumer_by',
          label: 'Find the consumer by',
          kind: 'choices',
          options: ['id', 'username', 'custom_id'],
          default: ['username', 'custom_id'],
          help: 'Consumer fields used for mapping: `id`, `username` or `custom_id` of the consumer must equal the claim’s value.',
        },
        {
          key: 'consumer_optional',
          label: 'Consumer optional',
          kind: 'boolean',
          default: false,
          help: 'Do not terminate the request if consumer mapping fails.',
        },
        {
          key: 'anonymous',
          label: 'Anonymous consumer',
          kind: 'text',
          help: 'A consumer (id or username, not its custom_id) that functions as an “anonymous” consumer if authentication fails. Empty: requests that fail authentication get a 4xx answer.',
        },
        {
          key: 'credential_claim',
          label: 'Credential claim',
          kind: 'list',
          default: ['sub'],
          help: `The claim used to derive virtual credentials (sent upstream as X-Credential-Identifier), in case the consumer mapping is not used. ${NESTED_CLAIM}`,
        },
        {
          key: 'authenticated_groups_claim',
          label: 'Authenticated groups claim',
          kind: 'list',
          help: `The claim that contains authenticated groups. This setting can be used together with the ACL plugin. ${NESTED_CLAIM}`,
        },
      ],
    },
    {
      title: 'Session',
      fields: [
        {
          key: 'session_cookie_name',
          label: 'Session cookie name',
          kind: 'text',
          default: 'session',
          help: 'The session cookie name (letters, digits, `_`, `.`, `-`).',
        },
        { key: 'session_cookie_path', label: 'Session cookie path', kind: 'text', default: '/', help: 'The session cookie Path flag.' },
        { key: 'session_cookie_domain', label: 'Session cookie domain', kind: 'text', help: 'The session cookie Domain flag. Empty: the host the browser asked for.' },
        {
          key: 'session_cookie_secure',
          label: 'Secure session cookie',
          kind: 'boolean',
          help: 'Cookie is only sent to the server when a request is made with the https: scheme, and therefore is more resistant to man-in-the-middle attacks. Not set: secure when the redirect URI is https.',
        },
        {
          key: 'session_cookie_http_only',
          label: 'HttpOnly session cookie',
          kind: 'boolean',
          default: true,
          help: 'Forbids JavaScript from accessing the cookie, for example, through the `Document.cookie` property.',
        },
        {
          key: 'session_cookie_same_site',
          label: 'Session cookie SameSite',
          kind: 'choice',
          options: ['Strict', 'Lax', 'None', 'Default'],
          default: 'Lax',
          help: 'Controls whether a cookie is sent with cross-origin requests, providing some protection against cross-site request forgery attacks. `None` needs a secure cookie.',
        },
        seconds('session_absolute_timeout', 'Session absolute timeout', 'Limits how long the session can be renewed in seconds, until re-authentication is required. 0 disables the checks.', 86400),
        seconds('session_idling_timeout', 'Session idling timeout', 'Specifies how long the session can be inactive until it is considered invalid in seconds. 0 disables the checks and touching.', 900),
        seconds('session_rolling_timeout', 'Session rolling timeout', 'Specifies how long the session can be used in seconds until it needs to be renewed. 0 disables the checks and rolling.', 3600),
        {
          key: 'authorization_cookie_name',
          label: 'Authorization cookie name',
          kind: 'text',
          default: 'authorization',
          help: 'The authorization cookie name: the short-lived cookie that carries the state of a sign-in in progress.',
        },
        seconds(
          'authorization_rolling_timeout',
          'Authorization timeout',
          'Specifies how long the session used for the authorization code flow can be used in seconds until it needs to be renewed: the time a person has to sign in at the provider. 0: 600 seconds.',
          600,
        ),
      ],
    },
    {
      title: 'Tokens',
      fields: [
        {
          key: 'refresh_tokens',
          label: 'Refresh tokens',
          kind: 'boolean',
          default: true,
          help: 'Specifies whether the plugin should try to refresh (soon to be) expired access tokens if the plugin has a refresh token available.',
        },
        {
          key: 'refresh_token_param_name',
          label: 'Refresh token parameter',
          kind: 'text',
          default: 'refresh_token',
          help: 'The name of the parameter used to pass the refresh token (as a header, with dashes: `Refresh-Token`).',
        },
        {
          key: 'refresh_token_param_type',
          label: 'Where to look for the refresh token',
          kind: 'choices',
          options: ['header', 'query'],
          default: ['header'],
          help: 'Where to look for the refresh token: `header` searches the HTTP headers, `query` the URL’s query string.',
        },
        {
          key: 'bearer_token_param_type',
          label: 'Where to look for the bearer token',
          kind: 'choices',
          options: ['header', 'query'],
          default: ['header'],
          help: 'Where to look for the bearer token: `header` searches the `Authorization` header, `query` the URL’s query string (`access_token`).',
        },
        {
          key: 'introspection_endpoint',
          label: 'Introspection endpoint',
          kind: 'url',
          help: 'The introspection endpoint. If set it overrides the value in `introspection_endpoint` returned by the discovery endpoint.',
        },
        { key: 'cache_introspection', label: 'Cache introspection', kind: 'boolean', default: true, help: 'Cache the introspection endpoint requests.' },
        seconds('leeway', 'Leeway', 'Defines leeway time (in seconds) for `auth_time`, `exp`, `iat`, and `nbf` claims.', 5),
        {
          key: 'timeout',
          label: 'Timeout',
          kind: 'number',
          unit: 'milliseconds',
          default: 10000,
          help: 'Network IO timeout in milliseconds for the calls to the identity provider.',
        },
      ],
    },
    {
      title: 'Upstream headers',
      fields: [
        {
          key: 'upstream_access_token_header',
          label: 'Upstream access token header',
          kind: 'text',
          default: 'authorization:bearer',
          emptyMeansNull: true,
          help: 'The upstream access token header, as `name:scheme` (`authorization:bearer` sends `Authorization: Bearer <token>`). Empty: the access token is not sent upstream.',
        },
        { key: 'upstream_id_token_header', label: 'Upstream ID token header', kind: 'text', help: 'The upstream id token header. Empty: not sent.' },
        {
          key: 'upstream_user_info_header',
          label: 'Upstream user info header',
          kind: 'text',
          help: 'The upstream user info header (the user info answer as base64url JSON). Empty: not sent.',
        },
        {
          key: 'upstream_headers_claims',
          label: 'Upstream header claims',
          kind: 'list',
          help: 'The upstream header claims, one per line. Only top level claims are supported.',
        },
        {
          key: 'upstream_headers_names',
          label: 'Upstream header names',
          kind: 'list',
          help: 'The upstream header names for the claim values, one per line, in the order of the claims above.',
        },
      ],
    },
    {
      title: 'Logout',
      fields: [
        { key: 'logout_uri_suffix', label: 'Logout URI suffix', kind: 'text', placeholder: '/logout', help: 'The request URI suffix that activates the logout.' },
        {
          key: 'logout_methods',
          label: 'Logout methods',
          kind: 'choices',
          options: ['GET', 'POST', 'DELETE'],
          default: ['POST', 'DELETE'],
          help: 'The request methods that can activate the logout.',
        },
        { key: 'logout_query_arg', label: 'Logout query argument', kind: 'text', help: 'The request query argument that activates the logout.' },
        { key: 'logout_redirect_uri', label: 'Logout redirect URI', kind: 'url', help: 'Where to redirect the client after the logout.' },
        {
          key: 'logout_revoke',
          label: 'Revoke tokens on logout',
          kind: 'boolean',
          default: false,
          help: 'Revoke tokens as part of the logout. For more granular token revocation, you can also adjust the two fields below.',
        },
        {
          key: 'logout_revoke_access_token',
          label: 'Revoke the access token',
          kind: 'boolean',
          default: true,
          help: 'Revoke the access token as part of the logout. Requires “Revoke tokens on logout”.',
        },
        {
          key: 'logout_revoke_refresh_token',
          label: 'Revoke the refresh token',
          kind: 'boolean',
          default: true,
          help: 'Revoke the refresh token as part of the logout. Requires “Revoke tokens on logout”.',
        },
      ],
    },
    {
      title: 'Failure redirects',
      fields: [
        { key: 'unauthorized_redirect_uri', label: 'Unauthorized redirect URI', kind: 'url', help: 'Where to redirect the client on unauthorized requests. Empty: a 401 answer.' },
        { key: 'forbidden_redirect_uri', label: 'Forbidden redirect URI', kind: 'url', help: 'Where to redirect the client on forbidden requests. Empty: a 403 answer.' },
      ],
    },
  ],
};
