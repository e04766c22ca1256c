// The playground and its emulators stay in small files (issue 12): a file that grows past 400 lines is split along
// its seams (model / routes / server / faults for an emulator) before it lands.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAX_LINES = 400;

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name)) : [join(dir, e.name)]));
}

/** Lines as an editor counts them: a last line without a newline still counts. */
const lineCount = (text: string) => (text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));

test('playground size: no file under playground/ is longer than 400 lines', () => {
  const files = filesUnder(join(ROOT, 'playground'));
  assert.ok(files.length > 20, `expected the playground's files, found ${files.length}`);
  const over = files
    .map((f) => ({ file: relative(ROOT, f), lines: lineCount(readFileSync(f, 'utf8')) }))
    .filter((f) => f.lines > MAX_LINES)
    .map((f) => `${f.file} (${f.lines} lines)`);
  assert.deepEqual(over, [], `split these along their seams: ${over.join(', ')}`);
});

test('playground size: the line count is the one an editor shows', () => {
  assert.equal(lineCount(''), 0);
  assert.equal(lineCount('a'), 1);
  assert.equal(lineCount('a\n'), 1);
  assert.equal(lineCount('a\nb'), 2);
  assert.equal(lineCount('a\nb\n'), 2);
});
