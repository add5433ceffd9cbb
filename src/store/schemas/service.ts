import { z } from 'zod';
import type { FieldIssue } from '../errors.js';
import { validate } from '../validation.js';
import {
  PROTOCOLS,
  enabledField,
  idField,
  integerBetween,
  isPlainObject,
  nameField,
  tagsField,
  timestampFields,
  withDefault,
} from './common.js';

/** A host name or IP address, without scheme, port or path (Kong's `host` typedef). */
export const hostField = z.string().superRefine((host, ctx) => {
  // IPv6, bracketed or bare (two colons at least, so `host:80` is not taken for one).
  if (/^\[[0-9A-Fa-f:.]+\]$/.test(host) || (/^[0-9A-Fa-f:.]+$/.test(host) && host.split(':').length > 2)) return;
  if (/:\d*$/.test(host)) {
    ctx.addIssue({ code: 'custom', message: 'must not have a port; set the port field (or use url=http://host:port)' });
    return;
  }
  if (!/^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*\.?$/.test(host)) {
    ctx.addIssue({ code: 'custom', message: `invalid value: ${host}; expected a host name or IP address without scheme or path` });
  }
});

/** Kong's `path` typedef: starts with /, no empty segments, RFC 3986 characters only. */
const servicePathField = z.string().superRefine((path, ctx) => {
  if (!path.startsWith('/')) ctx.addIssue({ code: 'custom', message: 'should start with: /' });
  else if (path.includes('//')) ctx.addIssue({ code: 'custom', message: 'must not have empty segments' });
  else if (!/^\/[A-Za-z0-9._~\/%:@!$&'()*+,;=-]*$/.test(path)) {
    ctx.addIssue({ code: 'custom', message: `invalid path: '${path}' (characters outside of the reserved list of RFC 3986 found); percent-encode them` });
  } else if (/%(?![0-9A-Fa-f]{2})/.test(path)) {
    ctx.addIssue({ code: 'custom', message: `invalid url-encoded value in path '${path}'` });
  }
});

const timeoutField = withDefault(integerBetween(1, 2 ** 31 - 2), 60000);

const serviceFieldsSchema = z
  .strictObject({
    id: idField.optional(),
    name: nameField.nullable().optional(),
    protocol: withDefault(z.enum(PROTOCOLS), 'http'),
    host: hostField,
    port: integerBetween(0, 65535).nullable().optional(),
    path: servicePathField.nullable().optional(),
    connect_timeout: timeoutField,
    read_timeout: timeoutField,
    write_timeout: timeoutField,
    retries: withDefault(integerBetween(0, 32767), 5),
    enabled: enabledField,
    tags: tagsField,
    ...timestampFields,
  })
  .transform(({ created_at: _created, updated_at: _updated, ...service }) => ({
    ...service,
    name: service.name ?? null,
    // Kong fills the port from the url shorthand's scheme; without a url, do the same from `protocol`.
    port: service.port ?? (service.protocol === 'https' ? 443 : 80),
    path: service.path ?? null,
    tags: service.tags ?? null,
  }));

export type ServiceFields = z.output<typeof serviceFieldsSchema>;

const URL_SHAPE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(\/[^?#]*)?([?#].*)?$/;

/**
 * Expands Kong's `url` shorthand into protocol, host, port and path. The url wins over
 * those fields when both are sent, as in Kong; it is never stored or returned.
 */
function expandUrl(url: unknown): { fields: Record<string, unknown> } | { issue: string } {
  if (typeof url !== 'string') return { issue: 'expected a string' };
  const match = URL_SHAPE.exec(url.trim());
  if (!match) return { issue: 'could not parse url; expected http://host[:port][/path] or https://...' };
  const [, scheme, authority = '', path, rest] = match;
  const protocol = scheme!.toLowerCase();
  if (protocol !== 'http' && protocol !== 'https') return { issue: `unsupported scheme '${protocol}'; use http:// or https://` };
  if (authority.includes('@')) return { issue: 'credentials in the url are not supported' };
  if (rest) return { issue: 'query strings and fragments are not supported in a service url' };
  const hostPort = /^(\[[^\]]+\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (!hostPort || hostPort[1] === '') return { issue: 'missing host in url' };
  const fields: Record<string, unknown> = { protocol, host: hostPort[1], path: path ?? null };
  fields.port = hostPort[2] ? Number(hostPort[2]) : protocol === 'https' ? 443 : 80;
  return { fields };
}

/**
 * Validates a complete service (POST, PUT, or a PATCH merged onto the stored one).
 * Returns the normalized fields or every issue found.
 */
export function parseService(input: unknown): { data: ServiceFields; issues: [] } | { data: undefined; issues: FieldIssue[] } {
  if (!isPlainObject(input)) return { data: undefined, issues: [{ path: [], message: 'expected a JSON object or form fields' }] };
  const issues: FieldIssue[] = [];
  let fields: Record<string, unknown> = { ...input };
  let urlFailed = false;
  if (fields.url !== undefined && fields.url !== null) {
    const expanded = expandUrl(fields.url);
    if ('issue' in expanded) {
      issues.push({ path: ['url'], message: expanded.issue });
      urlFailed = true;
    } else {
      fields = { ...fields, ...expanded.fields };
    }
  }
  delete fields.url;
  const result = validate(serviceFieldsSchema, fields);
  if (result.success && issues.length === 0) return { data: result.data, issues: [] };
  // With a broken url, "host: required field missing" would only repeat the url problem.
  const fieldIssues = result.issues.filter((issue) => !(urlFailed && issue.path[0] === 'host'));
  return { data: undefined, issues: [...issues, ...fieldIssues] };
}
