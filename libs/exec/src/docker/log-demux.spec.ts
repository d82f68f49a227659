import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type LogEntry } from '../executor.port';
import { LogDemuxer } from './log-demux';

function frame(stream: 1 | 2 | 3, payload: string): Buffer {
  const body = Buffer.from(payload);
  const header = Buffer.alloc(8);
  header[0] = stream;
  header.writeUInt32BE(body.length, 4);
  return Buffer.concat([header, body]);
}

function run(demux: LogDemuxer, chunks: Buffer[]): LogEntry[] {
  return [...chunks.flatMap((c) => demux.push(c)), ...demux.end()];
}

const text = (entries: LogEntry[]) => entries.map((e) => ({ ...e, data: e.data.toString('utf8') }));

const TS1 = '2024-05-01T10:00:00.123456789Z';
const TS2 = '2024-05-01T10:00:01.000000001Z';

describe('LogDemuxer', () => {
  it('splits the multiplexed stream into lines per stream', () => {
    const demux = new LogDemuxer({ tty: false, timestamps: false });
    const out = run(demux, [frame(1, 'out 1\n'), frame(2, 'err 1\n'), frame(1, 'out 2\n')]);
    expect(text(out)).toEqual([
      { stream: 'stdout', data: 'out 1\n' },
      { stream: 'stderr', data: 'err 1\n' },
      { stream: 'stdout', data: 'out 2\n' },
    ]);
  });

  it('parses the timestamp off each line when asked for', () => {
    const demux = new LogDemuxer({ tty: false, timestamps: true });
    const out = run(demux, [frame(1, `${TS1} hello\n`), frame(2, `${TS2} oops\n`)]);
    expect(text(out)).toEqual([
      { stream: 'stdout', data: 'hello\n', timestamp: TS1 },
      { stream: 'stderr', data: 'oops\n', timestamp: TS2 },
    ]);
  });

  it("joins a long line's parts, keeping the first part's timestamp", () => {
    const demux = new LogDemuxer({ tty: false, timestamps: true });
    const out = run(demux, [
      frame(1, `${TS1} aaaa`),
      frame(2, `${TS1} interleaved\n`),
      frame(1, `${TS2} bbbb\n`),
    ]);
    expect(text(out)).toEqual([
      { stream: 'stderr', data: 'interleaved\n', timestamp: TS1 },
      { stream: 'stdout', data: 'aaaabbbb\n', timestamp: TS1 },
    ]);
  });

  it('gives out a last line without its newline at the end', () => {
    const demux = new LogDemuxer({ tty: false, timestamps: false });
    expect(text(run(demux, [frame(1, 'no newline')]))).toEqual([
      { stream: 'stdout', data: 'no newline' },
    ]);
  });

  it('reads a TTY container’s raw output as stdout lines', () => {
    const demux = new LogDemuxer({ tty: true, timestamps: true });
    const out = run(demux, [Buffer.from(`${TS1} one\n${TS2} tw`), Buffer.from('o\nthree')]);
    expect(text(out)).toEqual([
      { stream: 'stdout', data: 'one\n', timestamp: TS1 },
      { stream: 'stdout', data: 'two\n', timestamp: TS2 },
      { stream: 'stdout', data: 'three' },
    ]);
  });

  it("throws the engine's in-band error (stream 3)", () => {
    const demux = new LogDemuxer({ tty: false, timestamps: false });
    expect(() => demux.push(frame(3, 'log file is gone\n'))).toThrow('log file is gone');
  });

  it('gives the same lines however the body is cut into chunks', () => {
    const lines = fc.array(
      fc.record({
        stream: fc.constantFrom<1 | 2>(1, 2),
        line: fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => s.replace(/\n/g, '')),
      }),
      { maxLength: 12 },
    );
    fc.assert(
      fc.property(lines, fc.array(fc.nat(), { maxLength: 8 }), (msgs, cuts) => {
        const body = Buffer.concat(msgs.map((m) => frame(m.stream, `${TS1} ${m.line}\n`)));
        const points = [...new Set(cuts.map((c) => c % (body.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const p of [...points, body.length]) {
          chunks.push(body.subarray(from, p));
          from = p;
        }
        const out = run(new LogDemuxer({ tty: false, timestamps: true }), chunks);
        expect(text(out)).toEqual(
          msgs.map((m) => ({
            stream: m.stream === 1 ? 'stdout' : 'stderr',
            data: `${m.line}\n`,
            timestamp: TS1,
          })),
        );
      }),
    );
  });
});
