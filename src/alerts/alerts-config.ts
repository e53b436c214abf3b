import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { ConfigError, PROJECT_ROOT } from '../config/config.ts';
import { ALERT_KINDS, type AlertKind } from './alert-event.ts';

/** `config/alerts.json` (CREDIT_ETL_ALERTS_FILE): the channels alerts go to. */
export interface AlertsConfig {
  file: string;
  /** A repeat of the same event within this many minutes is not sent again (default 720: 12 hours). */
  suppressMinutes: number;
  /** Tries per channel and alert, the first included (default 3), with a doubling pause (default 2 s). */
  retry: { attempts: number; backoffSeconds: number };
  channels: ChannelConfig[];
}

interface ChannelBase {
  /** How the logs and `alert_deliveries` name it (default: its type). */
  name: string;
  /** Only these events (default: all). */
  events?: AlertKind[];
}

/** A generic webhook: the event as JSON, POSTed. */
export interface WebhookChannelConfig extends ChannelBase {
  type: 'webhook';
  url: string;
  headers?: Record<string, string>;
}

/** 企业微信 group robot: `https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…`. */
export interface WecomChannelConfig extends ChannelBase {
  type: 'wecom';
  url: string;
  format: 'markdown' | 'text';
}

/** 钉钉 group robot: `https://oapi.dingtalk.com/robot/send?access_token=…`; `secret` (SEC…) signs each request. */
export interface DingtalkChannelConfig extends ChannelBase {
  type: 'dingtalk';
  url: string;
  secret?: string;
  format: 'markdown' | 'text';
}

/** E-mail over SMTP (nodemailer). */
export interface EmailChannelConfig extends ChannelBase {
  type: 'email';
  smtp: {
    host: string;
    port: number;
    /** TLS from the first byte (port 465). */
    secure: boolean;
    /** STARTTLS: `opportunistic` (default), `required`, or `off`. */
    starttls: 'opportunistic' | 'required' | 'off';
    user?: string;
    password?: string;
  };
  from: string;
  to: string[];
}

export type ChannelConfig =
  | WebhookChannelConfig
  | WecomChannelConfig
  | DingtalkChannelConfig
  | EmailChannelConfig;

const text = { type: 'string', minLength: 1 } as const;
const url = { type: 'string', pattern: '^https?://' } as const;
const common = {
  name: text,
  events: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...ALERT_KINDS] } },
} as const;
const robot = (type: string, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  additionalProperties: false,
  required: ['type', 'url'],
  properties: {
    type: { const: type },
    ...common,
    url,
    format: { enum: ['markdown', 'text'], default: 'markdown' },
    ...extra,
  },
});

const SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['channels'],
  properties: {
    $schema: { type: 'string' },
    suppressMinutes: { type: 'integer', minimum: 0, default: 720 },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        attempts: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
        backoffSeconds: { type: 'number', minimum: 0, maximum: 300, default: 2 },
      },
      default: {},
    },
    channels: {
      type: 'array',
      items: {
        type: 'object',
        required: ['type'],
        properties: { type: { enum: ['webhook', 'wecom', 'dingtalk', 'email'] } },
        allOf: [
          {
            if: { properties: { type: { const: 'webhook' } } },
            // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
            then: {
              additionalProperties: false,
              required: ['type', 'url'],
              properties: {
                type: { const: 'webhook' },
                ...common,
                url,
                headers: { type: 'object', additionalProperties: { type: 'string' } },
              },
            },
          },
          // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
          { if: { properties: { type: { const: 'wecom' } } }, then: robot('wecom') },
          {
            if: { properties: { type: { const: 'dingtalk' } } },
            // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
            then: robot('dingtalk', { secret: { type: 'string', pattern: '^SEC' } }),
          },
          {
            if: { properties: { type: { const: 'email' } } },
            // biome-ignore lint/suspicious/noThenProperty: JSON Schema's keyword
            then: {
              additionalProperties: false,
              required: ['type', 'smtp', 'from', 'to'],
              properties: {
                type: { const: 'email' },
                ...common,
                smtp: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['host'],
                  properties: {
                    host: text,
                    port: { type: 'integer', minimum: 1, maximum: 65535, default: 25 },
                    secure: { type: 'boolean', default: false },
                    starttls: { enum: ['opportunistic', 'required', 'off'], default: 'opportunistic' },
                    user: text,
                    password: { type: 'string' },
                  },
                },
                from: text,
                to: { type: 'array', minItems: 1, items: text },
              },
            },
          },
        ],
      },
    },
  },
} as const;

const validate = new Ajv2020({ allErrors: true, useDefaults: true, strict: false }).compile(SCHEMA);

/** Where the alerts file is: CREDIT_ETL_ALERTS_FILE, else `config/alerts.json` of the installation. */
export function alertsFile(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.CREDIT_ETL_ALERTS_FILE?.trim();
  return value ? path.resolve(value) : path.join(PROJECT_ROOT, 'config/alerts.json');
}

/**
 * The alerts file, validated: undefined when there is none (no alerts), a ConfigError (exit 2) naming every
 * problem when it is wrong. Read at start-up, not at the first alert: a typo is found before the night it matters.
 */
export async function loadAlertsConfig(file: string = alertsFile()): Promise<AlertsConfig | undefined> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(
      `alerts file ${file}: ${(error as Error).message} (format: docs/alerts-and-metrics.md)`,
    );
  }
  if (!validate(data)) {
    // Copied at once: ajv overwrites `validate.errors` on the next call.
    const problems = [...(validate.errors ?? [])]
      .filter((error) => error.keyword !== 'if')
      .map((error) => {
        const where = error.instancePath || '/';
        if (error.keyword === 'additionalProperties')
          return `${where}/${String(error.params.additionalProperty)} is not a known field (a typo?)`;
        if (error.keyword === 'enum')
          return `${where} ${error.message}: ${(error.params.allowedValues as unknown[]).join(', ')}`;
        return `${where} ${error.message}`;
      });
    throw new ConfigError(
      `alerts file ${file} is invalid: ${[...new Set(problems)].join('; ')} (format: docs/alerts-and-metrics.md)`,
    );
  }
  const config = data as Omit<AlertsConfig, 'file'>;
  const names = new Set<string>();
  const channels = config.channels.map((channel) => {
    const named = { ...channel, name: channel.name ?? channel.type };
    if (names.has(named.name))
      throw new ConfigError(
        `alerts file ${file}: two channels are named "${named.name}": give each a "name"`,
      );
    names.add(named.name);
    return named;
  });
  return { file, suppressMinutes: config.suppressMinutes, retry: config.retry, channels };
}
