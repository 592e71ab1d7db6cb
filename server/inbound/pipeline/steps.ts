/*
 * The named pipeline steps and the hook registry later features plug into. Each step
 * returns a JSON-able result that is recorded, so after a crash the message resumes at the
 * first step without a result. Steps never throw for bad mail: a message that cannot be
 * read fails `parse` and is kept, with its error. Steps set columns in `fields`; the worker
 * writes a whole group's fields and results in one transaction. Every step, and each route
 * hook on its own, runs under a time budget (withinBudget): one that outlives it is abandoned
 * and the message is poison (see worker.ts).
 */
import type { Ctx } from '../../context.js';
import type { SuppressionService } from '../../suppression/service.js';
import type { DnsResolver } from './auth.js';
import type { Directory } from '../directory.js';
import type { InboundRow } from '../../db/repos/inbound/views.js';
import type { StoredRecipient } from '../../db/repos/inbound/store.js';
import type { InboundFields } from '../../db/repos/inbound/pipeline.js';
import { parseMessage, type Part } from '../../lib/mime.js';
import { classifyMessage, type ClassifiedMessage } from '../../bounces/classify.js';
import { processBounceMessage } from '../../suppression/processor.js';
import { verdicts } from './auth.js';
import { readHeaderSection, withHeaderBoundary, type HeaderSection } from '../../lib/headers.js';
import { senderAddress } from '../../lib/sender.js';

/** What the steps use besides the message: the context, the suppression list and bounce domains (bounces) and DNS. */
export interface PipelineDeps { ctx: Ctx; suppressions: SuppressionService; directory: Pick<Directory, 'bounceDomains'>; resolver: DnsResolver }

export interface StepContext {
  s: PipelineDeps; msg: InboundRow; raw: Buffer; recipients: StoredRecipient[]; kind?: string; fields: InboundFields;
  /** Parsed once, by the first step that needs it (a resumed message may start past `parse`). */
  root?: Part;
  head?: HeaderSection;
  classified?: ClassifiedMessage;
  /** What routing decided so far: the route hooks share it, in order (filters → cases → auto-reply). */
  routing?: RoutingState;
  /**
   * Aborted when the running step or hook outlives its budget. The pipeline has then moved on
   * without it; a step that can stop early (a long loop, a fetch) should check it.
   */
  signal?: AbortSignal;
}

/**
 * The route hooks' shared decisions. Filters set skip/stop/folder/assignment/tags; cases set the
 * case; auto-reply reads both. A hook reads what the earlier ones left and adds its part.
 */
export interface RoutingState {
  /** A filter said "skip": kept for audit, not routed, not in the inbox (later hooks do nothing). */
  skip?: boolean;
  /** A filter said "stop processing": no later filter runs (routing itself continues). */
  stop?: boolean;
  folder?: string | null; markRead?: boolean; noNotify?: boolean;
  assignTeamId?: number | null; assignUserId?: number | null; tags?: string[];
  /** Ids of the filters that matched, in order. */
  matchedFilters?: number[];
  caseId?: number | null; caseNumber?: number | null; caseCreated?: boolean;
  /** The threading rung that joined the message to its case (reply-address, references, subject-tag, new). */
  threadRung?: string | null;
}
export interface Step {
  name: string; run(c: StepContext): Promise<{ status: 'ok' | 'skipped'; result?: unknown }>;
  /** The step budgets its parts itself (route: each hook gets the whole budget), so the worker does not. */
  partsBudgeted?: boolean;
}

/** Default of `pipeline.stepBudgetMs`. */
export const DEFAULT_STEP_BUDGET_MS = 10_000;

/** A step or route hook that outlived its budget: the message is poison (never retried automatically). */
export class BudgetExceeded extends Error {
  readonly timedOut = true;
  /** The message's fields when the budget ran out: what the abandoned work sets later is not written. */
  fields: InboundFields = {};
  constructor(readonly step: string, readonly hook: string | null, readonly budgetMs: number) {
    super(`${hook ? `route hook "${hook}"` : `step "${step}"`} exceeded its time budget of ${budgetMs} ms`);
  }
}

const controllers = new WeakMap<StepContext, AbortController>();
function controllerOf(c: StepContext): AbortController {
  const ac = new AbortController();
  controllers.set(c, ac);
  c.signal = ac.signal;
  return ac;
}

/**
 * Runs `work` against the budget. Running JavaScript cannot be cancelled: on expiry the work is
 * abandoned (its later result or error is dropped), `c.signal` is aborted, and BudgetExceeded is
 * thrown. The abandoned work may still write: the route hooks' writes are keyed by inbound id,
 * so a late write and a later retry land on the same rows.
 */
export async function withinBudget<T>(c: StepContext, at: { step: string; hook?: string }, budgetMs: number, work: () => Promise<T>): Promise<T> {
  // One controller per message, not per step: the first expiry abandons the whole message.
  const ac = controllers.get(c) ?? controllerOf(c);
  let timer: NodeJS.Timeout | undefined;
  const running = (async () => work())();
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new BudgetExceeded(at.step, at.hook ?? null, budgetMs);
      // Copied before the abort: a listener on the signal runs at once and may still set fields.
      e.fields = { ...c.fields };
      reject(e);
      ac.abort();
    }, budgetMs);
  });
  try { return await Promise.race([running, expired]); }
  finally {
    clearTimeout(timer);
    // An abandoned step that fails later must not become an unhandled rejection.
    running.catch(() => undefined);
  }
}

/**
 * Routing hooks (cases, record links, relay of submitted mail…) run in order in the `route` step.
 * A hook that answers undefined did nothing worth recording (e.g. a notification nobody subscribes to).
 */
export interface PipelineHook { name: string; when(c: StepContext): boolean; run(c: StepContext): Promise<unknown> }

// The header section ends at its first non-header line (server/lib/headers.ts), whatever the MIME reader would skip.
/** The header section as it came, read once per message (parse, authenticate and the MIME reader use it). */
export const headOf = (c: StepContext) => (c.head ??= readHeaderSection(c.raw));
/** The parsed message, once per message whichever step or route hook asks first. */
export const rootOf = (c: StepContext) => (c.root ??= parseMessage(withHeaderBoundary(c.raw, headOf(c))));

/** `budgetMs`: each route hook's budget (the worker budgets the other steps). */
export function buildSteps(hooks: readonly PipelineHook[], budgetMs = DEFAULT_STEP_BUDGET_MS): Step[] {
  return [
    {
      name: 'parse',
      async run(c) {
        const root = rootOf(c);
        const h = root.headers;
        const fields = {
          message_id: (h.get('message-id') ?? '').replace(/^<|>$/g, '').slice(0, 500) || null,
          subject: h.get('subject')?.slice(0, 5000) ?? null,
          // From the field as it came: a decoded display name may itself look like an address.
          from_addr: senderAddress(headOf(c).fields.find(([k]) => k === 'from')?.[1]),
        };
        if (!h.list.length) throw Object.assign(new Error('no message headers'), { unparseable: true });
        Object.assign(c.fields, fields);
        return { status: 'ok', result: { ...fields, parts: root.parts.length } };
      },
    },
    {
      name: 'authenticate',
      async run(c) {
        const v = await verdicts(c.raw, { ip: c.msg.remote_ip, helo: c.msg.helo, sender: c.msg.mail_from, mta: c.s.ctx.config.smtp.hostname,
          resolver: c.s.resolver,
          // Fields as they came: DMARC's From domain is read before encoded words are decoded (lib/sender.ts).
          headers: headOf(c).fields });
        Object.assign(c.fields, {
          spf: v.spf.slice(0, 16), dkim: v.dkim.slice(0, 16), dmarc: v.dmarc.slice(0, 16), arc: v.arc.slice(0, 16), auth_results: JSON.stringify(v.details),
        });
        return { status: 'ok', result: v.details };
      },
    },
    {
      name: 'detect',
      async run(c) {
        const verp = c.recipients.some((r) => r.kind === 'verp');
        const k = classifyMessage(c.raw, { root: rootOf(c), envelope: { sender: c.msg.mail_from, toVerp: verp } });
        c.kind = k.kind;
        c.classified = k;
        c.fields.kind = k.kind;
        return { status: 'ok', result: { kind: k.kind, verp, bouncedRecipients: k.recipients.length } };
      },
    },
    {
      name: 'bounce',
      async run(c) {
        if (c.kind !== 'bounce' && c.kind !== 'complaint') return { status: 'skipped', result: { reason: `kind ${c.kind}` } };
        const out = await processBounceMessage(c.s, { inboundId: c.msg.id, raw: c.raw, root: rootOf(c), classified: c.classified, verpQueueIds: c.recipients.filter((r) => r.kind === 'verp' && r.target_id).map((r) => r.target_id!) });
        return { status: 'ok', result: out };
      },
    },
    {
      name: 'route',
      partsBudgeted: true,
      async run(c) {
        const ran: Record<string, unknown> = {};
        for (const h of hooks) {
          if (!h.when(c)) continue;
          const r = await withinBudget(c, { step: 'route', hook: h.name }, budgetMs, () => h.run(c));
          if (r !== undefined) ran[h.name] = r;
        }
        return Object.keys(ran).length ? { status: 'ok', result: ran } : { status: 'skipped', result: { reason: 'no routing hook applies' } };
      },
    },
  ];
}
