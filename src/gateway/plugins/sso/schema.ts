import { z } from 'zod';
import { flexInteger, flexStringList } from '../../../schema/flex.js';

/**
 * The `sso` plugin: a route protected by an organization's sign-in (Okta or
 * password) instead of a standalone OpenID Connect client.
 */
export const ssoConfigSchema = z
  .object({
    /** The organization, by id, name or login path. */
    organization: z.string().min(1, { error: 'name the organization (id, name or login path)' }),
    /** Any one of these roles lets the request through; empty or absent: any signed-in member. */
    roles_required: flexStringList.optional(),
    /** `aud` of the X-Gatehouse-Assertion JWT, for the upstream to check. */
    assertion_audience: z.string().min(1).default('gatehouse-upstream'),
    assertion_ttl: flexInteger.pipe(z.number().int().min(10).max(3600)).default(60),
  })
  .strict();

export type SsoConfig = z.infer<typeof ssoConfigSchema>;
