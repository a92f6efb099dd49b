import { describe, expect, it } from 'vitest';
import { InterruptLine } from '../../../devices/kit/irq.js';
import { bench } from './harness.js';

describe('InterruptLine', () => {
  it('drives the card\'s INTx# while the cause lasts, raising once per rising edge', () => {
    const b = bench();
    const irq = new InterruptLine(b.env);
    const step = (cause: boolean) => {
      b.sys.engine.schedule(b.sys.now, () => irq.update(cause));
      b.sys.runUntil(b.sys.now + 1);
      return b.sys.intc.isAsserted(b.fn.irq);
    };
    expect(step(true)).toBe(true);
    expect(step(true)).toBe(true);
    expect(irq.stats.raises).toBe(1);
    expect(step(false)).toBe(false);
    expect(step(true)).toBe(true);
    expect(irq.stats.raises).toBe(2);
    expect(b.sys.trace.all.filter((e) => e.kind === 'irq.raise')).toHaveLength(2);
  });

  it('does nothing once the card is pulled', () => {
    const b = bench();
    const irq = new InterruptLine(b.env);
    b.sys.bus.surpriseRemove(b.fn);
    irq.update(true);
    expect(irq.asserted).toBe(false);
    expect(irq.stats.raises).toBe(0);
  });
});
