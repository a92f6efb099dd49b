/**
 * FreeBSD errno values (sys/sys/errno.h). The substrate returns them from bus_dma and newbus as the
 * kernel does; the framework re-exports them as part of the crypto(9) API.
 */
export const EPERM = 1;
export const ENOENT = 2;
export const EIO = 5;
export const E2BIG = 7;
export const EBADF = 9;
export const ENOMEM = 12;
export const EFAULT = 14;
export const EBUSY = 16;
export const ENXIO = 6;
export const ENODEV = 19;
export const EINVAL = 22;
export const EFBIG = 27;
export const EAGAIN = 35;
export const EINPROGRESS = 36;
export const EOPNOTSUPP = 45;
export const ENOBUFS = 55;
export const ETIMEDOUT = 60;
export const EBADMSG = 89;
/** Kernel-internal "restart"; crypto(9) drivers return it to mean "busy, retry later". */
export const ERESTART = -1;
/** msleep(9)'s "would block" for a timed-out sleep. */
export const EWOULDBLOCK = EAGAIN;

const NAMES: Record<number, string> = {
  0: 'OK',
  1: 'EPERM',
  2: 'ENOENT',
  5: 'EIO',
  6: 'ENXIO',
  7: 'E2BIG',
  9: 'EBADF',
  12: 'ENOMEM',
  14: 'EFAULT',
  16: 'EBUSY',
  19: 'ENODEV',
  22: 'EINVAL',
  27: 'EFBIG',
  35: 'EAGAIN',
  36: 'EINPROGRESS',
  45: 'EOPNOTSUPP',
  55: 'ENOBUFS',
  60: 'ETIMEDOUT',
  89: 'EBADMSG',
  [-1]: 'ERESTART',
};

/** The symbolic name of an errno value ("EAGAIN"), or "errno N" when unknown. */
export function errnoName(errno: number): string {
  return NAMES[errno] ?? `errno ${errno}`;
}

/** An Error carrying a FreeBSD errno, shaped like Node's own system errors (`errno`, `code`). */
export class KernelError extends Error {
  override name = 'KernelError';
  readonly errno: number;
  readonly code: string;
  constructor(errno: number, message: string) {
    super(`${errnoName(errno)}: ${message}`);
    this.errno = errno;
    this.code = errnoName(errno);
  }
}
