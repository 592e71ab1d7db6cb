/* The cooperative yielder: no wait inside the budget, one shared event-loop turn after it. */
import t from 'tap';
import { yielder } from '../../../server/lib/yielder.js';

t.test('returns at once within the budget, yields one turn after it', async (t) => {
  let clock = 0;
  const y = yielder(2, () => clock);
  t.equal(y(), undefined, 'fresh: no wait');
  clock = 1.9;
  t.equal(y(), undefined, 'still within 2 ms');
  clock = 2.5;
  let ran = false;
  setImmediate(() => { ran = true; }); // stands for an SMTP session's pending callback
  const p = y();
  t.ok(p instanceof Promise, 'past the budget: a wait');
  t.equal(y(), p, 'callers share the pending turn');
  t.notOk(ran);
  await p;
  t.ok(ran, 'an immediate queued before it ran first: the loop got its turn');
  t.equal(y(), undefined, 'the budget starts again after the turn');
});
