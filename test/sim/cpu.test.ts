import { describe, expect, it } from 'vitest';
import { EventEngine } from '../../sim/engine.js';
import { Priority, Scheduler, SleepNotAllowedError, ThreadCrashedError, type KThread } from '../../sim/cpu.js';
import { EWOULDBLOCK } from '../../sim/errno.js';

const US = 1_000_000;

function setup(cpus = 1) {
  const engine = new EventEngine();
  const sched = new Scheduler(engine, { cpus, contextSwitchPs: 0 });
  return { engine, sched };
}

describe('Scheduler and kernel threads', () => {
  it('charges CPU time to a step and keeps the CPU busy until the step ends', () => {
    const { engine, sched } = setup();
    const ends: number[] = [];
    sched.spawn('a', Priority.Kernel, function* (td) {
      td.charge(5 * US);
      ends.push(td.localTime);
      yield td.yieldCpu();
      td.charge(1 * US);
      ends.push(td.localTime);
    });
    engine.run();
    expect(ends).toEqual([5 * US, 6 * US]);
    const [u] = sched.threadUsage();
    expect(u!.cpuTimePs).toBe(6 * US);
    expect(sched.cpuUsage()[0]!.busyPs).toBe(6 * US);
  });

  it('runs the higher-priority runnable thread first when a CPU frees', () => {
    const { engine, sched } = setup(1);
    const order: string[] = [];
    sched.spawn('user', Priority.User, function* (td) {
      order.push('user');
      td.charge(US);
    });
    sched.spawn('kernel', Priority.Kernel, function* (td) {
      order.push('kernel');
      td.charge(US);
    });
    sched.spawn('intr', Priority.Interrupt, function* (td) {
      order.push('intr');
      td.charge(US);
    });
    engine.run();
    expect(order).toEqual(['intr', 'kernel', 'user']);
  });

  it('runs threads in parallel on several CPUs', () => {
    const { engine, sched } = setup(2);
    const done: [string, number][] = [];
    for (const n of ['a', 'b']) {
      sched.spawn(n, Priority.Kernel, function* (td) {
        td.charge(10 * US);
        done.push([n, td.localTime]);
      });
    }
    engine.run();
    expect(done).toEqual([
      ['a', 10 * US],
      ['b', 10 * US],
    ]);
    expect(sched.cpuUsage().map((c) => c.busyPs)).toEqual([10 * US, 10 * US]);
  });

  it('msleep sleeps until wakeup on the same channel, and the waker’s local time is the wake time', () => {
    const { engine, sched } = setup(2);
    const chan = {};
    let wokeAt = -1;
    sched.spawn('sleeper', Priority.Kernel, function* (td) {
      const r = yield td.msleep(chan, 'wait');
      expect(r).toBe(0);
      wokeAt = td.localTime;
    });
    sched.spawn('waker', Priority.Kernel, function* (td) {
      td.charge(7 * US);
      expect(sched.wakeup(chan)).toBe(1);
    });
    engine.run();
    expect(wokeAt).toBe(7 * US);
  });

  it('does not lose a wakeup that arrives while the sleeper’s step is still charging', () => {
    const { engine, sched } = setup(2);
    const chan = {};
    let woke = false;
    sched.spawn('sleeper', Priority.Kernel, function* (td) {
      td.charge(10 * US); // the step ends at 10 us; the wakeup comes at 2 us
      yield td.msleep(chan, 'wait');
      woke = true;
    });
    sched.spawn('waker', Priority.Kernel, function* (td) {
      td.charge(2 * US);
      sched.wakeup(chan);
    });
    engine.run();
    expect(woke).toBe(true);
  });

  it('msleep with a timeout resumes with EWOULDBLOCK', () => {
    const { engine, sched } = setup();
    let r = -99;
    let at = -1;
    sched.spawn('t', Priority.Kernel, function* (td) {
      r = yield td.msleep({}, 'nap', 3 * US);
      at = td.localTime;
    });
    engine.run();
    expect(r).toBe(EWOULDBLOCK);
    expect(at).toBe(3 * US);
  });

  it('wakeup_one wakes only the longest sleeper', () => {
    const { engine, sched } = setup(2);
    const chan = 'c';
    const woke: string[] = [];
    for (const n of ['first', 'second']) {
      sched.spawn(n, Priority.Kernel, function* (td) {
        yield td.msleep(chan);
        woke.push(n);
      });
    }
    sched.spawn('waker', Priority.User, function* (td) {
      td.charge(US);
      sched.wakeup_one(chan);
    });
    engine.run();
    expect(woke).toEqual(['first']);
  });

  it('pause sleeps for a fixed time', () => {
    const { engine, sched } = setup();
    let at = 0;
    sched.spawn('t', Priority.Kernel, function* (td) {
      yield td.pause(4 * US);
      at = td.localTime;
    });
    engine.run();
    expect(at).toBe(4 * US);
  });

  it('throws SleepNotAllowedError when a no-sleep context tries to sleep', () => {
    const { engine, sched } = setup();
    sched.spawn('t', Priority.Interrupt, function* (td) {
      let w: ReturnType<KThread['msleep']> | undefined;
      sched.noSleep('interrupt filter toy0', () => {
        w = td.msleep('x');
      });
      if (w) yield w;
    });
    expect(() => engine.run()).toThrow(ThreadCrashedError);
    const { engine: e2, sched: s2 } = setup();
    let caught: unknown;
    s2.spawn('t', Priority.Interrupt, function* (td) {
      try {
        s2.noSleep('interrupt filter toy0', () => td.msleep('x'));
      } catch (err) {
        caught = err;
      }
    });
    e2.run();
    expect(caught).toBeInstanceOf(SleepNotAllowedError);
    expect(String(caught)).toMatch(/interrupt filter toy0/);
  });

  it('sync runs device events up to the thread’s local time, so a polling loop sees progress', () => {
    const { engine, sched } = setup();
    let ready = false;
    engine.schedule(50 * US, () => (ready = true));
    let polls = 0;
    sched.spawn('poller', Priority.Kernel, function* (td) {
      while (!ready) {
        td.charge(US);
        sched.sync();
        polls++;
      }
      expect(td.localTime).toBe(50 * US);
    });
    engine.run();
    expect(polls).toBe(50);
  });

  it('never runs another thread’s step inside a synchronising step', () => {
    const { engine, sched } = setup(2);
    const log: string[] = [];
    sched.spawn('a', Priority.Kernel, function* (td) {
      log.push('a:start');
      td.charge(20 * US);
      sched.sync();
      log.push('a:end');
    });
    sched.spawn('b', Priority.Kernel, function* (td) {
      yield td.pause(5 * US);
      log.push('b:run');
    });
    engine.run();
    const ai = log.indexOf('a:start');
    const ae = log.indexOf('a:end');
    const bi = log.indexOf('b:run');
    expect(bi < ai || bi > ae).toBe(true);
  });

  it('reports a crashing thread with its name and time', () => {
    const { engine, sched } = setup();
    sched.spawn('boom', Priority.Kernel, function* (td) {
      td.charge(US);
      throw new Error('bad');
    });
    expect(() => engine.run()).toThrow(/thread boom crashed at t=1000000 ps: bad/);
  });

  it('rejects negative or non-finite charges', () => {
    const { engine, sched } = setup();
    let err: unknown;
    sched.spawn('t', Priority.Kernel, function* (td) {
      try {
        td.charge(-1);
      } catch (e) {
        err = e;
      }
    });
    engine.run();
    expect(String(err)).toMatch(/charge: ps must be/);
  });
});

describe('Scheduler: repeated synchronisation in one step', () => {
  it('never starts another step inside a step that synchronises several times', () => {
    const engine = new EventEngine();
    const sched = new Scheduler(engine, { cpus: 2, quantumPs: 10 * US });
    let otherSteps = 0;
    sched.spawn('other', Priority.Interrupt, function* (td) {
      for (let i = 0; i < 20; i++) {
        td.charge(1000);
        otherSteps++;
        yield td.pause(US);
      }
    });
    let done = false;
    sched.spawn('long', Priority.Kernel, function* (td) {
      for (let i = 0; i < 5; i++) td.charge(11 * US);
      done = true;
    });
    engine.run();
    expect(done).toBe(true);
    expect(otherSteps).toBe(20);
  });
});
