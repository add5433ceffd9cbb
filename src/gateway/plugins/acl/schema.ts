import { z } from 'zod';
import { flexBoolean, flexList } from '../../../schema/flex.js';
import { nameText } from '../../../schema/name.js';

/** Group names, compared with the groups an authentication plugin established: the name rule applies. */
const groupNames = flexList(nameText());

/** Kong's `acl` plugin configuration: exactly one of `allow` and `deny`. */
export const aclConfigSchema = z
  .object({
    allow: groupNames.optional(),
    deny: groupNames.optional(),
    hide_groups_header: flexBoolean.default(false),
    always_use_authenticated_groups: flexBoolean.default(false),
  })
  .strict()
  .superRefine((config, issues) => {
    const hasAllow = (config.allow?.length ?? 0) > 0;
    const hasDeny = (config.deny?.length ?? 0) > 0;
    if (hasAllow === hasDeny) {
      issues.addIssue({
        code: 'custom',
        path: [hasAllow ? 'deny' : 'allow'],
        message: 'set exactly one of allow or deny (a list of group names)',
      });
    }
  });

export type AclConfig = z.infer<typeof aclConfigSchema>;
