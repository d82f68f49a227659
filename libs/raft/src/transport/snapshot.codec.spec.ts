import { randomBytes } from 'node:crypto';
import zlib from 'node:zlib';
import * as protoLoader from '@grpc/proto-loader';
import { PROTO_DIR, PROTO_LOADER_OPTIONS, type PbSnapshotChunkOut } from '@shoal/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Message, MessageType, emptyMessage } from '../core/types';
import {
  crc32,
  crc32Portable,
  MAX_SNAPSHOT_CHUNK_BYTES,
  SnapshotAssembler,
  SnapshotAssemblyError,
  snapshotChunks,
} from './snapshot.codec';

const definition = protoLoader.loadSync(`${PROTO_DIR}/raft.proto`, PROTO_LOADER_OPTIONS);
const method = (definition['shoal.raft.v1.RaftTransport'] as protoLoader.ServiceDefinition)
  .InstallSnapshot;

/** Each chunk as the receiver gets it, with the size of its frame. */
function overTheWire(
  msg: Message,
  chunkBytes: number,
): { chunk: PbSnapshotChunkOut; bytes: number }[] {
  return [...snapshotChunks(msg, chunkBytes)].map((c) => {
    const frame = method.requestSerialize(c);
    return { chunk: method.requestDeserialize(frame) as PbSnapshotChunkOut, bytes: frame.length };
  });
}

function snapMessage(data: Uint8Array): Message {
  return {
    ...emptyMessage(MessageType.Snap, 'n2', 'n1'),
    term: 7,
    snapshot: {
      metadata: { index: 42, term: 6, confState: { voters: ['n1', 'n2', 'n3'], learners: ['n4'] } },
      data,
    },
  };
}

function assemble(chunks: PbSnapshotChunkOut[], maxBytes = 1 << 30): Message {
  const a = new SnapshotAssembler(maxBytes);
  for (const c of chunks) a.push(c);
  return a.finish();
}

describe('crc32', () => {
  it('the portable fallback agrees with zlib, also when continued across chunks', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.nat(300), (data, cut) => {
        const whole = crc32Portable(data);
        expect(whole).toBe(zlib.crc32(data));
        expect(crc32Portable(data.subarray(cut), crc32Portable(data.subarray(0, cut)))).toBe(whole);
        expect(crc32(data)).toBe(whole);
      }),
    );
  });
});

describe('snapshot chunking', () => {
  it('reassembles the exact message from chunks of the configured size', () => {
    const data = new Uint8Array(randomBytes(10_000));
    const wire = overTheWire(snapMessage(data), 4096);
    expect(wire.map((w) => w.chunk.chunk)).toEqual(['header', 'data', 'data', 'data']);
    expect(wire.slice(1).map((w) => w.chunk.data!.data.length)).toEqual([4096, 4096, 1808]);
    expect(assemble(wire.map((w) => w.chunk))).toStrictEqual(snapMessage(data));
  });

  it('sends an empty snapshot as a header alone', () => {
    const wire = overTheWire(snapMessage(new Uint8Array(0)), 4096);
    expect(wire).toHaveLength(1);
    expect(assemble(wire.map((w) => w.chunk))).toStrictEqual(snapMessage(new Uint8Array(0)));
  });

  it('keeps every frame under 4 MiB at the largest chunk size', () => {
    const data = new Uint8Array(2 * MAX_SNAPSHOT_CHUNK_BYTES + 5);
    const wire = overTheWire(snapMessage(data), MAX_SNAPSHOT_CHUNK_BYTES);
    for (const w of wire) expect(w.bytes).toBeLessThanOrEqual(4 * 1024 * 1024);
  });

  it('refuses a chunk size that would not fit a gRPC message', () => {
    const gen = snapshotChunks(snapMessage(new Uint8Array(1)), MAX_SNAPSHOT_CHUNK_BYTES + 1);
    expect(() => gen.next()).toThrow(RangeError);
  });
});

describe('SnapshotAssembler', () => {
  const data = new Uint8Array(randomBytes(3000));
  const good = () => overTheWire(snapMessage(data), 1000).map((w) => w.chunk);

  const rejects = (chunks: PbSnapshotChunkOut[], pattern: RegExp, maxBytes?: number) =>
    expect(() => assemble(chunks, maxBytes)).toThrow(
      expect.objectContaining({
        name: SnapshotAssemblyError.name,
        message: expect.stringMatching(pattern),
      }),
    );

  it('refuses data before the header', () => rejects(good().slice(1), /before header/));

  it('refuses a missing chunk', () => {
    const c = good();
    rejects([c[0], c[1], c[3]], /expected 1000/);
  });

  it('refuses a truncated stream', () => rejects(good().slice(0, 3), /2000 of 3000/));

  it('refuses more data than announced', () => {
    const c = good();
    const extra: PbSnapshotChunkOut = {
      chunk: 'data',
      data: { offset: 3000, data: Buffer.alloc(1) },
    };
    rejects([...c, extra], /more than the announced/);
  });

  it('refuses corrupted data', () => {
    const c = good();
    const bad = Buffer.from(c[2].data!.data);
    bad[17] ^= 0xff;
    rejects([c[0], c[1], { chunk: 'data', data: { offset: 1000, data: bad } }, c[3]], /checksum/);
  });

  it('refuses a snapshot larger than the limit before allocating it', () =>
    rejects(good(), /outside \[0, 2999\]/, 2999));

  it('refuses a header that is not a MsgSnap', () => {
    const c = good();
    c[0].header!.message!.type = MessageType.App;
    rejects(c, /not a Snap/);
  });
});
