import { type Driver, type Labels, type ObjectVersion } from './common.types';

export interface ConfigSpec {
  Name?: string;
  Labels?: Labels;
  /** The config's bytes, standard base64 (RFC 4648 §4, padded). */
  Data?: string;
  Templating?: Driver;
}

export interface Config {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: ConfigSpec;
}
