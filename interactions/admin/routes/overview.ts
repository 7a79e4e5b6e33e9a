/** `GET /admin`: the overview (src/admin/overview.ts). */
import { consoleOverview } from '../../../src/admin/overview.ts';
import { consoleUserOf, type ConsoleDeps } from '../context.ts';
import { consolePage, type Step } from '../steps.ts';
import { overviewPage } from '../views/overview.ts';

export function showOverview(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderOverview(ctx) {
      ctx.type = 'html';
      ctx.body = overviewPage({ organizationName: deps.organizationName, user: consoleUserOf(ctx) }, await consoleOverview(deps.store, deps.clock));
    },
  ];
}
