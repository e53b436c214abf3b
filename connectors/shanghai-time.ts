/**
 * Time as the platform's people read it: Beijing time (Asia/Shanghai), whatever the server's zone. A day of
 * receipt, a partition day, a run's start shown to an operator. At the bottom of the layers (connectors/), so a
 * transport and the engine count days alike.
 */

// China has kept UTC+8 without daylight saving since 1991, so a fixed offset is exact.
const SHANGHAI_OFFSET_MS = 8 * 3600_000;
const DAY_MS = 86_400_000;

/** The Shanghai day last computed, as the UTC instants [from, until) it covers: rows ask for today per row. */
let cachedDay = { date: '', from: 0, until: 0 };

/** Today's date in Asia/Shanghai, as `YYYY-MM-DD`. */
export function todayInShanghai(now?: Date): string {
  const time = now ? now.getTime() : Date.now();
  if (time >= cachedDay.from && time < cachedDay.until) return cachedDay.date;
  const date = new Date(time + SHANGHAI_OFFSET_MS).toISOString().slice(0, 10);
  const from = Math.floor((time + SHANGHAI_OFFSET_MS) / DAY_MS) * DAY_MS - SHANGHAI_OFFSET_MS;
  cachedDay = { date, from, until: from + DAY_MS };
  return date;
}

/** An instant as Shanghai wall-clock time, `YYYY-MM-DD HH:mm:ss`, for people. */
export function shanghaiTime(date: Date): string {
  return new Date(date.getTime() + SHANGHAI_OFFSET_MS).toISOString().replace('T', ' ').slice(0, 19);
}
