/**
 * `GET /interaction/:uid/status`: the step, and on the code page the delivery of the mail, for
 * the page's script to follow (the page says the same without JavaScript).
 */
import { messagesFor } from '../../src/i18n/index.ts';
import { deliveryText } from '../views/pages.ts';
import { interactionOf, localeOf, signInOf, type RouteDeps } from './context.ts';
import { loadInteraction, loadSignIn, type Step } from './steps.ts';

export function deliveryStatus(deps: RouteDeps): Step[] {
  return [
    loadInteraction(deps),
    loadSignIn(deps),

    async function answerStatus(ctx) {
      const record = signInOf(ctx);
      if (record.step.name !== 'code_sent') {
        ctx.body = { step: record.step.name };
        return;
      }
      const delivery = await deps.flow.deliveryState(record);
      ctx.body = { step: record.step.name, delivery, text: deliveryText(messagesFor(localeOf(ctx, interactionOf(ctx), record)), delivery) };
    },
  ];
}
