import { BadRequestException, NotFoundException, PayloadTooLargeException } from '@nestjs/common';
import { ConflictError, NotImplementedError } from '@shoal/api';
import { describe, expect, it } from 'vitest';
import { toErrorReply } from './api-exception.filter';

function named(name: string, message: string, extra: Record<string, unknown> = {}): Error {
  const e = new Error(message);
  e.name = name;
  return Object.assign(e, extra);
}

describe('toErrorReply', () => {
  it('keeps ApiErrors as they are', () => {
    expect(toErrorReply(new ConflictError('taken'))).toEqual({
      status: 409,
      message: 'taken',
      internal: false,
    });
    expect(toErrorReply(new NotImplementedError('later'))).toMatchObject({ status: 501 });
  });

  it("maps Nest's HttpExceptions to the same shape", () => {
    expect(toErrorReply(new BadRequestException('bad'))).toEqual({
      status: 400,
      message: 'bad',
      internal: false,
    });
    expect(toErrorReply(new NotFoundException())).toMatchObject({
      status: 404,
      message: 'Not Found',
    });
    expect(toErrorReply(new BadRequestException(['a', 'b']))).toMatchObject({ message: 'a; b' });
    expect(toErrorReply(new PayloadTooLargeException())).toMatchObject({ status: 413 });
  });

  it('maps store and Raft errors by name, without importing them', () => {
    expect(
      toErrorReply(named('StoreError', 'service x not found', { code: 'NotFound' })),
    ).toMatchObject({ status: 404 });
    expect(
      toErrorReply(named('StoreError', 'update out of sequence', { code: 'VersionConflict' })),
    ).toMatchObject({
      status: 409,
      message: 'update out of sequence',
    });
    expect(toErrorReply(named('NotLeaderError', 'no leader'))).toMatchObject({
      status: 503,
      internal: false,
    });
  });

  it('turns anything else into a logged 500 without a stack', () => {
    const reply = toErrorReply(new TypeError('x is undefined'));
    expect(reply).toEqual({
      status: 500,
      message: 'internal error: x is undefined',
      internal: true,
    });
    expect(toErrorReply('boom')).toMatchObject({ status: 500, message: 'internal error: boom' });
  });
});
