import { resolveKeys } from '../config/keys.js';
import { publicUrlOf, type Settings } from '../config/settings.js';
import { GatehouseError } from '../errors.js';
import { CLI_ACTOR } from '../identity/audit.js';
import { createOrganization } from '../identity/organizations.js';
import type { Logger } from '../log.js';
import { openDatabase } from '../store/database.js';
import { errorReply } from '../admin/errors.js';
import { migrateToLatest } from '../store/migrations.js';
import { CLI_USAGE } from './error-codes.js';

/**
 * `gatehouse org create --name N --owner-email E [--login-path P]`: creates an
 * organization with its built-in roles and its owner, straight in the database (no
 * Admin API token needed: whoever can run this can read the database anyway).
 * The owner's password is read from standard input when it is not a terminal
 * (`echo "$PASSWORD" | gatehouse org create …`); otherwise one is generated and
 * printed once.
 */

export const ORG_USAGE = `Usage: gatehouse org create --name NAME --owner-email EMAIL [--login-path PATH] [--owner-name NAME]

Creates an organization, its built-in roles (Organization Admin, Gateway Admin, Viewer)
and its owner. The owner's password is read from standard input when it is not a
terminal; otherwise a one-time password is generated and printed.`;

export interface OrgCommandOptions {
  name?: string | undefined;
  ownerEmail?: string | undefined;
  ownerName?: string | undefined;
  loginPath?: string | undefined;
}

/** Reads standard input to its end when it is not a terminal; undefined for a terminal or an empty input. */
export async function readPasswordFromStdin(stdin: NodeJS.ReadStream = process.stdin): Promise<string | undefined> {
  if (stdin.isTTY) return undefined;
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  // One line: the trailing newline of `echo` is not part of the password.
  const text = Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  return text === '' ? undefined : text;
}

/** Runs `gatehouse org <subcommand>`; returns the text to print. */
export async function runOrgCommand(
  subcommand: string | undefined,
  options: OrgCommandOptions,
  settings: Settings,
  log: Logger,
  input: { readPassword?: () => Promise<string | undefined> } = {},
): Promise<string> {
  if (subcommand !== 'create') {
    throw new GatehouseError(CLI_USAGE, subcommand ? `unknown org command "${subcommand}"\n\n${ORG_USAGE}` : ORG_USAGE);
  }
  const missing = [!options.name && '--name', !options.ownerEmail && '--owner-email'].filter(Boolean);
  if (missing.length > 0) throw new GatehouseError(CLI_USAGE, `missing ${missing.join(' and ')}\n\n${ORG_USAGE}`);

  const password = await (input.readPassword ?? (() => readPasswordFromStdin()))();
  // Resolving the keys first creates the data folder's key on a first run, as `start` would.
  resolveKeys(settings, log);
  const db = await openDatabase(settings.database);
  try {
    await migrateToLatest(db);
    const created = await createOrganization(
      db,
      {
        name: options.name,
        owner_email: options.ownerEmail,
        ...(options.ownerName !== undefined ? { owner_name: options.ownerName } : {}),
        ...(options.loginPath !== undefined ? { login_path: options.loginPath } : {}),
        ...(password !== undefined ? { owner_password: password } : {}),
      },
      CLI_ACTOR,
    );
    const loginUrl = `${publicUrlOf(settings)}/login/${created.organization.login_path}`;
    const lines = [
      `Created organization "${created.organization.name}" (${created.organization.id}).`,
      `  Sign-in URL   ${loginUrl}`,
      `  Owner         ${created.owner.email} (Organization Admin)`,
    ];
    if (created.generated_password !== undefined) {
      lines.push(`  Password      ${created.generated_password}`, '', 'This password is shown once; store it in your password manager.');
    } else {
      lines.push('  Password      (the one read from standard input)');
    }
    return lines.join('\n');
  } catch (error) {
    // The Admin API's messages say what to fix; reuse them (with the field) for the command line.
    const { status, body } = errorReply(error);
    if (status < 500) {
      const fields = body.fields && typeof body.fields === 'object' ? ` ${JSON.stringify(body.fields)}` : '';
      throw new GatehouseError(body.error_code, `cannot create the organization: ${String(body.message)}${fields}`, { cause: error });
    }
    throw error;
  } finally {
    await db.destroy();
  }
}
