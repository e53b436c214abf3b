import { maskPersonalText } from '../log/mask-personal-data.ts';

/** The request's path and query as a person reads them: percent-escapes decoded where they decode. */
function decoded(url: string): string {
  try {
    return decodeURIComponent(url);
  } catch {
    return url;
  }
}

/** A URL as a page shows it: decoded, any resident ID in it masked (someone typed one into the address bar). */
export function urlAsShown(url: string): string {
  return maskPersonalText(decoded(url));
}

/** True when a URL holds a resident ID: it is not carried on (in `?next=`, a form, a redirect) nor echoed. */
export function urlHoldsId(url: string): boolean {
  return urlAsShown(url) !== decoded(url);
}
