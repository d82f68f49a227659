/**
 * `--mount` in docker's long syntax: comma-separated key=value fields, e.g.
 * `type=bind,source=/srv/data,target=/data,readonly`. Only the fields shoal's executors can
 * honour are accepted, so a typo fails here instead of being ignored by the daemon.
 */
import type { Mount } from '../api/swarm.types';
import { UsageError } from '../errors/cli.errors';
import { parseBytes } from './units.parser';

export const MOUNT_SYNTAX =
  'expected type=bind|volume|tmpfs,source=SRC,target=DST[,readonly][,volume-nocopy]' +
  '[,bind-propagation=P][,tmpfs-size=SIZE][,tmpfs-mode=OCTAL]';

const PROPAGATIONS = ['private', 'rprivate', 'shared', 'rshared', 'slave', 'rslave'] as const;
type Propagation = (typeof PROPAGATIONS)[number];
const isPropagation = (p: string): p is Propagation =>
  (PROPAGATIONS as readonly string[]).includes(p);

function invalid(input: string, why: string): UsageError {
  return new UsageError(`invalid mount spec ${JSON.stringify(input)}: ${why}; ${MOUNT_SYNTAX}`);
}

function parseBool(input: string, key: string, value: string | undefined): boolean {
  if (value === undefined) return true; // a bare `readonly` means true
  switch (value.toLowerCase()) {
    case 'true':
    case '1':
      return true;
    case 'false':
    case '0':
      return false;
    default:
      throw invalid(input, `${key} must be true or false, not ${JSON.stringify(value)}`);
  }
}

export function parseMountSpec(input: string): Mount {
  const mount: Mount = {};
  let type: Mount['Type'] = 'volume'; // docker's default mount type
  const bind: NonNullable<Mount['BindOptions']> = {};
  const volume: NonNullable<Mount['VolumeOptions']> = {};
  const tmpfs: NonNullable<Mount['TmpfsOptions']> = {};

  for (const field of input.split(',')) {
    if (field.trim() === '') continue;
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1).trim();
    const required = (): string => {
      if (value === undefined || value === '') throw invalid(input, `${key} needs a value`);
      return value;
    };
    switch (key) {
      case 'type': {
        const t = required();
        if (t !== 'bind' && t !== 'volume' && t !== 'tmpfs') {
          throw invalid(input, `unsupported type ${JSON.stringify(t)}`);
        }
        type = t;
        break;
      }
      case 'source':
      case 'src':
        mount.Source = required();
        break;
      case 'target':
      case 'dst':
      case 'destination':
        mount.Target = required();
        break;
      case 'readonly':
      case 'ro':
        mount.ReadOnly = parseBool(input, key, value);
        break;
      case 'volume-nocopy':
        volume.NoCopy = parseBool(input, key, value);
        break;
      case 'bind-propagation': {
        const p = required();
        if (!isPropagation(p))
          throw invalid(input, `unknown bind-propagation ${JSON.stringify(p)}`);
        bind.Propagation = p;
        break;
      }
      case 'tmpfs-size':
        try {
          tmpfs.SizeBytes = parseBytes(required());
        } catch (err) {
          throw invalid(input, err instanceof Error ? err.message : String(err));
        }
        break;
      case 'tmpfs-mode': {
        const m = required();
        if (!/^[0-7]{1,4}$/.test(m))
          throw invalid(input, `tmpfs-mode ${JSON.stringify(m)} is not octal`);
        tmpfs.Mode = parseInt(m, 8);
        break;
      }
      default:
        throw invalid(input, `unknown field ${JSON.stringify(key)}`);
    }
  }

  mount.Type = type;
  if (!mount.Target) throw invalid(input, 'target is required');
  if (type === 'bind' && !mount.Source) throw invalid(input, 'a bind mount needs a source');
  if (type === 'tmpfs' && mount.Source) throw invalid(input, 'a tmpfs mount takes no source');
  const optionFor = (t: string, opts: object, what: string): void => {
    if (Object.keys(opts).length > 0 && type !== t) {
      throw invalid(input, `${what} options only apply to type=${t}`);
    }
  };
  optionFor('bind', bind, 'bind');
  optionFor('volume', volume, 'volume');
  optionFor('tmpfs', tmpfs, 'tmpfs');
  if (Object.keys(bind).length > 0) mount.BindOptions = bind;
  if (Object.keys(volume).length > 0) mount.VolumeOptions = volume;
  if (Object.keys(tmpfs).length > 0) mount.TmpfsOptions = tmpfs;
  // Key order in the JSON body follows the spec's (Target, Source, Type...) for readability.
  const { Target, Source, Type, ReadOnly, ...options } = mount;
  return {
    Target,
    ...(Source !== undefined ? { Source } : {}),
    Type,
    ...(ReadOnly !== undefined ? { ReadOnly } : {}),
    ...options,
  };
}
