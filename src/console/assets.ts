import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';

/**
 * The console's static files: one stylesheet and a few small ES modules, written as
 * plain CSS and JavaScript (type-checked with JSDoc, see assets/tsconfig.json) and
 * served as they are, so there is no bundler and no build step for the browser side.
 *
 * They are read once at start into memory. Pages link them as `/assets/NAME?v=HASH`:
 * with the current hash the answer may be cached for a year (`immutable`), so a page
 * load costs no request for them after the first; a new version has a new hash.
 */

/**
 * Where the files live. Resolved from the package root because both this module's
 * places, `src/console/` (tsx) and `dist/console/` (the build), are two levels below
 * it, and `tsc` copies no non-TypeScript files into `dist/`.
 */
export const ASSETS_DIR = fileURLToPath(new URL('../../src/console/assets/', import.meta.url));

const TYPES: Record<string, string> = {
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface Asset {
  body: Buffer;
  type: string;
  hash: string;
}

export class Assets {
  readonly #files: Map<string, Asset>;

  constructor(directory: string = ASSETS_DIR) {
    this.#files = new Map();
    for (const name of readdirSync(directory)) {
      const type = TYPES[name.slice(name.lastIndexOf('.'))];
      if (!type) continue;
      const body = readFileSync(`${directory}/${name}`);
      this.#files.set(name, { body, type, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) });
    }
  }

  /** The versioned URL of a file (throws for an unknown name: a typo in a page should fail its tests, not 404 in a browser). */
  url(name: string): string {
    const asset = this.#files.get(name);
    if (!asset) throw new Error(`no console asset named ${name}`);
    return `/assets/${name}?v=${asset.hash}`;
  }

  register(app: FastifyInstance): void {
    app.get<{ Params: { name: string }; Querystring: { v?: string } }>('/assets/:name', async (request, reply) => {
      const asset = this.#files.get(request.params.name);
      if (!asset) return reply.callNotFound();
      const etag = `"${asset.hash}"`;
      reply
        .header('content-type', asset.type)
        .header('etag', etag)
        .header('cache-control', request.query.v === asset.hash ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(asset.body);
    });
  }
}
