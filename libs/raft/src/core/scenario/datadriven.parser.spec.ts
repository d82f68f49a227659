/**
 * Self-tests of the script machinery. The golden files are only evidence if the interpreter
 * reads them faithfully: a parser that mangled a file on rewrite, or a harness that ignored a
 * mistyped argument, would quietly weaken every scenario.
 */
import { describe, expect, it } from 'vitest';
import { commands, parseScript, renderScript, ScriptError } from './datadriven.parser';
import { runScript } from './interaction.harness';

const sample = `# a comment

add-nodes 1 voters=(1) election-tick=3
----
1: follower

# two blank lines follow a command with no output


campaign 1
----

propose 1 "two words"
----
line one
line two
`;

describe('datadriven parser', () => {
  it('renders a parsed script back unchanged', () => {
    const s = parseScript('sample', sample);
    expect(renderScript(s, (c) => c.expected)).toBe(sample);
  });

  it('splits arguments into keys, lists, words and quoted strings', () => {
    const [add, , propose] = commands(parseScript('sample', sample));
    expect(add!.name).toBe('add-nodes');
    expect(add!.line).toBe(3);
    expect(add!.args).toEqual([
      { values: ['1'] },
      { key: 'voters', values: ['1'] },
      { key: 'election-tick', values: ['3'] },
    ]);
    expect(propose!.args).toEqual([{ values: ['1'] }, { values: ['two words'] }]);
    expect(propose!.expected).toBe('line one\nline two');
  });

  it('rejects a command without a separator, naming the line', () => {
    expect(() => parseScript('bad', '# x\ncampaign 1\nstatus 1\n')).toThrow(
      new ScriptError('bad', 2, 'expected "----" after command "campaign 1"'),
    );
  });
});

describe('interaction harness', () => {
  const run = (src: string) => runScript(parseScript('t', src));

  it('fails on unknown commands and unused arguments instead of ignoring them', () => {
    expect(() => run('frobnicate 1\n----\n')).toThrow(/t:1: unknown command frobnicate/);
    expect(() => run('add-nodes 1 voters=(1) electon-tick=3\n----\n')).toThrow(
      /t:1: add-nodes: unexpected argument\(s\) electon-tick/,
    );
  });

  it('delivers only the message types asked for, leaving the rest queued', () => {
    const src = [
      'add-nodes 3 voters=(1,2,3) pre-vote=false',
      'campaign 1',
      'process-ready 1',
      'deliver-msgs 2 type=(MsgApp)',
      'deliver-msgs 2 type=(MsgVote,MsgHeartbeat)',
      'deliver-msgs 2',
    ].join('\n----\n\n');
    const out = run(src + '\n----\n').map((r) => r.actual);
    expect(out[3]).toBe('> 2: no messages');
    expect(out[4]).toBe('> 2 receiving messages\n  1->2 MsgVote Term:2 Log:1/1');
    expect(out[5]).toBe('> 2: no messages');
  });

  it('prints refusals from Raft as outcomes, not failures', () => {
    const [, out] = run('add-nodes 1 voters=(1)\n----\n\npropose 1 x\n----\n');
    expect(out!.actual).toBe('refused: no leader is known');
  });
});
