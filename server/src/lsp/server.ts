// The language server. VS Code starts it over node IPC; other editors run
// `iptables-language-server --stdio`. The main thread only talks to the editor
// (lsp/router.ts); worker threads running this same file analyse the documents
// and answer for them (lsp/languageWorker.ts).
import { isMainThread } from 'node:worker_threads';
import {
  createServerPipeTransport, createServerSocketTransport, IPCMessageReader, IPCMessageWriter, MessageReader, MessageWriter, StreamMessageReader, StreamMessageWriter,
} from 'vscode-languageserver/node';
import { environmentLocale, setLocale, t } from '../l10n';
import { routeLanguage } from './router';

const usage = (): string => t(`usage: iptables-language-server --stdio

The iptables language server (LSP): diagnostics, completion, hover, navigation
and quick fixes for iptables-save / iptables-restore files and firewall shell
scripts. An editor starts it and talks to it on standard input and output;
see README.md for Neovim, Helix and Emacs.

  --stdio              talk LSP on standard input / output
  --node-ipc           over Node's IPC channel (as VS Code starts it)
  --socket=PORT        over a TCP socket to PORT on this machine
  --pipe=NAME          over a named pipe`);

/** The channel to the editor the command line names (as vscode-languageserver reads it). */
function editorChannel(argv: string[]): [MessageReader, MessageWriter] {
  const value = (name: string): string | undefined => {
    const at = argv.findIndex((a) => a === name || a.startsWith(`${name}=`));
    return at < 0 ? undefined : argv[at] === name ? argv[at + 1] : argv[at].slice(name.length + 1);
  };
  if (argv.includes('--node-ipc')) return [new IPCMessageReader(process), new IPCMessageWriter(process)];
  const port = value('--socket');
  if (port !== undefined) return createServerSocketTransport(Number(port));
  const pipe = value('--pipe');
  if (pipe !== undefined) return createServerPipeTransport(pipe);
  return [new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout)];
}

if (!isMainThread) {
  void import('./languageWorker');
} else if (!process.argv.slice(2).some((a) => /^--(stdio|node-ipc|socket|pipe)\b/.test(a))) {
  // Run by hand without a transport: say how to run it.
  const help = process.argv.includes('--help') || process.argv.includes('-h');
  setLocale(environmentLocale(process.env));
  (help ? process.stdout : process.stderr).write(usage() + '\n');
  process.exit(help ? 0 : 2);
} else {
  const [reader, writer] = editorChannel(process.argv.slice(2));
  routeLanguage(reader, writer, __filename);
}
