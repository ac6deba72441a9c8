// What a packet alone cannot decide (rate limits, sampling, ipsets, recent
// lists, the clock, the sending user) is never guessed: the trace follows
// both answers, with a probability where the kernel draws at random, and the
// scenario's state can supply what is missing.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { table, trace } from '../support/trace';

const SSH = 'tcp 198.51.100.7:40000 -> 203.0.113.1:22 in eth0';

test('a rate limit on a running machine is unknown: two outcomes, each saying what it assumed', () => {
  const t = trace(table('filter', ':INPUT DROP [0:0]', '-A INPUT -m limit --limit 5/min -j ACCEPT'), SSH);
  assert.equal(t.decided, false);
  assert.equal(t.fate, 'unknown');
  assert.deepEqual(t.outcomes.map((o) => [o.assumptions[0].assumed, o.fate]), [['match', 'delivered'], ['no match', 'dropped']]);
  assert.match(t.outcomes[0].assumptions[0].reason, /rate limit/);
});

test('with state.fresh (rules just loaded) a limit bucket starts full: the first burst of packets matches, the next does not', () => {
  const rules = table('filter', ':INPUT DROP [0:0]', '-A INPUT -m limit --limit 1/hour --limit-burst 2 -j ACCEPT');
  const one = { protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', inInterface: 'eth0' };
  assert.equal(trace(rules, SSH, { state: { fresh: true } }).fate, 'delivered');
  assert.equal(trace(rules, SSH, { state: { fresh: true }, history: [one, one] }).fate, 'dropped');
});

test('a LOG behind an unknown limit changes nothing but its own counter: no second outcome, a maybe-hit', () => {
  const t = trace(table('filter', '-A INPUT -m limit -j LOG', '-A INPUT -m limit --limit 1/s', '-A INPUT -j DROP'), SSH);
  assert.deepEqual([t.decided, t.fate, t.outcomes.length], [true, 'dropped', 1]);
  assert.deepEqual([t.hits, t.maybeHits], [['filter/INPUT/3'], ['filter/INPUT/1', 'filter/INPUT/2']]);
});

test('an uncertain rule that changes the packet (MARK) does fork, even when the fate ends up the same', () => {
  const t = trace(table('mangle', '-A PREROUTING -m limit -j MARK --set-mark 1') + table('filter', '-A INPUT -j DROP'), SSH);
  assert.deepEqual([t.decided, t.fate, t.outcomes.map((o) => o.packetOut.mark)], [false, 'dropped', [1, 0]]);
});

test('statistic --mode random gives each outcome its probability; a draw in state.random decides it', () => {
  const rules = table('filter', ':INPUT DROP [0:0]', '-A INPUT -m statistic --mode random --probability 0.25 -j ACCEPT');
  const t = trace(rules, SSH);
  assert.deepEqual(t.outcomes.map((o) => [o.fate, o.probability]), [['delivered', 0.25], ['dropped', 0.75]]);
  assert.equal(trace(rules, SSH, { state: { random: 0.1 } }).fate, 'delivered');
  assert.equal(trace(rules, SSH, { state: { random: { 'filter/INPUT/1': 0.9 } } }).fate, 'dropped');
});

test('ipset members are unknown unless the scenario lists them; then address and port dimensions are compared', () => {
  const rules = table('filter', '-A INPUT -m set --match-set blocked src -j DROP', '-A INPUT -m set --match-set svc src,dst -j ACCEPT', '-A INPUT -j REJECT');
  assert.equal(trace(rules, SSH).decided, false);
  const sets = { blocked: ['192.0.2.0/24'], svc: ['198.51.100.0/24,tcp:22', '198.51.100.7,udp:53'] };
  const t = trace(rules, SSH, { state: { sets } });
  assert.deepEqual([t.decided, t.hits], [true, ['filter/INPUT/2']]);
});

test('recent lists: given in state.recent (seconds ago), or empty with state.fresh', () => {
  const rules = table('filter', '-A INPUT -m recent --rcheck --seconds 60 --hitcount 3 --name ssh -j DROP', '-A INPUT -j ACCEPT');
  assert.equal(trace(rules, SSH).decided, false);
  assert.equal(trace(rules, SSH, { state: { fresh: true } }).fate, 'delivered');
  const recent = { ssh: [{ address: '198.51.100.7', seen: [50, 20, 5] }] };
  assert.equal(trace(rules, SSH, { state: { recent } }).fate, 'dropped');
  const stale = { ssh: [{ address: '198.51.100.7', seen: [90, 20, 5] }] };
  assert.equal(trace(rules, SSH, { state: { recent: stale } }).fate, 'delivered', 'a hit older than --seconds does not count');
});

test('the time match needs state.time: office hours on a weekday, UTC', () => {
  const rules = table('filter', ':INPUT DROP [0:0]', '-A INPUT -m time --timestart 08:00 --timestop 18:00 --weekdays Mon,Tue,Wed,Thu,Fri -j ACCEPT');
  assert.equal(trace(rules, SSH).decided, false);
  assert.equal(trace(rules, SSH, { state: { time: '2025-05-07T10:00:00Z' } }).fate, 'delivered', 'a Wednesday morning');
  assert.equal(trace(rules, SSH, { state: { time: '2025-05-10T10:00:00Z' } }).fate, 'dropped', 'a Saturday');
  assert.equal(trace(rules, SSH, { state: { time: '2025-05-07T19:00:00Z' } }).fate, 'dropped', 'after hours');
});

test('a time window past midnight wraps; with --contiguous it belongs to the day it started', () => {
  const rules = table('filter', ':INPUT DROP [0:0]', '-A INPUT -m time --timestart 22:00 --timestop 02:00 --weekdays Fri --contiguous -j ACCEPT');
  assert.equal(trace(rules, SSH, { state: { time: '2025-05-10T01:00:00Z' } }).fate, 'delivered', 'Saturday 01:00 belongs to Friday night');
  assert.equal(trace(rules, SSH, { state: { time: '2025-05-09T01:00:00Z' } }).fate, 'dropped', 'Friday 01:00 belongs to Thursday night');
});

test('owner needs the sending socket\'s user: unknown unless packet.uid is given', () => {
  const rules = table('filter', ':OUTPUT DROP [0:0]', '-A OUTPUT -m owner --uid-owner 1000-1999 -j ACCEPT');
  assert.equal(trace(rules, 'udp 203.0.113.1:40000 -> 198.51.100.7:53').decided, false);
  assert.equal(trace(rules, 'udp 203.0.113.1:40000 -> 198.51.100.7:53 uid 1500').fate, 'sent');
  assert.equal(trace(rules, 'udp 203.0.113.1:40000 -> 198.51.100.7:53 uid 0').fate, 'dropped');
});

test('a later criterion that fails anyway settles the rule without guessing the uncertain one', () => {
  const t = trace(table('filter', '-A INPUT -m limit --limit 1/s -p udp -j DROP'), SSH);
  assert.equal(t.decided, true);
  assert.equal(t.steps.find((s) => s.kind === 'rule')?.failed, '-p udp');
});

test('outcomes multiply with independent unknowns, and exploring stops at a bound (truncated)', () => {
  const rules = table('mangle', ...Array.from({ length: 8 }, (_, i) => `-A INPUT -m statistic --mode random --probability 0.5 -j MARK --xor-mark ${1 << i}`));
  const t = trace(rules, SSH);
  assert.equal(t.outcomes.length, 32);
  assert.equal(t.truncated, true);
  assert.equal(t.fate, 'delivered');
});

test('the kernel-side counters of nth and quota are decided for a freshly loaded ruleset', () => {
  const rules = table('filter', '-A INPUT -m statistic --mode nth --every 2 --packet 0 -j DROP', '-A INPUT -m quota --quota 50 -j ACCEPT', '-A INPUT -j REJECT');
  const one = { protocol: 'tcp', source: '198.51.100.7', destination: '203.0.113.1', inInterface: 'eth0' };
  assert.equal(trace(rules, SSH, { state: { fresh: true } }).fate, 'dropped', 'packet 0 of every 2');
  assert.deepEqual(trace(rules, SSH, { state: { fresh: true }, history: [one] }).hits, ['filter/INPUT/2'], 'packet 1: not nth; 40 of 50 quota bytes left');
  assert.deepEqual(trace(rules, SSH, { state: { fresh: true }, history: [one, one, one] }).hits, ['filter/INPUT/3'], 'quota spent');
});
