import type { Page } from "playwright-core";
import { expect } from "vitest";
import { seriousAxeViolations } from "./browser.ts";

/** Signs in on the console's form with a user name and password and waits for the fleet page. */
export async function signInWithPassword(page: Page, user: string, password: string): Promise<void> {
  await page.goto("/");
  await page.getByLabel("User name", { exact: true }).fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Fleet" }).waitFor();
}

/** Signs in with a bearer token (how the tests sign viewers in). */
export async function signInWithToken(page: Page, token: string): Promise<void> {
  await page.goto("/");
  await page.getByRole("button", { name: "Bearer token" }).click();
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Fleet" }).waitFor();
}

/** Fails on any serious or critical axe-core violation, naming the page and the elements. */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const violations = await seriousAxeViolations(page);
  expect(
    violations.map(
      (v) => `${what}: ${v.id} (${v.impact}) ${v.help} at ${v.nodes.map((n) => n.target).join(" ")}`,
    ),
  ).toEqual([]);
}
