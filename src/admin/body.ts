import type { FastifyInstance } from 'fastify';
import { AdminRequestError } from './errors.js';
import { ADMIN_BODY_TOO_DEEP, ADMIN_BODY_TOO_MANY_FIELDS, ADMIN_FORM_KEY } from './error-codes.js';

/**
 * Shape limits every body meets, JSON or form, before anything reads it. Parsers,
 * zod, redaction and encryption of secrets all walk a body recursively, so a body
 * nested thousands deep would overflow the stack; and a body with hundreds of
 * thousands of keys costs a schema violation naming each one. Gatehouse's deepest
 * body (a plugin's `config` with a nested record holding a list) needs 4 levels and
 * its largest (an `openid-connect` plugin with every setting) about 150 fields.
 */
export const MAX_BODY_DEPTH = 32;
/** Object keys and list items together. */
export const MAX_BODY_FIELDS = 1000;

/**
 * Request bodies: JSON, and `application/x-www-form-urlencoded` the way Kong reads it
 * (what `curl --data` sends in every Kong guide):
 *
 * - dotted keys build nested objects: `config.client_id=x` → `{config: {client_id: "x"}}`
 * - a repeated key builds a list: `config.scopes=a&config.scopes=b` → `["a", "b"]`
 * - `key[]=a` appends to a list, `key[2]=b` places at an index (lists are compacted in
 *   index order, so 0- and 1-based numbering both work)
 * - an empty value means null (`paths=` clears the paths), as in Kong.
 *
 * One value stays a single string; the schemas accept one value where they expect a
 * list (`flexList`), so `config.scopes=openid` works too.
 */

type Node =
  | { kind: 'value'; values: Array<string | null> }
  | { kind: 'object'; entries: Map<string, Node> }
  | { kind: 'list'; items: Array<{ order: number; seq: number; node: Node }> };

type Segment = { type: 'key'; name: string } | { type: 'index'; index: number } | { type: 'append' };

const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

function parseKey(key: string): Segment[] {
  const segments: Segment[] = [];
  const parts = key.split('.');
  // Checked before building anything: each part is at least one level.
  if (parts.length > MAX_BODY_DEPTH) throw tooDeep(parts.slice(0, MAX_BODY_DEPTH + 1));
  for (const part of parts) {
    const match = /^([^[\]]+)((?:\[\d*\])*)$/.exec(part);
    if (!match) throw invalidKey(key);
    segments.push({ type: 'key', name: match[1]! });
    for (const bracket of match[2]!.matchAll(/\[(\d*)\]/g)) {
      segments.push(bracket[1] === '' ? { type: 'append' } : { type: 'index', index: Number(bracket[1]) });
    }
  }
  for (const segment of segments) {
    if (segment.type === 'key' && FORBIDDEN_KEYS.has(segment.name)) throw invalidKey(key);
  }
  if (segments.length > MAX_BODY_DEPTH) {
    throw tooDeep(segments.slice(0, MAX_BODY_DEPTH + 1).map((segment) => (segment.type === 'key' ? segment.name : segment.type === 'index' ? segment.index : '[]')));
  }
  return segments;
}

/** Names where the body went too deep, shortened: the path itself may be the thousands of levels. */
function describePath(path: ReadonlyArray<string | number>): string {
  const shown = path.slice(0, 6).map(String).join('.');
  const text = shown.length > 80 ? `${shown.slice(0, 80)}…` : shown;
  return path.length > 6 ? `${text}…` : text;
}

function tooDeep(path: ReadonlyArray<string | number>): AdminRequestError {
  return new AdminRequestError(
    ADMIN_BODY_TOO_DEEP,
    `request body is nested more than ${MAX_BODY_DEPTH} levels deep (at ${describePath(path)}); ` +
      'entities and plugin configurations need a few levels at most: send a flatter body',
    400,
  );
}

function tooManyFields(): AdminRequestError {
  return new AdminRequestError(
    ADMIN_BODY_TOO_MANY_FIELDS,
    `request body has more than ${MAX_BODY_FIELDS} fields (object keys and list items counted together); ` +
      'an entity needs far fewer: look for a runaway list, or send separate requests',
    400,
  );
}

/**
 * Refuses a parsed body deeper than MAX_BODY_DEPTH or with more than MAX_BODY_FIELDS
 * fields. Iterative, so the check itself cannot overflow on the bodies it refuses.
 */
export function assertBodyWithinLimits(body: unknown): void {
  let fields = 0;
  const pending: Array<{ value: unknown; depth: number; path: Array<string | number> }> = [{ value: body, depth: 0, path: [] }];
  while (pending.length > 0) {
    const { value, depth, path } = pending.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth + 1 > MAX_BODY_DEPTH) throw tooDeep(path);
    const entries: Array<[string | number, unknown]> = Array.isArray(value) ? value.map((item, index) => [index, item]) : Object.entries(value);
    fields += entries.length;
    if (fields > MAX_BODY_FIELDS) throw tooManyFields();
    for (const [key, child] of entries) {
      // Paths are only for the message; beyond the shown part they need not grow.
      pending.push({ value: child, depth: depth + 1, path: path.length > 6 ? path : [...path, key] });
    }
  }
}

function invalidKey(key: string): AdminRequestError {
  return new AdminRequestError(
    ADMIN_FORM_KEY,
    `invalid form field name '${key}'; use names like name, config.client_id, paths[] or paths[1]`,
    400,
  );
}

function conflict(key: string): AdminRequestError {
  return new AdminRequestError(
    ADMIN_FORM_KEY,
    `form field '${key}' is given both as a value and as nested fields; send one or the other`,
    400,
  );
}

export function decodeFormBody(text: string): Record<string, unknown> {
  const params = new URLSearchParams(text);
  const root: Node = { kind: 'object', entries: new Map() };
  let count = 0;
  let seq = 0;
  for (const [key, raw] of params) {
    if (++count > MAX_BODY_FIELDS) throw tooManyFields();
    const value = raw === '' ? null : raw;
    const segments = parseKey(key);
    let node: Node = root;
    segments.forEach((segment, position) => {
      const last = position === segments.length - 1;
      const nextIsIndex = !last && segments[position + 1]!.type !== 'key';
      if (segment.type === 'key') {
        if (node.kind !== 'object') throw conflict(key);
        let child = node.entries.get(segment.name);
        if (last) {
          if (!child) node.entries.set(segment.name, { kind: 'value', values: [value] });
          else if (child.kind === 'value') child.values.push(value);
          else if (child.kind === 'list') child.items.push({ order: Number.MAX_SAFE_INTEGER, seq: seq++, node: { kind: 'value', values: [value] } });
          else throw conflict(key);
          return;
        }
        if (!child) {
          child = nextIsIndex ? { kind: 'list', items: [] } : { kind: 'object', entries: new Map() };
          node.entries.set(segment.name, child);
        } else if (child.kind === 'value' && nextIsIndex) {
          // `scopes=a&scopes[]=b`: the earlier plain values become the first elements.
          const list: Node = { kind: 'list', items: child.values.map((v) => ({ order: -1, seq: seq++, node: { kind: 'value', values: [v] } as Node })) };
          node.entries.set(segment.name, list);
          child = list;
        }
        if (child.kind === 'value') throw conflict(key);
        node = child;
        return;
      }
      if (node.kind !== 'list') throw conflict(key);
      const order = segment.type === 'index' ? segment.index : Number.MAX_SAFE_INTEGER;
      if (last) {
        node.items.push({ order, seq: seq++, node: { kind: 'value', values: [value] } });
        return;
      }
      // `a[1].b=x&a[1].c=y`: the same index addresses the same element.
      let item = segment.type === 'index' ? node.items.find((candidate) => candidate.order === order) : undefined;
      if (!item) {
        const nextIndex = segments[position + 1]!.type !== 'key';
        item = { order, seq: seq++, node: nextIndex ? { kind: 'list', items: [] } : { kind: 'object', entries: new Map() } };
        node.items.push(item);
      }
      node = item.node;
    });
  }
  const body = finish(root) as Record<string, unknown>;
  // Each form field is one path: the fields it adds up to may still be too many.
  assertBodyWithinLimits(body);
  return body;
}

function finish(node: Node): unknown {
  switch (node.kind) {
    case 'value':
      return node.values.length === 1 ? node.values[0] : [...node.values];
    case 'object':
      return Object.fromEntries([...node.entries].map(([key, child]) => [key, finish(child)]));
    case 'list':
      return [...node.items].sort((a, b) => a.order - b.order || a.seq - b.seq).map((item) => finish(item.node));
  }
}

/**
 * JSON keeps Fastify's parser (it rejects `__proto__` poisoning; V8's JSON.parse does
 * not recurse, so any depth parses) and then the shape limits; an empty body means
 * "no fields" rather than an error, since clients send Content-Type on bodiless DELETEs.
 */
export function registerBodyParsers(app: FastifyInstance): void {
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if ((body as string).trim() === '') {
      done(null, undefined);
      return;
    }
    json(request, body as string, (error, value) => {
      if (error) return done(error, undefined);
      try {
        assertBodyWithinLimits(value);
      } catch (refused) {
        return done(refused as Error, undefined);
      }
      return done(null, value);
    });
  });
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, decodeFormBody(body as string));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}
