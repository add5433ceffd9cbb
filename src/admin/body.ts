import type { FastifyInstance } from 'fastify';
import { AdminRequestError } from './errors.js';

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

const MAX_FORM_FIELDS = 1000;
const FORBIDDEN_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

function parseKey(key: string): Segment[] {
  const segments: Segment[] = [];
  for (const part of key.split('.')) {
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
  return segments;
}

function invalidKey(key: string): AdminRequestError {
  return new AdminRequestError(
    'GH-ADMIN-FORM-KEY',
    `invalid form field name '${key}'; use names like name, config.client_id, paths[] or paths[1]`,
    400,
  );
}

function conflict(key: string): AdminRequestError {
  return new AdminRequestError(
    'GH-ADMIN-FORM-KEY',
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
    if (++count > MAX_FORM_FIELDS) {
      throw new AdminRequestError('GH-ADMIN-FORM-SIZE', `too many form fields (more than ${MAX_FORM_FIELDS}); send JSON instead`, 413);
    }
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
  return finish(root) as Record<string, unknown>;
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
 * JSON keeps Fastify's parser (it rejects `__proto__` poisoning); an empty body means
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
    json(request, body as string, done);
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
