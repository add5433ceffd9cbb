/**
 * The codes the relying-party core raises about a provider. The plugin and the sign-in
 * routes log them and answer with their own codes; the connection test reports them.
 */

/** 502: the provider's discovery document could not be fetched, or names no issuer. */
export const OIDC_DISCOVERY_FAILED = 'GH-OIDC-DISCOVERY-FAILED';
/** 502: the provider's discovery document publishes no `jwks_uri`. */
export const OIDC_NO_JWKS = 'GH-OIDC-NO-JWKS';
/** 500 (field `issuer`): the issuer is not a URL. */
export const OIDC_ISSUER_INVALID = 'GH-OIDC-ISSUER-INVALID';
/** 500 (field `issuer`): a plain-http issuer on a host other than loopback; 502: a provider that publishes a plain-http `jwks_uri`. */
export const OIDC_ISSUER_INSECURE = 'GH-OIDC-ISSUER-INSECURE';
/** 502 (field `issuer`): the discovery document names an issuer that does not match the address it was fetched from. */
export const OIDC_ISSUER_MISMATCH = 'GH-OIDC-ISSUER-MISMATCH';
