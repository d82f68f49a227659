import { type FileHandle, open } from 'node:fs/promises';
import { type LogEntry, type LogOptions, LogOptionUnsupportedError } from '../executor.port';

/** How often follow mode looks for new output and checks whether the task still runs. */
export const LOG_POLL_MS = 100;

/**
 * A line longer than this is cut into several entries, so a task that writes without ever
 * printing a newline cannot make the reader buffer without bound. `tail` counts lines by their
 * \n, so a tail over such a line gives more entries than lines asked for.
 */
export const MAX_LINE_BYTES = 64 * 1024;

const CHUNK_BYTES = 64 * 1024;
const NEWLINE = 0x0a;

export interface TaskLogFiles {
  stdoutPath: string;
  stderrPath: string;
  /** True while the task's process runs; follow mode ends once this is false and all is read. */
  alive: () => Promise<boolean>;
  pollMs?: number;
}

/**
 * Refuses the options the log files cannot honour, at call time, so the API can answer 400
 * before it starts a 200 stream.
 */
export function checkProcessLogOptions(opts: LogOptions): void {
  const refused: string[] = [];
  if (opts.timestamps) refused.push('timestamps');
  if (opts.sinceMs !== undefined) refused.push('since');
  if (refused.length > 0) {
    throw new LogOptionUnsupportedError(
      `the process executor keeps no per-line timestamps (it appends the task's raw output to ` +
        `stdout.log and stderr.log), so it cannot honour ${refused.join(' or ')}; it accepts ` +
        `follow, tail and the choice of stdout and/or stderr`,
    );
  }
  if (opts.tail !== undefined && (!Number.isSafeInteger(opts.tail) || opts.tail < 0)) {
    throw new LogOptionUnsupportedError(
      `tail must be a non-negative integer (or unset for all lines), got ${String(opts.tail)}`,
    );
  }
}

/**
 * The task's output from its two log files, as LogEntry lines without timestamps.
 *
 * Order: the files record no interleaving, so what is already written comes out as all of
 * stdout's lines, then all of stderr's. `tail: N` takes the last N lines of that sequence
 * (stderr's last lines first, then stdout's if stderr has fewer than N). In follow mode, new
 * output is found by polling both files' sizes every `pollMs` (100 ms by default; fs.watch is
 * not used, as it misses changes on network and some overlay filesystems): at each poll,
 * stdout's new lines, then stderr's, so their interleaving is right only to within one poll.
 *
 * Lines are split on \n and keep it; a final line without one is emitted when the stream ends
 * (at once without `follow`, after the task has exited with it). Follow mode ends when
 * `alive()` is false and both files have been read to their end, or when `signal` aborts.
 * Missing files count as empty.
 */
export async function* readTaskLogs(
  files: TaskLogFiles,
  opts: LogOptions,
): AsyncGenerator<LogEntry, void, undefined> {
  // A caller from plain JavaScript may leave it out; then only the task's end stops follow.
  const signal = opts.signal ?? new AbortController().signal;
  const out = new LogFileCursor('stdout', files.stdoutPath);
  const err = new LogFileCursor('stderr', files.stderrPath);
  try {
    if (signal.aborted) return;
    await Promise.all([out.open(), err.open()]);
    const [outEnd, errEnd] = await Promise.all([out.size(), err.size()]);
    if (opts.tail !== undefined) {
      const fromErr = await err.lastLinesStart(errEnd, opts.tail);
      err.offset = fromErr.offset;
      const rest = opts.tail - fromErr.lines;
      out.offset = rest > 0 ? (await out.lastLinesStart(outEnd, rest)).offset : outEnd;
    }
    for (const [cursor, end] of [
      [out, outEnd],
      [err, errEnd],
    ] as const) {
      for await (const entry of cursor.readTo(end)) {
        if (signal.aborted) return;
        yield entry;
      }
      if (!opts.follow) {
        const last = cursor.flush();
        if (last) yield last;
      }
    }
    if (!opts.follow) return;

    const pollMs = files.pollMs ?? LOG_POLL_MS;
    while (!signal.aborted) {
      // Checked before reading: whatever the process wrote before it exited is then in the files.
      const ended = !(await files.alive());
      for (const cursor of [out, err]) {
        if (!cursor.handle) await cursor.open();
        for await (const entry of cursor.readTo(await cursor.size())) {
          if (signal.aborted) return;
          yield entry;
        }
      }
      if (ended) {
        for (const cursor of [out, err]) {
          const last = cursor.flush();
          if (last) yield last;
        }
        return;
      }
      await sleep(pollMs, signal);
    }
  } finally {
    await Promise.all([out.close(), err.close()]);
  }
}

/** One log file read forward from `offset`, with the partial line at its end held back. */
class LogFileCursor {
  handle?: FileHandle;
  offset = 0;
  private carry: Buffer = Buffer.alloc(0);

  constructor(
    private readonly stream: LogEntry['stream'],
    private readonly path: string,
  ) {}

  async open(): Promise<void> {
    try {
      this.handle = await open(this.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }

  async close(): Promise<void> {
    const handle = this.handle;
    this.handle = undefined;
    await handle?.close();
  }

  async size(): Promise<number> {
    return this.handle ? (await this.handle.stat()).size : 0;
  }

  /**
   * Where the last `n` lines before `end` start, and how many lines that is (fewer than `n`
   * when the file holds fewer). A final line without \n counts as a line. Reads backwards in
   * chunks, so a long log costs only what the tail needs.
   */
  async lastLinesStart(end: number, n: number): Promise<{ offset: number; lines: number }> {
    if (n === 0 || end === 0 || !this.handle) return { offset: end, lines: 0 };
    // A \n in the last byte ends the last line; every \n before it starts a line after it.
    let searchEnd = end;
    const lastByte = Buffer.alloc(1);
    await this.handle.read(lastByte, 0, 1, end - 1);
    if (lastByte[0] === NEWLINE) searchEnd -= 1;
    let found = 0;
    let pos = searchEnd;
    const buf = Buffer.alloc(CHUNK_BYTES);
    while (pos > 0) {
      const start = Math.max(0, pos - CHUNK_BYTES);
      const { bytesRead } = await this.handle.read(buf, 0, pos - start, start);
      for (let i = bytesRead - 1; i >= 0; i--) {
        if (buf[i] === NEWLINE && ++found === n) return { offset: start + i + 1, lines: n };
      }
      pos = start;
    }
    return { offset: 0, lines: found + 1 };
  }

  /** The complete lines from `offset` up to `end`; the rest waits in `carry`. */
  async *readTo(end: number): AsyncGenerator<LogEntry, void, undefined> {
    if (!this.handle) return;
    while (this.offset < end) {
      const buf = Buffer.alloc(Math.min(CHUNK_BYTES, end - this.offset));
      const { bytesRead } = await this.handle.read(buf, 0, buf.length, this.offset);
      if (bytesRead === 0) return; // truncated under us: wait for more
      this.offset += bytesRead;
      yield* this.split(buf.subarray(0, bytesRead));
    }
  }

  /** The held-back partial line, once no more output will follow it. */
  flush(): LogEntry | undefined {
    if (this.carry.length === 0) return undefined;
    const data = this.carry;
    this.carry = Buffer.alloc(0);
    return { stream: this.stream, data };
  }

  private *split(chunk: Buffer): Generator<LogEntry, void, undefined> {
    let data = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    let start = 0;
    for (;;) {
      const nl = data.indexOf(NEWLINE, start);
      if (nl < 0 || nl - start >= MAX_LINE_BYTES) {
        if (data.length - start < MAX_LINE_BYTES) break;
        yield this.entry(data.subarray(start, start + MAX_LINE_BYTES));
        start += MAX_LINE_BYTES;
        continue;
      }
      yield this.entry(data.subarray(start, nl + 1));
      start = nl + 1;
    }
    data = data.subarray(start);
    this.carry = Buffer.from(data);
  }

  private entry(bytes: Buffer): LogEntry {
    // A copy: the read buffer it comes from is far larger than one line.
    return { stream: this.stream, data: Buffer.from(bytes) };
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
