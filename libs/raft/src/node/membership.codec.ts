import { type NodeId } from '../core/types';

/**
 * The driver's snapshot envelope. Raft's ConfState names members but not their addresses, and
 * a node restored from a snapshot must still be able to reach its peers, so the driver stores
 * the address book next to the application's image.
 *
 * Layout: u32 length of the JSON address book, the JSON, then the application image.
 */
export function encodeSnapshotEnvelope(
  addresses: ReadonlyMap<NodeId, string>,
  app: Uint8Array,
): Uint8Array {
  const book = Buffer.from(JSON.stringify(Object.fromEntries(addresses)), 'utf8');
  const out = Buffer.allocUnsafe(4 + book.length + app.length);
  out.writeUInt32BE(book.length, 0);
  book.copy(out, 4);
  out.set(app, 4 + book.length);
  return out;
}

export function decodeSnapshotEnvelope(data: Uint8Array): {
  addresses: Map<NodeId, string>;
  app: Uint8Array;
} {
  if (data.length < 4) throw new Error('raft snapshot envelope is truncated');
  const buf = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const len = buf.readUInt32BE(0);
  if (4 + len > buf.length) throw new Error('raft snapshot envelope address book is truncated');
  const parsed: unknown = JSON.parse(buf.subarray(4, 4 + len).toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('raft snapshot envelope address book is not an object');
  }
  const addresses = new Map<NodeId, string>();
  for (const [id, addr] of Object.entries(parsed)) {
    if (typeof addr !== 'string') throw new Error(`raft snapshot address of ${id} is not a string`);
    addresses.set(id, addr);
  }
  return { addresses, app: buf.subarray(4 + len) };
}
