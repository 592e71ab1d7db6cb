/*
 * Writes: templates. Reads: templates.
 * Templates for single emails (and other sources): the only SQL for the `templates` table.
 * Exactly one row may carry `is_default`; setting a new default clears the old one in the
 * same transaction.
 */
import type { Db } from '../connect.js';
import { listPage, type ListQuery, type Page } from '../list.js';
import { columns, type DbRow } from '../row.js';

export interface Template {
  id: number; name: string; subject: string; html: string; text: string | null; is_default: boolean;
  created_at: number; updated_at: number;
}
export type TemplateInput = Pick<Template, 'name' | 'subject' | 'html' | 'text' | 'is_default'>;

const toTemplate = (r: DbRow): Template => ({
  ...columns<Template>(r), id: Number(r.id), is_default: Boolean(r.is_default), created_at: Number(r.created_at), updated_at: Number(r.updated_at),
});

export function templatesRepo(db: Db) {
  const k = db.knex;
  return {
    async list(q: ListQuery): Promise<Page<Template>> {
      return listPage(k('templates').select('*'), {
        sortable: ['id', 'name', 'is_default', 'created_at', 'updated_at'], defaultSort: 'name', searchable: ['name', 'subject'],
      }, q, toTemplate);
    },
    async all(): Promise<Array<Pick<Template, 'id' | 'name' | 'is_default'>>> {
      const rows = await k('templates').select('id', 'name', 'is_default').orderBy('name');
      return (rows as DbRow[]).map((r) => ({ id: Number(r.id), name: String(r.name), is_default: Boolean(r.is_default) }));
    },
    async get(id: number): Promise<Template | undefined> {
      const r = await k('templates').where({ id }).first();
      return r && toTemplate(r);
    },
    async byName(name: string): Promise<Template | undefined> {
      const r = await k('templates').where({ name }).first();
      return r && toTemplate(r);
    },
    async getDefault(): Promise<Template | undefined> {
      const r = await k('templates').where({ is_default: true }).orderBy('id').first();
      return r && toTemplate(r);
    },
    async create(t: TemplateInput, now: number): Promise<number> {
      return k.transaction(async (trx) => {
        if (t.is_default) await trx('templates').where({ is_default: true }).update({ is_default: false, updated_at: now });
        const [id] = await trx('templates').insert({ ...t, created_at: now, updated_at: now });
        return Number(id);
      });
    },
    async update(id: number, patch: Partial<TemplateInput>, now: number): Promise<boolean> {
      return k.transaction(async (trx) => {
        if (patch.is_default) await trx('templates').where({ is_default: true }).whereNot({ id }).update({ is_default: false, updated_at: now });
        return (await trx('templates').where({ id }).update({ ...patch, updated_at: now })) === 1;
      });
    },
    async remove(id: number): Promise<boolean> {
      return (await k('templates').where({ id }).delete()) === 1;
    },
  };
}
