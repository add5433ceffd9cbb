import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  errors,
  jwksCache,
  jwtVerify,
  type JSONWebKeySet,
  type JWKSCacheInput,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
  type RemoteJWKSet,
} from 'jose';

/**
 * Where a token came from, which decides how eagerly an unknown key fetches the JWKS again.
 *
 * - `token-endpoint`: the answer to a request Gatehouse opened and authenticated (code or
 *   refresh grant). Only the provider can have signed it, so a key Gatehouse does not know
 *   means the provider rotated: the JWKS is fetched at once (OpenID Connect Core 10.1.1),
 *   and a sign-in is never refused for the 30 seconds of a cool-down.
 * - `presented`: a token someone sent to Gatehouse (bearer tokens, back-channel logout).
 *   Anyone can make one with an unknown `kid`, so the JWKS is fetched at most once per
 *   cool-down and hostile tokens cannot make Gatehouse hammer the provider.
 */
export type TokenOrigin = 'token-endpoint' | 'presented';

export interface ProviderKeysOptions {
  jwksUri: URL;
  /** Minimum time between two downloads that presented tokens may cause. */
  cooldownMs: number;
  /** Age after which the keys are downloaded again in the background; the ones held serve meanwhile. */
  maxAgeMs: number;
  timeoutMs: number;
  /** Keys downloaded earlier (the database's copy), used until a download replaces them. */
  stored?: { jwks: JSONWebKeySet; fetchedAt: number } | undefined;
  /** After each successful download: the runtime keeps a copy for the next start. */
  onFetched: () => void;
  /** A background download failed (the keys held keep serving). */
  onRefreshFailed: (error: unknown) => void;
}

/**
 * The signing keys of one provider: jose's remote key set, with the refetch rule of each
 * token origin, a key set that never waits for the network when it holds keys (an outage
 * must not refuse tokens signed with known keys), and tokens without `kid` tried against
 * every key of their algorithm.
 */
export class ProviderKeys {
  readonly jwksUri: URL;
  /** jose keeps the downloaded set here (`uat`: when); read to notice downloads and to store them. */
  readonly #cache: Partial<{ jwks: JSONWebKeySet; uat: number }>;
  readonly #remote: RemoteJWKSet;
  readonly #options: ProviderKeysOptions;
  #reported: number | undefined;
  #lastBackgroundAttempt = 0;
  #lastPresentedAttempt = Number.NEGATIVE_INFINITY;
  #local: { jwks: JSONWebKeySet; keys: JWTVerifyGetKey } | undefined;

  constructor(options: ProviderKeysOptions) {
    this.jwksUri = options.jwksUri;
    this.#options = options;
    this.#cache = options.stored ? { jwks: options.stored.jwks, uat: options.stored.fetchedAt } : {};
    this.#reported = options.stored?.fetchedAt;
    this.#remote = createRemoteJWKSet(options.jwksUri, {
      cooldownDuration: options.cooldownMs,
      // Age is handled in the background (#refreshIfOld), never by making a token wait.
      cacheMaxAge: Infinity,
      timeoutDuration: options.timeoutMs,
      [jwksCache]: this.#cache as JWKSCacheInput,
    });
  }

  /** The last downloaded (or stored) key set and when it was downloaded, for the database. */
  held(): { jwks: JSONWebKeySet; fetchedAt: number } | undefined {
    const { jwks, uat } = this.#cache;
    return jwks && uat !== undefined ? { jwks, fetchedAt: uat } : undefined;
  }

  /**
   * jose's `jwtVerify` with these keys. An unknown key (no `kid` match, or no key of the
   * token's algorithm verifying a token without `kid`) fetches the JWKS again once, at once
   * or after the cool-down as `origin` allows, and is refused if it is still unknown.
   * Tokens are first tried against the keys held only, so that jose never downloads on
   * its own: every download goes through `#fetchAgain` and its rules.
   */
  async verify(token: string, options: JWTVerifyOptions, origin: TokenOrigin): Promise<JWTVerifyResult> {
    this.#refreshIfOld();
    const seen = this.#cache.uat;
    const held = this.#cache.jwks;
    try {
      try {
        if (!held) throw new errors.JWKSNoMatchingKey();
        return await verifyWithEachCandidate(token, this.#localKeys(held), options);
      } catch (error) {
        if (!isUnknownKey(error, token) || !(await this.#fetchAgain(origin, seen))) throw error;
        const fetched = this.#cache.jwks;
        if (!fetched) throw error;
        return await verifyWithEachCandidate(token, this.#localKeys(fetched), options);
      }
    } finally {
      this.#reportDownload();
    }
  }

  /** A local key set over `jwks`, built once per downloaded set. */
  #localKeys(jwks: JSONWebKeySet): JWTVerifyGetKey {
    if (this.#local?.jwks !== jwks) this.#local = { jwks, keys: createLocalJWKSet(jwks) };
    return this.#local.keys;
  }

  /**
   * Whether the token is worth another try: the key set changed since it was first tried
   * (a concurrent token or the background refresh downloaded it), or this origin may
   * download now and the download succeeded. A presented token may cause a download once
   * per cool-down, counted from the last attempt whether it succeeded or not: jose's own
   * cool-down starts only after a success, so while the provider fails (or answers 429)
   * every hostile token would otherwise cause a request. Concurrent downloads share
   * jose's one request in flight.
   */
  async #fetchAgain(origin: TokenOrigin, seen: number | undefined): Promise<boolean> {
    if (this.#cache.uat !== seen) return true;
    if (origin === 'presented') {
      const now = Date.now();
      if (now - this.#lastPresentedAttempt < this.#options.cooldownMs) return false;
      this.#lastPresentedAttempt = now;
    }
    try {
      await this.#remote.reload();
    } catch (error) {
      this.#options.onRefreshFailed(error);
      return false;
    }
    return true;
  }

  /** Keys past their age are downloaded again without anyone waiting; a failure keeps them. */
  #refreshIfOld(): void {
    const fetchedAt = this.#cache.uat;
    const now = Date.now();
    if (fetchedAt === undefined || now - fetchedAt < this.#options.maxAgeMs || this.#remote.reloading) return;
    // While the provider is down, one attempt per cool-down, however many tokens arrive.
    if (now - this.#lastBackgroundAttempt < this.#options.cooldownMs) return;
    this.#lastBackgroundAttempt = now;
    this.#remote.reload().then(
      () => this.#reportDownload(),
      (error: unknown) => this.#options.onRefreshFailed(error),
    );
  }

  #reportDownload(): void {
    if (this.#cache.uat === undefined || this.#cache.uat === this.#reported) return;
    this.#reported = this.#cache.uat;
    this.#options.onFetched();
  }
}

/** jose's `jwtVerify`; without a `kid` and with several keys of the token's algorithm, the one whose signature verifies. */
async function verifyWithEachCandidate(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTVerifyResult> {
  try {
    return await jwtVerify(token, keys, options);
  } catch (error) {
    if (!(error instanceof errors.JWKSMultipleMatchingKeys)) throw error;
    for await (const key of error) {
      try {
        return await jwtVerify(token, key, options);
      } catch (attempt) {
        if (!(attempt instanceof errors.JWSSignatureVerificationFailed)) throw attempt;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

/** No key matched: no key with the token's `kid`, or, without a `kid`, none whose signature verifies. */
function isUnknownKey(error: unknown, token: string): boolean {
  if (error instanceof errors.JWKSNoMatchingKey) return true;
  if (!(error instanceof errors.JWSSignatureVerificationFailed)) return false;
  try {
    return decodeProtectedHeader(token).kid === undefined;
  } catch {
    return false;
  }
}
