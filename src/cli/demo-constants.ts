/** The demo app registered at the Okta stand-in (see src/dev-idp/demo-seed.ts). */
export const DEMO_CLIENT_ID = 'gatehouse-demo';
export const DEMO_CLIENT_SECRET = 'gatehouse-demo-secret';
