// Matches whose answer depends on what came before or on the clock: rate
// limits, quotas, sampling, recent lists and time windows. They are decided
// from the scenario's state (a freshly loaded ruleset, the packets before the
// probe, the time, a random draw) and are uncertain without it.
import type { OptionName } from '../../knowledge';
import { lookedUpWhenLoaded, type Rate } from '../../knowledge/values';
import type { MatchUse } from '../../syntax/command';
import { Criterion, EvalContext, Tri, uncertain } from '../context';
import { showAddress } from '../json';
import type { Bucket, RecentEntry } from '../state';
import { CompiledMatch, criterion, first, num, option, whole } from './common';
import { t } from '../../l10n';

const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86400 };

/** Seconds between two packets at this rate. */
function period(rate: Rate): number {
  return UNIT_SECONDS[rate.per] / rate.amount;
}

/** Built when used: the language is only known once the server or CLI has started. */
const notFresh = () => t('depends on how many packets this rule saw recently (state.fresh: the rules were just loaded)');

/** A token bucket that starts full (xt_limit, xt_hashlimit): `burst` packets, then one per period. */
function take(bucket: Bucket, now: number, cost: number, burst: number): boolean {
  const cap = cost * burst;
  bucket.tokens = Math.min(cap, bucket.tokens + (now - bucket.last));
  bucket.last = now;
  if (bucket.tokens >= cost - 1e-9) {
    bucket.tokens -= cost;
    return true;
  }
  return false;
}

function limit(use: MatchUse): CompiledMatch {
  const rateOpt = option(use, 'limit');
  const burstOpt = option(use, 'limit-burst');
  const cost = rateOpt ? period(first(rateOpt)) : 1200;
  const burst = burstOpt ? num(burstOpt) : 5;
  return {
    criteria: [whole(use, (ctx) => {
      if (!ctx.state.fresh) return uncertain(t('the rate limit {0}', notFresh()));
      let b = ctx.state.limits.get(ctx.ruleId);
      if (!b) ctx.state.limits.set(ctx.ruleId, (b = { tokens: cost * burst, last: ctx.state.now }));
      return take(b, ctx.state.now, cost, burst);
    }, true)],
  };
}

function hashlimit(use: MatchUse, cc: { family: string }): CompiledMatch {
  const rateOpt = option(use, 'hashlimit-upto') ?? option(use, 'hashlimit-above')!;
  const rate = first(rateOpt);
  const above = (rateOpt.spec.name === 'hashlimit-above') !== rateOpt.negated;
  const name = option(use, 'hashlimit-name')?.parsed[0] ?? '';
  const burstOpt = option(use, 'hashlimit-burst');
  const burst = burstOpt ? Number(first(burstOpt)) : 5;
  const modes = option(use, 'hashlimit-mode')?.parsed[0] ?? [];
  const all = cc.family === 'ipv4' ? 0xffffffffn : (1n << 128n) - 1n;
  const srcMask = option(use, 'hashlimit-srcmask')?.parsed[0] ?? all;
  const dstMask = option(use, 'hashlimit-dstmask')?.parsed[0] ?? all;
  const expireOpt = option(use, 'hashlimit-htable-expire');
  const expire = expireOpt ? num(expireOpt) / 1000 : 10;
  const byteRate = rate.unit !== undefined || !Number.isFinite(burst);
  const rateMatch = option(use, 'hashlimit-rate-match') !== undefined;
  const cost = byteRate ? 0 : period(rate);
  return {
    criteria: [whole(use, (ctx) => {
      if (byteRate || rateMatch) return uncertain(t('byte-rate and rate-match hashlimit modes are not modelled'));
      if (!ctx.state.fresh) return uncertain(t('the per-client rate limit {0}', notFresh()));
      const p = ctx.pkt;
      const key = [
        name,
        modes.includes('srcip') ? p.source & srcMask : '', modes.includes('dstip') ? p.destination & dstMask : '',
        modes.includes('srcport') ? p.sourcePort : '', modes.includes('dstport') ? p.destinationPort : '',
      ].join('|');
      const now = ctx.state.now;
      let b = ctx.state.limits.get(`hashlimit|${key}`);
      if (!b || now - b.last > expire) ctx.state.limits.set(`hashlimit|${key}`, (b = { tokens: cost * burst, last: now }));
      return take(b, now, cost, burst) !== above;
    }, true)],
  };
}

/** quota_mt: the budget counts down by each packet's length; once short, it is spent. */
function quota(use: MatchUse): CompiledMatch {
  const o = option(use, 'quota')!;
  const budget = num(o);
  return {
    criteria: [criterion(o, (ctx) => {
      if (!ctx.state.fresh) return uncertain(t('how much of the quota is left {0}', notFresh()));
      const left = ctx.state.quotas.get(ctx.ruleId) ?? budget;
      const fits = left >= ctx.pkt.length;
      ctx.state.quotas.set(ctx.ruleId, fits ? left - ctx.pkt.length : 0);
      return fits;
    }, true)],
  };
}

function statistic(use: MatchUse): CompiledMatch {
  const mode = option(use, 'mode')?.parsed[0] ?? 'random';
  if (mode === 'random') {
    const o = option(use, 'probability')!;
    const p = first(o);
    // The kernel draws 31 bits against round(p * 2^31): p is the chance of a match.
    return {
      criteria: [criterion(o, (ctx) => {
        const draw = ctx.state.randomFor(ctx.ruleId);
        if (draw !== undefined) return draw < p;
        return p <= 0 ? false : p >= 1 ? true : uncertain(t('matches at random with probability {0} (state.random gives a draw)', p), p);
      })],
    };
  }
  const everyOpt = option(use, 'every')!;
  const every = num(everyOpt);
  const packetOpt = option(use, 'packet');
  const packet = packetOpt ? num(packetOpt) : 0;
  const c: Criterion = {
    text: `-m statistic --mode nth ${everyOpt.negated ? '! ' : ''}--every ${every} --packet ${packet}`,
    stateful: true,
    test: (ctx) => {
      if (!ctx.state.fresh) return uncertain(t('matches one packet in {0}; which one {1}', every, notFresh()), everyOpt.negated ? 1 - 1 / every : 1 / every);
      // The counter starts at every-1-packet and the rule matches when it wraps to 0.
      const before = ctx.state.nth.get(ctx.ruleId) ?? every - 1 - packet;
      const next = before === every - 1 ? 0 : before + 1;
      ctx.state.nth.set(ctx.ruleId, next);
      return (next === 0) !== everyOpt.negated;
    },
  };
  return { criteria: [c] };
}

const RECENT_STAMPS = 20;

/** xt_recent: look the address up, then set, check, update or remove as asked. */
function recent(use: MatchUse, cc: { family: string }): CompiledMatch {
  const action = (['set', 'rcheck', 'update', 'remove'] as const).map((n) => option(use, n)).find((o) => o !== undefined)!;
  const name = option(use, 'name')?.parsed[0] ?? 'DEFAULT';
  const rdest = option(use, 'rdest') !== undefined;
  const maskOpt = option(use, 'mask');
  const maskValue = maskOpt ? first(maskOpt) : undefined;
  // A host name is looked up when the rules load, as for -s and -d.
  if (maskValue && !('address' in maskValue)) return { criteria: [whole(use, () => uncertain(lookedUpWhenLoaded(maskValue.hostname)))] };
  const mask = maskValue ? maskValue.address : cc.family === 'ipv4' ? 0xffffffffn : (1n << 128n) - 1n;
  const secondsOpt = option(use, 'seconds');
  const seconds = secondsOpt ? num(secondsOpt) : 0;
  const hitOpt = option(use, 'hitcount');
  const hitcount = hitOpt ? num(hitOpt) : 0;
  const rttl = option(use, 'rttl') !== undefined;
  const reap = option(use, 'reap') !== undefined;
  const invert = action.negated;
  const kind = action.spec.name;
  const test = (ctx: EvalContext): Tri => {
    const list = ctx.state.recentList(name);
    if (!list) return uncertain(t('the recent list `{0}` is not given (state.recent, or state.fresh for an empty one)', name));
    const now = ctx.state.now;
    const p = ctx.pkt;
    const address = (rdest ? p.destination : p.source) & mask;
    let e = list.find((x) => x.family === p.family && x.address === address && (!rttl || x.ttl === p.ttl));
    if (!e) {
      if (kind !== 'set') return invert;
      list.push({ address, family: p.family, stamps: [now], ttl: p.ttl });
      ctx.notes.push(t('recent list `{0}` gains {1}', name, showAddress(address, p.family)));
      return !invert;
    }
    let ret = invert;
    if (kind === 'set') ret = !ret;
    else if (kind === 'remove') {
      list.splice(list.indexOf(e), 1);
      ret = !ret;
    } else if (seconds || hitcount) {
      let hits = 0;
      for (const s of e.stamps) {
        if (seconds && s < now - seconds) continue;
        if (!hitcount || ++hits >= hitcount) {
          ret = !ret;
          break;
        }
      }
      if (reap) e.stamps = e.stamps.filter((s) => s >= now - seconds);
    } else ret = !ret;
    if (kind === 'set' || (kind === 'update' && ret)) e = touch(e, now, p.ttl);
    return ret;
  };
  return { criteria: [whole(use, test, true)] };
}

function touch(e: RecentEntry, now: number, ttl: number): RecentEntry {
  e.stamps.push(now);
  if (e.stamps.length > RECENT_STAMPS) e.stamps.shift();
  e.ttl = ttl;
  return e;
}

const DAY = 86400;

/** `YYYY[-MM[-DD[Thh[:mm[:ss]]]]]`, UTC. */
function dateSeconds(text: string): number {
  const m = /^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2})(?:T(\d{1,2})(?::(\d{1,2})(?::(\d{1,2}))?)?)?)?)?$/.exec(text)!;
  return Date.UTC(Number(m[1]), Number(m[2] ?? 1) - 1, Number(m[3] ?? 1), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) / 1000;
}

/** time_mt: date window, then time of day (a window past midnight wraps), weekday, day of month. */
function time(use: MatchUse): CompiledMatch {
  const get = <N extends OptionName<'match'>>(n: N) => option(use, n);
  const dateStart = get('datestart') ? dateSeconds(first(get('datestart')!)) : 0;
  const dateStop = get('datestop') ? dateSeconds(first(get('datestop')!)) : 2 ** 31 - 1;
  const dayStart = get('timestart') ? num(get('timestart')!) : 0;
  const dayStop = get('timestop') ? num(get('timestop')!) : DAY - 1;
  const contiguous = get('contiguous') !== undefined;
  const weekdaysOpt = get('weekdays');
  const monthdaysOpt = get('monthdays');
  const weekdays = new Set<number>(weekdaysOpt ? first(weekdaysOpt) : [1, 2, 3, 4, 5, 6, 7]);
  const monthdays = monthdaysOpt ? new Set<number>(first(monthdaysOpt)) : null;
  const kernelTz = get('kerneltz') !== undefined;
  return {
    criteria: [whole(use, (ctx) => {
      if (kernelTz) return uncertain(t('the kernel\'s time zone is not known (--kerneltz)'));
      if (ctx.state.time === null) return uncertain(t('the time the packet arrives is not given (state.time)'));
      let stamp = Math.floor(ctx.state.time / 1000 + ctx.state.now);
      if (stamp < dateStart || stamp > dateStop) return false;
      const ofDay = ((stamp % DAY) + DAY) % DAY;
      if (dayStart < dayStop) {
        if (ofDay < dayStart || ofDay > dayStop) return false;
      } else {
        if (ofDay < dayStart && ofDay > dayStop) return false;
        // A contiguous window past midnight belongs to the day it started.
        if (contiguous && ofDay <= dayStop) stamp -= DAY;
      }
      const date = new Date(stamp * 1000);
      const weekday = date.getUTCDay() === 0 ? 7 : date.getUTCDay();
      if (weekdays.has(weekday) === (weekdaysOpt?.negated ?? false)) return false;
      if (monthdays && monthdays.has(date.getUTCDate()) === (monthdaysOpt?.negated ?? false)) return false;
      return true;
    })],
  };
}

export const RATE_EVALUATORS = { limit, hashlimit, quota, statistic, recent, time };
