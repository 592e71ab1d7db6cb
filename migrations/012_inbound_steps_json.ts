/*
 * Pipeline step results move from one row per step (inbound_steps) into one JSON column of
 * the message: the pipeline rewrites the message row anyway, and five extra index-maintained
 * rows per message cost 30-60 µs of a ~250 µs pipeline run (bench/inbound.sh profile).
 * Existing results are copied over, in step order.
 */
import type { Knex } from 'knex';
import { longText, type Migration } from './helpers.js';

export const inboundStepsJson: Migration = {
  name: '012_inbound_steps_json',
  async up(knex: Knex) {
    await knex.schema.alterTable('inbound_messages', (t) => { t.specificType('steps', longText(knex)).nullable(); });
    let after = 0;
    for (;;) {
      const ids = (await knex('inbound_steps').distinct('message_id').where('message_id', '>', after).orderBy('message_id').limit(500)).map((r: { message_id: number | string }) => Number(r.message_id));
      if (!ids.length) break;
      const rows = await knex('inbound_steps').whereIn('message_id', ids).orderBy('id');
      const by = new Map<number, unknown[]>();
      for (const r of rows) {
        const id = Number(r.message_id);
        if (!by.has(id)) by.set(id, []);
        by.get(id)!.push({ step: r.step, status: r.status, result: r.result ? JSON.parse(r.result) : null, at: Number(r.at) });
      }
      for (const [id, steps] of by) await knex('inbound_messages').where({ id }).update({ steps: JSON.stringify(steps) });
      after = ids[ids.length - 1]!;
    }
    await knex.schema.dropTable('inbound_steps');
  },
  async down(knex: Knex) {
    await knex.schema.createTable('inbound_steps', (t) => {
      t.bigIncrements('id');
      t.bigInteger('message_id').unsigned().notNullable().references('inbound_messages.id').onDelete('CASCADE');
      t.string('step', 32).notNullable();
      t.string('status', 16).notNullable();
      t.text('result').nullable();
      t.bigInteger('at').notNullable();
      t.unique(['message_id', 'step'], { indexName: 'inbound_steps_once' });
    });
    await knex.schema.alterTable('inbound_messages', (t) => { t.dropColumn('steps'); });
  },
};
