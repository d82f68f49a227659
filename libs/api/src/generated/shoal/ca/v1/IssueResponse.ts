// Original file: libs/api/src/proto/ca.proto

import type { Manager as _shoal_ca_v1_Manager, Manager__Output as _shoal_ca_v1_Manager__Output } from '../../../shoal/ca/v1/Manager';

export interface IssueResponse {
  'nodeId'?: (string);
  'clusterId'?: (string);
  /**
   * swarm-manager or swarm-worker.
   */
  'role'?: (string);
  'certPem'?: (string);
  'caPem'?: (string);
  'managers'?: (_shoal_ca_v1_Manager)[];
}

export interface IssueResponse__Output {
  'nodeId': (string);
  'clusterId': (string);
  /**
   * swarm-manager or swarm-worker.
   */
  'role': (string);
  'certPem': (string);
  'caPem': (string);
  'managers': (_shoal_ca_v1_Manager__Output)[];
}
