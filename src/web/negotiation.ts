/**
 * Whether a client asked for JSON rather than a page: an `Accept` that names JSON and not
 * HTML. Browsers navigating always name `text/html`; scripts and curl with `-H accept:` do not.
 */
export function prefersJson(accept: string | undefined): boolean {
  return accept !== undefined && /json/.test(accept) && !/text\/html/.test(accept);
}
