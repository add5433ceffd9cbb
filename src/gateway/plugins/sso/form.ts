import type { PluginForm } from '../../plugin.js';

/** The console's form for `sso` (a Gatehouse plugin: Kong has no equivalent, so the wording is Gatehouse's). */
export const ssoForm: PluginForm = {
  summary:
    'Protects the route with your organization’s sign-in (Okta or password): the upstream receives who the person is (X-Gatehouse-User, -Email, -Roles, -Groups) and a short-lived JWT signed by Gatehouse (X-Gatehouse-Assertion).',
  sections: [
    {
      title: 'Sign-in',
      fields: [
        {
          key: 'organization',
          label: 'Organization',
          kind: 'text',
          required: true,
          help: 'The organization whose members may pass, by id, name or login path. An organization can only name itself: a route signs in with the organization that owns it.',
        },
        {
          key: 'roles_required',
          label: 'Roles required',
          kind: 'list',
          help: 'Any one of these roles (one per line) lets the request through; others get 403. Empty: any signed-in member.',
        },
      ],
    },
    {
      title: 'Assertion',
      fields: [
        {
          key: 'assertion_audience',
          label: 'Assertion audience',
          kind: 'text',
          default: 'gatehouse-upstream',
          help: 'The `aud` claim of the X-Gatehouse-Assertion JWT, for the upstream to check.',
        },
        {
          key: 'assertion_ttl',
          label: 'Assertion lifetime',
          kind: 'number',
          unit: 'seconds',
          default: 60,
          help: 'How long an assertion is valid, from 10 to 3600 seconds (keys at /.well-known/jwks.json).',
        },
      ],
    },
  ],
};
