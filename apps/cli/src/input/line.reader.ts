/**
 * Reading one line of standard input, for a secret that is either typed at a prompt or piped
 * in (`echo $KEY | shoal swarm unlock`), the two ways docker reads an unlock key.
 */
import { StringDecoder } from 'node:string_decoder';
import type { CliContext, CliInput, CliWriter } from '../cli.context';
import { CommandFailedError } from '../errors/cli.errors';

const LF = 0x0a;

/**
 * Listens to `input` until `step` says it is done, then detaches, pauses and unrefs it.
 * Not closing it: whatever follows the line is not ours to consume or destroy. But a paused
 * stdin pipe whose writer stays open (`(echo KEY; sleep 60) | shoal swarm unlock`) still
 * keeps Node's event loop alive, hence the unref.
 */
function readUntil(
  input: CliInput,
  step: (chunk: Buffer) => { done: false } | { done: true; value: string },
  atEnd: () => string,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const finish = (settle: () => void): void => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      input.pause();
      input.unref?.();
      settle();
    };
    const onData = (chunk: Buffer | string): void => {
      try {
        const result = step(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
        if (result.done) finish(() => resolve(result.value));
      } catch (err) {
        finish(() => reject(err));
      }
    };
    const onEnd = (): void => finish(() => resolve(atEnd()));
    const onError = (err: Error): void => finish(() => reject(err));
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

/** The first line of `input` without its newline; at EOF without one, everything read. */
export function readLine(input: CliInput): Promise<string> {
  const chunks: Buffer[] = [];
  const text = (): string => Buffer.concat(chunks).toString('utf8');
  return readUntil(
    input,
    (chunk) => {
      const newline = chunk.indexOf(LF);
      if (newline < 0) {
        chunks.push(chunk);
        return { done: false };
      }
      chunks.push(chunk.subarray(0, newline));
      return { done: true, value: text() };
    },
    text,
  );
}

type RawModeInput = CliInput & { setRawMode(mode: boolean): unknown };

const canHideTyping = (input: CliInput): input is RawModeInput =>
  input.isTTY === true && typeof input.setRawMode === 'function';

/**
 * Prompts and reads a line from a terminal without echoing it. Raw mode is how Node turns
 * echo off, but it also turns off the terminal's own line editing and Ctrl-C, so the keys a
 * password prompt needs are handled here: Enter ends the line, Backspace erases, Ctrl-U
 * clears, Ctrl-D on an empty line is end of input, Ctrl-C aborts. Other control characters
 * (arrow keys' escapes) are dropped rather than taken into the key.
 */
export async function readHiddenLine(
  input: RawModeInput,
  output: CliWriter,
  prompt: string,
): Promise<string> {
  output.write(prompt);
  const decoder = new StringDecoder('utf8');
  let line = '';
  input.setRawMode(true);
  try {
    return await readUntil(
      input,
      (chunk) => {
        for (const char of decoder.write(chunk)) {
          if (char === '\r' || char === '\n') return { done: true, value: line };
          if (char === '\u0003') throw new CommandFailedError('interrupted');
          if (char === '\u0004' && line === '') return { done: true, value: line };
          if (char === '\u007f' || char === '\b') line = [...line].slice(0, -1).join('');
          else if (char === '\u0015') line = '';
          else if (char >= ' ') line += char;
        }
        return { done: false };
      },
      () => line,
    );
  } finally {
    input.setRawMode(false);
    // The user's Enter was not echoed either; end the prompt's line as docker does.
    output.write('\n');
  }
}

/**
 * A secret from standard input, trimmed: typed at `prompt` without echo on a terminal (with a
 * visible prompt but echo on if the terminal cannot go raw), else the first piped line.
 * The prompt goes to stdout, where docker prints it too.
 */
export async function readSecret(ctx: CliContext, prompt: string): Promise<string> {
  const { stdin } = ctx;
  if (canHideTyping(stdin)) return (await readHiddenLine(stdin, ctx.stdout, prompt)).trim();
  if (stdin.isTTY) ctx.stdout.write(prompt);
  return (await readLine(stdin)).trim();
}
