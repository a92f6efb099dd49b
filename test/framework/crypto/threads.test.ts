/**
 * The framework's two kernel threads on simulated CPUs: crypto_proc ("crypto") and
 * crypto_ret_proc ("crypto returns"). A thread step is atomic in the simulator, so a framework
 * thread that drained a long queue in one step would keep every other CPU's threads from
 * running meanwhile; both give the CPU back between requests.
 */
import { describe, expect, it } from 'vitest';
import { FakeDriver, US, ini, makeFixture, request, type Fixture } from '../fixture.js';
import { Priority } from '../../../sim/cpu.js';
import { CRYPTO_AES_CBC, CRYPTO_F_BATCH, CRYPTOCAP_F_SOFTWARE } from '../../../framework/constants.js';

const AES = CRYPTO_AES_CBC;

/** A kernel thread that wakes every 10 µs and records when; returns its tick times. */
function ticker(f: Fixture, count: number): number[] {
  const ticks: number[] = [];
  f.sched.spawn('ticker', Priority.Kernel, function* (td) {
    for (let i = 0; i < count; i++) {
      td.charge(100_000);
      ticks.push(td.localTime);
      yield td.pause(10 * US);
    }
  });
  return ticks;
}

function softwareSession(f: Fixture): bigint {
  new FakeDriver(f, 'soft', { kind: 'sync' }).attach(CRYPTOCAP_F_SOFTWARE, [AES]);
  return f.crypto.crypto_newsession(ini(AES), CRYPTOCAP_F_SOFTWARE).sid;
}

describe('framework threads', () => {
  it('The return thread gives the CPU back during a long chain of callbacks that resubmit, so other threads keep running.', () => {
    const f = makeFixture({ cpus: 2 });
    const ticks = ticker(f, 200);
    const { crp } = request(f, softwareSession(f), [AES]);
    let n = 0;
    let lastAt = -1;
    crp.crp_callback = (c) => {
      f.sched.current?.chargeCycles(2_400);
      if (++n < 5_000) f.crypto.crypto_dispatch(c);
      else lastAt = f.sched.localNow();
    };
    f.crypto.crypto_dispatch(crp);
    f.run();
    expect(n).toBe(5_000);
    expect(f.crypto.crypto_ret_proc.steps).toBeGreaterThan(10);
    // The ticker ran throughout the chain, not only after it.
    expect(ticks.filter((t) => t < lastAt).length).toBeGreaterThan(100);
    f.violations.assertNone();
  });

  it('The dispatcher thread gives the CPU back while draining a long queue of BATCH requests.', () => {
    const f = makeFixture({ cpus: 2 });
    const ticks = ticker(f, 100);
    const sid = softwareSession(f);
    let done = 0;
    let lastAt = -1;
    for (let i = 0; i < 3_000; i++) {
      const { crp } = request(f, sid, [AES], CRYPTO_F_BATCH);
      crp.crp_callback = () => {
        if (++done === 3_000) lastAt = f.sched.localNow();
      };
      f.crypto.crypto_dispatch(crp);
    }
    f.run();
    expect(done).toBe(3_000);
    expect(f.crypto.crypto_proc.steps).toBeGreaterThan(10);
    expect(ticks.filter((t) => t < lastAt).length).toBeGreaterThan(10);
    f.violations.assertNone();
  });

  it('Both threads sleep when there is nothing to do, and each wakeup is counted (cs_intrs, cs_rets).', () => {
    const f = makeFixture();
    const sid = softwareSession(f);
    f.run();
    expect(f.crypto.crypto_proc.state).toBe('sleeping');
    expect(f.crypto.crypto_ret_proc.state).toBe('sleeping');
    const before = { intrs: f.crypto.cryptostats.cs_intrs, rets: f.crypto.cryptostats.cs_rets };
    f.crypto.crypto_dispatch(request(f, sid, [AES], CRYPTO_F_BATCH).crp);
    f.run();
    expect(f.crypto.cryptostats.cs_intrs).toBe(before.intrs + 1);
    expect(f.crypto.cryptostats.cs_rets).toBe(before.rets + 1);
    expect(f.crypto.crypto_proc.state).toBe('sleeping');
  });
});
