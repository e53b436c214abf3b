import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.ts';
import { maskPersonalText } from '../log/mask-personal-data.ts';
import { recordAlertDelivery as countDelivery } from '../metrics/process-events.ts';
import { claimAlert, recordAlertDelivery } from '../warehouse/alerts-repository.ts';
import type { Warehouse } from '../warehouse/connect-warehouse.ts';
import type { AlertChannel } from './alert-channel.ts';
import type { AlertEvent, AlertSink } from './alert-event.ts';
import { alertMessage } from './alert-message.ts';
import type { AlertsConfig, ChannelConfig } from './alerts-config.ts';
import { dingtalkChannel } from './dingtalk-channel.ts';
import { emailChannel } from './email-channel.ts';
import { webhookChannel } from './webhook-channel.ts';
import { wecomChannel } from './wecom-channel.ts';

/** The channel of each configured kind (one registry, no scanning). */
function channelOf(config: ChannelConfig): AlertChannel {
  switch (config.type) {
    case 'webhook':
      return webhookChannel(config);
    case 'wecom':
      return wecomChannel(config);
    case 'dingtalk':
      return dingtalkChannel(config);
    case 'email':
      return emailChannel(config);
  }
}

export interface AlertDeliverer extends AlertSink {
  /** Waits for deliveries under way and closes SMTP connections. */
  close(): Promise<void>;
}

/**
 * Sends each event to every channel that takes its kind, once per suppression window (claimed in the warehouse,
 * so it holds across restarts and processes). A channel that fails is tried again `retry.attempts` times with a
 * doubling pause, then logged and recorded as failed; `alert` never throws, so no run or scheduler fails for it.
 */
export function alertDeliverer(config: AlertsConfig, warehouse: Warehouse, logger: Logger): AlertDeliverer {
  const channels = config.channels.map((channel) => ({ config: channel, channel: channelOf(channel) }));
  const pending = new Set<Promise<void>>();
  const log = logger.child({ component: 'alerts' });

  const deliver = async (event: AlertEvent) => {
    const targets = channels.filter(({ config: c }) => !c.events || c.events.includes(event.kind));
    if (targets.length === 0) return;
    const message = alertMessage(event);
    // A warehouse that does not answer is itself worth an alert (a run failed for it): send, unsuppressed.
    const send = await claimAlert(
      warehouse,
      { key: event.key, kind: event.kind, title: message.title },
      config.suppressMinutes,
    ).catch((error: unknown) => {
      log.warn(`alert ${event.key}: repeats not checked (${(error as Error).message}); sending it`);
      return true;
    });
    if (!send) {
      log.info(`alert ${event.key} suppressed: sent within the last ${config.suppressMinutes} minute(s)`, {
        alert: event.kind,
      });
      for (const { channel } of targets) countDelivery(channel.type, 'suppressed');
      return;
    }
    await Promise.all(
      targets.map(async ({ channel }) => {
        const { attempts, error } = await withAttempts(config.retry, () => channel.send(message));
        const status = error ? 'failed' : 'sent';
        countDelivery(channel.type, status);
        // The error names the host and path only (alert-channel.ts): robot keys and passwords stay out of logs.
        const reason = error ? maskPersonalText(error.message) : undefined;
        await recordAlertDelivery(warehouse, {
          key: event.key,
          channel: channel.name,
          status,
          attempts,
          ...(reason ? { error: reason } : {}),
        }).catch((failure: unknown) =>
          log.warn(`alert delivery not recorded: ${(failure as Error).message}`),
        );
        if (reason)
          log.error(
            `alert ${event.key} not delivered to ${channel.name} after ${attempts} attempt(s): ${reason}`,
            {
              alert: event.kind,
              channel: channel.name,
            },
          );
        else
          log.info(`alert ${event.key} sent to ${channel.name}`, {
            alert: event.kind,
            channel: channel.name,
          });
      }),
    );
  };

  return {
    async alert(event) {
      const delivery = deliver(event).catch((error: unknown) => {
        log.error(`alert ${event.key} not delivered: ${maskPersonalText((error as Error).message)}`, {
          alert: event.kind,
        });
      });
      pending.add(delivery);
      try {
        await delivery;
      } finally {
        pending.delete(delivery);
      }
    },
    async close() {
      await Promise.all(pending);
      await Promise.all(channels.map(({ channel }) => channel.close?.()));
    },
  };
}

async function withAttempts(
  retry: AlertsConfig['retry'],
  send: () => Promise<void>,
): Promise<{ attempts: number; error?: Error }> {
  for (let attempt = 1; ; attempt++) {
    try {
      await send();
      return { attempts: attempt };
    } catch (error) {
      if (attempt >= retry.attempts) return { attempts: attempt, error: error as Error };
      await sleep(retry.backoffSeconds * 1000 * 2 ** (attempt - 1));
    }
  }
}
