import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { missingRaftHostFlags, RAFT_HOST_NODE_FLAGS } from '@shoal/raft';

// npm's `shoald` bin runs main.js through its shebang; tsc keeps the line as written.
const shebang = readFileSync(path.join(__dirname, 'main.ts'), 'utf8').split('\n')[0]!;

describe('the shoald launcher', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'shoald-launcher-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives node exactly the Raft host flags', () => {
    expect(shebang).toBe(`#!/usr/bin/env -S node ${RAFT_HOST_NODE_FLAGS.join(' ')}`);
  });

  it('is a shebang this system runs, and node receives the flags from it', () => {
    const script = path.join(dir, 'print-exec-argv');
    writeFileSync(script, `${shebang}\nprocess.stdout.write(JSON.stringify(process.execArgv));\n`);
    chmodSync(script, 0o755);
    const execArgv = JSON.parse(execFileSync(script, { encoding: 'utf8' })) as string[];
    expect(missingRaftHostFlags(execArgv)).toEqual([]);
  });

  it('names the flags a process was started without', () => {
    expect(missingRaftHostFlags([])).toEqual([...RAFT_HOST_NODE_FLAGS]);
    expect(missingRaftHostFlags(['--inspect', ...RAFT_HOST_NODE_FLAGS])).toEqual([]);
  });
});
