import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

/**
 * The console's static files: one stylesheet and a few small ES modules, written as
 * plain CSS and JavaScript (type-checked with JSDoc, see assets/tsconfig.json) and
 * served as they are, so there is no bundler and no build step for the browser side.
 *
 * They are read once at start into memory and served under one version, the hash of
 * all of them: `/assets/VERSION/NAME`, cached for a year (`immutable`), so a page
 * load costs no request for them after the first. One version for all (not one per
 * file) because page modules import `./console.js`: relative to
 * `/assets/VERSION/identity.js` that is `/assets/VERSION/console.js`, the very URL the
 * layout loaded, so the browser evaluates the module once (a module is one instance
 * per URL; a second URL would run it twice and register its listeners twice).
 * `/assets/NAME` still answers, revalidated on every use.
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
  /** The hash of every file: the version in every asset URL. */
  readonly version: string;

  constructor(directory: string = ASSETS_DIR) {
    this.#files = new Map();
    const all = createHash('sha256');
    for (const name of readdirSync(directory).sort()) {
      const type = TYPES[name.slice(name.lastIndexOf('.'))];
      if (!type) continue;
      const body = readFileSync(`${directory}/${name}`);
      this.#files.set(name, { body, type, hash: createHash('sha256').update(body).digest('base64url').slice(0, 16) });
      all.update(name).update('\0').update(body).update('\0');
    }
    this.version = all.digest('base64url').slice(0, 16);
  }

  /** The versioned URL of a file (throws for an unknown name: a typo in a page should fail its tests, not 404 in a browser). */
  url(name: string): string {
    if (!this.#files.has(name)) throw new Error(`no console asset named ${name}`);
    return `/assets/${this.version}/${name}`;
  }

  register(app: FastifyInstance): void {
    const send = (request: FastifyRequest, reply: FastifyReply, name: string, current: boolean) => {
      const asset = this.#files.get(name);
      if (!asset) return reply.callNotFound();
      const etag = `"${asset.hash}"`;
      reply
        .header('content-type', asset.type)
        .header('etag', etag)
        .header('cache-control', current ? 'public, max-age=31536000, immutable' : 'no-cache');
      if (request.headers['if-none-match'] === etag) return reply.code(304).send();
      return reply.send(asset.body);
    };
    app.get<{ Params: { name: string } }>('/assets/:name', async (request, reply) => send(request, reply, request.params.name, false));
    // An old version (a page loaded before an upgrade) gets today's file, revalidated rather than cached for a year.
    app.get<{ Params: { version: string; name: string } }>('/assets/:version/:name', async (request, reply) =>
      send(request, reply, request.params.name, request.params.version === this.version),
    );
  }
}
