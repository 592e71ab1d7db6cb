/* Team policy: unique names, member lists. */
import type { Ctx } from '../context.js';
import type { AuthService } from './service.js';
import { invalid, notFound } from '../errors.js';

export interface TeamInput { name?: string; description?: string; memberIds?: number[] }

export function teamsService(s: { ctx: Ctx; auth: AuthService }) {
  const repo = s.auth.teams;
  const now = () => s.ctx.clock.now();
  async function check(input: TeamInput, id?: number) {
    if (input.name !== undefined) {
      const name = input.name.trim();
      if (!name || name.length > 100) throw invalid([{ field: 'name', message: 'is required (at most 100 characters)' }]);
      const other = await repo.byName(name);
      if (other && Number(other.id) !== id) throw invalid([{ field: 'name', message: 'is taken' }]);
    }
  }
  return {
    async create(input: TeamInput) {
      await check({ ...input, name: input.name ?? '' });
      const id = await repo.create({ name: input.name!.trim(), description: input.description ?? '' }, now());
      if (input.memberIds) await repo.setMembers(id, input.memberIds);
      return (await repo.get(id))!;
    },
    async update(id: number, input: TeamInput) {
      if (!(await repo.get(id))) throw notFound('Team');
      await check(input, id);
      const patch: { name?: string; description?: string } = {};
      if (input.name !== undefined) patch.name = input.name.trim();
      if (input.description !== undefined) patch.description = input.description;
      if (Object.keys(patch).length) await repo.update(id, patch, now());
      if (input.memberIds) await repo.setMembers(id, input.memberIds);
      return (await repo.get(id))!;
    },
  };
}
