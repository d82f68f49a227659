import { directStore } from '@shoal/store/testing/store.fixtures';
import { describe, expect, it } from 'vitest';
import { type OrchestratedService, type OrchestratedTask } from '../replicated/replicated.types';
import { newServiceTask } from './task.factory';
import {
  decisionsOf,
  DEFAULT_WRITE_BUDGET,
  estimatedCreateBytes,
  estimatedUpdateBytes,
  TransactionBudget,
} from './transaction.budget';

const service: OrchestratedService = {
  ID: 'svc1',
  Version: { Index: 3 },
  CreatedAt: '2026-11-22T08:00:00.123Z',
  UpdatedAt: '2026-11-22T08:00:00.123Z',
  Spec: {
    Name: 'wëb-日本-🚀',
    Labels: { tier: 'front', note: 'ünïcödé 🚀' },
    TaskTemplate: { ContainerSpec: { Image: 'busybox', Env: ['GREETING=héllo 世界'] } },
  },
  RegistryAuth: 'eyJ1c2VybmFtZSI6ImEifQ==',
};

/** 128: the proposal's own envelope, as TransactionBudget starts its count. */
const ENVELOPE = 128;

describe('the byte estimates, against the entries the store really proposes', () => {
  it('cover created tasks, multi-byte text included, without padding them much', async () => {
    const { store, proposer } = directStore(3);
    const plans = [1, 2, 3, 4, 5].map((slot) => newServiceTask(service, { slot }, 0));
    await store.update((tx) => {
      for (const p of plans) tx.create<OrchestratedTask>('task', p);
    });
    const actual = proposer.log.at(-1)!.data.byteLength;
    const estimate = ENVELOPE + plans.reduce((n, p) => n + estimatedCreateBytes(p), 0);
    expect(estimate).toBeGreaterThanOrEqual(actual);
    expect(estimate - actual).toBeLessThan(plans.length * 128);
    // UTF-8, not UTF-16 code units.
    expect(estimatedCreateBytes(plans[0]!)).toBeGreaterThan(JSON.stringify(plans[0]).length + 100);
  });

  it('cover shutdowns, which the store proposes as the fields that changed', async () => {
    const { store, proposer } = directStore(4);
    const created = await store.update((tx) => {
      for (const slot of [1, 2, 3]) {
        tx.create<OrchestratedTask>('task', newServiceTask(service, { slot }, 0));
      }
    });
    const tasks = store.view((tx) =>
      created.created.map((id) => tx.get<OrchestratedTask>('task', id)!),
    );
    const stopped = tasks.map((t): OrchestratedTask => ({ ...t, DesiredState: 'shutdown' }));
    await store.update((tx) => {
      for (const t of stopped) tx.update<OrchestratedTask>('task', t);
    });
    const actual = proposer.log.at(-1)!.data.byteLength;
    const estimate =
      ENVELOPE + tasks.reduce((n, t, i) => n + estimatedUpdateBytes(t, stopped[i]!), 0);
    expect(estimate).toBeGreaterThanOrEqual(actual);
    expect(estimate - actual).toBeLessThan(ENVELOPE);
  });
});

describe('TransactionBudget', () => {
  it('stops at the task count, taking whole decisions only', () => {
    const budget = new TransactionBudget({ maxTasks: 5, maxBytes: 1 << 20 });
    expect(budget.admit(2, 10)).toBe(true);
    expect(budget.admit(2, 10)).toBe(true);
    // Two more would make six.
    expect(budget.admit(2, 10)).toBe(false);
    expect(budget.admit(1, 10)).toBe(true);
    expect(budget.admit(1, 10)).toBe(false);
  });

  it('stops at the byte estimate, the envelope counted', () => {
    const budget = new TransactionBudget({ maxTasks: 500, maxBytes: ENVELOPE + 3000 });
    expect(budget.admit(1, 1000)).toBe(true);
    expect(budget.admit(2, 1500)).toBe(true);
    expect(budget.admit(1, 501)).toBe(false);
    expect(budget.admit(1, 500)).toBe(true);
  });

  it('always takes a first decision, however large, or it would never be written', () => {
    const budget = new TransactionBudget({ maxTasks: 1, maxBytes: 10 });
    expect(budget.admit(3, 5000)).toBe(true);
    expect(budget.admit(1, 1)).toBe(false);
  });

  it('defaults to 500 tasks and half of Raft’s 1 MiB entry limit', () => {
    expect(DEFAULT_WRITE_BUDGET).toEqual({ maxTasks: 500, maxBytes: 512 * 1024 });
  });
});

describe('decisionsOf', () => {
  const task = (ID: string, extra: Partial<OrchestratedTask>): OrchestratedTask =>
    ({ ID, Version: { Index: 1 }, CreatedAt: '', UpdatedAt: '', ...extra }) as OrchestratedTask;

  it('ties a replacement to the shutdown of the task it replaces, by slot or by node', () => {
    const tasks = new Map(
      [
        task('s2', { Slot: 2, NodeID: 'n1' }),
        task('s9', { Slot: 9, NodeID: 'n1' }),
        task('g1', { NodeID: 'n3' }),
        task('g2', { NodeID: 'n4' }),
        task('lone', {}),
      ].map((t) => [t.ID, t]),
    );
    const decisions = decisionsOf(
      {
        shutdown: ['s2', 's9', 'g1', 'g2', 'lone', 's2'],
        create: [{ slot: 2 }, { slot: 5 }, { nodeId: 'n3' }, { nodeId: 'n7' }],
      },
      tasks,
    );
    const view = decisions.map((d) => ({
      stop: d.stop.map((t) => t.ID),
      create: d.create.map((p) => p.slot ?? p.nodeId),
    }));
    expect(view).toEqual([
      { stop: ['s2'], create: [2] },
      { stop: ['s9'], create: [] },
      { stop: ['g1'], create: ['n3'] },
      { stop: ['g2'], create: [] },
      { stop: ['lone'], create: [] },
      { stop: [], create: [5] },
      { stop: [], create: ['n7'] },
    ]);
  });

  it('keeps plans with neither slot nor node apart', () => {
    const decisions = decisionsOf({ shutdown: [], create: [{}, {}] }, new Map());
    expect(decisions).toHaveLength(2);
  });
});
