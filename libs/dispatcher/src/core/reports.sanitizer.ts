import { TASK_STATE_ORDER, type TaskState, type TaskStatus } from '@shoal/api/swarm';

/** A report that cannot be a task status; the call is refused with this message. */
export class InvalidReportError extends Error {
  override readonly name = 'InvalidReportError';
}

const MAX_TEXT = 4096;

const str = (v: unknown, max = 255) => (typeof v === 'string' ? v.slice(0, max) : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const obj = (v: unknown) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

function parseObject(json: string): Record<string, unknown> | undefined {
  try {
    const raw: unknown = JSON.parse(json);
    return typeof raw === 'object' && raw !== null && !Array.isArray(raw)
      ? (raw as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A node's self-description (at join or in its session), reduced to the NodeDescription
 * fields with the types they must have: it comes from the node, and a bad one must neither
 * fail the node nor reach the store. Undefined when it is not a JSON object at all.
 */
export function sanitizeNodeDescription(json: string): Record<string, unknown> | undefined {
  const d = parseObject(json || '{}');
  if (!d) return undefined;
  const nonNegative = (v: unknown) => {
    const n = num(v);
    return n !== undefined && n >= 0 ? n : undefined;
  };
  const labels = Object.fromEntries(
    Object.entries(obj(obj(d.Engine).Labels))
      .filter(([, v]) => typeof v === 'string')
      .slice(0, 64)
      .map(([k, v]) => [k.slice(0, 255), (v as string).slice(0, 255)]),
  );
  return {
    Hostname: str(d.Hostname) ?? '',
    Platform: {
      Architecture: str(obj(d.Platform).Architecture) ?? '',
      OS: str(obj(d.Platform).OS) ?? '',
    },
    Resources: {
      NanoCPUs: nonNegative(obj(d.Resources).NanoCPUs) ?? 0,
      MemoryBytes: nonNegative(obj(d.Resources).MemoryBytes) ?? 0,
    },
    Engine: { EngineVersion: str(obj(d.Engine).EngineVersion) ?? '', Labels: labels, Plugins: [] },
  };
}

/** The states an agent may report (BRIEF decision 2: only the agent writes these). */
const AGENT_STATES = (Object.keys(TASK_STATE_ORDER) as TaskState[]).filter(
  (s) => TASK_STATE_ORDER[s] >= TASK_STATE_ORDER.accepted && s !== 'remove' && s !== 'orphaned',
);

/**
 * An agent's TaskStatus report, checked and reduced to the fields agents write. Throws
 * InvalidReportError naming what is wrong and what is accepted.
 */
export function sanitizeTaskStatus(json: string): TaskStatus {
  const s = parseObject(json);
  if (!s) throw new InvalidReportError('task status must be a JSON object');
  const state = s.State;
  if (typeof state !== 'string' || !AGENT_STATES.includes(state as TaskState)) {
    throw new InvalidReportError(
      `task status State ${JSON.stringify(state)} is not one an agent reports; accepted: ${AGENT_STATES.join(', ')}`,
    );
  }
  const out: TaskStatus = { State: state as TaskState };
  const timestamp = str(s.Timestamp, 64);
  if (timestamp !== undefined) out.Timestamp = timestamp;
  const message = str(s.Message, MAX_TEXT);
  if (message !== undefined) out.Message = message;
  const err = str(s.Err, MAX_TEXT);
  if (err) out.Err = err;
  const cs = obj(s.ContainerStatus);
  const containerId = str(cs.ContainerID);
  const pid = num(cs.PID);
  const exitCode = num(cs.ExitCode);
  if (containerId !== undefined || pid !== undefined || exitCode !== undefined) {
    out.ContainerStatus = {
      ...(containerId !== undefined ? { ContainerID: containerId } : {}),
      ...(pid !== undefined ? { PID: pid } : {}),
      ...(exitCode !== undefined ? { ExitCode: exitCode } : {}),
    };
  }
  return out;
}
