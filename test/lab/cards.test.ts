import { describe, expect, it } from 'vitest';
import { cardModelNames, findCardModel } from '../../devices/index.js';
import { Machine } from '../../lab/machine.js';

const MS = 1e9;

describe('cards by model name', () => {
  it('the registry knows every Hifn part and the toy card', () => {
    expect(cardModelNames()).toEqual(expect.arrayContaining(['edu', 'hifn7751', 'hifn7951', 'hifn7955', 'hifn7956', 'toy']));
    expect(findCardModel('hifn7956')!.family.family).toBe('hifn');
    expect(findCardModel('nope')).toBeUndefined();
  });

  it('places cards at boot, ejects and re-inserts them at simulated times, and says when they come and go', () => {
    const m = new Machine({ seed: 1, slots: 2, cards: [{ slot: 0, card: 'hifn7751' }, { slot: 1, card: 'hifn7956' }] });
    while (m.cards.boot.some((op) => !op.done)) m.engine.step();
    expect(m.cards.attached().map((c) => c.name)).toEqual(['hifn0', 'hifn1']);
    expect(Object.keys(m.cards.rings()['hifn0']!)).toEqual(['cmd', 'src', 'dst', 'res']);
    expect(m.cards.faults('hifn1')).not.toBeNull();
    const seen: string[] = [];
    m.cards.onChange((what) => seen.push(what));
    const t = m.now;
    m.eject('hifn1', 'orderly', t + 1 * MS);
    const op = m.insert(1, 'hifn7955', t + 2 * MS);
    expect(op.done).toBe(false);
    m.runUntil(t + 100 * MS);
    expect(op.done && op.error).toBe(0);
    expect(seen).toEqual(['hifn1 detached', 'hifn1 attached']);
    expect(m.console.map((l) => l.text)).toEqual(expect.arrayContaining([expect.stringMatching(/^hifn1: Hifn 7955/)]));
  });

  it('names the known cards when asked for an unknown one', () => {
    const m = new Machine({ seed: 1 });
    expect(() => m.insert(0, 'hifn9999')).toThrow(/unknown card "hifn9999" \(known: .*hifn7751, hifn7951/);
  });
});
