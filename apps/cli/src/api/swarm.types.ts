/**
 * The Engine API v1.44 swarm objects the CLI reads and writes. They are @shoal/api's types,
 * the same ones shoald serves, so the two sides cannot drift apart. The imports are type-only:
 * the CLI bundles nothing from @shoal/api (its validators, protos and grpc loader stay out).
 *
 * Everything in those types is already optional, which is the loose shape the CLI needs to
 * cope with whatever a daemon sends (an older shoald, a docker engine). Unknown fields a daemon
 * adds still survive read-modify-write: updates start from the object the daemon returned and
 * copy it, whatever its type says.
 */
import type { Node as ApiNode, Service as ApiService, Task as ApiTask } from '@shoal/api';

export type {
  ContainerSpec,
  EndpointPortConfig,
  HealthConfig,
  Mount,
  NodeAvailability,
  NodeSpec,
  Placement,
  ServiceCreateResponse,
  ServiceSpec,
  ServiceUpdateResponse,
  Swarm,
  SwarmInitRequest,
  SwarmJoinRequest,
  SwarmSpec,
  SwarmUnlockRequest,
  SystemInfo,
  SystemVersion,
  TaskSpec,
  TaskState,
  UnlockKeyResponse,
  UpdateConfig,
} from '@shoal/api';

/**
 * The one local twist. @shoal/api leaves `ID` optional (the spec does not list it as
 * required), but every node, service and task a daemon returns has one, and the CLI keys table
 * rows, `-q` output and follow-up paths (`/services/{ID}/update`) on it. Stating that here
 * keeps those call sites free of `?? ''` fallbacks that would print or send something other
 * than what the daemon returned.
 */
type WithId<T> = T & { ID: string };

export type Node = WithId<ApiNode>;
export type Service = WithId<ApiService>;
export type Task = WithId<ApiTask>;
