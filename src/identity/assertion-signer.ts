import { SignJWT, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import type { Kysely } from 'kysely';
import { randomUUID } from 'node:crypto';
import type { KeyRing } from '../crypto/keyring.js';
import type { Database } from '../store/schema.js';

const ALGORITHM = 'ES256';

/**
 * Gatehouse's own signing key, for the short-lived assertions (`X-Gatehouse-Assertion`)
 * the `sso` plugin hands to upstreams. The private key is kept encrypted in the store
 * and loaded once at start; the public keys are published at `/.well-known/jwks.json`
 * so applications verify assertions without sharing a secret. ES256: signing is cheap
 * enough for the request path, and the assertions are cached per session anyway.
 */
export class AssertionSigner {
  readonly #kid: string;
  readonly #privateKey: CryptoKey | Uint8Array;
  readonly #jwks: { keys: JWK[] };
  /** Gatehouse's public URL; a function because the port may be known only once the proxy listens. */
  readonly #issuer: () => string;

  private constructor(kid: string, privateKey: CryptoKey | Uint8Array, publicKeys: JWK[], issuer: () => string) {
    this.#kid = kid;
    this.#privateKey = privateKey;
    this.#jwks = { keys: publicKeys };
    this.#issuer = issuer;
  }

  /** Loads the current key, creating the first one on first start. */
  static async load(db: Kysely<Database>, keyRing: KeyRing, issuer: () => string): Promise<AssertionSigner> {
    let rows = await db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').execute();
    if (rows.length === 0) {
      const { privateKey, publicKey } = await generateKeyPair(ALGORITHM, { extractable: true });
      const kid = randomUUID();
      const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: ALGORITHM, use: 'sig' };
      const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: ALGORITHM };
      await db
        .insertInto('signing_keys')
        .values({
          kid,
          private_jwk: await keyRing.encrypt(JSON.stringify(privateJwk)),
          public_jwk: JSON.stringify(publicJwk),
          created_at: Math.floor(Date.now() / 1000),
          retired_at: null,
        })
        // Two workers starting at once: the first key wins, the other reads it below.
        .onConflict((conflict) => conflict.doNothing())
        .execute();
      rows = await db.selectFrom('signing_keys').selectAll().where('retired_at', 'is', null).orderBy('created_at', 'desc').execute();
    }
    const current = rows[0]!;
    const privateJwk = JSON.parse(await keyRing.decrypt(current.private_jwk)) as JWK;
    const privateKey = await importJWK(privateJwk, ALGORITHM);
    const published = await db.selectFrom('signing_keys').select('public_jwk').execute();
    return new AssertionSigner(
      current.kid,
      privateKey as CryptoKey | Uint8Array,
      published.map((row) => JSON.parse(row.public_jwk) as JWK),
      issuer,
    );
  }

  jwks(): { keys: JWK[] } {
    return this.#jwks;
  }

  async sign(claims: Record<string, unknown>, options: { subject: string; audience: string; ttlSeconds: number }): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: ALGORITHM, kid: this.#kid, typ: 'JWT' })
      .setIssuer(this.#issuer())
      .setSubject(options.subject)
      .setAudience(options.audience)
      .setIssuedAt(now)
      .setExpirationTime(now + options.ttlSeconds)
      .setJti(randomUUID())
      .sign(this.#privateKey);
  }
}
