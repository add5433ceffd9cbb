import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import type { KeyRing } from '../crypto/keyring.js';
import type { AssertionSigner } from '../identity/assertion-signer.js';
import type { Organization } from '../model/identity.js';
import type { ProviderCache } from '../oidc/provider-cache.js';
import type { Logger } from '../log.js';
import type { RecordPacking } from '../sessions/memory-tier.js';
import type { SessionStore } from '../sessions/store.js';
import type { ConsumerEntity, PluginEntity, RouteEntity, ServiceEntity } from '../model/gateway.js';
import type { PluginConfigDefinition } from '../model/plugin.js';

/** Every plugin a server offers, by name (`pluginRegistry`, or a test's own). */
export type PluginRegistry = ReadonlyMap<string, PluginDefinition>;

/**
 * The contract every gateway plugin implements, in Kong's shape: a declarative
 * configuration schema and handlers that run in fixed phases. Adding a plugin means
 * adding a folder under `plugins/` and one line in `plugins/index.ts`; the core never
 * changes.
 */
export interface PluginDefinition<Config = any> extends PluginConfigDefinition<Config> {
  name: string;
  /** Higher runs first, as in Kong (openid-connect 1050 before acl 950). */
  priority: number;
  /** Builds the handler for one plugin entity; called when a configuration snapshot is built. */
  create(config: Config, context: PluginCreateContext): PluginHandler;
  /**
   * Cookies the plugin owns (session handles). The gateway removes them from every
   * request it forwards, on any route, and drops upstream `Set-Cookie`s for them, so
   * no upstream can read or plant one.
   */
  cookieNames?(config: Config): readonly string[];
  /**
   * The records the plugin keeps in the session store, by id prefix, with the compact
   * form the memory tier keeps them in while they are idle (see MemoryTier). The runtime
   * builds the session store with every plugin's.
   */
  sessionRecordPackings?: Readonly<Record<string, RecordPacking>>;
  /**
   * The upstream request headers through which the plugin tells the upstream who the
   * client is; declaring them makes it an authentication plugin. On every route with an
   * authentication plugin, the gateway removes from what the client sent every name that
   * any plugin lists in `always` or any enabled plugin's configuration adds
   * (`configured`; `Authorization` only where this route's plugin sets it), before
   * anything goes upstream, so no client can supply an identity header. Plugins then
   * only set the values; they never clear them.
   */
  identityHeaders?: {
    /** Names the plugin may set whatever its configuration (lower case). */
    always: readonly string[];
    /** Names a configuration adds (lower case), e.g. openid-connect's `upstream_headers_names`. */
    configured?(config: Config): readonly string[];
  };
  /**
   * How the web console presents the configuration: every key of `configSchema` with
   * its label, kind, default and help text (test/console/plugin-forms.test.ts checks
   * that none is missing). Kept beside the schema, so a new plugin brings its own form
   * and the console renders it without knowing the plugin.
   */
  form?: PluginForm;
}

/**
 * The kinds of configuration field the console knows how to edit:
 * - `text`, `url`: one line (`url` must be an absolute URL);
 * - `secret`: write-only; the Admin API returns `[redacted]`, and a secret left empty
 *   on an edit keeps the stored value;
 * - `list`, `url-list`: several values, one per line;
 * - `boolean`: a checkbox, or "not set / yes / no" when the field has no default;
 * - `number`: an integer (`unit` says of what);
 * - `choice`: one of `options`; `choices`: any of `options` (a list).
 */
export type PluginFormFieldKind = 'text' | 'secret' | 'url' | 'list' | 'url-list' | 'boolean' | 'number' | 'choice' | 'choices';

export interface PluginFormField {
  /** The key in `config`. */
  key: string;
  label: string;
  kind: PluginFormFieldKind;
  /** What the field does, in the words of Kong's reference where the name is Kong's. */
  help: string;
  /** The value the schema fills in when the field is left out; absent when there is none. */
  default?: string | number | boolean | readonly string[];
  /** The values of a `choice` or `choices` field. */
  options?: readonly string[];
  /** The configuration is refused without it. */
  required?: boolean;
  /** For numbers: `seconds`, `milliseconds`. */
  unit?: string;
  /** Left empty, the form sends `null` (the feature switched off) instead of leaving the default in place. */
  emptyMeansNull?: boolean;
  /** An example value shown in the empty field. */
  placeholder?: string;
}

export interface PluginFormSection {
  title: string;
  fields: readonly PluginFormField[];
}

export interface PluginForm {
  /** What the plugin does, in a sentence or two (shown where a plugin is chosen). */
  summary: string;
  /** The fields in the order shown, grouped; the first section holds what is needed to start. */
  sections: readonly PluginFormSection[];
}

export interface PluginCreateContext {
  plugin: PluginEntity;
  keyRing: KeyRing;
  sessions: SessionStore;
  /** OpenID providers by issuer, shared by every plugin of the process. */
  providers: ProviderCache;
  /** Organizations and Gatehouse's assertion signer, for plugins that sign people in to an organization (`sso`). */
  identity?: IdentityServices | undefined;
  log: Logger;
  /**
   * A handler from the previous snapshot for the same plugin id and an identical
   * configuration, so caches (introspection results, providers) survive reloads.
   */
  previous: PluginHandler | undefined;
}

export interface IdentityServices {
  signer: AssertionSigner;
  /** An organization by id, name or login path, from memory (kept current by the Admin API). */
  organization(reference: string): Organization | undefined;
}

export interface PluginHandler {
  /** Runs before the request goes upstream. Return a response to answer the client without proxying. */
  access?(ctx: RequestContext): Promise<PluginResponse | void> | PluginResponse | void;
  /** Runs after the upstream answered, before the response headers go to the client. */
  response?(ctx: RequestContext, upstream: UpstreamResponseInfo): Promise<void> | void;
  /** Releases timers and caches when a snapshot drops this handler. */
  close?(): void;
}

export interface GatewayRequest {
  method: string;
  /** Path and query as the client sent them. */
  url: string;
  /** Path only, percent-decoding left as sent. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** The scheme the client used, `http` or `https`, after trusted X-Forwarded-Proto. */
  scheme: 'http' | 'https';
  /** The host (with port, if any) the client addressed. */
  host: string;
  remoteAddress: string;
  raw: IncomingMessage;
}

export interface UpstreamResponseInfo {
  status: number;
  headers: Record<string, string | string[]>;
}

/** A response a plugin sends instead of proxying. */
export interface PluginResponse {
  status: number;
  headers?: Record<string, string | string[]>;
  /** Objects are sent as JSON. */
  body?: string | Buffer | Record<string, unknown>;
}

export interface RequestContext {
  request: GatewayRequest;
  route: RouteEntity;
  service: ServiceEntity | null;
  /** Consumer identified by an authentication plugin, as in Kong's `kong.client.authenticate`. */
  consumer: ConsumerEntity | null;
  /** Credential identifier (`X-Credential-Identifier`). */
  credential: string | null;
  /** Groups for the `acl` plugin, set by `authenticated_groups_claim`. */
  authenticatedGroups: string[] | null;
  /** Headers to set on the upstream request; a `null` value removes the header. */
  upstreamHeaders: Map<string, string | null>;
  /** Headers to add to the client response (e.g. Set-Cookie), whether proxied or short-circuited. */
  responseHeaders: Map<string, string[]>;
  /** Removes a query argument (e.g. a consumed `access_token`) from the URL sent upstream. */
  removeUpstreamQueryArgument(name: string): void;
  /** Finds a consumer in the current configuration snapshot (no database query). */
  findConsumer(by: 'id' | 'username' | 'custom_id', value: string): ConsumerEntity | undefined;
  /** Per-request scratch space for plugins, keyed by plugin name. */
  shared: Map<string, unknown>;
  log: Logger;
}

/**
 * Removes a header from the upstream request, whether the client sent it or an earlier
 * plugin set it. One that neither did stays out of `upstreamHeaders`: authentication
 * plugins clear every header a client could forge on every request, and most requests
 * carry none of them.
 */
export function clearUpstreamHeader(ctx: RequestContext, name: string): void {
  const key = name.toLowerCase();
  if (ctx.request.headers[key] !== undefined || ctx.upstreamHeaders.has(key)) ctx.upstreamHeaders.set(key, null);
}

/** Adds a response header without dropping earlier values of the same name. */
export function addResponseHeader(ctx: RequestContext, name: string, value: string): void {
  const key = name.toLowerCase();
  const list = ctx.responseHeaders.get(key);
  if (list) list.push(value);
  else ctx.responseHeaders.set(key, [value]);
}
