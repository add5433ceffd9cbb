import { BlockList, isIPv6 } from 'node:net';
import { GatehouseError } from '../errors.js';
import { PROXY_TRUSTED_IPS } from './error-codes.js';

/**
 * The peers whose X-Forwarded-* and X-Real-IP headers are believed (Kong's
 * `trusted_ips`): load balancers in front of the gateway. Anyone else could forge them.
 */
export class TrustedProxies {
  readonly #list: BlockList;

  private constructor(list: BlockList) {
    this.#list = list;
  }

  /** `null` when the list is empty, so the hot path skips the check entirely. */
  static from(entries: readonly string[] | undefined): TrustedProxies | null {
    if (!entries || entries.length === 0) return null;
    const list = new BlockList();
    for (const entry of entries) {
      const text = entry.trim();
      const slash = text.indexOf('/');
      const address = slash === -1 ? text : text.slice(0, slash);
      const family = isIPv6(address) ? 'ipv6' : 'ipv4';
      try {
        if (slash === -1) list.addAddress(address, family);
        else list.addSubnet(address, Number(text.slice(slash + 1)), family);
      } catch (error) {
        throw new GatehouseError(PROXY_TRUSTED_IPS, `not an IP address or CIDR range: ${entry}`, {
          field: 'trusted_ips',
          cause: error,
        });
      }
    }
    return new TrustedProxies(list);
  }

  check(ip: string): boolean {
    return this.#list.check(ip, isIPv6(ip) ? 'ipv6' : 'ipv4');
  }
}

/** `::ffff:10.0.0.1` (an IPv4 client on a dual-stack socket) as `10.0.0.1`, as upstreams expect it. */
export function plainIp(address: string | undefined): string {
  if (address === undefined) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}
