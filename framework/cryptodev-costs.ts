/**
 * What the /dev/crypto path costs in host CPU cycles, charged to the calling user thread: the
 * ioctl(2) system call itself, copyin/copyout of the structure and of the data, the kernel buffer,
 * and the per-descriptor session list.
 *
 * Sources: no published per-call figures exist for FreeBSD 10's cryptodev.c; all entries are
 * estimates. A null system call on a 2015 x86 core costs about 100 ns (240 cycles at 2.4 GHz);
 * ioctl(2) adds fget, the struct copyin and the cryptof_ioctl switch. copyin/copyout are `rep
 * movs` loops at 4-8 bytes per cycle for cached data, plus the fault-handler setup.
 */
export interface CryptodevCosts {
  /** ioctl(2) entry and exit, fget/fdrop, the struct copyin/copyout and the command switch. */
  syscall: number;
  /** Fixed part of one copyin or copyout. */
  copySetup: number;
  /** Cycles per byte copied between the program and the kernel. */
  copyPerByte: number;
  /** malloc(9) plus free(9) of the request's kernel buffer. */
  malloc: number;
  /** csecreate / csefind / csedelete under the descriptor's lock. */
  sessionOp: number;
}

/** A 2.4 GHz amd64 server of about 2015 running FreeBSD 10/11 (all entries: estimate). */
export const AMD64_2015_CRYPTODEV_COSTS: CryptodevCosts = Object.freeze({
  syscall: 700,
  copySetup: 80,
  copyPerByte: 0.25,
  malloc: 300,
  sessionOp: 150,
});
