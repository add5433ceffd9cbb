import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { before, describe, it } from 'node:test';

/**
 * The error codes are Gatehouse's public contract: each is a named constant in the
 * error-codes module of the area that raises it, spelled nowhere else in src/, and
 * listed in the README's error table.
 */

const ROOT = join(import.meta.dirname, '..');
const SRC = join(ROOT, 'src');
const CODE_SHAPE = /^GH-[A-Z0-9]+(-[A-Z0-9]+)*$/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [path] : [];
  });
}

const modules = sourceFiles(SRC).filter((file) => file.endsWith('/error-codes.ts'));

interface Constant {
  module: string;
  name: string;
  code: string;
}

describe('error codes', () => {
  const constants: Constant[] = [];

  before(async () => {
    for (const file of modules) {
      const exported = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
      for (const [name, value] of Object.entries(exported)) {
        if (typeof value === 'string') constants.push({ module: relative(ROOT, file), name, code: value });
      }
    }
  });

  it('come from one error-codes module per area', () => {
    assert.ok(modules.length >= 10, `error-codes modules found: ${modules.map((file) => relative(ROOT, file)).join(', ')}`);
    assert.ok(constants.length >= 100, `${constants.length} codes`);
  });

  it('are unique across modules, shaped GH-WORD(-WORD)*, and named after themselves', () => {
    const seen = new Map<string, string>();
    for (const { module, name, code } of constants) {
      assert.match(code, CODE_SHAPE, `${module}: ${name}`);
      assert.equal(name, code.slice('GH-'.length).replaceAll('-', '_'), `${module}: the constant of ${code} is named after it`);
      assert.equal(seen.get(code), undefined, `${code} is exported by ${seen.get(code)} and ${module}`);
      seen.set(code, module);
    }
  });

  it('each have a doc comment saying when they are answered', () => {
    for (const file of modules) {
      const lines = readFileSync(file, 'utf8').split('\n');
      lines.forEach((line, index) => {
        if (/^export const \w+ = 'GH-/.test(line)) {
          assert.match(lines[index - 1] ?? '', /\*\/\s*$/, `${relative(ROOT, file)}:${index + 1} has a doc comment`);
        }
      });
    }
  });

  it('are spelled only in the error-codes modules: src/ names the constants', () => {
    const spelled: string[] = [];
    for (const file of sourceFiles(SRC)) {
      if (file.endsWith('/error-codes.ts')) continue;
      readFileSync(file, 'utf8')
        .split('\n')
        .forEach((line, index) => {
          if (/GH-[A-Z0-9]/.test(line)) spelled.push(`${relative(ROOT, file)}:${index + 1}: ${line.trim()}`);
        });
    }
    assert.deepEqual(spelled, []);
  });

  it('are each listed in the README’s error table, which lists no other', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const start = readme.indexOf('\n## Error codes\n');
    assert.notEqual(start, -1, 'README.md has a section "## Error codes"');
    const next = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, next === -1 ? undefined : next);
    const listed = section
      .split('\n')
      .filter((line) => line.startsWith('|'))
      .map((line) => line.split('|')[1]!.trim().replaceAll('`', ''))
      .filter((cell) => cell.startsWith('GH-'));
    const exported = constants.map((constant) => constant.code);
    assert.deepEqual(
      exported.filter((code) => !listed.includes(code)),
      [],
      'codes missing from the README',
    );
    assert.deepEqual(
      listed.filter((code) => !exported.includes(code)),
      [],
      'README rows naming no code of src/',
    );
    assert.equal(new Set(listed).size, listed.length, 'each code is listed once');
  });
});
