import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** The repository root (bench/lib/ → ../..). */
export const ROOT = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

/**
 * How the `gatehouse` command is run: `dist` is the package's `bin` (`node
 * dist/cli/main.js`), what an operator runs, built first when src/ changed since; `tsx`
 * runs the TypeScript sources through tsx as the tests do (no build, but the loader
 * stays in memory: fine for a smoke test, not for the memory figure).
 */
export type GatewayMode = 'dist' | 'tsx';

export function gatehouseCommand(mode: GatewayMode, args: readonly string[]): { command: string; args: string[] } {
  return mode === 'dist'
    ? { command: process.execPath, args: [join(ROOT, 'dist/cli/main.js'), ...args] }
    : { command: process.execPath, args: ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args] };
}

/** Builds dist/ (`npm run build`) when it is missing or older than a file under src/. */
export function ensureBuilt(log: (line: string) => void): void {
  const entry = join(ROOT, 'dist/cli/main.js');
  const builtAt = existsSync(entry) ? statSync(entry).mtimeMs : 0;
  if (builtAt > 0 && newestMtime(join(ROOT, 'src')) <= builtAt) return;
  log(builtAt === 0 ? 'building dist/ (npm run build) …' : 'src/ changed since the last build: rebuilding dist/ …');
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('the build failed (see above); fix it or run the bench with --gateway=tsx');
}

function newestMtime(directory: string): number {
  let newest = 0;
  for (const entry of readdirSync(directory, { withFileTypes: true })) {
    const path = join(directory, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
