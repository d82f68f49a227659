import { type Driver, type Labels, type ObjectVersion } from './common.types';

export interface SecretSpec {
  Name?: string;
  Labels?: Labels;
  /** The secret's bytes, standard base64 (RFC 4648 §4, padded). Never returned by inspect. */
  Data?: string;
  /** An external secret store; when set, Data may be left out. */
  Driver?: Driver;
  Templating?: Driver;
}

export interface Secret {
  ID?: string;
  Version?: ObjectVersion;
  CreatedAt?: string;
  UpdatedAt?: string;
  Spec?: SecretSpec;
}
