import { PassThrough } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import type { CliContext } from '../cli.context';
import { CommandFailedError } from '../errors/cli.errors';
import { readHiddenLine, readLine, readSecret } from './line.reader';

/** A fake terminal; without raw mode, one that cannot turn echo off. */
const terminal = () => Object.assign(new PassThrough(), { isTTY: true, setRawMode: vi.fn() });
const echoingTerminal = () => Object.assign(new PassThrough(), { isTTY: true });

function captured() {
  let text = '';
  return { write: (t: string) => (text += t), text: () => text };
}

describe('readLine', () => {
  it('returns the first line, across chunks, and leaves the stream paused', async () => {
    const input = new PassThrough();
    const line = readLine(input);
    input.write('SWMKEY-1-');
    input.write(Buffer.from('abc\nnext line\n'));
    expect(await line).toBe('SWMKEY-1-abc');
    expect(input.isPaused()).toBe(true);
    expect(input.listenerCount('data')).toBe(0);
  });

  it('unrefs a pipe, so a writer that keeps it open cannot hold the process', async () => {
    const input = Object.assign(new PassThrough(), { unref: vi.fn() });
    input.write('key\n');
    expect(await readLine(input)).toBe('key');
    expect(input.unref).toHaveBeenCalledOnce();
  });

  it('returns what there is at end of input', async () => {
    const input = new PassThrough();
    input.end('no newline');
    expect(await readLine(input)).toBe('no newline');
    const empty = new PassThrough();
    empty.end();
    expect(await readLine(empty)).toBe('');
  });

  it('keeps a multibyte character split across chunks whole', async () => {
    const input = new PassThrough();
    const line = readLine(input);
    const bytes = Buffer.from('clé\n');
    input.write(bytes.subarray(0, 3));
    input.write(bytes.subarray(3));
    expect(await line).toBe('clé');
  });

  it('rejects on a stream error', async () => {
    const input = new PassThrough();
    const line = readLine(input);
    input.destroy(new Error('EIO'));
    await expect(line).rejects.toThrow('EIO');
  });
});

describe('readHiddenLine', () => {
  it('prompts, reads in raw mode with line editing, and restores the terminal', async () => {
    const input = terminal();
    const output = captured();
    const line = readHiddenLine(input, output, 'Key: ');
    // Ctrl-U, a stray ESC, Backspace and Enter.
    input.write('wrong\u0015SWM\u001bKEY-1-abx\u007fc\rafter');
    expect(await line).toBe('SWMKEY-1-abc');
    expect(output.text()).toBe('Key: \n');
    expect(input.setRawMode.mock.calls).toEqual([[true], [false]]);
    expect(input.isPaused()).toBe(true);
  });

  it('Ctrl-D on an empty line ends the input', async () => {
    const input = terminal();
    const line = readHiddenLine(input, captured(), '');
    input.write('\u0004');
    expect(await line).toBe('');
  });

  it('Ctrl-C aborts, and the terminal is still restored', async () => {
    const input = terminal();
    const output = captured();
    const line = readHiddenLine(input, output, 'Key: ');
    input.write('SWMKEY\u0003');
    await expect(line).rejects.toThrow(new CommandFailedError('interrupted'));
    expect(input.setRawMode.mock.calls).toEqual([[true], [false]]);
    expect(output.text()).toBe('Key: \n');
  });
});

describe('readSecret', () => {
  const context = (stdin: CliContext['stdin'], stdout = captured()): CliContext => ({
    stdin,
    stdout,
    stderr: captured(),
    env: {},
    now: () => new Date(0),
    platform: 'linux/amd64',
    nodeVersion: 'v20.0.0',
  });

  it('piped: no prompt, the first line trimmed (CRLF too)', async () => {
    const input = new PassThrough();
    input.end('  SWMKEY-1-abc \r\n');
    const stdout = captured();
    expect(await readSecret(context(input, stdout), 'Key: ')).toBe('SWMKEY-1-abc');
    expect(stdout.text()).toBe('');
  });

  it('a terminal that cannot go raw: a visible prompt, then a plain line', async () => {
    const input = echoingTerminal();
    input.end('SWMKEY-1-abc\n');
    const stdout = captured();
    expect(await readSecret(context(input, stdout), 'Key: ')).toBe('SWMKEY-1-abc');
    expect(stdout.text()).toBe('Key: ');
  });

  it('a terminal: hidden typing', async () => {
    const input = terminal();
    input.write(' SWMKEY-1-abc \r');
    const stdout = captured();
    expect(await readSecret(context(input, stdout), 'Key: ')).toBe('SWMKEY-1-abc');
    expect(stdout.text()).toBe('Key: \n');
  });
});
