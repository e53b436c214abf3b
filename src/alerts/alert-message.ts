import { maskPersonalText } from '../log/mask-personal-data.ts';
import type { AlertEvent, AlertKind } from './alert-event.ts';

/** The Chinese name of each kind, the first words of every message. */
export const ALERT_KIND_TITLES: Record<AlertKind, string> = {
  'run-failed': '运行失败',
  'threshold-exceeded': '拒收超过阈值',
  'nothing-delivered': '未按时报送',
  'update-cycle-missed': '超过更新周期未报送',
  'calendar-year-missing': '节假日日历缺少下一年数据',
  'objection-overdue': '异议处理超期',
  'verify-failed': '数据完整性校验失败',
  'job-dead-lettered': '任务重试用尽，转入死信队列',
};

/** An event as it leaves the process: every resident ID in its text masked (USCCs shown). */
export interface AlertMessage {
  kind: AlertKind;
  key: string;
  title: string;
  lines: string[];
  at: string;
}

export function alertMessage(event: AlertEvent): AlertMessage {
  return {
    kind: event.kind,
    // A key names its pipeline (`run-failed:<name>`), which may hold an ID: masked as the text is.
    key: maskPersonalText(event.key),
    title: maskPersonalText(`【信用数据归集】${ALERT_KIND_TITLES[event.kind]}：${event.title}`),
    lines: event.lines.map((line) => maskPersonalText(line)),
    at: shanghaiTime(event.at),
  };
}

/** `2026-12-02 08:00:00` in Beijing time, as the operators read the clock. */
function shanghaiTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3_600_000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * The message as the robots' markdown. Its text quotes what providers sent (a file name, an unknown header cell in
 * a run's error), so nothing in it may become markup: a line break inside a line would end the quote and start a
 * heading, brackets a link with text of the sender's choosing. Each line is quoted line by line, and the characters
 * that open a link, an image, an autolink or HTML, or a heading at a line's start, become their full-width forms:
 * the operators read the same words, nothing is hidden behind them. (The robots' markdown dialects differ on
 * backslash escapes; full-width forms mean the same to every one of them.)
 */
export function markdownOf(message: AlertMessage): string {
  return [
    `### ${inert(message.title.replace(/\s*[\r\n]+\s*/g, ' '))}`,
    ...message.lines.flatMap((line) => line.split(/\r\n|\r|\n/).map((part) => `> ${inert(part)}`)),
    '',
    `时间：${message.at}（北京时间）`,
  ].join('\n');
}

const FULL_WIDTH: Record<string, string> = { '[': '［', ']': '］', '<': '＜', '>': '＞' };

/** Text that renders as itself in markdown: no link, image, autolink, HTML, nor a heading of its own. */
function inert(text: string): string {
  return text
    .replace(/[[\]<>]/g, (char) => FULL_WIDTH[char] ?? char)
    .replace(/^(\s*)(#+)/, (_, space: string, marks: string) => space + '＃'.repeat(marks.length));
}

export function plainTextOf(message: AlertMessage): string {
  return [message.title, ...message.lines, `时间：${message.at}（北京时间）`].join('\n');
}

/** Cut to at most `bytes` UTF-8 bytes (the robots refuse longer messages), whole characters only. */
export function clipUtf8(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let out = '';
  let used = 0;
  const tail = '…';
  const budget = bytes - Buffer.byteLength(tail);
  for (const char of text) {
    const size = Buffer.byteLength(char);
    if (used + size > budget) break;
    out += char;
    used += size;
  }
  return out + tail;
}
