import { describe, expect, it } from 'vitest';
import { createLogger } from './logger';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const destination = { write: (s: string) => lines.push(JSON.parse(s)) };
  return { lines, destination };
}

describe('createLogger', () => {
  it('writes structured lines with the message and fields', () => {
    const { lines, destination } = capture();
    createLogger({ name: 't', destination }).info('hello', { node: 'n1' });
    expect(lines[0]).toMatchObject({ name: 't', msg: 'hello', node: 'n1', level: 30 });
  });

  it('never writes secrets or tokens, however deep the field sits one level down', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 't', destination }).child({ component: 'ca' });
    log.info('joined', { token: 'SWMTKN-1-abc', req: { secret: 's3cr3t' } });
    const text = JSON.stringify(lines);
    expect(text).not.toContain('SWMTKN-1-abc');
    expect(text).not.toContain('s3cr3t');
    expect(lines[0]).toMatchObject({ component: 'ca', token: '[redacted]' });
  });

  it('drops lines below the configured level', () => {
    const { lines, destination } = capture();
    const log = createLogger({ name: 't', level: 'warn', destination });
    log.info('quiet');
    log.warn('loud');
    expect(lines.map((l) => l.msg)).toEqual(['loud']);
  });
});
