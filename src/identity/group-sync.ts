import type { Logger } from '../log.js';
import type { SessionStore } from '../sessions/store.js';
import { OktaApiError } from '../okta/errors.js';
import { deactivateUser } from './account-status.js';
import { auditEntry } from '../model/audit.js';
import { GROUP_SYNC_ACTOR } from './audit.js';
import type { IdentityStore } from '../store/repositories/identity/identity-store.js';
import type { OktaDirectory } from './okta-groups.js';
import { endUserSessions } from './organization-session.js';
import { applyGroups } from './provisioning.js';
import { OKTA_FORBIDDEN, OKTA_INVALID_TOKEN, OKTA_NOT_FOUND, OKTA_RATE_LIMITED } from '../okta/error-codes.js';

export interface SyncReport {
  organizations: number;
  users: number;
  deactivated: number;
  rolesChanged: number;
  errors: number;
}

/**
 * Re-reads the Okta groups of every active SSO user of organizations that set an API
 * token, on each organization's schedule (default every 15 minutes), and applies the
 * same rules as sign-in: someone removed from their groups loses their roles, or their
 * account and live sessions, without waiting for a next sign-in that may never come.
 * It paces itself by Okta's rate-limit headers and backs off on 429.
 */
export class GroupSync {
  readonly #deps: { store: IdentityStore; sessions: SessionStore; okta: OktaDirectory; log: Logger };
  readonly #lastRun = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SyncReport> | undefined;

  constructor(deps: { store: IdentityStore; sessions: SessionStore; okta: OktaDirectory; log: Logger }) {
    this.#deps = { ...deps, log: deps.log.child({ component: 'group-sync' }) };
  }

  start(tickMs = 30_000): void {
    this.#timer = setInterval(() => {
      void this.runDue().catch((error: unknown) => this.#deps.log.error({ err: String(error) }, 'group sync failed'));
    }, tickMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
  }

  /** Runs the organizations whose interval has passed; `force` runs all of them now. */
  runDue(options: { force?: boolean } = {}): Promise<SyncReport> {
    this.#running ??= this.#run(options.force ?? false).finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #run(force: boolean): Promise<SyncReport> {
    const { store, sessions, okta, log } = this.#deps;
    const report: SyncReport = { organizations: 0, users: 0, deactivated: 0, rolesChanged: 0, errors: 0 };
    const now = Date.now();
    for (const organization of await store.ssoOrganizations()) {
      const settings = await store.identitySettings(organization.id);
      if (!settings) continue;
      const api = okta.client(settings);
      if (!api) continue;
      const last = this.#lastRun.get(organization.id) ?? 0;
      if (!force && now - last < settings.sync_interval_seconds * 1000) continue;
      this.#lastRun.set(organization.id, now);
      report.organizations += 1;
      for (const user of await store.activeSsoUsers(organization.id)) {
        if (!user.issuer || !user.subject) continue;
        let groups: string[] = [];
        /** Why Okta no longer lets the person in, when it does not. */
        let goneFromOkta: string | undefined;
        try {
          await api.waitIfNearLimit(3);
          // Okta removes people by deactivating or suspending them, and their memberships stay: check first.
          if (await okta.isActive(settings, user.subject)) groups = await okta.groupsOf(settings, user.subject);
          else goneFromOkta = 'Okta no longer lets the user sign in (deactivated or suspended in Okta)';
        } catch (error) {
          if (error instanceof OktaApiError && error.code === OKTA_NOT_FOUND) {
            goneFromOkta = 'the user no longer exists in Okta';
          } else {
            report.errors += 1;
            log.warn({ organization: organization.id, user: user.id, err: String(error) }, 'could not read a user’s Okta groups; trying again next run');
            if (error instanceof OktaApiError && (error.code === OKTA_INVALID_TOKEN || error.code === OKTA_FORBIDDEN)) {
              // One failing call per user and run would achieve nothing: stop, say so once.
              await store.audit(auditEntry(GROUP_SYNC_ACTOR, organization.id, 'identity.sync', {
                outcome: 'failure',
                reason: `Okta refused the API token (${error.code}); update it in the identity settings`,
              }));
              break;
            }
            if (error instanceof OktaApiError && error.code === OKTA_RATE_LIMITED) {
              // Try this organization again on the next tick rather than a whole interval later.
              this.#lastRun.delete(organization.id);
              break;
            }
            continue;
          }
        }
        report.users += 1;
        if (goneFromOkta !== undefined) {
          const done = await deactivateUser({ store, sessions }, organization.id, user.id, {
            actor: GROUP_SYNC_ACTOR,
            reason: goneFromOkta,
          });
          if (done?.changed) report.deactivated += 1;
          continue;
        }
        const outcome = await applyGroups(
          { store, sessions, log },
          organization,
          { issuer: user.issuer, subject: user.subject, email: user.email, name: user.name, groups, groups_source: 'okta_api' },
          { signIn: false },
        );
        if (!outcome.admitted) {
          if (outcome.deactivated) report.deactivated += 1;
        } else if (outcome.rolesAdded.length > 0 || outcome.rolesRemoved.length > 0) {
          report.rolesChanged += 1;
          // Live sessions carry the roles of their sign-in: end them so the next request signs in with the new ones.
          await endUserSessions(sessions, user.id);
        }
      }
    }
    if (report.organizations > 0) log.info(report, 'group sync finished');
    return report;
  }
}
