import { maskTypedLookup } from '../log/mask-personal-data.ts';

/** A run of percent-escapes (`%33%37…`): the bytes of one or more characters. */
const ESCAPES = /(?:%[0-9A-Fa-f]{2})+/g;

/**
 * The request's path and query as a person reads them: every run of percent-escapes decoded as UTF-8, bytes
 * that are none shown as U+FFFD. Never the address as sent when some escape does not decode (`%FF`, a character
 * cut short): the digits of an ID number escaped beside it would stay escaped, past the masking.
 */
function decoded(url: string): string {
  return url.replace(ESCAPES, (run) => Buffer.from(run.replaceAll('%', ''), 'hex').toString('utf8'));
}

/** A path segment, a query name or value: what someone typed between the delimiters of an address. */
const URL_PART = /[^/?&=#;]+/g;

/** A control character (C0, DEL, C1): `%00` decoded is a NUL byte, `%0A` a line break that forges a log line. */
const CONTROL = /\p{Cc}/gu;

/**
 * A URL as a page or a log line shows it: decoded, each part shaped like an ID number masked, whatever its check
 * character or a digit short or long (someone typed a person's number into the address bar, perhaps mistyped); a
 * USCC shown; a control character shown as U+FFFD.
 */
export function urlAsShown(url: string): string {
  return decoded(url).replace(URL_PART, maskTypedLookup).replace(CONTROL, '\uFFFD');
}

/** True when a URL holds an ID number: it is not carried on (in `?next=`, a form, a redirect) nor echoed. */
export function urlHoldsId(url: string): boolean {
  const text = decoded(url);
  return text.replace(URL_PART, maskTypedLookup) !== text;
}
