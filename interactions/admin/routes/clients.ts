/** `GET /admin/clients`: the relying parties, read-only, a page at a time (src/clients.ts, as `GET /api/v1/clients`). */
import { z } from 'zod';

import { parseOr400 } from '../../../src/api/errors.ts';
import { NotFoundError } from '../../../src/errors.ts';
import { consoleUserOf, type ConsoleDeps } from '../context.ts';
import { consolePage, type Step } from '../steps.ts';
import { clientsPage } from '../views/clients.ts';

const query = z.object({ cursor: z.string().max(512).optional() });

export function showClients(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderClients(ctx) {
      if (!deps.clients) throw new NotFoundError('no such page');
      const { cursor } = parseOr400(query, ctx.query, 'query');
      ctx.type = 'html';
      ctx.body = clientsPage({ organizationName: deps.organizationName, user: consoleUserOf(ctx) }, await deps.clients.list({ cursor, limit: 50 }));
    },
  ];
}
