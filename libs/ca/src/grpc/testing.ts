import * as grpc from '@grpc/grpc-js';
import { MANAGER_ROLE_OU, WORKER_ROLE_OU, type RootCa } from '../certificate-authority';
import { signCertificateRequest } from '../certificate-request';
import { InvalidJoinTokenError, generateJoinToken, sameJoinToken } from '../join-token';
import {
  NodeRemovedError,
  type AdmittedNode,
  type NodeAdmissionRequest,
  type NodeCaPolicy,
  type RenewalRequest,
} from './node-ca.service';

/** Test helpers for the CA's gRPC side; not for production code. */

export interface FakeNodeCaPolicy extends NodeCaPolicy {
  workerToken: string;
  managerToken: string;
  admitted: NodeAdmissionRequest[];
  renewed: RenewalRequest[];
  removed: Set<string>;
  /** Role per node ID, as the store would hold it; renewal issues this role. */
  roles: Map<string, string>;
  /** When set, admit() and renew() throw it (an unexpected failure). */
  failWith?: Error;
}

/** A policy with the decisions a manager makes, over an in-memory "store". */
export function fakeNodeCaPolicy(ca: RootCa, clusterId = 'cluster-1'): FakeNodeCaPolicy {
  let next = 1;
  const policy: FakeNodeCaPolicy = {
    workerToken: generateJoinToken(ca.certPem),
    managerToken: generateJoinToken(ca.certPem),
    admitted: [],
    renewed: [],
    removed: new Set(),
    roles: new Map(),
    rootCaPem: () => ca.certPem,
    async admit(req): Promise<AdmittedNode> {
      policy.admitted.push(req);
      if (policy.failWith) throw policy.failWith;
      const role = sameJoinToken(req.token, policy.managerToken)
        ? MANAGER_ROLE_OU
        : sameJoinToken(req.token, policy.workerToken)
          ? WORKER_ROLE_OU
          : undefined;
      if (!role) throw new InvalidJoinTokenError('it is not a current join token of this cluster');
      const nodeId = `joined${next++}`;
      const certPem = await signCertificateRequest(ca, req.csrPem, { nodeId, role, clusterId });
      policy.roles.set(nodeId, role);
      return {
        nodeId,
        clusterId,
        role,
        certPem,
        managers: [{ nodeId: 'm1', addr: '10.0.0.1:4242' }],
      };
    },
    async renew(req) {
      policy.renewed.push(req);
      if (policy.failWith) throw policy.failWith;
      if (policy.removed.has(req.nodeId)) throw new NodeRemovedError(req.nodeId);
      const role = policy.roles.get(req.nodeId) ?? WORKER_ROLE_OU;
      const certPem = await signCertificateRequest(ca, req.csrPem, {
        nodeId: req.nodeId,
        role,
        clusterId,
      });
      return { certPem, role };
    },
    async nodeRole(req) {
      if (policy.removed.has(req.nodeId)) throw new NodeRemovedError(req.nodeId);
      return {
        role: policy.roles.get(req.nodeId) ?? WORKER_ROLE_OU,
        managers: [{ nodeId: 'm1', addr: '10.0.0.1:4242' }],
      };
    },
  };
  return policy;
}

export interface TestServer {
  address: string;
  stop(): void;
}

/** A gRPC server on a loopback port with the given services and credentials. */
export async function serveOnLoopback(
  credentials: grpc.ServerCredentials,
  services: {
    definition: grpc.ServiceDefinition;
    implementation: grpc.UntypedServiceImplementation;
  }[],
): Promise<TestServer> {
  const server = new grpc.Server();
  for (const s of services) server.addService(s.definition, s.implementation);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { address: `127.0.0.1:${port}`, stop: () => server.forceShutdown() };
}
