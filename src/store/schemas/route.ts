import { z } from 'zod';
import { flexBoolean, flexInteger, flexList } from '../../schema/flex.js';
import type { FieldIssue } from '../errors.js';
import { validate } from '../validation.js';
import {
  entityRef,
  idField,
  isNonEmpty,
  isPlainObject,
  nameField,
  protocolsField,
  tagsField,
  timestampFields,
  withDefault,
} from './common.js';

const methodField = z.string().superRefine((method, ctx) => {
  if (!/^[A-Z]+$/.test(method)) {
    ctx.addIssue({ code: 'custom', message: `invalid value '${method}': methods are upper-case tokens such as GET or POST` });
  }
});

/** Kong's route `hosts`: at most one wildcard, in the leftmost or rightmost label, optional port. */
const routeHostField = z.string().superRefine((host, ctx) => {
  const wildcards = host.split('*').length - 1;
  if (wildcards > 1) {
    ctx.addIssue({ code: 'custom', message: 'invalid wildcard: must have at most one wildcard' });
    return;
  }
  if (wildcards === 1 && !host.startsWith('*.') && !/\.\*(:\d+)?$/.test(host)) {
    ctx.addIssue({ code: 'custom', message: 'invalid wildcard: must be placed at leftmost or rightmost label (*.example.com or example.*)' });
    return;
  }
  const plain = host.replace('*', 'wildcard');
  const match = /^([A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?(\.[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?)*|\[[0-9A-Fa-f:.]+\])(:(\d{1,5}))?$/.exec(plain);
  if (!match || (match[6] !== undefined && Number(match[6]) > 65535)) {
    ctx.addIssue({ code: 'custom', message: `invalid value: ${host}; expected a host name, optionally with :port` });
  }
});

/**
 * Kong's `router_path`: `/prefix` or `~/regex`. Regexes are compiled here, so a route
 * that cannot match anything is refused at write time instead of failing in the router.
 */
const routePathField = z.string().superRefine((path, ctx) => {
  if (!path.startsWith('/') && !path.startsWith('~/')) {
    ctx.addIssue({ code: 'custom', message: 'should start with: / (fixed path) or ~/ (regex path)' });
    return;
  }
  if (path.includes('//')) {
    ctx.addIssue({ code: 'custom', message: 'must not have empty segments' });
    return;
  }
  if (path.startsWith('~')) {
    try {
      new RegExp(path.slice(1));
    } catch (error) {
      // V8 says "Invalid regular expression: /<source>/<flags>: <reason>"; keep the reason.
      const reason = (error as Error).message.split(': ').at(-1);
      ctx.addIssue({ code: 'custom', message: `invalid regex: '${path.slice(1)}' (${reason})` });
    }
    return;
  }
  // Prefix paths are compared as sent; a path the URL parser would rewrite could never match.
  const normalized = new URL(path, 'http://gatehouse.invalid').pathname;
  if (normalized !== path) {
    ctx.addIssue({ code: 'custom', message: `non-normalized path, consider using '${normalized}' instead` });
  }
});

const routeFieldsSchema = z
  .strictObject({
    id: idField.optional(),
    name: nameField.nullable().optional(),
    protocols: protocolsField,
    methods: flexList(methodField).nullable().optional(),
    hosts: flexList(routeHostField).nullable().optional(),
    paths: flexList(routePathField).nullable().optional(),
    strip_path: withDefault(flexBoolean, true),
    preserve_host: withDefault(flexBoolean, false),
    regex_priority: withDefault(flexInteger, 0),
    service: entityRef('service', ['name']).nullable().optional(),
    tags: tagsField,
    ...timestampFields,
  })
  .transform(({ created_at: _created, updated_at: _updated, ...route }) => ({
    ...route,
    name: route.name ?? null,
    methods: route.methods ?? null,
    hosts: route.hosts ?? null,
    paths: route.paths ?? null,
    service: route.service ?? null,
    tags: route.tags ?? null,
  }));

export type RouteFields = z.output<typeof routeFieldsSchema>;

const MATCH_FIELDS = ['methods', 'hosts', 'paths'] as const;

/** Validates a complete route; every issue at once, including the entity-wide rule. */
export function parseRoute(input: unknown): { data: RouteFields; issues: [] } | { data: undefined; issues: FieldIssue[] } {
  if (!isPlainObject(input)) return { data: undefined, issues: [{ path: [], message: 'expected a JSON object or form fields' }] };
  const issues: FieldIssue[] = [];
  // Checked on the raw input so it is reported together with field errors.
  if (!MATCH_FIELDS.some((field) => isNonEmpty(input[field]))) {
    issues.push({ path: [], message: `at least one of these fields must be non-empty: ${MATCH_FIELDS.map((f) => `'${f}'`).join(', ')}` });
  }
  const result = validate(routeFieldsSchema, input);
  if (result.success && issues.length === 0) return { data: result.data, issues: [] };
  return { data: undefined, issues: [...issues, ...result.issues] };
}
