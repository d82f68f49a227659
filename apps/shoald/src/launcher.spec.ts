import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingRaftHostFlags, RAFT_HOST_NODE_FLAGS } from '@shoal/raft';

// npm's `shoald` bin runs main.js through its shebang; tsc keeps the line as written.
const shebang = readFileSync(path.join(__dirname, 'main.ts'), 'utf8').split('\n')[0]!;

describe('the shoald launcher', () => {
  // Under the repo rather than /tmp, which may be mounted noexec.
  const scratch = path.resolve(__dirname, '../../../.tmp');
  mkdirSync(scratch, { recursive: true });
  const dir = mkdtempSync(path.join(scratch, 'shoald-launcher-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives node exactly the Raft host flags', () => {
    expect(shebang).toBe(`#!/usr/bin/env -S node ${RAFT_HOST_NODE_FLAGS.join(' ')}`);
  });

  it('is a shebang this system runs, and node receives the flags from it', () => {
    const script = path.join(dir, 'print-exec-argv');
    writeFileSync(script, `${shebang}\nprocess.stdout.write(JSON.stringify(process.execArgv));\n`);
    chmodSync(script, 0o755);
    // The shebang finds node on PATH, as in production; make that the node running this test.
    const PATH = `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}`;
    const out = execFileSync(script, { encoding: 'utf8', env: { ...process.env, PATH } });
    const execArgv = JSON.parse(out) as string[];
    expect(missingRaftHostFlags(execArgv)).toEqual([]);
  });

  it('names the flags a process was started without', () => {
    expect(missingRaftHostFlags([])).toEqual([...RAFT_HOST_NODE_FLAGS]);
    expect(missingRaftHostFlags(['--inspect', ...RAFT_HOST_NODE_FLAGS])).toEqual([]);
    // Another value, or V8's underscore spelling, is the operator's choice.
    expect(missingRaftHostFlags(['--initial_old_space_size=512'])).toEqual([]);
  });
});
