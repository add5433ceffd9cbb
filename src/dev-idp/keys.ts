import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, type JWK, type JWTVerifyGetKey } from 'jose';

/**
 * RS256 signing keys of the authorization servers.
 *
 * Generating a 2048-bit RSA key takes a few hundred milliseconds, and tests start the stand-in
 * many times per process, so the first key of each authorization server comes from a
 * process-wide pool: every instance started in one process begins with the same keys (their
 * issuers differ by port, so relying parties never confuse them). Rotation always generates
 * a fresh key.
 */

/** jose's key type (WebCrypto CryptoKey, which this project's `lib` setting does not declare globally). */
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

export interface SigningKey {
  readonly kid: string;
  /** Private JWK (with `kid`, `alg`, `use`) in the form oidc-provider's `jwks` option takes. */
  readonly privateJwk: JWK;
  /** What the JWKS endpoint publishes. */
  readonly publicJwk: JWK;
  readonly privateKey: PrivateKey;
}

export async function generateSigningKey(): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true, modulusLength: 2048 });
  const publicJwk = await exportJWK(publicKey);
  // Okta's kids are opaque base64url strings; the RFC 7638 thumbprint has the same look.
  const kid = await calculateJwkThumbprint(publicJwk);
  const meta = { kid, alg: 'RS256', use: 'sig' };
  return {
    kid,
    privateJwk: { ...(await exportJWK(privateKey)), ...meta },
    publicJwk: { kty: publicJwk.kty, ...meta, e: publicJwk.e, n: publicJwk.n },
    privateKey,
  };
}

const pool = new Map<number, Promise<SigningKey>>();

/** The n-th pooled key; see the module comment for why keys are pooled. */
export function pooledSigningKey(index: number): Promise<SigningKey> {
  let key = pool.get(index);
  if (!key) {
    key = generateSigningKey();
    // A failed generation must not poison the pool for the rest of the process.
    key.catch(() => pool.delete(index));
    pool.set(index, key);
  }
  return key;
}

let foreignKey: Promise<SigningKey> | undefined;

/** A key no authorization server publishes, for forged-token tests. */
export function foreignSigningKey(): Promise<SigningKey> {
  foreignKey ??= generateSigningKey();
  return foreignKey;
}

/** The keys of one authorization server. */
export class KeyRing {
  #current: SigningKey;
  #previous: SigningKey | undefined;
  /** Every key this server ever signed with: it still accepts its own unexpired tokens after a rotation. */
  readonly #all: SigningKey[];
  #verifier: JWTVerifyGetKey;

  constructor(initial: SigningKey) {
    this.#current = initial;
    this.#all = [initial];
    this.#verifier = this.#buildVerifier();
  }

  get current(): SigningKey {
    return this.#current;
  }

  /** The key the last rotation replaced, while the JWKS still publishes it. */
  get previous(): SigningKey | undefined {
    return this.#previous;
  }

  /** Private JWKs for oidc-provider: the signing key first (oidc-provider signs with the first match). */
  providerJwks(): { keys: JWK[] } {
    return { keys: [this.#current, ...(this.#previous ? [this.#previous] : [])].map((key) => key.privateJwk) };
  }

  /** Verifies tokens this server issued, whatever key signed them. */
  get verifier(): JWTVerifyGetKey {
    return this.#verifier;
  }

  /** `keepPrevious`: whether the JWKS keeps publishing the key being replaced. */
  rotate(next: SigningKey, keepPrevious: boolean): void {
    this.#previous = keepPrevious ? this.#current : undefined;
    this.#current = next;
    this.#all.push(next);
    this.#verifier = this.#buildVerifier();
  }

  #buildVerifier(): JWTVerifyGetKey {
    return createLocalJWKSet({ keys: this.#all.map((key) => key.publicJwk) });
  }
}
