import { describe, expect, it } from 'vitest';
import { MULTIPLEXED_STREAM_TYPE, RAW_STREAM_TYPE } from './log-frame.encoder';
import { INCOMPLETE_LOG_STREAM, LogStreamWriter, logContentType } from './log-stream.writer';

const writer = (multiplexed: boolean, details = false) =>
  new LogStreamWriter({
    multiplexed,
    format: { timestamps: true, details },
    stdout: true,
    stderr: false,
    serviceOf: () => 'svc',
  });

const line = {
  taskId: 't1',
  nodeId: 'n1',
  stream: 'stdout' as const,
  data: Buffer.from('hi\n'),
  timestamp: '2024-05-01T10:00:00.12Z',
};

describe('logContentType', () => {
  it.each([
    [false, undefined, MULTIPLEXED_STREAM_TYPE],
    [false, '1.42', MULTIPLEXED_STREAM_TYPE],
    [false, '1.41', RAW_STREAM_TYPE],
    [true, '1.44', RAW_STREAM_TYPE],
  ])('tty=%s at API %s: %s', (tty, version, type) => {
    expect(logContentType(tty, version)).toBe(type);
  });
});

describe('LogStreamWriter', () => {
  it('frames a line as dockerd writes it, with the swarm details when asked', () => {
    const bytes = writer(true, true).line(line)!;
    expect(bytes.subarray(0, 8)).toEqual(Buffer.from([1, 0, 0, 0, 0, 0, 0, bytes.length - 8]));
    expect(bytes.subarray(8).toString()).toBe(
      '2024-05-01T10:00:00.120000000Z com.docker.swarm.node.id=n1,' +
        'com.docker.swarm.service.id=svc,com.docker.swarm.task.id=t1 hi\n',
    );
  });

  it('drops the stream not asked for', () => {
    expect(writer(true).line({ ...line, stream: 'stderr' })).toBeUndefined();
  });

  it('says nothing at the end when nothing went missing', () => {
    expect(writer(true).finish()).toBeUndefined();
  });

  it('reports every reason once, at the end: a system-error frame, or plain text when raw', () => {
    const mux = writer(true);
    mux.warning('node a is down');
    mux.warning('task b has not been scheduled');
    const frame = mux.finish()!;
    const message = `Error grabbing logs: ${INCOMPLETE_LOG_STREAM}node a is down; task b has not been scheduled\n`;
    expect(frame[0]).toBe(3);
    expect(frame.subarray(8).toString()).toBe(message);
    const raw = writer(false);
    raw.warning('node a is down');
    expect(raw.line(line)!.toString()).toBe('2024-05-01T10:00:00.120000000Z hi\n');
    expect(raw.finish()!.toString()).toBe(
      `Error grabbing logs: ${INCOMPLETE_LOG_STREAM}node a is down\n`,
    );
  });
});
