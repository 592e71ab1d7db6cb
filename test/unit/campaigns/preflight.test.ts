/* Preflight checks (pure): each failing fact names its reason; a ready mass email has none. */
import t from 'tap';
import { preflight, pickBounceDomain, orgDomain, type PreflightFacts } from '../../../server/campaigns/preflight.js';

const ready: PreflightFacts = {
  account: { name: 'relay', active: true, paused_reason: null, fromProblem: null }, fromAddr: 'news@ours.example', dkimKey: true,
  bounceDomain: 'bounce.ours.example', informational: false, template: { found: true, hasOptOutLink: false }, optOutMandatory: true, audience: 10,
};

t.test('checks', async (t) => {
  const cases: Array<[string, Partial<PreflightFacts>, string[]]> = [
    ['ready', {}, []],
    ['no account', { account: null }, ['account']],
    ['inactive account', { account: { ...ready.account!, active: false } }, ['account']],
    ['From not allowed', { account: { ...ready.account!, fromProblem: 'may not send as news@ours.example' } }, ['from']],
    ['no DKIM key', { dkimKey: false }, ['dkim']],
    ['return path on another organisation', { bounceDomain: 'bounces.other.example' }, ['alignment']],
    ['no bounce domain: the From address is the return path', { bounceDomain: null }, []],
    ['a subdomain of the same organisation aligns', { fromAddr: 'news@mail.ours.example' }, []],
    ['opt-out link off and none in the template', { optOutMandatory: false }, ['optout']],
    ['informational mail needs none', { optOutMandatory: false, informational: true }, []],
    ['the template has its own link', { optOutMandatory: false, template: { found: true, hasOptOutLink: true } }, []],
    ['no template', { template: { found: false, hasOptOutLink: false } }, ['template']],
    ['empty audience', { audience: 0 }, ['audience']],
    ['several at once', { dkimKey: false, audience: 0 }, ['dkim', 'audience']],
  ];
  for (const [name, patch, want] of cases) t.same(preflight({ ...ready, ...patch }).map((p) => p.check), want, name);
  t.match(preflight({ ...ready, dkimKey: false })[0]!.message, /ours\.example has no active DKIM key/);
});

t.test('organisational domains and the bounce domain a campaign uses', async (t) => {
  t.equal(orgDomain('mail.news.example.co.uk'), 'example.co.uk');
  t.equal(orgDomain('a.b.ours.example'), 'a.b.ours.example'.split('.').slice(-2).join('.'));
  t.equal(pickBounceDomain('news@ours.example', ['bounce.other.example', 'bounce.ours.example']), 'bounce.ours.example', 'the aligned one first');
  t.equal(pickBounceDomain('news@ours.example', ['bounce.other.example']), 'bounce.other.example', 'else the first');
  t.equal(pickBounceDomain('news@ours.example', []), null);
});
