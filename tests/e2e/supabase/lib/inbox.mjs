// A queue of received messages with "the next one matching X within N ms": tests await
// messages in the order they care about while everything is still recorded for "exactly
// once" and "nothing else" checks.
import { sleep } from './deadline.mjs';

export class Inbox {
  constructor(label) {
    this.label = label;
    this.received = []; // everything, in arrival order
    this.unread = []; // not yet taken by next()
    this.waiters = [];
  }

  push(message) {
    this.received.push(message);
    const i = this.waiters.findIndex((w) => w.predicate(message));
    if (i >= 0) {
      const [waiter] = this.waiters.splice(i, 1);
      waiter.resolve(message);
    } else {
      this.unread.push(message);
    }
  }

  // The first unread message matching `predicate` (taken out of `unread`), waiting up to `ms`.
  next(predicate, ms, what = 'a message') {
    const i = this.unread.findIndex(predicate);
    if (i >= 0) return Promise.resolve(this.unread.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        const seen = JSON.stringify(this.received.slice(-8));
        reject(new Error(`${this.label}: no ${what} within ${ms} ms; last received: ${seen}`));
      }, ms);
      waiter.resolve = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
      this.waiters.push(waiter);
    });
  }

  // Waits `ms` so that late duplicates or stray messages have time to arrive, then returns
  // every message received so far that matches `predicate`.
  async settle(ms, predicate = () => true) {
    await sleep(ms);
    return this.received.filter(predicate);
  }
}
