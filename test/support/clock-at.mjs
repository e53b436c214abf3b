// Preloaded into a CLI process by tests (`node --import <this file> bin/credit-etl.js …`): the process's clock
// starts at CLOCK_AT (an ISO instant) and runs on from there, so a test can put the CLI at an hour of the day it
// needs (say 04:00 Beijing, still the day before in UTC) whenever the suite runs. Only this process's Date moves:
// the database's clock does not.
const start = Date.parse(process.env.CLOCK_AT ?? '');
if (Number.isNaN(start)) throw new Error(`clock-at.mjs: CLOCK_AT is not an instant: ${process.env.CLOCK_AT}`);
const RealDate = Date;
const offset = start - RealDate.now();
const now = () => RealDate.now() + offset;

class ClockDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(now());
    else super(...args);
  }
  static now() {
    return now();
  }
}
globalThis.Date = ClockDate;
