/**
 * `/admin/settings`: the sharing policy as a form. Saving goes through `replaceSettings`, as
 * `PUT /api/v1/settings` does: the schema judges the values (its messages, field by field, on
 * the form), the change is conditional on the version the form was filled from (the ETag), and
 * a stale form is not saved but shown again with what changed meanwhile and the entries kept.
 */
import type { Context } from 'koa';
import { z } from 'zod';

import { policySchema, type Policy } from '../../../config/schema.ts';
import { describeZodError } from '../../../src/api/errors.ts';
import { PreconditionFailedError } from '../../../src/errors.ts';
import { requestOrigin } from '../../../src/http/request_origin.ts';
import { replaceSettings } from '../../../src/settings.ts';
import { csrfForm } from '../../routes/steps.ts';
import { actorOf, consoleUserOf, type ConsoleDeps } from '../context.ts';
import { redirect303 } from '../../routes/context.ts';
import { changedFields, policyInput, postedValues, settingsFields, valuesOf, type SettingsValues } from '../settings_form.ts';
import { acceptConsoleForm, consoleFormOf, consolePage, type Step } from '../steps.ts';
import { settingsPage } from '../views/settings.ts';
import { noticeFor } from './queries.ts';

const settingsForm = csrfForm.extend({ version: z.string().regex(/^\d{1,12}$/), base: z.string().max(20_000) });

export function showSettings(deps: ConsoleDeps): Step[] {
  return [
    ...consolePage(deps),
    async function renderSettings(ctx) {
      const current = await deps.policy.current();
      render(ctx, deps, { values: valuesOf(current.policy), current, problems: {}, done: typeof ctx.query.done === 'string' ? ctx.query.done : undefined });
    },
  ];
}

export function saveSettings(deps: ConsoleDeps): Step[] {
  return [
    ...acceptConsoleForm(deps, settingsForm),
    async function replacePolicy(ctx) {
      const form = consoleFormOf(ctx, settingsForm);
      const values = postedValues(ctx.request.body);
      const parsed = policySchema.safeParse(policyInput(values));
      if (!parsed.success) {
        ctx.status = 400;
        return render(ctx, deps, { values, current: await deps.policy.current(), version: Number(form.version), base: form.base, problems: problemsByField(parsed.error) });
      }
      try {
        await replaceSettings(deps, parsed.data, form.version, actorOf(ctx), requestOrigin(ctx));
      } catch (error) {
        if (!(error instanceof PreconditionFailedError)) throw error;
        const current = await deps.policy.current();
        const seen = readBase(form.base);
        ctx.status = 409;
        return render(ctx, deps, { values, current, problems: {}, changedMeanwhile: seen ? changedFields(seen, current.policy) : [] });
      }
      redirect303(ctx, '/admin/settings?done=settings_saved');
    },
  ];
}

function render(
  ctx: Context,
  deps: ConsoleDeps,
  state: { values: SettingsValues; current: { policy: Policy; version: number; updatedAt?: number }; version?: number; base?: string; problems: Record<string, string>; changedMeanwhile?: [string, string, string][]; done?: string | undefined },
): void {
  const user = consoleUserOf(ctx);
  ctx.type = 'html';
  ctx.body = settingsPage(
    { organizationName: deps.organizationName, user, notice: noticeFor(state.done) },
    {
      fields: settingsFields(),
      values: state.values,
      version: state.version ?? state.current.version,
      base: state.base ?? JSON.stringify(state.current.policy),
      updatedAt: state.current.updatedAt,
      problems: state.problems,
      editable: user.role === 'admin',
      csrf: user.csrf,
    },
    state.changedMeanwhile,
  );
}

/** The schema's messages (as the API words them), by the form field each is about. */
function problemsByField(error: z.ZodError): Record<string, string> {
  const problems: Record<string, string> = {};
  for (const issue of error.issues) {
    const name = issue.path[0] === 'domains' ? 'domains' : issue.path.join('.');
    problems[name] ??= describeZodError(new z.ZodError([issue]));
  }
  return problems;
}

function readBase(base: string): Policy | undefined {
  try {
    const parsed = policySchema.safeParse(JSON.parse(base));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
