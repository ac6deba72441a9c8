// The Testing view's packet tests: every saved scenario with an `expect` under
// .vscode/iptables-trace, listed under the rule file or script it belongs to,
// run by the language server, and run again when the rules or a test change.
import {
  CancellationToken, Disposable, l10n, Location, Position, Range, TestController, TestItem, TestMessage, TestRun, TestRunProfileKind,
  TestRunRequest, tests, TextDocument, Uri, workspace,
} from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { PACKET_TESTS_REQUEST, PacketTestsAnswer, PacketTestsParams } from '../../server/src/protocol/requests';
import type { PacketTestResult } from '../../server/src/services/packetTests';
import { rulesPathOf, SAMPLES_DIR, testName } from '../../server/src/services/testFiles';

/** Edits settle this long before the tests of the edited rules run again. */
const RERUN_MS = 400;

const TEST_GLOB = `**/${SAMPLES_DIR}/**/*.json`;

export class PacketTests implements Disposable {
  private readonly controller: TestController;
  /** Rule file (uri) → its item, whose children are the tests. */
  private readonly groups = new Map<string, TestItem>();
  /** Test file (uri) → the rule file it belongs to. */
  private readonly rulesOf = new Map<string, string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly disposables: Disposable[] = [];

  constructor(private readonly client: () => Promise<LanguageClient>) {
    this.controller = tests.createTestController('iptables.packetTests', l10n.t('iptables packet tests'));
    this.controller.createRunProfile(l10n.t('Run'), TestRunProfileKind.Run, (request, token) => this.run(request, token), true);
    this.controller.refreshHandler = () => this.discover();
    const watcher = workspace.createFileSystemWatcher(TEST_GLOB);
    this.disposables.push(
      this.controller, watcher,
      watcher.onDidCreate((uri) => void this.testChanged(uri)),
      watcher.onDidChange((uri) => void this.testChanged(uri)),
      watcher.onDidDelete((uri) => this.testDeleted(uri)),
      workspace.onDidChangeTextDocument((e) => {
        if (e.contentChanges.length && this.groups.has(e.document.uri.toString())) this.schedule(e.document.uri.toString());
      }),
    );
    void this.discover().then(() => this.runGroups([...this.groups.keys()]));
  }

  /** Finds every test in the workspace and lists it under its rules. */
  private async discover(): Promise<void> {
    const found = await workspace.findFiles(TEST_GLOB);
    for (const uri of found) await this.add(uri);
  }

  /** Reads a test file and (re)places its item under the rules it names; the rules it belongs to, if any. */
  private async add(uri: Uri): Promise<string | undefined> {
    const key = uri.toString();
    let json: unknown;
    let text = '';
    try {
      text = new TextDecoder().decode(await workspace.fs.readFile(uri));
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const rulesPath = rulesPathOf(uri.path, json);
    this.remove(key);
    // A sample without an expectation is not a test; a file being typed may become one.
    const sample = json === undefined ? !text.includes('"expect"') : typeof json !== 'object' || json === null || !('expect' in json);
    if (!rulesPath || sample) return undefined;
    const rules = uri.with({ path: rulesPath }).toString();
    let group = this.groups.get(rules);
    if (!group) {
      const rulesUri = Uri.parse(rules);
      group = this.controller.createTestItem(rules, workspace.asRelativePath(rulesUri), rulesUri);
      this.groups.set(rules, group);
      this.controller.items.add(group);
    }
    const item = this.controller.createTestItem(key, testName(uri.path), uri);
    const line = text.split('\n').findIndex((l) => l.includes('"expect"'));
    item.range = new Range(Math.max(line, 0), 0, Math.max(line, 0), 0);
    group.children.add(item);
    this.rulesOf.set(key, rules);
    return rules;
  }

  private remove(testUri: string): void {
    const rules = this.rulesOf.get(testUri);
    if (!rules) return;
    this.rulesOf.delete(testUri);
    const group = this.groups.get(rules);
    group?.children.delete(testUri);
    if (group && group.children.size === 0) {
      this.controller.items.delete(rules);
      this.groups.delete(rules);
    }
  }

  private async testChanged(uri: Uri): Promise<void> {
    const rules = await this.add(uri);
    if (rules) this.schedule(rules);
  }

  private testDeleted(uri: Uri): void {
    this.remove(uri.toString());
  }

  private schedule(rules: string): void {
    clearTimeout(this.timers.get(rules));
    this.timers.set(rules, setTimeout(() => {
      this.timers.delete(rules);
      void this.runGroups([rules]);
    }, RERUN_MS));
  }

  private runGroups(rules: string[]): Promise<void> {
    const include = rules.map((r) => this.groups.get(r)).filter((g): g is TestItem => g !== undefined);
    return include.length ? this.run(new TestRunRequest(include), undefined) : Promise.resolve();
  }

  /** Runs the requested tests (or all), one request per rule file. */
  private async run(request: TestRunRequest, token: CancellationToken | undefined): Promise<void> {
    const run = this.controller.createTestRun(request);
    const byRules = new Map<string, TestItem[]>();
    const collect = (item: TestItem) => {
      if (request.exclude?.includes(item)) return;
      if (item.children.size) item.children.forEach(collect);
      else {
        const rules = this.rulesOf.get(item.id);
        if (rules) byRules.set(rules, [...(byRules.get(rules) ?? []), item]);
      }
    };
    if (request.include) request.include.forEach(collect);
    else this.controller.items.forEach(collect);
    try {
      for (const [rules, items] of byRules) {
        if (token?.isCancellationRequested) break;
        items.forEach((i) => run.started(i));
        await this.runFile(run, Uri.parse(rules), items);
      }
    } finally {
      run.end();
    }
  }

  private async runFile(run: TestRun, rules: Uri, items: TestItem[]): Promise<void> {
    let doc: TextDocument;
    try {
      doc = await workspace.openTextDocument(rules);
    } catch (e) {
      for (const i of items) run.errored(i, new TestMessage(l10n.t('{0} cannot be opened: {1}', workspace.asRelativePath(rules), (e as Error).message)));
      return;
    }
    const testsToRun: PacketTestsParams['tests'] = [];
    for (const item of items) {
      try {
        testsToRun.push({ id: item.id, name: item.label, json: new TextDecoder().decode(await workspace.fs.readFile(item.uri!)) });
      } catch (e) {
        run.errored(item, new TestMessage(l10n.t('the test cannot be read: {0}', (e as Error).message)));
      }
    }
    const started = Date.now();
    let answer: PacketTestsAnswer;
    try {
      const client = await this.client();
      answer = await client.sendRequest<PacketTestsAnswer>(PACKET_TESTS_REQUEST, { uri: doc.uri.toString(), text: doc.getText(), version: doc.version, tests: testsToRun });
    } catch (e) {
      for (const i of items) run.errored(i, new TestMessage(l10n.t('the language server could not run the test: {0}', (e as Error).message)));
      return;
    }
    const duration = (Date.now() - started) / Math.max(1, testsToRun.length);
    for (const item of items) {
      const r = answer?.results.find((x) => x.id === item.id);
      if (!answer) run.errored(item, new TestMessage(l10n.t('{0} does not run iptables: there is nothing to test', workspace.asRelativePath(rules))));
      else if (r) this.report(run, item, r, duration);
    }
  }

  private report(run: TestRun, item: TestItem, r: PacketTestResult, duration: number): void {
    if (r.passed) return run.passed(item, duration);
    const at = new Location(item.uri!, item.range?.start ?? new Position(0, 0));
    if (r.error) {
      const m = new TestMessage(r.error);
      m.location = at;
      return run.errored(item, m, duration);
    }
    const summary = r.failures.map((f) => l10n.t('{0}: expected {1}, got {2}', f.field, f.expected, f.actual)).join('\n');
    const m = TestMessage.diff(summary, r.expected.join('\n'), r.actual.join('\n'));
    m.location = at;
    run.failed(item, m, duration);
  }

  dispose(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
