import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';

/**
 * The README's architecture sketch lists src/'s folders from the top floor down, and says a
 * folder imports only folders listed below it. This test holds the code to that picture,
 * so the picture cannot drift and no import can point up (the store importing the
 * gateway's plugin registry was such an arrow).
 */

const ROOT = resolve(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');

function floorsFromReadme(): string[] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Architecture'));
  const sketch = section.slice(section.indexOf('```') + 3, section.indexOf('```', section.indexOf('```') + 3));
  const floors: string[] = [];
  for (const line of sketch.split('\n')) {
    const entry = /^ {2}(\S[^ ]*(?:, \S+)*)(?: {2,}|$)/.exec(line);
    if (!entry) continue;
    for (const name of entry[1]!.split(', ')) floors.push(name.replace(/\/$/, ''));
  }
  return floors;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.(ts|js)$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

/** The top-level entry of src/ a path belongs to: a folder name or a file name without `.js`/`.ts`. */
function topOf(path: string): string {
  return relative(SRC, path).split('/')[0]!.replace(/\.js$/, '.ts');
}

describe('architecture', () => {
  const floors = floorsFromReadme();

  it('the README sketch names every entry of src/', () => {
    const entries = readdirSync(SRC).filter((name) => !name.startsWith('.'));
    assert.deepEqual(entries.filter((name) => !floors.includes(name)), [], 'entries of src/ missing from the README sketch');
    assert.deepEqual(floors.filter((name) => !entries.includes(name)), [], 'README sketch names entries src/ does not have');
  });

  it('no import points up: a folder imports only folders listed below it', () => {
    const upward: string[] = [];
    for (const file of sourceFiles(SRC)) {
      const from = topOf(file);
      for (const match of readFileSync(file, 'utf8').matchAll(/from\s+'(\.[^']+)'/g)) {
        const to = topOf(resolve(dirname(file), match[1]!));
        if (to !== from && floors.indexOf(to) < floors.indexOf(from)) upward.push(`${relative(ROOT, file)} imports ${match[1]} (${from} → ${to})`);
      }
    }
    assert.deepEqual(upward, []);
  });
});
