import * as protoLoader from '@grpc/proto-loader';
import { PROTO_DIR, PROTO_LOADER_OPTIONS, type PbMessageOut, type PbRaftBatch } from '@shoal/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Entry, EntryType, type Message, MessageType, emptyMessage } from '../core/types';
import { MessageDecodeError, messageFromPb, messageSizeBound, messageToPb } from './message.codec';

// The real wire path: the same serializer gRPC uses for a RaftBatch.
const definition = protoLoader.loadSync(`${PROTO_DIR}/raft.proto`, PROTO_LOADER_OPTIONS);
const streamMethod = (definition['shoal.raft.v1.RaftTransport'] as protoLoader.ServiceDefinition)
  .Stream;

function wire(messages: Message[]): { bytes: Buffer; decoded: Message[] } {
  const batch: PbRaftBatch = { messages: messages.map((m) => messageToPb(m)) };
  const bytes = streamMethod.requestSerialize(batch);
  const out = streamMethod.requestDeserialize(bytes) as { messages: PbMessageOut[] };
  return { bytes, decoded: out.messages.map(messageFromPb) };
}

const u64 = fc.maxSafeNat();
// Full Unicode: ids are UTF-8 on the wire and the size bound must hold for multi-byte text.
const id = fc.string({ unit: 'grapheme', maxLength: 12 });
const bytes = fc.uint8Array({ maxLength: 64 });

// Plain prototypes, as the core builds them; fast-check's default is null-prototype objects.
const plain = { noNullPrototype: true } as const;

const entryArb: fc.Arbitrary<Entry> = fc.record(
  {
    term: u64,
    index: u64,
    type: fc.constantFrom(EntryType.Normal, EntryType.ConfChange),
    data: bytes,
  },
  plain,
);

const messageTypes = Object.values(MessageType).filter(
  (v): v is MessageType => typeof v === 'number',
);

// Optional fields are left out (not set to undefined) when absent, so toStrictEqual also
// proves the decoder does not invent keys.
const messageArb: fc.Arbitrary<Message> = fc.record(
  {
    type: fc.constantFrom(...messageTypes),
    to: id,
    from: id,
    term: u64,
    logTerm: u64,
    index: u64,
    entries: fc.array(entryArb, { maxLength: 5 }),
    commit: u64,
    snapshot: fc.record(
      {
        metadata: fc.record(
          {
            index: u64,
            term: u64,
            confState: fc.record(
              { voters: fc.array(id, { maxLength: 5 }), learners: fc.array(id, { maxLength: 5 }) },
              plain,
            ),
          },
          plain,
        ),
        data: bytes,
      },
      plain,
    ),
    reject: fc.boolean(),
    rejectHint: u64,
    context: bytes,
  },
  {
    ...plain,
    requiredKeys: [
      'type',
      'to',
      'from',
      'term',
      'logTerm',
      'index',
      'entries',
      'commit',
      'reject',
      'rejectHint',
    ],
  },
);

describe('message codec', () => {
  it('round-trips every field through the protobuf encoding', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 4 }), (messages) => {
        expect(wire(messages).decoded).toStrictEqual(messages);
      }),
      { numRuns: 300 },
    );
  });

  it('bounds the encoded size from above', () => {
    fc.assert(
      fc.property(fc.array(messageArb, { minLength: 1, maxLength: 4 }), (messages) => {
        const bound = messages.reduce((n, m) => n + messageSizeBound(m), 0);
        expect(wire(messages).bytes.length).toBeLessThanOrEqual(bound);
      }),
      { numRuns: 300 },
    );
  });

  it('tells an empty context from none', () => {
    const base: Message = { ...emptyMessage(MessageType.Heartbeat, 'b', 'a'), term: 1 };
    const [none, empty] = wire([base, { ...base, context: new Uint8Array(0) }]).decoded;
    expect('context' in none).toBe(false);
    expect(empty.context).toEqual(new Uint8Array(0));
  });

  it('hands out copies, not views into the received frame', () => {
    const m: Message = {
      type: MessageType.App,
      to: 'b',
      from: 'a',
      term: 1,
      logTerm: 1,
      index: 1,
      entries: [{ term: 1, index: 2, type: EntryType.Normal, data: new Uint8Array([1, 2, 3]) }],
      commit: 1,
      reject: false,
      rejectHint: 0,
    };
    const { bytes: frame, decoded } = wire([m]);
    const data = decoded[0].entries[0].data;
    expect(Object.getPrototypeOf(data)).toBe(Uint8Array.prototype);
    expect(data.buffer).not.toBe(frame.buffer);
  });

  it('refuses values the core cannot represent', () => {
    const good = messageToPb({ ...emptyMessage(MessageType.App, 'b', 'a'), term: 1 });
    const decode = (patch: object) =>
      messageFromPb({
        ...(good as unknown as PbMessageOut),
        entries: [],
        snapshot: null,
        ...patch,
      });
    expect(() => decode({ type: 99 })).toThrow(MessageDecodeError);
    expect(() => decode({ term: 2 ** 60 })).toThrow(MessageDecodeError);
    expect(() => decode({ commit: -1 })).toThrow(MessageDecodeError);
    expect(() =>
      decode({ entries: [{ term: 1, index: 1, type: 7, data: Buffer.alloc(0) }] }),
    ).toThrow(MessageDecodeError);
    expect(() => decode({ snapshot: { metadata: null, data: Buffer.alloc(0) } })).toThrow(
      MessageDecodeError,
    );
  });
});
