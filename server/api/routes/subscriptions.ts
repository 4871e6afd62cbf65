// Alerts: webhook subscriptions and their delivery logs (DESIGN §4; server/alerts does the work).
import { DeliveryListSchema, SubscriptionBody, SubscriptionListSchema, SubscriptionParams, SubscriptionSchema } from '../../contracts/alerts.js';
import { checkWebhookHost, parseAllowHosts, parseWebhookUrl } from '../../alerts/hosts.js';
import { createSubscription, deleteSubscription, listDeliveries, listSubscriptions } from '../../alerts/subscriptions.js';
import { appendAudit } from '../../governance/audit.js';
import { badRequest } from '../http.js';
import type { AppContext } from '../context.js';
import type { ApiRegistry } from '../registry.js';

export interface SubscriptionRouteOptions {
  /** Hosts allowed on private or loopback addresses (default: WEBHOOK_ALLOW_HOSTS, read per request). */
  allowHosts?: () => readonly string[];
}

export function subscriptionRoutes(api: ApiRegistry, ctx: AppContext, options: SubscriptionRouteOptions = {}): void {
  const allowHosts = options.allowHosts ?? (() => parseAllowHosts(process.env.WEBHOOK_ALLOW_HOSTS));

  api.add({
    method: 'post',
    path: '/subscriptions',
    access: 'any',
    body: SubscriptionBody,
    response: SubscriptionSchema,
    summary:
      'Subscribe a webhook (json signed with HMAC-SHA256, or a DingTalk, Feishu or WeCom robot) to a shop’s events, or (reviewers) to the daily queue digest',
    handler: async ({ body, who }) => {
      const url = parseWebhookUrl(body.url);
      if (typeof url === 'string') throw badRequest(`url: ${url}`);
      // Resolved before the write, so that a slow name server never holds the writer.
      const refused = await checkWebhookHost(url, allowHosts());
      if (refused) throw badRequest(`url: ${refused}`);
      return ctx.db.write(async (conn) => {
        const made = await createSubscription(conn, who!, body);
        // The audit log names the person; never the secret, and the URL masked.
        await appendAudit(conn, who!, 'subscription.created', made.shopId, {
          subscriptionId: made.id,
          url: made.url,
          format: made.format,
          events: made.events,
        });
        return made;
      });
    },
  });

  api.add({
    method: 'get',
    path: '/subscriptions',
    access: 'any',
    response: SubscriptionListSchema,
    summary: 'The subscriptions: a seller’s shops’ ones, or (reviewers) every one; URLs masked, secrets never shown',
    handler: async ({ who }) => ({ items: await ctx.db.read((conn) => listSubscriptions(conn, who!)) }),
  });

  api.add({
    method: 'get',
    path: '/subscriptions/:subscriptionId/deliveries',
    access: 'any',
    params: SubscriptionParams,
    response: DeliveryListSchema,
    summary: 'The delivery log of a subscription, newest first: event, status, attempts, last HTTP status and error',
    handler: ({ params, who }) => ctx.db.read((conn) => listDeliveries(conn, who!, params.subscriptionId)),
  });

  api.add({
    method: 'delete',
    path: '/subscriptions/:subscriptionId',
    access: 'any',
    params: SubscriptionParams,
    response: SubscriptionSchema,
    summary: 'Delete a subscription (a seller of its shop, the reviewer who made it, or an admin); its pending deliveries are cancelled',
    handler: ({ params, who }) =>
      ctx.db.write(async (conn) => {
        const { subscription, changed } = await deleteSubscription(conn, who!, params.subscriptionId);
        if (changed) await appendAudit(conn, who!, 'subscription.deleted', subscription.shopId, { subscriptionId: subscription.id });
        return subscription;
      }),
  });
}
