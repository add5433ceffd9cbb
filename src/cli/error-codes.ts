/** The codes the `gatehouse` command raises itself; it prints the message (not the code) and exits with status 1. */

/** No HTTP status: an unknown command. */
export const CLI_UNKNOWN_COMMAND = 'GH-CLI-UNKNOWN-COMMAND';
/** No HTTP status: `gatehouse org` with an unknown subcommand or missing options. */
export const CLI_USAGE = 'GH-CLI-USAGE';
