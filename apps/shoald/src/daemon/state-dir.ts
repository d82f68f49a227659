import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Layout of --state-dir:
 *
 *   swarm/node.json        who this node is in which cluster (absent: not in a swarm)
 *   swarm/certificates/    ca.crt, node.crt, node.key; on managers data.key, or
 *                          data.key.wrapped with autolock (the Raft log's encryption key;
 *                          the root CA key itself is in the store)
 *   swarm/raft/            the Raft WAL and snapshots
 *
 * Everything of the swarm sits under swarm/ so `swarm leave` removes it in one step.
 */
export interface NodeState {
  nodeId: string;
  clusterId: string;
  role: 'manager' | 'worker';
  /** host:port the cluster port listens on. */
  listenAddr: string;
  /** host:port other nodes reach the cluster port at. */
  advertiseAddr: string;
  /** Cluster addresses of the managers last known; a worker asks them about its role. */
  managers?: string[];
}

export class StateDir {
  constructor(readonly root: string) {}

  get swarmDir(): string {
    return path.join(this.root, 'swarm');
  }
  get raftDir(): string {
    return path.join(this.swarmDir, 'raft');
  }
  get certDir(): string {
    return path.join(this.swarmDir, 'certificates');
  }
  private get nodeFile(): string {
    return path.join(this.swarmDir, 'node.json');
  }

  async ensure(): Promise<void> {
    // 0700: the state dir holds private keys and the replicated state.
    await mkdir(this.root, { recursive: true, mode: 0o700 });
  }

  async readNodeState(): Promise<NodeState | undefined> {
    let text: string;
    try {
      text = await readFile(this.nodeFile, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const s = JSON.parse(text) as NodeState;
    if (!s.nodeId || !s.clusterId || !s.advertiseAddr) {
      throw new Error(`${this.nodeFile} is incomplete; remove ${this.swarmDir} to leave the swarm`);
    }
    return s;
  }

  /** Written last during init, atomically: its presence means the node is in a swarm. */
  async writeNodeState(s: NodeState): Promise<void> {
    await mkdir(this.swarmDir, { recursive: true, mode: 0o700 });
    const tmp = `${this.nodeFile}.tmp`;
    await writeFile(tmp, JSON.stringify(s, null, 2) + '\n', { mode: 0o600 });
    await rename(tmp, this.nodeFile);
  }

  /**
   * Every file is written in full under a temporary name first, then all are renamed into
   * place: a crash leaves either the old set or (almost always) the new one, never a torn file.
   */
  async writeCertificates(files: Record<string, string | Uint8Array>): Promise<void> {
    await mkdir(this.certDir, { recursive: true, mode: 0o700 });
    const names = Object.keys(files);
    for (const name of names) {
      await writeFile(path.join(this.certDir, `${name}.tmp`), files[name]!, {
        mode: /\.key(\.wrapped)?$/.test(name) ? 0o600 : 0o644,
      });
    }
    for (const name of names) {
      await rename(path.join(this.certDir, `${name}.tmp`), path.join(this.certDir, name));
    }
  }

  async readCertificate(name: string): Promise<string> {
    return readFile(path.join(this.certDir, name), 'utf8');
  }

  /**
   * This manager's data key for the Raft WAL and snapshots (AES-256-GCM). Without autolock it
   * sits beside the data (data.key, root only): that protects copies of the WAL (backups, a
   * disk sent away) rather than a compromised host. With autolock only data.key.wrapped is
   * kept, sealed under the swarm's unlock key, and the manager cannot start until unlocked.
   */
  async readDataKey(): Promise<{ plain?: Uint8Array; wrapped?: Uint8Array }> {
    const read = async (name: string) => {
      try {
        return new Uint8Array(await readFile(path.join(this.certDir, name)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw err;
      }
    };
    return { plain: await read('data.key'), wrapped: await read('data.key.wrapped') };
  }

  /** Keeps the data key in exactly one form: plain, or wrapped by the unlock key. */
  async storeDataKey(form: { plain: Uint8Array } | { wrapped: Uint8Array }): Promise<void> {
    if ('plain' in form) {
      await this.writeCertificates({ 'data.key': form.plain });
      await rm(path.join(this.certDir, 'data.key.wrapped'), { force: true });
    } else {
      await this.writeCertificates({ 'data.key.wrapped': form.wrapped });
      await rm(path.join(this.certDir, 'data.key'), { force: true });
    }
  }

  /**
   * A demoted manager's log and its data key: neither must come back if the node is promoted
   * again (it then joins Raft afresh, with a new key).
   */
  async removeRaftState(): Promise<void> {
    await rm(this.raftDir, { recursive: true, force: true });
    await rm(path.join(this.certDir, 'data.key'), { force: true });
    await rm(path.join(this.certDir, 'data.key.wrapped'), { force: true });
  }

  async removeSwarmState(): Promise<void> {
    await rm(this.swarmDir, { recursive: true, force: true });
  }
}
