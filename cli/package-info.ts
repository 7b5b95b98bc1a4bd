/**
 * Facts about the corolint package that outputs embed: the version (JSON, SARIF, `--version`) and
 * the web addresses SARIF links to. Read from package.json at build time, so a release cannot
 * report a stale version.
 */
import { repository, version } from "../package.json";

/** The package version, e.g. `0.1.0`. */
export const VERSION: string = version;

/** The project's home page: the repository address without a trailing `.git`. */
export const HOME_URL: string = repository.url.replace(/\.git$/, "");

/** Where a rule's documentation page lives on the web (SARIF `helpUri`). */
export function ruleHelpUrl(ruleId: string): string {
  return `${HOME_URL}/blob/main/docs/rules/${encodeURIComponent(ruleId)}.md`;
}
