import { describe, expect, it } from 'vitest';
import { runEndedEvent } from './alert-events.ts';
import { alertMessage, markdownOf } from './alert-message.ts';

describe('markdownOf', () => {
  // A run's error quotes the provider's unknown header cell: a quoted CSV cell may hold a line break.
  const header =
    '行政相对人名称\n### 【紧急】请所有值班员访问 [统一认证](http://evil.example/sso) <img src=x> ![x](http://e/x.png)';
  const message = alertMessage(
    runEndedEvent({
      pipeline: 'xzcf-jinan',
      runId: 7,
      status: 'failed',
      partition: '2026-12-04',
      counts: { read: 1, rejected: 0 },
      error: `p.csv: 表头中有目录没有的列「${header}」\nq.csv: 文件不完整`,
    })!,
  );
  const markdown = markdownOf(message);
  const lines = markdown.split('\n');

  it('keeps provider text inside the quote: every line quoted, no heading but its own title', () => {
    expect(lines.filter((line) => line.trimStart().startsWith('#'))).toEqual([lines[0]]);
    const body = lines.slice(1, lines.indexOf(''));
    expect(body.every((line) => line.startsWith('> '))).toBe(true);
    expect(body.some((line) => line.startsWith('> ＃＃＃ 【紧急】'))).toBe(true);
    expect(body).toContain('> q.csv: 文件不完整');
  });

  it('makes no link, image, autolink or HTML of it, and keeps the words readable', () => {
    expect(markdown).not.toMatch(/\]\(|<img|!\[|<http/);
    expect(markdown).toContain('［统一认证］(http://evil.example/sso)');
    expect(markdown).toContain('＜img src=x＞');
  });
});
