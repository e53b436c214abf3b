import { createHmac } from 'node:crypto';
import { type AlertChannel, postJson } from './alert-channel.ts';
import { markdownOf, plainTextOf } from './alert-message.ts';
import type { DingtalkChannelConfig } from './alerts-config.ts';

/**
 * 钉钉 group robot (open.dingtalk.com, 自定义机器人): POST `{"msgtype":"markdown","markdown":{"title","text"}}` or
 * `{"msgtype":"text","text":{"content"}}` to `https://oapi.dingtalk.com/robot/send?access_token=…`; it answers
 * `{"errcode":0,"errmsg":"ok"}`. With 加签, each request carries `timestamp` (ms) and `sign`.
 */
export function dingtalkChannel(config: DingtalkChannelConfig): AlertChannel {
  return {
    name: config.name,
    type: 'dingtalk',
    send: (message) =>
      postJson(
        config.secret ? signedUrl(config.url, config.secret, Date.now()) : config.url,
        config.format === 'text'
          ? { msgtype: 'text', text: { content: plainTextOf(message) } }
          : { msgtype: 'markdown', markdown: { title: message.title, text: markdownOf(message) } },
        { robot: true },
      ),
  };
}

/**
 * DingTalk's 加签: `sign` = Base64(HMAC-SHA256(key = secret, `${timestamp}\n${secret}`)), URL-encoded, with the
 * millisecond `timestamp` (the robot refuses one more than an hour off).
 */
export function dingtalkSign(secret: string, timestamp: number): string {
  return createHmac('sha256', secret).update(`${timestamp}\n${secret}`, 'utf8').digest('base64');
}

export function signedUrl(url: string, secret: string, timestamp: number): string {
  const signed = new URL(url);
  signed.searchParams.set('timestamp', String(timestamp));
  signed.searchParams.set('sign', dingtalkSign(secret, timestamp));
  return signed.toString();
}
