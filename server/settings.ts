/**
 * Editor settings (`corolint.enable`, `corolint.rules`, `corolint.run`). Like vscode-eslint, the
 * server pulls them per document with `workspace/configuration` (scoped to the document, so folder
 * settings apply), caches them per uri, and drops the cache when the client says they changed.
 * Clients that cannot answer `workspace/configuration` push them instead (initialization options,
 * `workspace/didChangeConfiguration`); those apply to every document.
 */
import { isKnownRuleId } from "../rules/config";
import type { Severity } from "../rules/index";
import type { CorolintSettings, RunMode } from "./protocol";

/** What a document gets when the client says nothing. */
export const DEFAULT_SETTINGS: CorolintSettings = { enable: true, rules: {}, run: "onType" };

const SEVERITIES: readonly (Severity | "off")[] = ["error", "warning", "info", "off"];
const RUN_MODES: readonly RunMode[] = ["onType", "onSave"];

/**
 * Settings from whatever the client sent: a value of the wrong type falls back to its default and is
 * named in `problems`, so a typo in one setting never switches the linter off.
 */
export function normalizeSettings(raw: unknown): { settings: CorolintSettings; problems: string[] } {
  const problems: string[] = [];
  const settings: CorolintSettings = { ...DEFAULT_SETTINGS, rules: {} };
  if (raw === undefined || raw === null) return { settings, problems };
  if (!isRecord(raw)) return { settings, problems: [`corolint settings: expected an object, got ${typeof raw}`] };

  if (raw["enable"] !== undefined) {
    if (typeof raw["enable"] === "boolean") settings.enable = raw["enable"];
    else problems.push("corolint.enable: expected true or false");
  }
  if (raw["run"] !== undefined) {
    if ((RUN_MODES as readonly unknown[]).includes(raw["run"])) settings.run = raw["run"] as RunMode;
    else problems.push(`corolint.run: expected "onType" or "onSave", got ${JSON.stringify(raw["run"])}`);
  }
  const rules = raw["rules"];
  if (rules !== undefined && rules !== null) {
    if (!isRecord(rules)) {
      problems.push("corolint.rules: expected an object of rule id to severity");
    } else {
      for (const [id, level] of Object.entries(rules)) {
        if (!isKnownRuleId(id)) problems.push(`corolint.rules: unknown rule id "${id}"`);
        else if (!(SEVERITIES as readonly unknown[]).includes(level)) {
          problems.push(`corolint.rules.${id}: expected "error", "warning", "info" or "off", got ${JSON.stringify(level)}`);
        } else settings.rules[id] = level as Severity | "off";
      }
    }
  }
  return { settings, problems };
}

/** Asks the client for the `corolint` section scoped to a document uri. */
export type ConfigurationFetcher = (uri: string) => Promise<unknown>;

/** Per-document settings with a cache; see the module comment for where they come from. */
export class SettingsStore {
  /** Promises, not values: two analyses of one document in flight share one request. */
  private readonly cache = new Map<string, Promise<CorolintSettings>>();
  private pushed: CorolintSettings = DEFAULT_SETTINGS;
  /** Problems already reported, so a broken setting is named once per change, not per keystroke. */
  private readonly reported = new Set<string>();

  constructor(
    /** Null when the client cannot answer `workspace/configuration`. */
    private readonly fetch: ConfigurationFetcher | null,
    private readonly warn: (message: string) => void,
  ) {}

  /** The settings of one document. Never rejects: a failed request means defaults. */
  get(uri: string): Promise<CorolintSettings> {
    if (this.fetch === null) return Promise.resolve(this.pushed);
    let settings = this.cache.get(uri);
    if (settings === undefined) {
      settings = this.fetch(uri).then(
        (raw) => this.accept(raw),
        (error: unknown) => {
          this.warnOnce(`corolint: could not read the settings (${error instanceof Error ? error.message : String(error)}); using defaults`);
          return DEFAULT_SETTINGS;
        },
      );
      this.cache.set(uri, settings);
    }
    return settings;
  }

  /** Settings a client pushed (initialization options, `didChangeConfiguration`), for clients that cannot be asked. */
  setPushed(raw: unknown): void {
    this.reported.clear();
    this.pushed = this.accept(raw);
  }

  /** Forgets every cached answer: the next `get` asks the client again. */
  clear(): void {
    this.cache.clear();
    this.reported.clear();
  }

  /** Forgets one document's settings (it was closed). */
  forget(uri: string): void {
    this.cache.delete(uri);
  }

  private accept(raw: unknown): CorolintSettings {
    const { settings, problems } = normalizeSettings(raw);
    for (const problem of problems) this.warnOnce(`${problem}; using the default instead`);
    return settings;
  }

  private warnOnce(message: string): void {
    if (this.reported.has(message)) return;
    this.reported.add(message);
    this.warn(message);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
