// The extension-host suite's harness: tests register with it() and run in
// order inside VS Code; helpers shared by the test files.
import * as path from 'node:path';
import * as vscode from 'vscode';

const tests: [string, () => Promise<void>][] = [];
export const it = (name: string, body: () => Promise<void>) => tests.push([name, body]);

export function workspaceFile(...parts: string[]): vscode.Uri {
  return vscode.Uri.file(path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, ...parts));
}

export async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export const summary = (d: vscode.Diagnostic) => `${d.range.start.line + 1}:${d.range.start.character + 1} ${d.message}`;

export async function run(): Promise<void> {
  const failures: string[] = [];
  for (const [name, body] of tests) {
    try {
      await body();
      console.log(`ok - ${name}`);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
      // One line: the driver forwards console lines one by one.
      console.log(`not ok - ${name}: ${String((e as Error).stack).replace(/\s*\n\s*/g, ' | ')}`);
    }
  }
  console.log(`# extension host: ${tests.length - failures.length} passed, ${failures.length} failed`);
  if (failures.length) throw new Error(failures.join('\n'));
}
