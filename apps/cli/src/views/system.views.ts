/** `shoal info` and `shoal version` layouts, after docker's. */
import type { SystemInfo, SystemVersion } from '../api/swarm.types';
import { API_VERSION } from '../client/daemon.client';
import { type PrettyLine, field, plain, renderPretty, section } from '../output/pretty.printer';
import { formatDuration } from '../parse/duration.parser';

/** The Server part of `shoal info`: engine identity, then docker's "Swarm:" block. */
export function renderInfo(info: SystemInfo): string {
  const swarm = info.Swarm ?? {};
  const state = swarm.LocalNodeState || 'inactive';
  const lines: PrettyLine[] = [
    { label: 'Server' },
    ...field(' Name', info.Name),
    ...field(' Server Version', info.ServerVersion),
    { label: ' Swarm', value: state },
  ];
  if (state === 'active' || state === 'pending' || state === 'locked' || state === 'error') {
    lines.push(...field('  NodeID', swarm.NodeID));
    lines.push(...field('  Error', swarm.Error));
    if (state === 'active') {
      const cluster = swarm.Cluster ?? undefined;
      const spec = cluster?.Spec;
      lines.push(...field('  Is Manager', String(swarm.ControlAvailable ?? false)));
      if (swarm.ControlAvailable) {
        lines.push(
          ...field('  ClusterID', cluster?.ID),
          ...field('  Managers', swarm.Managers ?? undefined),
          ...field('  Nodes', swarm.Nodes ?? undefined),
          ...field('  Data Path Port', cluster?.DataPathPort),
          ...section('  Orchestration', [
            ...field(
              '   Task History Retention Limit',
              spec?.Orchestration?.TaskHistoryRetentionLimit,
            ),
          ]),
          ...section('  Raft', [...field('   Snapshot Interval', spec?.Raft?.SnapshotInterval)]),
          ...section('  Dispatcher', [
            ...field(
              '   Heartbeat Period',
              spec?.Dispatcher?.HeartbeatPeriod === undefined
                ? undefined
                : formatDuration(spec.Dispatcher.HeartbeatPeriod),
            ),
          ]),
          ...section('  CA Configuration', [
            ...field(
              '   Expiry Duration',
              spec?.CAConfig?.NodeCertExpiry === undefined
                ? undefined
                : formatDuration(spec.CAConfig.NodeCertExpiry),
            ),
          ]),
        );
      }
      lines.push(...field('  Node Address', swarm.NodeAddr));
      const managers = (swarm.RemoteManagers ?? [])
        .map((m) => m.Addr ?? '')
        .filter((a) => a !== '')
        .sort();
      lines.push(
        ...section(
          '  Manager Addresses',
          managers.map((a) => plain(`   ${a}`)),
        ),
      );
    }
  }
  // docker info prints "Key: value" without aligning, which also keeps it easy to grep.
  return renderPretty(lines, false);
}

export interface ClientDescription {
  version: string;
  platform: string;
  nodeVersion: string;
  host: string;
}

export function renderClientVersion(client: ClientDescription): string {
  return renderPretty([
    { label: 'Client' },
    { label: ' Version', value: client.version },
    { label: ' API version', value: API_VERSION },
    { label: ' Node.js version', value: client.nodeVersion },
    { label: ' OS/Arch', value: client.platform },
    { label: ' Host', value: client.host },
  ]);
}

export function renderServerVersion(version: SystemVersion): string {
  const minimum = version.MinAPIVersion ? ` (minimum version ${version.MinAPIVersion})` : '';
  const osArch = version.Os && version.Arch ? `${version.Os}/${version.Arch}` : undefined;
  return renderPretty([
    // The heading names the product, as docker's "Server: Docker Engine - Community" does.
    plain(version.Platform?.Name ? `Server: ${version.Platform.Name}` : 'Server:'),
    { label: ' Engine' },
    ...field('  Version', version.Version),
    ...field('  API version', version.ApiVersion ? `${version.ApiVersion}${minimum}` : undefined),
    ...field('  Go version', version.GoVersion),
    ...field('  Git commit', version.GitCommit),
    ...field('  Built', version.BuildTime),
    ...field('  OS/Arch', osArch),
    ...field('  Kernel Version', version.KernelVersion),
  ]);
}
