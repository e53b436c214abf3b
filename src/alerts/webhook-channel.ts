import { type AlertChannel, postJson } from './alert-channel.ts';
import { markdownOf } from './alert-message.ts';
import type { WebhookChannelConfig } from './alerts-config.ts';

/** The event as JSON: `{kind, key, title, lines, at, text}` (text: the same as Markdown), for any receiver. */
export function webhookChannel(config: WebhookChannelConfig): AlertChannel {
  return {
    name: config.name,
    type: 'webhook',
    send: (message) =>
      postJson(
        config.url,
        { ...message, text: markdownOf(message) },
        { ...(config.headers ? { headers: config.headers } : {}) },
      ),
  };
}
