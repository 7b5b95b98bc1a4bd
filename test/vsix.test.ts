/**
 * The packaged VS Code extension. Packs the .vsix the way `npm run package` does, from the bundles
 * `npm test` has just built, then checks what is inside it (and what is not), that the server
 * bundle starts from the unpacked .vsix, far from any node_modules, and reports a finding over LSP,
 * and that the CLI bundle "Trace This File" runs traces a Python program from there.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import {
  ConfigurationRequest,
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializedNotification,
  InitializeRequest,
  PublishDiagnosticsNotification,
  RegistrationRequest,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
  WorkDoneProgressCreateRequest,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import yauzl from "yauzl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commandIds } from "../client/commands";
import { rules } from "../rules/index";

const root = fileURLToPath(new URL("..", import.meta.url));
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));

/** Code with one `blocking-call` finding (line 3). */
const BLOCKING = "import time\nasync def f():\n    time.sleep(1)\n";
const BLOCKING_TS = 'import { readFileSync } from "node:fs";\n\nexport async function load(path: string) {\n  return readFileSync(path, "utf8");\n}\n';

/**
 * The options `npm run package` passes to vsce, read from the script itself so that this test and
 * the script cannot drift apart. An unknown flag fails the test: map it here first.
 */
function packOptionsFromScript(script: string): Record<string, boolean> {
  const [tool, command, ...flags] = script.trim().split(/\s+/);
  if (tool !== "vsce" || command !== "package") throw new Error(`scripts.package should run \`vsce package\`: ${script}`);
  const known: Record<string, [string, boolean]> = {
    "--no-dependencies": ["dependencies", false],
    "--no-rewrite-relative-links": ["rewriteRelativeLinks", false],
  };
  const options: Record<string, boolean> = {};
  for (const flag of flags) {
    const option = known[flag];
    if (!option) throw new Error(`scripts.package has a flag this test does not know: ${flag}`);
    options[option[0]] = option[1];
  }
  return options;
}

/**
 * Packs the extension into `vsixPath` with vsce's own packing code, in a child process (vsce calls
 * `process.exit` on some errors). It skips only `vscode:prepublish`: rebuilding dist/ here would
 * race the other test files that run the bundles; `npm test` builds before vitest.
 */
function packVsix(vsixPath: string): Promise<string> {
  for (const bundle of ["dist/extension.cjs", "dist/server.cjs"]) {
    if (!existsSync(join(root, bundle))) throw new Error(`${bundle} is missing: run \`npm run build\` (npm test does) first`);
  }
  const options = { ...packOptionsFromScript(manifest.scripts.package), cwd: root, packagePath: vsixPath };
  const script = `require("@vscode/vsce/out/package").pack(JSON.parse(process.argv[1])).then(
    () => {}, (error) => { console.error(error); process.exit(1); })`;
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ["-e", script, JSON.stringify(options)], { cwd: root });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise(output) : reject(new Error(`vsce pack failed (${code}):\n${output}`))));
  });
}

/** Every file entry of a zip, by name. */
function readZip(path: string): Promise<Map<string, Buffer>> {
  return new Promise((resolvePromise, reject) => {
    yauzl.open(path, { lazyEntries: true }, (openError, zip) => {
      if (openError || !zip) return reject(openError ?? new Error(`cannot open ${path}`));
      const entries = new Map<string, Buffer>();
      zip.on("error", reject);
      zip.on("end", () => resolvePromise(entries));
      zip.on("entry", (entry: yauzl.Entry) => {
        if (entry.fileName.endsWith("/")) return zip.readEntry();
        zip.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error(`cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on("data", (chunk: Buffer) => chunks.push(chunk));
          stream.on("error", reject);
          stream.on("end", () => {
            entries.set(entry.fileName, Buffer.concat(chunks));
            zip.readEntry();
          });
        });
      });
      zip.readEntry();
    });
  });
}

/** The module names a CommonJS bundle requires; a `require(` with anything but a string literal is reported as such. */
function requiredModules(bundle: string): string[] {
  const found = new Set<string>();
  for (const match of bundle.matchAll(/(?<![\w$.])require\(\s*([^)]{0,60})\)/g)) {
    // Code that writes `require(...)` into a fix's text (a template literal) is not a require.
    if (match[1]!.startsWith("${")) continue;
    const literal = /^(["'])([^"']+)\1$/.exec(match[1]!.trim());
    found.add(literal ? literal[2]! : `<not a string literal: require(${match[1]})>`);
  }
  return [...found].sort();
}

function isNodeBuiltin(name: string): boolean {
  return builtinModules.includes(name.replace(/^node:/, ""));
}

/** Folders from `dir` up to the file system root that hold a node_modules folder. */
function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    if (existsSync(join(current, "node_modules"))) found.push(current);
    if (dirname(current) === current) return found;
  }
}

let workDir: string;
let entries: Map<string, Buffer>;

beforeAll(async () => {
  workDir = mkdtempSync(join(tmpdir(), "corolint-vsix-"));
  const vsixPath = join(workDir, `corolint-${manifest.version}.vsix`);
  await packVsix(vsixPath);
  entries = await readZip(vsixPath);
}, 120_000);

afterAll(() => {
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** The files of dist/runtime that .vscodeignore lets in: the tracers' sources and the viewer, no caches. */
function runtimeFiles(): string[] {
  const runtime = join(root, "dist/runtime");
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)]));
  return walk(runtime)
    .map((path) => relative(runtime, path).split(sep).join("/"))
    .filter((path) => (path.startsWith("python/") && path.endsWith(".py")) || path.startsWith("node/") || path === "viewer/viewer.html" || path === "viewer/viewer.js")
    .map((path) => `extension/dist/runtime/${path}`);
}

function entryText(name: string): string {
  const data = entries.get(name);
  if (!data) throw new Error(`${name} is not in the .vsix`);
  return data.toString("utf8");
}

describe("the .vsix contents", () => {
  it("holds exactly the manifest, README, LICENSE, the bundles, the grammar, the tracers, the viewer and the rule pages", () => {
    const rulePages = readdirSync(join(root, "docs/rules"))
      .filter((name) => name.endsWith(".md"))
      .map((name) => `extension/docs/rules/${name}`);
    const expected = [
      "[Content_Types].xml",
      "extension.vsixmanifest",
      "extension/package.json",
      "extension/readme.md",
      "extension/LICENSE.txt",
      "extension/dist/extension.cjs",
      "extension/dist/server.cjs",
      "extension/dist/cli.cjs",
      "extension/dist/ts-morph.cjs",
      "extension/dist/web-tree-sitter.wasm",
      "extension/dist/tree-sitter-python.wasm",
      ...runtimeFiles(),
      ...rulePages,
    ];
    expect(expected).toEqual(expect.arrayContaining(["extension/dist/runtime/viewer/viewer.html", "extension/dist/runtime/python/corolint_trace/__main__.py"]));
    expect([...entries.keys()].sort()).toEqual(expected.sort());
  });

  it("has no node_modules, sources, tests, source maps, Python caches or the worker bundle", () => {
    const names = [...entries.keys()];
    expect(names.filter((name) => name.includes("node_modules/"))).toEqual([]);
    expect(names.filter((name) => /^extension\/(test|rules|cli|client|server|bench|scripts|examples|runtime)\//.test(name))).toEqual([]);
    // The Node tracer is an .mjs preload; nothing else is.
    expect(names.filter((name) => /\.(ts|map|mjs)$/.test(name) && !name.startsWith("extension/dist/runtime/node/"))).toEqual([]);
    expect(names.filter((name) => /__pycache__|\.pyc$/.test(name))).toEqual([]);
    expect(names.filter((name) => /\/worker\.cjs$/.test(name))).toEqual([]);
  });

  it("ships the bundles and the grammar exactly as built", () => {
    for (const file of ["extension.cjs", "server.cjs", "cli.cjs", "ts-morph.cjs", "web-tree-sitter.wasm", "tree-sitter-python.wasm"]) {
      expect(entries.get(`extension/dist/${file}`)?.equals(readFileSync(join(root, "dist", file))), file).toBe(true);
    }
  });

  it("has a manifest whose main is the extension bundle, activated by Python", () => {
    const packaged = JSON.parse(entryText("extension/package.json"));
    expect(packaged.main).toBe("./dist/extension.cjs");
    expect(packaged.publisher).toBe("corolint");
    expect(packaged.engines.vscode).toBe("^1.91.0");
    expect(packaged.activationEvents).toContain("onLanguage:python");
    expect(packaged.capabilities.untrustedWorkspaces.supported).toBe("limited");
  });

  it("contributes the commands the extension registers, in the corolint category", () => {
    const packaged = JSON.parse(entryText("extension/package.json"));
    const contributed = packaged.contributes.commands as { command: string; title: string; category: string }[];
    expect(contributed.map((command) => command.command).sort()).toEqual(Object.values(commandIds).sort());
    for (const command of contributed) {
      expect(command.category).toBe("corolint");
      expect(command.title.length).toBeGreaterThan(0);
    }
  });

  it("contributes every setting with a description and a default", () => {
    const packaged = JSON.parse(entryText("extension/package.json"));
    const properties = packaged.contributes.configuration.properties as Record<string, Record<string, unknown>>;
    expect(Object.keys(properties).sort()).toEqual([
      "corolint.enable",
      "corolint.rules",
      "corolint.run",
      "corolint.trace.mode",
      "corolint.trace.pythonPath",
      "corolint.trace.server",
      "corolint.trace.thresholdMs",
    ]);
    for (const [key, schema] of Object.entries(properties)) {
      expect(schema.description ?? schema.markdownDescription, key).toBeTruthy();
      expect(schema.default, key).toBeDefined();
    }
    expect(properties["corolint.enable"]!.default).toBe(true);
    expect(properties["corolint.run"]!.default).toBe("onType");
    expect(properties["corolint.run"]!.enum).toEqual(["onType", "onSave"]);
    expect(properties["corolint.trace.server"]!.enum).toEqual(["off", "messages", "verbose"]);
    expect(properties["corolint.trace.mode"]!.enum).toEqual(["steps", "light"]);
    expect(properties["corolint.trace.thresholdMs"]!.default).toBe(50);
    expect(packaged.capabilities.untrustedWorkspaces.restrictedConfigurations).toEqual(["corolint.trace.pythonPath"]);
  });

  it("offers Trace This File in the palette and the editor menus for Python, JavaScript and TypeScript files", () => {
    const packaged = JSON.parse(entryText("extension/package.json"));
    const menus = packaged.contributes.menus as Record<string, { command: string; when?: string }[]>;
    for (const menu of ["commandPalette", "editor/title", "editor/context"]) {
      const entry = menus[menu]!.find((item) => item.command === commandIds.traceFile);
      expect(entry?.when, menu).toMatch(/LangId =~ \/\^\(python\|javascript\|typescript\)\$\//);
    }
  });

  it("describes every rule id in corolint.rules with the rule's own summary", () => {
    const packaged = JSON.parse(entryText("extension/package.json"));
    const schema = packaged.contributes.configuration.properties["corolint.rules"];
    const severities = ["error", "warning", "info", "off"];
    expect(schema.additionalProperties.enum).toEqual(severities);
    expect(Object.keys(schema.properties).sort()).toEqual([...rules.map((rule) => rule.id), "syntax-error"].sort());
    for (const rule of rules) {
      const property = schema.properties[rule.id];
      expect(property.enum).toEqual(severities);
      expect(property.markdownDescription, rule.id).toContain(rule.summary);
      expect(property.markdownDescription, rule.id).toContain(`Default: \`${rule.defaultSeverity}\``);
    }
  });
});

describe("the bundles inside the .vsix", () => {
  it("extension.cjs requires only vscode and Node built-ins", () => {
    const modules = requiredModules(entryText("extension/dist/extension.cjs"));
    expect(modules).toContain("vscode");
    expect(modules.filter((name) => name !== "vscode" && !isNodeBuiltin(name))).toEqual([]);
  });

  it("cli.cjs requires only Node built-ins (and ts-morph, from beside itself, for `check`)", () => {
    const modules = requiredModules(entryText("extension/dist/cli.cjs"));
    expect(modules.filter((name) => name !== "ts-morph" && !isNodeBuiltin(name))).toEqual([]);
  });

  it("server.cjs requires only Node built-ins", () => {
    const modules = requiredModules(entryText("extension/dist/server.cjs"));
    expect(modules.filter((name) => !isNodeBuiltin(name))).toEqual([]);
  });
});

describe("the server started from the unpacked .vsix", () => {
  let unpacked: string;
  let server: ChildProcessWithoutNullStreams | undefined;
  let connection: ProtocolConnection | undefined;
  let stderr = "";

  beforeAll(() => {
    unpacked = join(workDir, "unpacked");
    for (const [name, data] of entries) {
      const target = resolve(unpacked, name);
      if (!target.startsWith(unpacked + sep)) throw new Error(`zip entry escapes the folder: ${name}`);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, data);
    }
  });

  afterAll(() => {
    connection?.dispose();
    server?.kill();
  });

  it("has no node_modules anywhere above it", () => {
    expect(nodeModulesAbove(unpacked)).toEqual([]);
  });

  it("initializes over stdio and reports blocking-call on didOpen", async () => {
    const env = { ...process.env };
    delete env["NODE_PATH"];
    delete env["NODE_OPTIONS"];
    const child = spawn(process.execPath, [join(unpacked, "extension/dist/server.cjs"), "--stdio"], { cwd: unpacked, env });
    server = child;
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk));
    const exited = new Promise<number | null>((resolveExit) => child.on("exit", (code) => resolveExit(code)));

    const rpc = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
    connection = rpc;
    // Answer what a server may ask even of a client without capabilities, as a bare client would:
    // no settings (the defaults apply), and registrations or progress accepted.
    rpc.onRequest(ConfigurationRequest.type, (params) => params.items.map(() => null));
    rpc.onRequest(RegistrationRequest.type, () => undefined);
    rpc.onRequest(WorkDoneProgressCreateRequest.type, () => undefined);
    const documentPath = join(unpacked, "project", "app.py");
    mkdirSync(dirname(documentPath), { recursive: true });
    writeFileSync(documentPath, BLOCKING);
    const uri = pathToFileURL(documentPath).href;
    // TypeScript needs ts-morph.cjs, which the server loads from beside itself on the first TS file.
    const tsPath = join(unpacked, "project", "load.ts");
    writeFileSync(tsPath, BLOCKING_TS);
    const tsUri = pathToFileURL(tsPath).href;
    let resolveTs: (params: PublishDiagnosticsParams) => void = () => {};
    const publishedTs = new Promise<PublishDiagnosticsParams>((resolveDiagnostics) => (resolveTs = resolveDiagnostics));
    const published = new Promise<PublishDiagnosticsParams>((resolveDiagnostics) => {
      rpc.onNotification(PublishDiagnosticsNotification.type, (params) => {
        if (params.uri === uri && params.diagnostics.length > 0) resolveDiagnostics(params);
        if (params.uri === tsUri && params.diagnostics.length > 0) resolveTs(params);
      });
    });
    rpc.listen();

    const init = await withTimeout(
      rpc.sendRequest(InitializeRequest.type, {
        processId: process.pid,
        rootUri: pathToFileURL(join(unpacked, "project")).href,
        capabilities: {},
        workspaceFolders: null,
        initializationOptions: { workspaceTrusted: true, debounceMs: 0 },
      }),
      15_000,
      () => `no initialize answer; server stderr:\n${stderr}`,
    );
    expect(init.capabilities.textDocumentSync).toBeDefined();
    await rpc.sendNotification(InitializedNotification.type, {});
    await rpc.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "python", version: 1, text: BLOCKING },
    });

    const diagnostics = await withTimeout(published, 15_000, () => `no diagnostics published; server stderr:\n${stderr}`);
    expect(diagnostics.diagnostics.map((diagnostic) => diagnostic.code)).toContain("blocking-call");
    const blocking = diagnostics.diagnostics.find((diagnostic) => diagnostic.code === "blocking-call")!;
    expect(blocking.range.start.line).toBe(2);

    await rpc.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri: tsUri, languageId: "typescript", version: 1, text: BLOCKING_TS },
    });
    const tsDiagnostics = await withTimeout(publishedTs, 30_000, () => `no TypeScript diagnostics; server stderr:\n${stderr}`);
    expect(tsDiagnostics.diagnostics.map((diagnostic) => [diagnostic.code, diagnostic.range.start.line])).toEqual([["blocking-call", 3]]);

    await withTimeout(rpc.sendRequest(ShutdownRequest.type), 5_000, () => `no shutdown answer; server stderr:\n${stderr}`);
    await rpc.sendNotification(ExitNotification.type);
    expect(await withTimeout(exited, 5_000, () => `server did not exit; stderr:\n${stderr}`)).toBe(0);
  }, 60_000);
});

describe("Trace This File's CLI from the unpacked .vsix", () => {
  it("traces a Python program with the tracer shipped beside it", () => {
    const unpacked = join(workDir, "unpacked");
    const project = join(unpacked, "traced");
    mkdirSync(project, { recursive: true });
    writeFileSync(join(project, "app.py"), "import asyncio, time\nasync def main():\n    time.sleep(0.2)\nasyncio.run(main())\n");
    const env = { ...process.env };
    delete env["NODE_PATH"];
    delete env["PYTHONPATH"];
    const result = spawnSync(process.execPath, [join(unpacked, "extension/dist/cli.cjs"), "trace", "-o", "t.json", "--", "python3", "app.py"], {
      cwd: project,
      env,
      encoding: "utf8",
      timeout: 30_000,
    });
    expect(result.status, result.stderr).toBe(0);
    const trace = JSON.parse(readFileSync(join(project, "t.json"), "utf8")) as { traceEvents: { cat?: string; args?: { file?: string; line?: number } }[] };
    const blocked = trace.traceEvents.filter((event) => event.cat === "corolint.blocked");
    expect(blocked.map((event) => [event.args?.file, event.args?.line])).toContainEqual([join(project, "app.py"), 3]);
  }, 60_000);
});

/** `promise`, or a rejection with `message()` after `ms` milliseconds. */
function withTimeout<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
