/* The bounce policy, rule by rule. */
import t from 'tap';
import { applyEvent, DEFAULT_POLICY, EMPTY_STATE, policyProblems, type AddressState, type PolicyEvent, type BouncePolicy } from '../../../server/suppression/policy.js';

const DAY = 86_400_000;
const hard = (at = 0, reason = 'userunknown'): PolicyEvent => ({ type: 'bounce', class: 'hard', reason, at });
const soft = (at = 0, reason = 'mailboxfull'): PolicyEvent => ({ type: 'bounce', class: 'soft', reason, at });
const ok = (at = 0): PolicyEvent => ({ type: 'delivered', at });

function run(events: PolicyEvent[], policy: BouncePolicy = DEFAULT_POLICY) {
  let s: AddressState = EMPTY_STATE;
  const blocks: Array<string | null> = [];
  for (const ev of events) { const d = applyEvent(s, ev, policy); s = d.state; blocks.push(d.block ? `${d.block.class}:${d.block.reason}` : null); }
  return { s, blocks };
}

const cases: Array<[string, PolicyEvent[], BouncePolicy, boolean, number]> = [
  // name, events, policy, blocked at the end, bounceCount at the end
  ['one hard bounce blocks at once', [hard()], DEFAULT_POLICY, true, 1],
  ['hard bounce with blockOnHard off only counts', [hard()], { ...DEFAULT_POLICY, blockOnHard: false }, false, 1],
  ['four soft bounces do not block', [soft(), soft(), soft(), soft()], DEFAULT_POLICY, false, 4],
  ['the fifth soft bounce blocks', [soft(), soft(), soft(), soft(), soft()], DEFAULT_POLICY, true, 5],
  ['a threshold of 2 blocks on the second', [soft(), soft()], { ...DEFAULT_POLICY, threshold: 2 }, true, 2],
  ['bounces outside the window start a new count', [soft(0), soft(1), soft(2), soft(3), soft(40 * DAY)], DEFAULT_POLICY, false, 1],
  ['three clean deliveries take one bounce off', [soft(), soft(), ok(), ok(), ok()], DEFAULT_POLICY, false, 1],
  ['clean deliveries never go below zero', [ok(), ok(), ok(), ok()], DEFAULT_POLICY, false, 0],
  ['a bounce resets the clean streak', [soft(), soft(), ok(), ok(), soft(), ok()], DEFAULT_POLICY, false, 3],
  ['decay keeps an address under the threshold', [soft(), soft(), soft(), soft(), ok(), ok(), ok(), soft()], DEFAULT_POLICY, false, 4],
  ['a complaint blocks at once', [{ type: 'complaint', feedbackType: 'abuse', at: 0 }], DEFAULT_POLICY, true, 0],
];

for (const [name, events, policy, blocked, count] of cases) {
  t.test(name, async (t) => {
    const { s } = run(events, policy);
    t.equal(s.blocked, blocked, 'blocked');
    t.equal(s.bounceCount, count, 'bounce count');
  });
}

t.test('the block carries the reason and class of the bounce that caused it, once', async (t) => {
  t.same(run([hard(0, 'hostunknown')]).blocks, ['hard:hostunknown']);
  t.same(run([soft(), soft(), soft(), soft(), soft(0, 'filtered'), soft()]).blocks, [null, null, null, null, 'soft:filtered', null]);
  t.same(run([{ type: 'complaint', feedbackType: 'abuse', at: 0 }]).blocks, ['none:feedback']);
});

t.test('policy validation names each bad field', async (t) => {
  t.same(policyProblems({ threshold: 5, windowDays: 30, decayAfter: 3, blockOnHard: true }), []);
  t.same(policyProblems({ threshold: 0 }).map((e) => e.field), ['threshold']);
  t.same(policyProblems({ windowDays: 1.5, decayAfter: -1 }).map((e) => e.field), ['windowDays', 'decayAfter']);
});
