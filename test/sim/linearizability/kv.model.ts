import { type History, type Model, UNKNOWN, type Unknown } from './history.types';

export type KvInput =
  | { kind: 'put'; key: string; value: string }
  | { kind: 'get'; key: string }
  /** `expected: undefined` means "only if the key is absent". */
  | { kind: 'cas'; key: string; expected: string | undefined; value: string };

export type KvOutput =
  { kind: 'put' } | { kind: 'get'; value: string | undefined } | { kind: 'cas'; ok: boolean };

/**
 * The state of ONE key. The model is only ever run on a per-key partition, so the state of a
 * whole map never has to be hashed or compared — which keeps the memo table small and cheap.
 */
export type KvRegister = string | undefined;

function partitionByKey(history: History<KvInput, KvOutput>) {
  const byKey = new Map<string, History<KvInput, KvOutput>>();
  for (const op of history) {
    let part = byKey.get(op.input.key);
    if (!part) {
      part = [];
      byKey.set(op.input.key, part);
    }
    part.push(op);
  }
  // Sorted so explanations (and step budgets) do not depend on Map insertion order.
  return [...byKey.keys()].sort().map((key) => ({
    label: `key ${JSON.stringify(key)}`,
    history: byKey.get(key)!,
  }));
}

function show(v: string | undefined): string {
  return v === undefined ? '∅' : JSON.stringify(v);
}

export const kvModel: Model<KvRegister, KvInput, KvOutput> = {
  init: () => undefined,

  step(state, input, output: KvOutput | Unknown) {
    switch (input.kind) {
      case 'put':
        return { ok: true, newState: input.value };
      case 'get':
        return {
          ok: output === UNKNOWN || (output.kind === 'get' && output.value === state),
          newState: state,
        };
      case 'cas': {
        const swapped = state === input.expected;
        const ok = output === UNKNOWN || (output.kind === 'cas' && output.ok === swapped);
        return { ok, newState: swapped ? input.value : state };
      }
    }
  },

  equal: (a, b) => a === b,
  // The prefix keeps "absent" apart from every real string value.
  hash: (s) => (s === undefined ? '-' : `+${s}`),
  partition: partitionByKey,
  isReadOnly: (input) => input.kind === 'get',

  describe(input, output) {
    const out = (text: string) => (output === UNKNOWN ? `${text} → ?` : text);
    switch (input.kind) {
      case 'put':
        return out(`put(${input.key}, ${show(input.value)})`);
      case 'get':
        return output !== UNKNOWN && output.kind === 'get'
          ? `get(${input.key}) → ${show(output.value)}`
          : out(`get(${input.key})`);
      case 'cas': {
        const text = `cas(${input.key}, ${show(input.expected)}, ${show(input.value)})`;
        return output !== UNKNOWN && output.kind === 'cas' ? `${text} → ${output.ok}` : out(text);
      }
    }
  },

  describeState: show,
};
