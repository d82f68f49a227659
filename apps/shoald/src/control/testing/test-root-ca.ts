import { createRootCa, type RootCa } from '@shoal/ca';

let rootCa: Promise<RootCa> | undefined;

/** One root CA for every test in a worker: key generation is not free. */
export function testRootCa(): Promise<RootCa> {
  rootCa ??= createRootCa({ commonName: 'shoal-test-ca' });
  return rootCa;
}
