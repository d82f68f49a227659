import { type Labels } from './common.types';

/** A network's config-only source (spec: ConfigReference). */
export interface ConfigReference {
  /** Name (not ID) of an existing config-only network. */
  Network?: string;
}

export interface IPAMConfig {
  Subnet?: string;
  IPRange?: string;
  Gateway?: string;
  AuxiliaryAddresses?: Record<string, string>;
}

export interface IPAM {
  /** Defaults to `default`. */
  Driver?: string;
  Config?: IPAMConfig[];
  Options?: Record<string, string>;
}

export interface NetworkContainer {
  Name?: string;
  EndpointID?: string;
  MacAddress?: string;
  IPv4Address?: string;
  IPv6Address?: string;
}

export interface PeerInfo {
  Name?: string;
  IP?: string;
}

export interface Network {
  Name?: string;
  Id?: string;
  Created?: string;
  /** `swarm` for cluster-wide networks, `local` for a single engine's. */
  Scope?: string;
  Driver?: string;
  EnableIPv6?: boolean;
  IPAM?: IPAM;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigFrom?: ConfigReference;
  ConfigOnly?: boolean;
  Containers?: Record<string, NetworkContainer>;
  Options?: Record<string, string>;
  Labels?: Labels;
  Peers?: PeerInfo[] | null;
}

/** Body of POST /networks/create. */
export interface NetworkCreateRequest {
  Name: string;
  /** Deprecated: duplicate names are always refused. */
  CheckDuplicate?: boolean;
  Driver?: string;
  Scope?: string;
  Internal?: boolean;
  Attachable?: boolean;
  Ingress?: boolean;
  ConfigOnly?: boolean;
  ConfigFrom?: ConfigReference;
  IPAM?: IPAM;
  EnableIPv6?: boolean;
  Options?: Record<string, string>;
  Labels?: Labels;
}
