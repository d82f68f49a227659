import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LogFrameDecodeError, LogFrameDecoder, decodeLogFrames } from './log-frame.decoder';
import { type FrameStream, encodeFrame, encodeLogEntry, encodeLogError } from './log-frame.encoder';
import { swarmLogDetails } from './log-line.formatter';

const hex = (b: Buffer) => b.toString('hex');

describe('encodeFrame', () => {
  it('writes the 8-byte header: stream, 3 zero bytes, big-endian length', () => {
    expect(hex(encodeFrame('stdout', 'hi\n'))).toBe('0100000000000003' + hex(Buffer.from('hi\n')));
    expect(hex(encodeFrame('stderr', Buffer.alloc(0x0102)).subarray(0, 8))).toBe(
      '0200000000000102',
    );
    expect(hex(encodeFrame('systemerr', ''))).toBe('0300000000000000');
  });

  it('encodes a log entry with the formatted line, and an error on the system stream', () => {
    const frame = encodeLogEntry(
      {
        stream: 'stderr',
        data: 'boom\n',
        timestamp: '2024-05-01T10:00:00.12Z',
        details: swarmLogDetails({ nodeId: 'n1', serviceId: 's1', taskId: 't1' }),
      },
      { timestamps: true, details: true },
    );
    const payload =
      '2024-05-01T10:00:00.120000000Z com.docker.swarm.node.id=n1,' +
      'com.docker.swarm.service.id=s1,com.docker.swarm.task.id=t1 boom\n';
    expect(frame[0]).toBe(2);
    expect(frame.readUInt32BE(4)).toBe(Buffer.byteLength(payload));
    expect(frame.subarray(8).toString()).toBe(payload);
    expect(encodeLogError('node gone').subarray(8).toString()).toBe(
      'Error grabbing logs: node gone\n',
    );
    expect(encodeLogError('x')[0]).toBe(3);
  });
});

describe('LogFrameDecoder', () => {
  it('returns frames as chunks complete them, even a header split byte by byte', () => {
    const bytes = Buffer.concat([encodeFrame('stdout', 'a\n'), encodeFrame('stderr', 'bc\n')]);
    const d = new LogFrameDecoder();
    const got: string[] = [];
    for (const byte of bytes) {
      for (const f of d.push(Buffer.from([byte]))) got.push(`${f.stream}:${f.payload}`);
    }
    expect(got).toEqual(['stdout:a\n', 'stderr:bc\n']);
    expect(d.pendingBytes).toBe(0);
    d.end();
  });

  it('reports a stream cut inside a header or a payload', () => {
    const frame = encodeFrame('stdout', 'hello');
    const inHeader = new LogFrameDecoder();
    inHeader.push(frame.subarray(0, 5));
    expect(() => inHeader.end()).toThrow(/ended inside a frame header: 5 of its 8 bytes/);
    const inPayload = new LogFrameDecoder();
    inPayload.push(frame.subarray(0, 10));
    expect(() => inPayload.end()).toThrow(/ended inside a frame: 2 of its 5 payload bytes/);
  });

  it('refuses a raw stream or a bad stream byte, naming what a header holds', () => {
    const raw = new LogFrameDecoder();
    expect(() => raw.push(Buffer.from('hello world\n'))).toThrow(LogFrameDecodeError);
    expect(() => raw.push(Buffer.from('more'))).toThrow(/not a multiplexed log stream/);
    const bad = new LogFrameDecoder();
    const frame = encodeFrame('stdout', 'x');
    frame[0] = 9;
    expect(() => bad.push(frame)).toThrow(
      /header at byte 0 is 0900000000000001; expected a stream byte of 0 \(stdin\), 1 \(stdout\)/,
    );
  });

  it('refuses a frame longer than maxPayloadBytes instead of buffering it', () => {
    const d = new LogFrameDecoder({ maxPayloadBytes: 4 });
    d.push(encodeFrame('stdout', 'abcd'));
    expect(() => d.push(encodeFrame('stdout', 'abcde'))).toThrow(
      /frame at byte 12 announces 5 bytes, more than the limit of 4/,
    );
  });

  it('decodeLogFrames reads an async stream of chunks', async () => {
    async function* body() {
      yield encodeFrame('stdout', 'one\n').subarray(0, 3);
      yield Buffer.concat([encodeFrame('stdout', 'one\n').subarray(3), encodeFrame('stderr', '')]);
    }
    const frames = [];
    for await (const f of decodeLogFrames(body())) frames.push(f);
    expect(frames).toEqual([
      { stream: 'stdout', payload: Buffer.from('one\n') },
      { stream: 'stderr', payload: Buffer.alloc(0) },
    ]);
  });

  it('decode(encode(frames)) round-trips, however the bytes are chunked', () => {
    const frame = fc.record({
      stream: fc.constantFrom<FrameStream>('stdin', 'stdout', 'stderr', 'systemerr'),
      payload: fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(
        fc.array(frame, { maxLength: 20 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (frames, cuts) => {
          const bytes = Buffer.concat(frames.map((f) => encodeFrame(f.stream, f.payload)));
          const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort(
            (a, b) => a - b,
          );
          const d = new LogFrameDecoder();
          const out = [];
          let from = 0;
          for (const p of [...points, bytes.length]) {
            out.push(...d.push(bytes.subarray(from, p)));
            from = p;
          }
          d.end();
          expect(out).toEqual(frames);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws anything but LogFrameDecodeError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 10 }), (chunks) => {
        const d = new LogFrameDecoder({ maxPayloadBytes: 64 });
        try {
          for (const c of chunks) d.push(c);
          d.end();
        } catch (e) {
          expect(e).toBeInstanceOf(LogFrameDecodeError);
        }
      }),
    );
  });
});
