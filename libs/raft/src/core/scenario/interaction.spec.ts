/**
 * Runs every script in ../testdata as one test: each command's output must equal the golden
 * output written under it. The first command that differs fails the test with its file, line
 * and a diff of expected vs actual (later outputs would only differ as a consequence).
 *
 *   SCENARIO_REWRITE=1 npx vitest run libs/raft/src/core/scenario
 *
 * rewrites the golden outputs in place instead. That is for authoring: every rewritten output
 * must be read and checked against the Raft paper before it is committed, or the scripts
 * prove nothing but that the code does what it does.
 *
 * File reading lives here (not in the harness) because only spec files in the Raft core may
 * touch the file system.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScript, renderScript } from './datadriven.parser';
import { runScript } from './interaction.harness';

const dir = resolve(__dirname, '../testdata');
const rewrite = process.env.SCENARIO_REWRITE === '1';
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('raft interaction scenarios', () => {
  it('finds the scripts', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const script = parseScript(`testdata/${file}`, readFileSync(path, 'utf8'));
      const results = runScript(script);
      if (rewrite) {
        const byCommand = new Map(results.map((r) => [r.command, r.actual]));
        writeFileSync(
          path,
          renderScript(script, (c) => byCommand.get(c) ?? ''),
        );
        return;
      }
      for (const { command, actual } of results) {
        if (actual === command.expected) continue;
        // toBe on the two strings gives vitest's line diff; the message says where.
        expect(actual, `testdata/${file}:${command.line}: ${command.text}`).toBe(command.expected);
      }
    });
  }
});
