// Starts `pole lsp` for .pole-ir files.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const config = vscode.workspace.getConfiguration("pole");
  const args = ["lsp"];
  const limit = config.get("memoryLimit");
  if (limit) {
    args.push("--memory-limit", limit);
  }
  const server = { command: config.get("path") || "pole", args };
  client = new LanguageClient(
    "pole",
    "Pole IR language server",
    { run: server, debug: server },
    { documentSelector: [{ scheme: "file", language: "pole-ir" }] }
  );
  client.start();
  context.subscriptions.push({ dispose: () => client && client.stop() });
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
