/*
 * The time from navigation to a live Market page, measured in the browser: the calendar showing the chain's epoch
 * and the serving list in its table. Each load gets a fresh browser context (no cache, no wallet), as a first
 * visit; the figure is the page's own clock, performance.now(), which starts at navigation.
 */
import type { Browser } from "playwright-core";

export interface Loads {
  runsMs: number[];
  medianMs: number;
}

export async function marketLoads(browser: Browser, url: string, loads: number): Promise<Loads> {
  const runsMs: number[] = [];
  for (let i = 0; i < loads; i++) {
    // Left open: @sparticuz/chromium runs single-process, and closing a context there can end the browser.
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${url}/#/`, { waitUntil: "commit" });
    await Promise.all([
      page.getByTestId("epoch").waitFor({ timeout: 30_000 }),
      page.getByRole("table", { name: /^Serving: list 1/ }).waitFor({ timeout: 30_000 }),
    ]);
    runsMs.push(Math.round(await page.evaluate(() => performance.now())));
    await page.goto("about:blank");
  }
  const sorted = [...runsMs].sort((a, b) => a - b);
  return { runsMs, medianMs: sorted[Math.floor(sorted.length / 2)] };
}
