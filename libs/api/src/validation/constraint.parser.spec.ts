import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../errors/api-error';
import { parseConstraint } from './constraint.parser';

describe('parseConstraint', () => {
  it.each([
    ['node.role==manager', { key: 'node.role', op: '==', value: 'manager' }],
    ['node.role != Worker', { key: 'node.role', op: '!=', value: 'worker' }],
    ['node.id==2ivku8v2gvtg4', { key: 'node.id', op: '==', value: '2ivku8v2gvtg4' }],
    [
      '  node.hostname == host-1.example  ',
      { key: 'node.hostname', op: '==', value: 'host-1.example' },
    ],
    ['node.platform.os==linux', { key: 'node.platform.os', op: '==', value: 'linux' }],
    ['Node.Platform.Arch!=x86_64', { key: 'node.platform.arch', op: '!=', value: 'x86_64' }],
    ['node.labels.Zone==eu-1', { key: 'node.labels.Zone', op: '==', value: 'eu-1' }],
    ['NODE.LABELS.ssd==true', { key: 'node.labels.ssd', op: '==', value: 'true' }],
    [
      'engine.labels.os.version==22.04',
      { key: 'engine.labels.os.version', op: '==', value: '22.04' },
    ],
    ['node.labels.path==/mnt/data', { key: 'node.labels.path', op: '==', value: '/mnt/data' }],
  ])('parses %s', (expr, parsed) => {
    expect(parseConstraint(expr)).toEqual(parsed);
  });

  it.each([
    ['node.role', 'expected key==value or key!=value'],
    ['node.role=manager', 'expected key==value or key!=value'],
    ['node.role>manager', 'expected key==value or key!=value'],
    ['node.ip==10.0.0.1', "unknown key 'node.ip'"],
    ['foo==bar', "unknown key 'foo'"],
    ['node.labels.==x', "'node.labels.' names no label"],
    ['==x', "constraint key '' is not valid"],
    ['node.role!==manager', "constraint key 'node.role!' is not valid"],
    ['node.labels.a==', "constraint value '' is not valid"],
    ['node.labels.a==b=c', "constraint value 'b=c' is not valid"],
    ['node.labels.a==<b>', "constraint value '<b>' is not valid"],
    ['node.role==leader', 'node.role can only be manager or worker'],
  ])('rejects %s', (expr, reason) => {
    let error: unknown;
    try {
      parseConstraint(expr);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toContain(`invalid constraint ${JSON.stringify(expr)}`);
    expect((error as Error).message).toContain(reason);
  });

  it('lists the accepted keys and operators when the key is unknown', () => {
    expect(() => parseConstraint('rack==1')).toThrow(
      'invalid constraint "rack==1": constraint has unknown key \'rack\' (accepted keys: node.id, node.hostname, node.role, node.platform.os, node.platform.arch, node.labels.<name>, engine.labels.<name>; operators: ==, !=)',
    );
  });

  it('names the field it was given instead of the expression', () => {
    expect(() => parseConstraint('rack==1', 'Spec.Constraints[3]')).toThrow(
      /^invalid Spec\.Constraints\[3\]: constraint has unknown key 'rack'/,
    );
  });
});
