/**
 * What the workloads' own code costs on the simulated CPU, outside crypto(9): building a packet or
 * a request before crypto_dispatch. These are ocfsim estimates, not calibrated figures: a few
 * thousand cycles for the non-crypto part of esp_output (SA lookup, m_makespace, filling two
 * descriptors) and of a GELI bio split; the CPU of the crypto itself is charged by the framework
 * and cryptosoft (framework/costs.ts, framework/swcosts.ts), which is what the reports compare.
 */
export const WORKLOAD_CYCLES = {
  /** esp_output / esp_input before crypto_dispatch, per packet. */
  espPacket: 2_000,
  /** The ESP callback after crypto_done (esp_output_cb: SA update, ipsec_process_done), per packet. */
  espCallback: 1_000,
  /** g_eli_crypto_run per 4 KiB sector (descriptor setup, IV from the sector number). */
  geliSector: 1_200,
  /** The keying consumer's request setup (crparams), per operation. */
  keyingOp: 1_500,
  /** Copying a buffer back (bcopy), per byte. */
  copyPerByte: 0.25,
} as const;
