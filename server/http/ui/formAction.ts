/*
 * The one shape of every admin form post: act → flash → 303 redirect, or, when the service
 * rejects the input with field errors, re-show the form (400) with each field's message.
 * Other errors propagate to the error handler (a 5xx never shows driver text).
 */
import type { FastifyReply } from 'fastify';
import { flash } from './session.js';
import { formErrors } from './forms.js';
import { messages, type MessageKey } from '../../i18n/catalog.js';

/** Success: go there (303) with an optional flash, or stay and show a page (preview, a secret shown once). */
export type FormDone = { to: string; flash?: string; kind?: 'ok' | 'error' } | { show: () => Promise<unknown> };

export interface FormAction<T> {
  act(): Promise<T>;
  /** Where to go after success, and the flash to show there. */
  done(result: T): FormDone;
  /** Re-renders the form with `{errors, error}` merged into its data (or, for a button on a list, `back()`). */
  retry(fe: { errors: Record<string, string>; error: string }): Promise<unknown>;
}

export async function formAction<T>(reply: FastifyReply, o: FormAction<T>): Promise<unknown> {
  let result: T;
  try {
    result = await o.act();
  } catch (e) {
    const { t } = messages(reply.request.user?.locale, reply.request.user?.time_zone);
    const fe = formErrors(e, (key) => t(key as MessageKey));
    if (!fe) throw e;
    reply.status(400);
    return o.retry(fe);
  }
  const d = o.done(result);
  if ('show' in d) return d.show();
  if (d.flash) flash(reply, d.kind ?? 'ok', d.flash);
  return reply.redirect(d.to, 303);
}

/** For buttons on a list page: a rejected action goes back with its message as an error flash. */
export async function back(reply: FastifyReply, to: string, message: string): Promise<unknown> {
  flash(reply, 'error', message);
  return reply.redirect(to, 303);
}
