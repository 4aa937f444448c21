#!/usr/bin/env node
// The `umbra` command. Umbra ships TypeScript sources and runs them through tsx's loader.
import { register } from "tsx/esm/api";

register();
await import("./main.ts");
