import { promises as fs } from 'node:fs';

/**
 * fsync a directory, making file creations, renames and deletions in it durable. POSIX does
 * not promise that fsyncing a file persists its directory entry, so without this a crash
 * can "undo" a rename that the caller already relied on.
 */
export async function fsyncDir(dir: string): Promise<void> {
  // Windows cannot open a directory for syncing, and NTFS journals metadata anyway.
  if (process.platform === 'win32') return;
  const fh = await fs.open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Writes all of `data` at `position`, looping over short writes. Returns the write count. */
export async function writeFully(
  fh: fs.FileHandle,
  data: Uint8Array,
  position: number,
): Promise<number> {
  let off = 0;
  let calls = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off, position + off);
    calls++;
    if (bytesWritten <= 0) throw new Error(`write made no progress at offset ${position + off}`);
    off += bytesWritten;
  }
  return calls;
}
