import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { BodyTooLargeError, isLoopback, readBody, sendJson } from './http.js';
import { applySwitchesPatch, resetSwitches, switchesPatchSchema, type DevIdpSwitches } from './switches.js';

/**
 * `/__dev/...`: the test controls for callers in another process (in-process tests use the
 * DevIdp object directly). Loopback peers only: these switches forge tokens.
 *
 *   GET    /__dev/switches            current switches
 *   POST   /__dev/switches            JSON patch, e.g. {"omitGroupsClaim": true}; null clears an optional switch
 *   DELETE /__dev/switches            back to defaults
 *   POST   /__dev/rotate-signing-key  {"authServer"?: "default" | "org", "keepPrevious"?: boolean}
 */

export interface ControlDeps {
  switches: DevIdpSwitches;
  rotateSigningKey(options: { authServer?: string; keepPrevious?: boolean }): Promise<Record<string, string>>;
}

const rotateSchema = z.strictObject({ authServer: z.string().optional(), keepPrevious: z.boolean().optional() });

async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  return text.trim() === '' ? {} : JSON.parse(text);
}

export function createControlEndpoint(deps: ControlDeps) {
  return async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (!isLoopback(req)) {
      sendJson(res, 403, { error: 'forbidden', error_description: 'The dev IdP control endpoint answers loopback callers only.' });
      return;
    }
    const invalid = (description: string, issues?: unknown) =>
      sendJson(res, 400, { error: 'invalid_request', error_description: description, ...(issues ? { issues } : {}) });

    let body: unknown = {};
    if (req.method === 'POST') {
      try {
        body = await readJson(req);
      } catch (error) {
        return invalid(error instanceof BodyTooLargeError ? error.message : 'The body must be JSON.');
      }
    }

    if (url.pathname === '/__dev/switches') {
      switch (req.method) {
        case 'GET':
          return sendJson(res, 200, deps.switches);
        case 'DELETE':
          resetSwitches(deps.switches);
          return sendJson(res, 200, deps.switches);
        case 'POST': {
          const patch = switchesPatchSchema.safeParse(body);
          if (!patch.success) return invalid('Invalid switches.', patch.error.issues);
          applySwitchesPatch(deps.switches, patch.data);
          return sendJson(res, 200, deps.switches);
        }
        default:
          return sendJson(res, 405, { error: 'invalid_request', error_description: 'Use GET, POST or DELETE.' }, { Allow: 'GET, POST, DELETE' });
      }
    }

    if (url.pathname === '/__dev/rotate-signing-key') {
      if (req.method !== 'POST') return sendJson(res, 405, { error: 'invalid_request', error_description: 'Use POST.' }, { Allow: 'POST' });
      const options = rotateSchema.safeParse(body);
      if (!options.success) return invalid('Invalid rotation options.', options.error.issues);
      try {
        return sendJson(res, 200, { kids: await deps.rotateSigningKey(options.data) });
      } catch (error) {
        return invalid(error instanceof Error ? error.message : String(error));
      }
    }

    sendJson(res, 404, { error: 'not_found', error_description: `No dev IdP control at ${url.pathname}.` });
  };
}
