// Original file: libs/api/src/proto/ca.proto

import type { Manager as _shoal_ca_v1_Manager, Manager__Output as _shoal_ca_v1_Manager__Output } from '../../../shoal/ca/v1/Manager';

export interface NodeRoleResponse {
  /**
   * swarm-manager or swarm-worker.
   */
  'role'?: (string);
  'managers'?: (_shoal_ca_v1_Manager)[];
}

export interface NodeRoleResponse__Output {
  /**
   * swarm-manager or swarm-worker.
   */
  'role': (string);
  'managers': (_shoal_ca_v1_Manager__Output)[];
}
