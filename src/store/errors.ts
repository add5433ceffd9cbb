import { GatehouseError } from '../errors.js';
import {
  ADMIN_FOREIGN_KEY,
  ADMIN_OFFSET,
  ADMIN_PRIMARY_KEY,
  ADMIN_REFERENCED,
  ADMIN_ROUTE_COLLISION,
  ADMIN_SCHEMA,
  ADMIN_SIZE,
  ADMIN_UNIQUE,
  ORG_LOGIN_PATH_TAKEN,
} from './error-codes.js';

/**
 * Store errors in Kong's vocabulary: each carries Kong's numeric error `kongCode` and
 * `kongName` and the `fields` object Kong puts in its error bodies, so the Admin API
 * can answer exactly like Kong while the store itself knows nothing about HTTP (the
 * `status` is only the usual mapping, kept on GatehouseError for every caller).
 */
export class EntityError extends GatehouseError {
  readonly kongCode: number;
  readonly kongName: string;
  readonly fields: Record<string, unknown> | undefined;

  constructor(
    code: string,
    message: string,
    options: { status: number; kongCode: number; kongName: string; fields?: Record<string, unknown>; field?: string; cause?: unknown },
  ) {
    super(code, message, options);
    this.name = 'EntityError';
    this.kongCode = options.kongCode;
    this.kongName = options.kongName;
    this.fields = options.fields;
  }
}

/** One problem with one input field; `path` is where it is (`['config', 'client_id']`, `['paths', 0]`), empty for the whole entity. */
export interface FieldIssue {
  path: ReadonlyArray<string | number>;
  message: string;
}

/** A request that breaks the entity's schema; lists every wrong field at once. */
export class SchemaViolationError extends EntityError {
  readonly issues: readonly FieldIssue[];

  constructor(issues: readonly FieldIssue[]) {
    const lines = issues.map((issue) => (issue.path.length === 0 ? issue.message : `${dottedPath(issue.path)}: ${issue.message}`));
    const message = lines.length === 1 ? `schema violation (${lines[0]})` : `${lines.length} schema violations (${lines.join('; ')})`;
    super(ADMIN_SCHEMA, message, {
      status: 400,
      kongCode: 2,
      kongName: 'schema violation',
      fields: kongFields(issues),
      ...(issues[0] && issues[0].path.length > 0 ? { field: dottedPath(issues[0].path) } : {}),
    });
    this.name = 'SchemaViolationError';
    this.issues = issues;
  }
}

/**
 * Kong names list elements from 1 (`paths.1` is the first path) because Lua does; the
 * same numbering here keeps messages identical to Kong's documentation and tools.
 */
export function dottedPath(path: ReadonlyArray<string | number>): string {
  return path.map((segment) => (typeof segment === 'number' ? String(segment + 1) : segment)).join('.');
}

/**
 * Kong's `fields` shape: nested objects following the input, arrays for list elements
 * (`{"paths": ["should start with ..."]}`), entity-wide messages under `@entity`.
 */
function kongFields(issues: readonly FieldIssue[]): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  for (const issue of issues) {
    if (issue.path.length === 0) {
      const list = (fields['@entity'] as string[] | undefined) ?? [];
      list.push(issue.message);
      fields['@entity'] = list;
      continue;
    }
    let container: Record<string | number, unknown> = fields;
    issue.path.forEach((segment, index) => {
      const last = index === issue.path.length - 1;
      if (last) {
        // Two problems with one field: keep the first, as Kong reports one per field.
        if (container[segment] === undefined || container[segment] === null) container[segment] = issue.message;
        return;
      }
      const next = issue.path[index + 1];
      let child = container[segment];
      if (typeof child !== 'object' || child === null) {
        child = typeof next === 'number' ? [] : {};
        container[segment] = child;
      }
      container = child as Record<string | number, unknown>;
    });
  }
  // Sparse arrays would serialise holes as null anyway; make that explicit.
  return JSON.parse(JSON.stringify(fields)) as Record<string, unknown>;
}

/** Kong's rendering of a key in messages: `{name="x"}`, `{consumer=null,name="acl"}`. */
export function kongKey(key: Record<string, unknown>): string {
  const render = (value: unknown): string => {
    if (value === null || value === undefined) return 'null';
    if (typeof value === 'string') return JSON.stringify(value);
    if (typeof value === 'object') return kongKey(value as Record<string, unknown>);
    return String(value);
  };
  return `{${Object.entries(key)
    .map(([name, value]) => `${name}=${render(value)}`)
    .join(',')}}`;
}

/** Another entity already holds this unique value (HTTP 409). */
export class UniqueViolationError extends EntityError {
  constructor(key: Record<string, unknown>) {
    super(ADMIN_UNIQUE, `UNIQUE violation detected on '${kongKey(key)}'`, {
      status: 409,
      kongCode: 5,
      kongName: 'unique constraint violation',
      fields: key,
      field: Object.keys(key)[0] ?? '',
    });
    this.name = 'UniqueViolationError';
  }
}

/**
 * Another organization already signs in at this path (409). Its own error rather than
 * a UniqueViolationError: the message says that paths compare regardless of case.
 */
export class LoginPathTakenError extends EntityError {
  constructor(path: string, field = 'login_path') {
    const message = `login_path '${path}' is already taken by another organization (paths are unique regardless of case); choose another`;
    super(ORG_LOGIN_PATH_TAKEN, message, {
      status: 409,
      kongCode: 5,
      kongName: 'unique constraint violation',
      fields: { [field]: path },
      field,
    });
    this.name = 'LoginPathTakenError';
  }
}

/**
 * A route of an organization that could take requests another owner's route takes
 * (src/store/route-overlap.ts); Kong Enterprise's words for the same refusal across
 * workspaces. The other route is not named: it is not the caller's to see.
 */
export class RouteCollisionError extends EntityError {
  constructor() {
    super(
      ADMIN_ROUTE_COLLISION,
      'API route collides with an existing API: another owner has a route for requests these paths, hosts and methods could match; choose other paths (a prefix of your own) or hosts only your organization uses',
      { status: 409, kongCode: 5, kongName: 'unique constraint violation', fields: { paths: 'collides with an existing route' }, field: 'paths' },
    );
    this.name = 'RouteCollisionError';
  }
}

/** An entity with this id already exists (POST with an explicit id). */
export class PrimaryKeyViolationError extends EntityError {
  constructor(id: string) {
    super(ADMIN_PRIMARY_KEY, `primary key violation on key '${kongKey({ id })}'; use PUT or PATCH to change an existing entity`, {
      status: 400,
      kongCode: 3,
      kongName: 'primary key violation',
      fields: { id },
      field: 'id',
    });
    this.name = 'PrimaryKeyViolationError';
  }
}

/** A reference (`service`, `route`, `consumer`) that names nothing. */
export class ForeignKeyViolationError extends EntityError {
  constructor(field: string, key: Record<string, unknown>, table: string) {
    super(
      ADMIN_FOREIGN_KEY,
      `the foreign key '${kongKey(key)}' does not reference an existing '${table}' entity; create it first or fix the reference`,
      { status: 400, kongCode: 4, kongName: 'foreign key violation', fields: { [field]: key }, field },
    );
    this.name = 'ForeignKeyViolationError';
  }
}

/** Deleting an entity that others still reference (a service with routes), refused as in Kong. */
export class ReferencedByOthersError extends EntityError {
  constructor(parentTable: string, childTable: string, hint: string) {
    super(ADMIN_REFERENCED, `an existing '${childTable}' entity references this '${parentTable}' entity; ${hint}`, {
      status: 400,
      kongCode: 4,
      kongName: 'foreign key violation',
      fields: { '@referenced_by': childTable },
    });
    this.name = 'ReferencedByOthersError';
  }
}

export class InvalidSizeError extends EntityError {
  constructor() {
    super(ADMIN_SIZE, 'size must be an integer between 1 and 1000', { status: 400, kongCode: 9, kongName: 'invalid size', field: 'size' });
    this.name = 'InvalidSizeError';
  }
}

export class InvalidOffsetError extends EntityError {
  constructor(offset: string) {
    // The offset is echoed shortened: it is opaque and may be arbitrarily long.
    const shown = offset.length > 60 ? `${offset.slice(0, 60)}...` : offset;
    super(ADMIN_OFFSET, `'${shown}' is not a valid offset: pass the 'offset' value of the previous page unchanged, or leave it out to start at the beginning`, {
      status: 400,
      kongCode: 7,
      kongName: 'invalid offset',
      field: 'offset',
    });
    this.name = 'InvalidOffsetError';
  }
}
