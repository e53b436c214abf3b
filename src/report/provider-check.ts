import type { ChannelLevel } from '../catalog/catalog-entry.ts';
import { normalizeCode } from '../identifiers/normalize-code.ts';
import { checkUscc } from '../identifiers/uscc.ts';
import { type Provider, providerLabel } from './providers.ts';

export interface ProviderCheckOptions {
  /** Accept a valid code the registry does not list (`ingest --allow-unregistered-provider`). */
  allowUnregistered?: boolean;
  /** The registry file, named in messages. */
  registryFile: string;
}

export type ProviderCheck =
  | { ok: true; code: string }
  /** `unregistered`: a valid code the registry does not list (the caller may say how to allow it). */
  | { ok: false; message: string; unregistered: boolean };

/**
 * A provider code as given on the command line or in a pipeline: a unified social credit code with valid check
 * characters (GB 32100), registered in the provider registry unless explicitly allowed. A code that is neither
 * would become a provider of its own in every bulletin and notice, so it is refused with the closest registered
 * provider named.
 */
export function checkProviderCode(
  providers: readonly Provider[],
  given: string,
  options: ProviderCheckOptions,
): ProviderCheck {
  const code = normalizeCode(given);
  const registered = providers.find((provider) => provider.code === code);
  if (registered) return { ok: true, code };
  const suggestion = suggest(providers, given);
  const problem = checkUscc(code, { allowPilotCodes: true });
  if (problem)
    return {
      ok: false,
      message: `provider "${given}" is not a unified social credit code: ${problem.message}; ${suggestion}`,
      unregistered: false,
    };
  if (options.allowUnregistered) return { ok: true, code };
  return {
    ok: false,
    message:
      `provider ${code} is not in the provider registry ${options.registryFile} ` +
      `(register the department there: code, name, level, expected entries); ${suggestion}`,
    unregistered: true,
  };
}

/** A registered provider given another channel level than its registered one. */
export interface ProviderLevelMismatch {
  /** Its registered level, the one its deliveries are loaded at. */
  registered: ChannelLevel;
  /** What is wrong, naming the provider, both levels and the registry (the caller adds how to fix it). */
  message: string;
}

/**
 * A delivery's channel level against the provider registry: a registered provider delivers at its registered
 * level only. The level decides precedence in 省市互补 dedupe (docs/warehouse.md), so a city loaded as `province`
 * would overwrite what the province delivered — a forged precedence. Undefined when the level is the registered
 * one, or the code is not registered (an unregistered code allowed for a one-off delivery keeps its given level).
 */
export function checkProviderLevel(
  providers: readonly Provider[],
  code: string,
  level: ChannelLevel,
  registryFile: string,
): ProviderLevelMismatch | undefined {
  const registered = providers.find((provider) => provider.code === code);
  if (!registered || registered.level === level) return undefined;
  return {
    registered: registered.level,
    message:
      `provider ${providerLabel(providers, code)} is registered at level ${registered.level} in the provider ` +
      `registry ${registryFile}, not ${level}: a provider's deliveries are loaded at its registered level (the ` +
      'level decides precedence in 省市互补 dedupe)',
  };
}

/** "did you mean …?" for a near miss, else the registered providers (a registry is short). */
function suggest(providers: readonly Provider[], given: string): string {
  const closest = closestProvider(providers, given);
  if (closest) return `did you mean ${providerLabel(providers, closest.code)}?`;
  const listed = providers.map((provider) => providerLabel(providers, provider.code));
  return listed.length === 0
    ? 'the provider registry is empty'
    : `registered providers: ${listed.slice(0, 8).join(', ')}${listed.length > 8 ? ', …' : ''} (credit-etl providers list)`;
}

/** Edits that still count as a typo of a registered code (a mistyped, missing, extra or swapped character). */
const TYPO_DISTANCE = 2;

/** The registered provider a mistyped code or a name most likely meant, if any is close enough. */
export function closestProvider(providers: readonly Provider[], given: string): Provider | undefined {
  const text = given.trim();
  const byName = providers.find((provider) => text !== '' && provider.name.includes(text));
  if (byName) return byName;
  const code = normalizeCode(text);
  let best: { provider: Provider; distance: number } | undefined;
  for (const provider of providers) {
    const distance = editDistance(code, provider.code);
    if (distance <= TYPO_DISTANCE && (!best || distance < best.distance)) best = { provider, distance };
  }
  return best?.provider;
}

/** Optimal string alignment distance (Levenshtein plus adjacent transposition). */
export function editDistance(a: string, b: string): number {
  const rows: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        value = Math.min(value, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = value;
    }
  }
  return rows[a.length]![b.length]!;
}
