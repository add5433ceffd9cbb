import type * as client from 'openid-client';
import { z } from 'zod';
import { describeNetworkError } from '../errors.js';
import { fail, pass, requestSignal, type CheckContext, type ConnectionCheck } from './check.js';

/** The jwks check: the key set is reachable and has at least one signing key. */

const SIGNING_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

const jwkSchema = z.looseObject({
  kty: z.string(),
  use: z.string().optional().catch(undefined),
  key_ops: z.array(z.string()).optional().catch(undefined),
  kid: z.string().optional().catch(undefined),
});

export async function checkJwks(context: CheckContext, metadata: client.ServerMetadata): Promise<{ check: ConnectionCheck }> {
  const jwksUri = metadata.jwks_uri as string;
  let status: number;
  let text: string;
  try {
    const response = await fetch(jwksUri, {
      headers: { Accept: 'application/jwk-set+json, application/json' },
      redirect: 'manual',
      signal: requestSignal(context),
    });
    status = response.status;
    text = await response.text();
  } catch (error) {
    return { check: fail('jwks', `Could not read the key set at ${jwksUri}: ${describeNetworkError(error, context.timeoutMs)}.`) };
  }
  if (status !== 200) return { check: fail('jwks', `The key set at ${jwksUri} answered HTTP ${status}.`) };
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { check: fail('jwks', `The key set at ${jwksUri} is not JSON.`) };
  }
  const set = z.object({ keys: z.array(z.unknown()) }).safeParse(body);
  if (!set.success) return { check: fail('jwks', `The document at ${jwksUri} is not a JWK Set (no "keys" array).`) };
  const keys = set.data.keys;
  // RFC 7517 4.2/4.3: a key is for signatures when `use` is `sig` or absent and `key_ops`, if any, allows verify.
  const signing = keys
    .map((key) => jwkSchema.safeParse(key))
    .filter((parsed) => parsed.success)
    .map((parsed) => parsed.data)
    .filter((key) => SIGNING_KEY_TYPES.has(key.kty) && (key.use === undefined || key.use === 'sig') && (key.key_ops === undefined || key.key_ops.includes('verify')));
  if (signing.length === 0) {
    return {
      check: fail('jwks', `The key set at ${jwksUri} has ${keys.length} key(s) but none for verifying signatures (kty RSA, EC or OKP with use "sig" or no use).`),
    };
  }
  const kids = signing.map((key) => key.kid).filter((kid): kid is string => !!kid);
  return {
    check: pass('jwks', `The key set at ${jwksUri} has ${signing.length} signing key(s)${kids.length ? ` (kid ${kids.join(', ')})` : ''}.`),
  };
}
