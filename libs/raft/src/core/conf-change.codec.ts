import { type ConfChange, ConfChangeType } from './types';

/**
 * Compact binary form of a ConfChange, stored as the data of ConfChange log entries:
 *
 *   u8 version (1) | u8 type | uvarint len | nodeId (UTF-8) | uvarint len | context
 *
 * It is versioned because these bytes live in the log (and in WALs) forever; a future format
 * must still decode entries written by this one.
 */
const VERSION = 1;
const MAX_NODE_ID_BYTES = 1024;

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeConfChange(cc: ConfChange): Uint8Array {
  if (!(cc.type in ConfChangeType)) throw new RangeError(`unknown ConfChangeType ${cc.type}`);
  const id = utf8Encoder.encode(cc.nodeId);
  if (id.byteLength > MAX_NODE_ID_BYTES) throw new RangeError('ConfChange nodeId too long');
  const out = new Uint8Array(2 + 10 + id.byteLength + 10 + cc.context.byteLength);
  out[0] = VERSION;
  out[1] = cc.type;
  let pos = writeUvarint(out, 2, id.byteLength);
  out.set(id, pos);
  pos += id.byteLength;
  pos = writeUvarint(out, pos, cc.context.byteLength);
  out.set(cc.context, pos);
  pos += cc.context.byteLength;
  return out.slice(0, pos);
}

/** Throws RangeError on malformed input; never returns a partially decoded change. */
export function decodeConfChange(data: Uint8Array): ConfChange {
  if (data.byteLength < 4) throw new RangeError('ConfChange: truncated');
  if (data[0] !== VERSION) throw new RangeError(`ConfChange: unsupported version ${data[0]}`);
  const type = data[1]!;
  if (!(type in ConfChangeType)) throw new RangeError(`ConfChange: unknown type ${type}`);
  const [idLen, idStart] = readUvarint(data, 2);
  if (idLen > MAX_NODE_ID_BYTES || idStart + idLen > data.byteLength)
    throw new RangeError('ConfChange: bad nodeId length');
  const nodeId = utf8Decoder.decode(data.subarray(idStart, idStart + idLen));
  const [ctxLen, pos] = readUvarint(data, idStart + idLen);
  if (pos + ctxLen !== data.byteLength) throw new RangeError('ConfChange: bad context length');
  const context = data.slice(pos, pos + ctxLen);
  return { type: type as ConfChangeType, nodeId, context };
}

function writeUvarint(buf: Uint8Array, pos: number, value: number): number {
  let v = value;
  while (v >= 0x80) {
    buf[pos++] = (v % 0x80) | 0x80;
    v = Math.floor(v / 0x80);
  }
  buf[pos++] = v;
  return pos;
}

function readUvarint(buf: Uint8Array, start: number): [number, number] {
  let value = 0;
  let scale = 1;
  let pos = start;
  // Lengths are bounded well below 2^35, so five groups are plenty; more means garbage.
  for (let i = 0; i < 5; i++) {
    if (pos >= buf.byteLength) throw new RangeError('ConfChange: truncated varint');
    const b = buf[pos++]!;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, pos];
    scale *= 0x80;
  }
  throw new RangeError('ConfChange: varint too long');
}
