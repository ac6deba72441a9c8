// Runs inside VS Code's extension host (code-server, or VS Code through
// @vscode/test-electron): the extension as a user gets it, checked through the
// vscode API. The driver prepares the workspace (see prepareWorkspace).
import './diagnostics';
import './editorFeatures';
import './scale';

export { run } from './harness';
