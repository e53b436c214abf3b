import { type AlertChannel, postJson } from './alert-channel.ts';
import { clipUtf8, markdownOf, plainTextOf } from './alert-message.ts';
import type { WecomChannelConfig } from './alerts-config.ts';

/**
 * 企业微信 group robot (developer.work.weixin.qq.com/document/path/91770): POST
 * `{"msgtype":"markdown","markdown":{"content":…}}` (at most 4096 bytes) or `{"msgtype":"text","text":{"content":…}}`
 * (2048 bytes) to the robot's webhook URL; it answers `{"errcode":0,"errmsg":"ok"}`.
 */
export function wecomChannel(config: WecomChannelConfig): AlertChannel {
  return {
    name: config.name,
    type: 'wecom',
    send: (message) =>
      postJson(
        config.url,
        config.format === 'text'
          ? { msgtype: 'text', text: { content: clipUtf8(plainTextOf(message), 2048) } }
          : { msgtype: 'markdown', markdown: { content: clipUtf8(markdownOf(message), 4096) } },
        { robot: true },
      ),
  };
}
