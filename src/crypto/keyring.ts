import { createHash, createHmac, hkdfSync, webcrypto } from 'node:crypto';
import { CompactEncrypt, EncryptJWT, compactDecrypt, decodeProtectedHeader, jwtDecrypt, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import { GatehouseError } from '../errors.js';
import { KEYS_EMPTY, KEYS_UNKNOWN } from './error-codes.js';

/**
 * What a derived key is used for. Each purpose gets its own key from every secret
 * (HKDF with the purpose as `info`), so a cookie can never be replayed as a secret at
 * rest or the other way round.
 */
export type KeyPurpose = 'cookie' | 'secret-at-rest' | 'session-record' | 'fingerprint';

interface DerivedKey {
  kid: string;
  bytes: Uint8Array;
  /**
   * The same key imported into WebCrypto once, on first use. jose imports raw key bytes
   * on every call (~0.1 ms); cookies are opened on every proxied request, so the
   * imported key is kept.
   */
  aesGcm?: Promise<webcrypto.CryptoKey>;
}

const ENCRYPTION = { alg: 'dir', enc: 'A256GCM' } as const;

/**
 * The key ring built from `GATEHOUSE_KEYS`: the first secret seals, every secret
 * unseals, so rotating keys (prepend a new one, drop the oldest later) keeps
 * existing cookies and stored secrets readable. Keys are derived once, at start,
 * never per request.
 */
export class KeyRing {
  readonly #keys: Map<KeyPurpose, DerivedKey[]>;
  /**
   * Tokens `unseal` opened and their claims, per purpose, keyed by the token itself (see
   * `unseal`). Bounded to the cookies in use: one that dropped out costs a decryption
   * again, and 100,000 idle sessions do not each keep an entry here.
   */
  readonly #opened = new Map<KeyPurpose, LRUCache<string, JWTPayload>>();

  private constructor(keys: Map<KeyPurpose, DerivedKey[]>) {
    this.#keys = keys;
  }

  static fromSecrets(secrets: readonly string[]): KeyRing {
    if (secrets.length === 0) {
      throw new GatehouseError(KEYS_EMPTY, 'GATEHOUSE_KEYS must hold at least one secret');
    }
    const keys = new Map<KeyPurpose, DerivedKey[]>();
    for (const purpose of ['cookie', 'secret-at-rest', 'session-record', 'fingerprint'] as const) {
      keys.set(
        purpose,
        secrets.map((secret) => {
          const bytes = new Uint8Array(hkdfSync('sha256', secret, 'gatehouse', `gatehouse:${purpose}`, 32));
          // The kid names the key without revealing anything about it.
          const kid = createHash('sha256').update(bytes).digest('base64url').slice(0, 12);
          return { kid, bytes };
        }),
      );
    }
    return new KeyRing(keys);
  }

  #signingKey(purpose: KeyPurpose): DerivedKey {
    return this.#keys.get(purpose)![0]!;
  }

  #keyFor(purpose: KeyPurpose, token: string): DerivedKey | undefined {
    let kid: string | undefined;
    try {
      kid = decodeProtectedHeader(token).kid;
    } catch {
      return undefined;
    }
    return this.#keys.get(purpose)!.find((key) => key.kid === kid);
  }

  #aesGcm(key: DerivedKey): Promise<webcrypto.CryptoKey> {
    key.aesGcm ??= webcrypto.subtle.importKey('raw', key.bytes, 'AES-GCM', false, ['encrypt', 'decrypt']);
    return key.aesGcm;
  }

  /** Encrypts a string (a client secret, an API token) for storage. */
  async encrypt(plaintext: string, purpose: KeyPurpose = 'secret-at-rest'): Promise<string> {
    const key = this.#signingKey(purpose);
    return new CompactEncrypt(new TextEncoder().encode(plaintext))
      .setProtectedHeader({ ...ENCRYPTION, kid: key.kid })
      .encrypt(await this.#aesGcm(key));
  }

  /** Decrypts what `encrypt` produced with any key of the ring. */
  async decrypt(sealed: string, purpose: KeyPurpose = 'secret-at-rest'): Promise<string> {
    const key = this.#keyFor(purpose, sealed);
    if (!key) {
      throw new GatehouseError(
        KEYS_UNKNOWN,
        'a stored secret was encrypted with a key that is no longer in GATEHOUSE_KEYS; add the old key back after the new one',
      );
    }
    const { plaintext } = await compactDecrypt(sealed, await this.#aesGcm(key));
    return new TextDecoder().decode(plaintext);
  }

  /**
   * A keyed fingerprint (HMAC-SHA-256 with the first key's `fingerprint` key) of `data`
   * for `purpose` (e.g. `identity-test`): equal inputs give equal fingerprints, and
   * without the key nothing about `data` can be learned or guessed offline, even for
   * low-entropy secrets inside it. A key rotation changes every fingerprint.
   */
  fingerprint(purpose: string, data: string | Uint8Array): string {
    const key = this.#signingKey('fingerprint');
    return createHmac('sha256', key.bytes).update(`gatehouse:${purpose}\0`).update(data).digest('base64url');
  }

  /** Seals claims into an encrypted, expiring token (cookies). */
  async seal(claims: JWTPayload, expiresAt: number, purpose: KeyPurpose = 'cookie'): Promise<string> {
    const key = this.#signingKey(purpose);
    return new EncryptJWT(claims)
      .setProtectedHeader({ ...ENCRYPTION, kid: key.kid })
      .setIssuedAt()
      .setExpirationTime(expiresAt)
      .encrypt(await this.#aesGcm(key));
  }

  /**
   * Opens a sealed token; `null` for anything forged, tampered with, expired or sealed
   * with an unknown key.
   *
   * Session cookies are opened on every proxied request, and a decryption costs far more
   * than the rest of the request's authentication, so what opened is remembered: the
   * same token always opens to the same claims, and only the expiry has to be checked
   * again. Only tokens that opened are remembered, so forged ones are each decrypted (and
   * refused) as before.
   */
  async unseal(token: string, purpose: KeyPurpose = 'cookie'): Promise<JWTPayload | null> {
    const known = this.unsealKnown(token, purpose);
    if (known !== undefined) return known;
    const key = this.#keyFor(purpose, token);
    if (!key) return null;
    try {
      const { payload } = await jwtDecrypt(token, await this.#aesGcm(key), { clockTolerance: 0 });
      this.#openedFor(purpose).set(detachedCopy(token), Object.freeze(payload));
      return payload;
    } catch {
      return null;
    }
  }

  /**
   * `unseal` without waiting, for a token opened before: its claims while it has not
   * expired, `null` once it has, and `undefined` for a token not opened before (call
   * `unseal`). The proxy path asks this first, so a known cookie costs no promise.
   */
  unsealKnown(token: string, purpose: KeyPurpose = 'cookie'): JWTPayload | null | undefined {
    // Keyed by the token rather than a hash of it: a SHA-256 per request cost more than
    // the rest of the lookup, and the token is no secret here beyond what the session
    // store in this process already holds (its ids, the keys that seal them).
    const opened = this.#opened.get(purpose);
    const known = opened?.get(token);
    if (known === undefined) return undefined;
    if (typeof known.exp === 'number' && known.exp > Date.now() / 1000) return known;
    opened!.delete(token);
    return null;
  }

  #openedFor(purpose: KeyPurpose): LRUCache<string, JWTPayload> {
    let opened = this.#opened.get(purpose);
    if (!opened) {
      opened = new LRUCache<string, JWTPayload>({ max: 10_000 });
      this.#opened.set(purpose, opened);
    }
    return opened;
  }
}

/**
 * A copy of `value` that shares no memory with the string it came from. A cookie parsed
 * out of a Cookie header is a slice of it, and V8 keeps the whole header alive for as
 * long as the slice is: as a cache key, that would be every cookie the browser sent.
 */
function detachedCopy(value: string): string {
  return Buffer.from(value, 'utf8').toString('utf8');
}
