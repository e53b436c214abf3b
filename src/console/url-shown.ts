import { maskTypedLookup } from '../log/mask-personal-data.ts';

/** The request's path and query as a person reads them: percent-escapes decoded where they decode. */
function decoded(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/** A path segment, a query name or value: what someone typed between the delimiters of an address. */
const URL_PART = /[^/?&=#;]+/g;

/**
 * A URL as a page shows it: decoded, each part shaped like an ID number masked, whatever its check character or
 * a digit short or long (someone typed a person's number into the address bar, perhaps mistyped); a USCC shown.
 */
export function urlAsShown(url: string): string {
  return decoded(url).replace(URL_PART, maskTypedLookup);
}

/** True when a URL holds an ID number: it is not carried on (in `?next=`, a form, a redirect) nor echoed. */
export function urlHoldsId(url: string): boolean {
  return urlAsShown(url) !== decoded(url);
}
