import { type SchedulerNode } from '../scheduler.types';

const NODE_LABELS = 'node.labels.';
const ENGINE_LABELS = 'engine.labels.';

/**
 * The value of a node attribute named as in constraints and spread preferences, with the
 * key normalized by normalizeNodeAttribute (fixed part lower-cased, label name as given).
 * A missing attribute reads as '' (swarmkit's rule), so `node.labels.zone!=eu` holds on a
 * node without the label, and such nodes form their own group when spreading.
 */
export function nodeAttribute(node: SchedulerNode, key: string): string {
  switch (key) {
    case 'node.id':
      return node.ID;
    case 'node.hostname':
      return node.Description?.Hostname ?? '';
    case 'node.role':
      return node.Spec.Role ?? (node.ManagerStatus ? 'manager' : 'worker');
    case 'node.platform.os':
      return node.Description?.Platform?.OS ?? '';
    case 'node.platform.arch':
      return node.Description?.Platform?.Architecture ?? '';
  }
  if (key.startsWith(NODE_LABELS)) return node.Spec.Labels?.[key.slice(NODE_LABELS.length)] ?? '';
  if (key.startsWith(ENGINE_LABELS)) {
    return node.Description?.Engine?.Labels?.[key.slice(ENGINE_LABELS.length)] ?? '';
  }
  return '';
}
