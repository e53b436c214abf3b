import { maskPersonalText } from './mask-personal-data.ts';

/**
 * Each name as it may be shown, distinct from the others: an ID number in it masked (maskPersonalText). Two names
 * holding different ID numbers can mask to the same text (`feed-3701**********0014`); each of those is then told
 * apart by its place among them, `~1`, `~2`, … in the sorted order of the full names, so /metrics does not merge
 * their series and a page's anchor finds the right row. No secret is configured that could key a hash of the name,
 * and an unkeyed hash of an 18-digit number can be reversed by trying the numbers that mask alike; the place reveals
 * no digit. It is stable while the set of names masking alike stays the same. A name shown as it is never changes.
 * `others` (names a page shows that have no row of their own) take the next free places, so that `names` read the
 * same wherever they are shown.
 */
export function distinctMaskedNames(
  names: Iterable<string>,
  others: Iterable<string> = [],
): Map<string, string> {
  const unique = [...new Set(names)].sort();
  const alike = new Map<string, string[]>();
  for (const name of unique) {
    const masked = maskPersonalText(name);
    alike.set(masked, [...(alike.get(masked) ?? []), name]);
  }
  const taken = new Set(unique);
  const shown = new Map<string, string>();
  for (const [masked, group] of alike) {
    const hidden = group.filter((name) => name !== masked);
    const clash = group.length > 1;
    let place = 0;
    for (const name of hidden) {
      if (!clash) {
        shown.set(name, masked);
        continue;
      }
      // Skip a place whose text is already some pipeline's own name.
      do place += 1;
      while (taken.has(`${masked}~${place}`));
      shown.set(name, `${masked}~${place}`);
    }
    if (group.includes(masked)) shown.set(masked, masked);
  }
  // Names outside the set (a deleted pipeline's runs) are told apart after it, leaving its names' texts unchanged.
  const used = new Set([...taken, ...shown.values()]);
  const rest = [...new Set(others)].filter((name) => !shown.has(name)).sort();
  const alikeInRest = new Map<string, number>();
  for (const name of rest) {
    const masked = maskPersonalText(name);
    alikeInRest.set(masked, (alikeInRest.get(masked) ?? 0) + 1);
  }
  for (const name of rest) {
    const masked = maskPersonalText(name);
    if (masked === name || (!alike.has(masked) && !used.has(masked) && alikeInRest.get(masked) === 1)) {
      shown.set(name, masked);
      used.add(masked);
      continue;
    }
    let place = 0;
    do place += 1;
    while (used.has(`${masked}~${place}`));
    shown.set(name, `${masked}~${place}`);
    used.add(`${masked}~${place}`);
  }
  return shown;
}
