/** How nodes are shown: `node ls` rows and `node inspect --pretty`. */
import type { Node } from '../api/swarm.types';
import { capitalize } from '../output/human.format';
import { type PrettyLine, field, plain, renderPretty, section } from '../output/pretty.printer';
import { renderTable } from '../output/table.renderer';
import { formatBytes, formatNanoCpus } from '../parse/units.parser';

/** One `node ls` row; also the object `--format json` prints (docker's field names). */
export interface NodeRow {
  ID: string;
  Self: boolean;
  Hostname: string;
  Status: string;
  Availability: string;
  ManagerStatus: string;
  EngineVersion: string;
}

/** "Leader", "Reachable", "Unreachable" for managers; empty for workers. */
export function managerStatus(node: Node): string {
  if (!node.ManagerStatus) return '';
  if (node.ManagerStatus.Leader) return 'Leader';
  return capitalize(node.ManagerStatus.Reachability);
}

const naturalOrder = new Intl.Collator('en', { numeric: true }).compare;

/** Rows sorted by hostname in natural order (node2 before node10), as docker lists them. */
export function nodeRows(nodes: readonly Node[], selfId: string | undefined): NodeRow[] {
  return [...nodes]
    .sort((a, b) => naturalOrder(a.Description?.Hostname ?? '', b.Description?.Hostname ?? ''))
    .map((node) => ({
      ID: node.ID,
      Self: selfId !== undefined && selfId !== '' && node.ID === selfId,
      Hostname: node.Description?.Hostname ?? '',
      Status: capitalize(node.Status?.State),
      Availability: capitalize(node.Spec?.Availability),
      ManagerStatus: managerStatus(node),
      EngineVersion: node.Description?.Engine?.EngineVersion ?? '',
    }));
}

export function renderNodeTable(rows: readonly NodeRow[]): string {
  return renderTable(
    ['ID', 'HOSTNAME', 'STATUS', 'AVAILABILITY', 'MANAGER STATUS', 'ENGINE VERSION'],
    rows.map((r) => [
      r.Self ? `${r.ID} *` : r.ID,
      r.Hostname,
      r.Status,
      r.Availability,
      r.ManagerStatus,
      r.EngineVersion,
    ]),
  );
}

const labelLines = (labels: Record<string, string> | undefined): PrettyLine[] =>
  Object.entries(labels ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => plain(` - ${k}=${v}`));

export function renderNodePretty(node: Node): string {
  const manager = node.ManagerStatus;
  const lines: PrettyLine[] = [
    ...field('ID', node.ID),
    ...field('Name', node.Spec?.Name),
    ...section('Labels', labelLines(node.Spec?.Labels)),
    ...field('Hostname', node.Description?.Hostname),
    ...field('Joined at', node.CreatedAt),
    ...section('Status', [
      ...field(' State', capitalize(node.Status?.State)),
      ...field(' Message', node.Status?.Message),
      ...field(' Availability', capitalize(node.Spec?.Availability)),
      ...field(' Address', node.Status?.Addr),
    ]),
    ...(manager
      ? section('Manager Status', [
          ...field(' Address', manager.Addr),
          ...field(' Raft Status', capitalize(manager.Reachability)),
          ...field(' Leader', manager.Leader ? 'Yes' : 'No'),
        ])
      : []),
    ...section('Platform', [
      ...field(' Operating System', node.Description?.Platform?.OS),
      ...field(' Architecture', node.Description?.Platform?.Architecture),
    ]),
    ...section('Resources', [
      ...field(
        ' CPUs',
        node.Description?.Resources?.NanoCPUs !== undefined
          ? formatNanoCpus(node.Description.Resources.NanoCPUs)
          : undefined,
      ),
      ...field(
        ' Memory',
        node.Description?.Resources?.MemoryBytes !== undefined
          ? formatBytes(node.Description.Resources.MemoryBytes)
          : undefined,
      ),
    ]),
    ...field('Engine Version', node.Description?.Engine?.EngineVersion),
    ...section('Engine Labels', labelLines(node.Description?.Engine?.Labels)),
  ];
  return renderPretty(lines);
}
