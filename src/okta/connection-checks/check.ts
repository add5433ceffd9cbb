import type { IdentityConnectionSettings } from '../connection-settings.js';
import type { OktaAuthorizationServer } from '../issuer.js';

/** The vocabulary of the connection test's checks: a named check that passed, failed or warns, with its detail. */

export type ConnectionCheckName = 'discovery' | 'jwks' | 'client_credentials' | 'api_token' | 'mapped_groups' | 'groups_claim';

export interface ConnectionCheck {
  name: ConnectionCheckName;
  passed: boolean;
  /**
   * Passed, with something to change in Okta that does not stop these values from
   * working (today's sign-ins succeed): the groups claim check. A warning never fails
   * the test, so it never keeps an administrator from saving.
   */
  warning?: true;
  detail: string;
}

/** What every check reads: the validated settings and how to make its requests. */
export interface CheckContext {
  settings: IdentityConnectionSettings;
  timeoutMs: number;
  allowHttpOnLoopback: boolean;
  signal: AbortSignal | undefined;
  okta: OktaAuthorizationServer | undefined;
}

export const pass = (name: ConnectionCheckName, detail: string): ConnectionCheck => ({ name, passed: true, detail });
export const fail = (name: ConnectionCheckName, detail: string): ConnectionCheck => ({ name, passed: false, detail });
export const warn = (name: ConnectionCheckName, detail: string): ConnectionCheck => ({ name, passed: true, warning: true, detail });

/** A request's signal: the test's timeout, and the caller's abort when there is one. */
export function requestSignal(context: CheckContext): AbortSignal {
  const timeout = AbortSignal.timeout(context.timeoutMs);
  return context.signal ? AbortSignal.any([context.signal, timeout]) : timeout;
}
