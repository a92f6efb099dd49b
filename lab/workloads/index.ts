/**
 * The workloads a scenario can run, by `kind`: 'ipsec' (ESP over mbufs), 'geli' (AES-XTS sectors
 * over uio), 'keying' (RSA and DH through crypto_kdispatch), 'cryptodev' (a /dev/crypto process).
 */
import { cryptodevWorkload, type CryptodevSpec } from './cryptodev.js';
import { geliWorkload, type GeliSpec } from './geli.js';
import { ipsecWorkload, type IpsecSpec } from './ipsec.js';
import { keyingWorkload, type KeyingSpec } from './keying.js';
import type { Workload, WorkloadEnv } from './workload.js';

export type WorkloadSpec = IpsecSpec | GeliSpec | KeyingSpec | CryptodevSpec;
export type { IpsecSpec, GeliSpec, KeyingSpec, CryptodevSpec };
export type { Workload, WorkloadEnv, CridChoice } from './workload.js';
export { Ledger, type LedgerRecord, type LedgerKind } from './ledger.js';

export const WORKLOAD_KINDS = ['ipsec', 'geli', 'keying', 'cryptodev'] as const;

/** Build the workload a spec describes. */
export function createWorkload(spec: WorkloadSpec, env: WorkloadEnv): Workload {
  switch (spec.kind) {
    case 'ipsec':
      return ipsecWorkload(spec, env);
    case 'geli':
      return geliWorkload(spec, env);
    case 'keying':
      return keyingWorkload(spec, env);
    case 'cryptodev':
      return cryptodevWorkload(spec, env);
    default:
      throw new RangeError(`unknown workload kind "${(spec as { kind: string }).kind}" (known: ${WORKLOAD_KINDS.join(', ')})`);
  }
}
