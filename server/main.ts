/**
 * The language server's own entry point, bundled as `dist/server.cjs`: the VS Code extension starts
 * it over node IPC (`--node-ipc`); `corolint server --stdio` starts the same server from the CLI bundle.
 */
import { startServer } from "./start-server";

startServer();
