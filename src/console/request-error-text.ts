/**
 * What a failed request's page says, in Chinese. The console's own refusals (`badRequest`) say why themselves;
 * every other 4xx comes from Fastify or a plugin (a content type it cannot parse, a body over the limit, a
 * multipart part too many) with an English message that may quote the request, so it is told by its status.
 */
const BY_STATUS: Readonly<Record<number, string>> = {
  400: '请求格式有误：请从页面上的链接或表单重新提交。',
  403: '无权执行此操作。',
  404: '没有这个页面。',
  405: '不支持这种请求方式。',
  406: '无法按请求的格式处理。',
  408: '请求超时，请重试。',
  411: '请求缺少内容长度。',
  413: '提交的内容超过上限。',
  414: '网址过长。',
  415: '不支持提交的内容类型：请从页面上的表单提交。',
  429: '请求过于频繁，请稍后再试。',
};

const SERVER_ERROR = '处理请求时出错，详情见服务器日志。';

/** The console's own refusal of a request, its message meant for the page (Chinese, nothing of a person in it). */
export class ConsoleRequestError extends Error {
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

export function requestErrorText(error: unknown, status: number): string {
  if (status >= 500) return SERVER_ERROR;
  if (error instanceof ConsoleRequestError) return error.message;
  return BY_STATUS[status] ?? BY_STATUS[400]!;
}
