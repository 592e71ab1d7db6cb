/*
 * Templates and message types: validated CRUD for the reusable bodies compose starts from
 * and the labels that classify outbound mail. Adapters (API, UI) and compose call these;
 * SQL stays in the repos.
 */
import type { Ctx } from '../../context.js';
import { conflict, invalid, notFound, type FieldError } from '../../errors.js';
import { templatesRepo, type TemplateInput } from '../../db/repos/templates.js';
import { messageTypesRepo } from '../../db/repos/messageTypes.js';
import type { ListQuery } from '../../db/list.js';
import { headerProblem } from '../compose/headerCheck.js';

export type TemplatesService = ReturnType<typeof templatesService>;
export type MessageTypesService = ReturnType<typeof messageTypesService>;

const isUnique = (e: unknown) => /unique|duplicate/i.test(String((e as Error)?.message ?? ''));

function templateFields(t: Partial<TemplateInput>, creating: boolean): FieldError[] {
  const f: FieldError[] = [];
  if (creating || t.name !== undefined) {
    if (!t.name?.trim()) f.push({ field: 'name', message: 'Name is required' });
    else if (t.name.length > 100) f.push({ field: 'name', message: 'At most 100 characters' });
  }
  if (creating || t.subject !== undefined) {
    const p = headerProblem(t.subject ?? '');
    if (p) f.push({ field: 'subject', message: p });
    else if (!t.subject?.trim()) f.push({ field: 'subject', message: 'Subject is required' });
  }
  if ((creating || t.html !== undefined) && !t.html?.trim()) f.push({ field: 'html', message: 'The HTML body is required' });
  return f;
}

export function templatesService(s: { ctx: Ctx }) {
  const templates = templatesRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  const get = async (id: number) => { const t = await templates.get(id); if (!t) throw notFound('Template'); return t; };

  return {
    list: (q: ListQuery) => templates.list(q),
    all: () => templates.all(),
    getDefault: () => templates.getDefault(),
    get,
    /** Like `get`, but undefined when there is no such template (compose reports it per field). */
    find: (id: number) => templates.get(id),
    async create(t: TemplateInput) {
      const f = templateFields(t, true);
      if (t.name?.trim() && await templates.byName(t.name.trim())) f.push({ field: 'name', message: 'A template with this name exists' });
      if (f.length) throw invalid(f);
      const id = await templates.create({ ...t, name: t.name.trim(), subject: t.subject.trim(), text: t.text?.trim() ? t.text : null }, now());
      return (await templates.get(id))!;
    },
    async update(id: number, patch: Partial<TemplateInput>) {
      await get(id);
      const f = templateFields(patch, false); if (f.length) throw invalid(f);
      const other = patch.name ? await templates.byName(patch.name.trim()) : undefined;
      if (other && other.id !== id) throw invalid([{ field: 'name', message: 'A template with this name exists' }]);
      const clean = {
        ...patch, ...(patch.name ? { name: patch.name.trim() } : {}),
        ...(patch.text !== undefined ? { text: patch.text?.trim() ? patch.text : null } : {}),
      };
      await templates.update(id, clean, now());
      return (await templates.get(id))!;
    },
    async remove(id: number) { if (!(await templates.remove(id))) throw notFound('Template'); },
  };
}

export function messageTypesService(s: { ctx: Ctx }) {
  const types = messageTypesRepo(s.ctx.db);
  const now = () => s.ctx.clock.now();
  const get = async (id: number) => { const t = await types.get(id); if (!t) throw notFound('Message type'); return t; };
  const nameProblem = (name: string) => [{ field: 'name', message: name ? 'At most 64 characters' : 'Name is required' }];

  return {
    list: (q: ListQuery) => types.list(q),
    all: () => types.all(),
    get,
    /** Like `get`, but undefined when there is no such type. */
    find: (id: number) => types.get(id),
    async create(t: { name: string; description?: string }) {
      const name = t.name?.trim() ?? '';
      if (!name || name.length > 64) throw invalid(nameProblem(name));
      if (await types.byName(name)) throw invalid([{ field: 'name', message: 'A message type with this name exists' }]);
      try {
        return (await types.get(await types.create({ name, description: (t.description ?? '').trim().slice(0, 300) }, now())))!;
      } catch (e) { if (isUnique(e)) throw conflict('A message type with this name exists'); throw e; }
    },
    async update(id: number, patch: { name?: string; description?: string }) {
      await get(id);
      const name = patch.name?.trim();
      if (patch.name !== undefined && (!name || name.length > 64)) throw invalid(nameProblem(name ?? ''));
      const other = name ? await types.byName(name) : undefined;
      if (other && other.id !== id) throw invalid([{ field: 'name', message: 'A message type with this name exists' }]);
      const description = patch.description !== undefined ? { description: patch.description.trim().slice(0, 300) } : {};
      await types.update(id, { ...(name ? { name } : {}), ...description }, now());
      return (await types.get(id))!;
    },
    async remove(id: number) { if (!(await types.remove(id, now()))) throw notFound('Message type'); },
  };
}
