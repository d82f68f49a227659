import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { etcdInstalled } from '../../test/support/etcd-installed';
import { freePorts } from '../../test/support/free-port';
import { startEtcdCluster } from './etcd-cluster';
import { EtcdKvClient } from './etcd-kv.client';

describe('EtcdKvClient', () => {
  it('fails a put waiting for a leader as soon as it is closed', async () => {
    // Nothing listens there: the put waits in leader discovery for up to leaderWaitMs.
    const [port] = await freePorts(1);
    const client = new EtcdKvClient({ endpoints: [`127.0.0.1:${port}`], leaderWaitMs: 30_000 });
    const started = Date.now();
    const put = client.put('k', Buffer.from('v'));
    setTimeout(() => client.close(), 100);
    await expect(put).rejects.toThrow(/closed/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  // A connection whose death the client is never told about, as Node's HTTP/2-over-TLS
  // client sometimes produces after a SIGKILL (see keepaliveMs): here a relay that goes
  // silent while keeping both sockets open.
  it.skipIf(!etcdInstalled())('drops a silent connection within about a second', async () => {
    const cluster = await startEtcdCluster({});
    const [upstreamPort] = cluster.members.map((m) => Number(m.endpoint.split(':')[1]));
    let silent = false;
    const sockets: net.Socket[] = [];
    const relay = net.createServer((down) => {
      const up = net.connect(upstreamPort!, '127.0.0.1');
      sockets.push(down, up);
      down.on('data', (d) => silent || up.write(d));
      up.on('data', (d) => silent || down.write(d));
      for (const s of [down, up]) s.on('error', () => {});
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const relayPort = (relay.address() as net.AddressInfo).port;
    const client = new EtcdKvClient({
      endpoints: [`127.0.0.1:${relayPort}`],
      target: 'round-robin',
      deadlineMs: 10_000,
    });
    try {
      await client.put('k', Buffer.from('v1'));
      silent = true;
      const started = Date.now();
      await expect(client.put('k', Buffer.from('v2'))).rejects.toThrow(/UNAVAILABLE/);
      expect(Date.now() - started).toBeLessThan(3_000);
    } finally {
      client.close();
      for (const s of sockets) s.destroy();
      relay.close();
      await cluster.stop();
    }
  });
});
