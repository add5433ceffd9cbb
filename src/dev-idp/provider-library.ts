/**
 * oidc-provider, loaded without its "Unsupported runtime" warning on Node.js 20.
 *
 * oidc-provider 9 prints that warning on every Node.js release before 22 ("Jod"), at
 * every start of `gatehouse demo` and `dev-idp`. Gatehouse supports Node.js 20 (see the
 * README), the stand-in is a development tool, and every test of it runs on Node 20;
 * an operator would read the warning as being about Gatehouse. Only that one line is
 * held back, and only while the library loads: any other warning still shows.
 */
const warn = console.warn;
console.warn = (...args: unknown[]) => {
  if (typeof args[0] === 'string' && args[0].startsWith('oidc-provider WARNING: Unsupported runtime')) return;
  warn(...args);
};
let library: typeof import('oidc-provider');
try {
  library = await import('oidc-provider');
} finally {
  console.warn = warn;
}

export const OidcProvider = library.default;
export const errors = library.errors;
export const interactionPolicy = library.interactionPolicy;
