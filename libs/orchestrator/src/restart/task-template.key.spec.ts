import { type TaskSpec } from '@shoal/api/swarm';
import { describe, expect, it } from 'vitest';
import { madeFromTemplate, taskTemplateKey } from './task-template.key';

/** Frozen all the way down, as the store keeps every object. */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

const spec = (): TaskSpec => ({
  ContainerSpec: { Image: 'busybox', Args: ['sleep', '1'], Env: ['A=1'] },
  RestartPolicy: { Condition: 'any' },
});

describe('taskTemplateKey', () => {
  it('ignores key order, undefined fields and PullOptions', () => {
    const reordered = {
      RestartPolicy: { Condition: 'any' },
      Placement: undefined,
      ContainerSpec: { Env: ['A=1'], Args: ['sleep', '1'], Image: 'busybox', PullOptions: {} },
    } as TaskSpec;
    expect(taskTemplateKey(reordered)).toBe(taskTemplateKey(spec()));
  });

  it('gives a frozen (stored) spec the same key as an unfrozen copy, every time', () => {
    const frozen = deepFreeze(spec());
    expect(taskTemplateKey(frozen)).toBe(taskTemplateKey(spec()));
    expect(taskTemplateKey(frozen)).toBe(taskTemplateKey(spec()));
  });

  it('recomputes an unfrozen spec, which may have changed since', () => {
    const mutable = spec();
    const before = taskTemplateKey(mutable);
    mutable.ContainerSpec!.Image = 'nginx';
    expect(taskTemplateKey(mutable)).not.toBe(before);
    expect(madeFromTemplate(spec())({ Spec: mutable })).toBe(false);
    expect(madeFromTemplate(spec())({ Spec: deepFreeze(spec()) })).toBe(true);
  });
});
