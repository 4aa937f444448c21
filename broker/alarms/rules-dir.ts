import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { type AlarmRule, parseRulesFile, type RuleProblem } from "../../shared/alarms-rules.ts";

const RULE_FILE = /\.ya?ml$/;

interface Loaded {
  stamp: string;
  rules: AlarmRule[];
  problems: RuleProblem[];
}

export interface RulesSnapshot {
  rules: AlarmRule[];
  /** Problems of the files as they are now (a refused file keeps its last good rules in force). */
  problems: RuleProblem[];
  files: string[];
}

/**
 * Checks every rules file of a directory (not recursive; `.git` and other dot entries are skipped).
 * Used by `umbra rules check` and, through RulesDirectory, by the node.
 */
export function checkRulesDir(dir: string): RulesSnapshot {
  const d = new RulesDirectory(dir);
  d.scan();
  return d.snapshot();
}

/**
 * A rules directory read again when its files change (mtime and size, polled: works on any file
 * system and for a `git pull`, which replaces files). Files that fail keep their previous rules.
 */
export class RulesDirectory {
  private readonly files = new Map<string, Loaded>();
  private good = new Map<string, AlarmRule[]>();
  private readonly systemOf = new Map<string, string>();

  constructor(readonly dir: string) {}

  /** Reads what changed; returns whether the effective rules changed. */
  scan(): boolean {
    let names: string[];
    try {
      names = readdirSync(this.dir)
        .filter((n) => RULE_FILE.test(n) && !n.startsWith("."))
        .sort();
    } catch (err) {
      const problem = {
        file: this.dir,
        line: 0,
        key: "/",
        problem: `cannot read: ${(err as Error).message}`,
      };
      this.files.set(this.dir, { stamp: "", rules: [], problems: [problem] });
      return false;
    }
    this.files.delete(this.dir);
    let changed = false;
    for (const gone of [...this.files.keys()].filter((f) => !names.includes(f))) {
      this.files.delete(gone);
      this.systemOf.delete(gone);
      changed = this.good.delete(gone) || changed;
    }
    for (const name of names) {
      const path = join(this.dir, name);
      let stamp: string;
      try {
        const st = statSync(path);
        stamp = `${st.mtimeMs}:${st.size}`;
      } catch {
        continue;
      }
      if (this.files.get(name)?.stamp === stamp) continue;
      const parsed = parseRulesFile(name, readFileSync(path, "utf8"));
      const problems = [...parsed.problems];
      if (problems.length === 0) {
        // A system's rules live in one file: two files for one system would shadow each other.
        for (const [other, system] of this.systemOf) {
          if (other !== name && system === parsed.system)
            problems.push({
              file: name,
              line: 1,
              key: "/system",
              problem: `system '${parsed.system}' is also defined in ${other}`,
            });
        }
      }
      this.files.set(name, { stamp, rules: parsed.rules, problems });
      if (problems.length === 0) {
        this.good.set(name, parsed.rules);
        this.systemOf.set(name, parsed.system as string);
        changed = true;
      }
    }
    return changed;
  }

  snapshot(): RulesSnapshot {
    return {
      rules: [...this.good.values()].flat(),
      problems: [...this.files.values()].flatMap((f) => f.problems),
      files: [...this.files.keys()].filter((f) => f !== this.dir),
    };
  }
}
