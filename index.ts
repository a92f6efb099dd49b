/**
 * ocfsim's public entry point: the Machine and the crypto(9) API (names as in the manual page).
 *
 * @example
 *   import { Machine, cryptoini, CRYPTO_AES_CBC, CRYPTOCAP_F_SOFTWARE } from 'ocfsim';
 */
export { Machine, HOST_PROFILES, type MachineOptions, type HostProfile } from './lab/machine.js';
export * from './framework/constants.js';
export * from './framework/structs.js';
export { CryptoFramework } from './framework/crypto.js';
export { CRYPTO_SESID2CAPS, CRYPTO_SESID2HID, CRYPTO_SESID2LID, type CryptoDevice, type cryptodev_methods } from './framework/drivers.js';
export { cryptostats, cryptotstat } from './framework/stats.js';
export * from './framework/cryptodev.js';
export { defineScenario } from './lab/scenario.js';
