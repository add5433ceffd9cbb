import type { PluginForm } from '../../plugin.js';

/** The console's form for `acl`, with the help text of Kong's plugin reference (adapted: groups come from an authentication plugin). */
export const aclForm: PluginForm = {
  summary:
    'Lets requests through by group: the groups an authentication plugin established (the openid-connect plugin’s authenticated groups claim) must include an allowed group, or no denied one.',
  sections: [
    {
      title: 'Groups',
      fields: [
        {
          key: 'allow',
          label: 'Allow',
          kind: 'list',
          help: 'Arbitrary group names that are allowed to consume the service or route, one per line. One of Allow or Deny must be specified.',
        },
        {
          key: 'deny',
          label: 'Deny',
          kind: 'list',
          help: 'Arbitrary group names that are not allowed to consume the service or route, one per line. One of Allow or Deny must be specified.',
        },
        {
          key: 'hide_groups_header',
          label: 'Hide groups header',
          kind: 'boolean',
          default: false,
          help: 'If enabled, prevents the `X-Authenticated-Groups` header from being sent in the request to the upstream service.',
        },
        {
          key: 'always_use_authenticated_groups',
          label: 'Always use authenticated groups',
          kind: 'boolean',
          default: false,
          help: 'If enabled, the authenticated groups will always be used even when an authenticated consumer already exists. Gatehouse has no consumer ACL groups, so the authenticated groups are the only source either way.',
        },
      ],
    },
  ],
};
