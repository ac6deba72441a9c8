// The engine against the real kernel: every case recorded with
// ../shared/kernel/oracle (the shared ones and this project's own under
// test/kernel/cases) must give the same hits (as a multiset), fate,
// interfaces, answer sent and packet after NAT as the kernel did.
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { compareWithKernel, KernelCase, readCases, traceCase } from '../support/oracleCase';
import { SHARED } from '../support/shared';

const SHARED_CASES = path.join(SHARED, 'kernel', 'cases');
const SHARED_CASES6 = path.join(SHARED, 'kernel', 'cases6');
const OWN_CASES = path.join(__dirname, 'cases');
const OWN_CASES6 = path.join(__dirname, 'cases6');

function agreement(cases: KernelCase[]): { agree: number; failures: string[] } {
  const failures: string[] = [];
  for (const c of cases) {
    let diffs: string[];
    try {
      diffs = compareWithKernel(c, traceCase(c));
    } catch (e) {
      diffs = [(e as Error).message];
    }
    if (diffs.length) failures.push(`${c.name}: ${diffs.join('; ')}`);
  }
  return { agree: cases.length - failures.length, failures };
}

const shared = readCases(SHARED_CASES);

test('the engine agrees with the kernel on every shared case', { skip: shared.length ? undefined : `${SHARED_CASES} is not present` }, () => {
  const { agree, failures } = agreement(shared);
  console.log(`kernel agreement, shared cases: ${agree} of ${shared.length}`);
  assert.deepEqual(failures, []);
});

const shared6 = readCases(SHARED_CASES6);

test('the engine agrees with the kernel on every shared IPv6 case', { skip: shared6.length ? undefined : `${SHARED_CASES6} is not present` }, () => {
  const { agree, failures } = agreement(shared6);
  console.log(`kernel agreement, shared IPv6 cases: ${agree} of ${shared6.length}`);
  assert.deepEqual(failures, []);
});

test('the engine agrees with the kernel on every IPv6 case of its own', () => {
  const own = readCases(OWN_CASES6);
  const { agree, failures } = agreement(own);
  console.log(`kernel agreement, own IPv6 cases: ${agree} of ${own.length}`);
  assert.ok(own.length >= 100, `only ${own.length} recorded cases under test/kernel/cases6`);
  assert.deepEqual(failures, []);
});

test('the engine agrees with the kernel on every case of its own', () => {
  const own = readCases(OWN_CASES);
  const { agree, failures } = agreement(own);
  console.log(`kernel agreement, own cases: ${agree} of ${own.length}`);
  assert.ok(own.length >= 80, `only ${own.length} recorded cases under test/kernel/cases`);
  assert.deepEqual(failures, []);
});
