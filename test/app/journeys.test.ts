/*
 * The web app in a real Chromium against the real stack (test/app/stack.ts), with the injected test wallet
 * (test/app/wallet.ts): the Market page; the wallet's edge cases; a request paid by permit and answered; the
 * burner wallet and the faucet without an injected wallet; requests refunded after they expired with the hosts
 * stopped; then the Modeler, Fees and Operator pages (test/app/role-journeys.ts). Balances are checked on chain
 * after each journey, and axe checks every page.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import AxeBuilder from "@axe-core/playwright";
import type { BrowserContext, Page } from "playwright-core";
import { parseUnits } from "ethers";
import { epochOf } from "../../sdk/time";
import { RequestStatus } from "../../sdk/types";
import { ROOT, account, liveChildren } from "../e2e/harness";
import { rolePageJourneys } from "./role-journeys";
import { AppStack, CHALLENGE, FEE, MODELERS } from "./stack";
import { TestWallet, WALLET_NAME } from "./wallet";

const SCREENS = join(ROOT, "reports", "screens");
/** A wallet address for the credit-score model to score. */
const SCORED = account(20).address;
/** How often `hardhat node` mines on its own (tasks/node.ts, MINE_INTERVAL_MS unset). */
const MINE_INTERVAL_MS = 1_000;

describe("app: every page in a real browser", function () {
  let stack: AppStack;
  const contexts: BrowserContext[] = [];

  before(async function () {
    this.timeout(240_000);
    mkdirSync(SCREENS, { recursive: true });
    stack = await AppStack.start();
    if (process.env.E2E_TIMINGS === "1") console.log(`      ${stack.timings.join(", ")}`);
  });

  after(async function () {
    this.timeout(60_000);
    for (const c of contexts) await c.close().catch(() => {});
    await stack?.stop();
    expect(liveChildren().map((p) => `${p.name} ${p.pid}`)).to.deep.equal([]);
  });

  afterEach(async function () {
    // A failed journey leaves its page as it was, for the reader of the report.
    if (this.currentTest?.state !== "failed") return;
    const page = contexts.at(-1)?.pages()[0];
    const name = this.currentTest.title.replace(/[^a-z0-9]+/gi, "-").slice(0, 40);
    await page?.screenshot({ path: join(SCREENS, `failed-${name}.png`), fullPage: true }).catch(() => {});
  });

  /** A fresh browser context with `wallet` injected, at `path` of the app. */
  async function open(wallet: TestWallet, path: string): Promise<Page> {
    const context = await stack.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    page.on("console", (m) => m.type() === "error" && console.log(`      [page] ${m.text()}`));
    page.on("pageerror", (err) => console.log(`      [page] ${err.message}`));
    await wallet.attach(page);
    await page.goto(`${stack.url}/${path}`);
    return page;
  }

  async function connect(page: Page): Promise<void> {
    await page.getByRole("button", { name: `Connect ${WALLET_NAME}` }).click();
    await page.getByText(`Connected with ${WALLET_NAME}`).waitFor();
  }

  /** No serious or critical violation of the page's accessibility, by axe. */
  async function expectAccessible(page: Page): Promise<void> {
    const { violations } = await new AxeBuilder({ page }).analyze();
    const bad = violations.filter((v) => v.impact === "serious" || v.impact === "critical");
    expect(bad.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`)).to.deep.equal(
      [],
    );
  }

  async function tokenBalance(address: string): Promise<bigint> {
    const { contract } = await stack.market.token();
    return contract.balanceOf(address);
  }

  /** The rows of "My past requests" once the indexer has answered. */
  async function pastRequests(page: Page): Promise<number> {
    const past = page.getByRole("region", { name: "My past requests" });
    await past.getByRole("table").or(past.getByText("No request yet.")).waitFor();
    return past.getByTestId("past-request").count();
  }

  it("Market: the challenge with its fee and parties, the calendar, and the serving list with hosts", async () => {
    const page = await open(new TestWallet(account(21), stack.node), "#/");
    await page.getByRole("heading", { name: "Challenge 1: wallet credit score" }).waitFor();
    expect(await page.getByTestId(`fee-${CHALLENGE}`).textContent()).to.equal("1.0 tUSD");
    const serving = page.getByRole("table", { name: /^Serving: list 1/ });
    await serving.waitFor();
    expect(await serving.getByRole("row").count()).to.equal(1 + MODELERS.length);
    expect(await serving.getByRole("cell", { name: "serving" }).count()).to.equal(MODELERS.length);
    const epoch = await page.getByTestId("epoch").textContent();
    expect(BigInt(epoch!)).to.equal(epochOf(await stack.market.timeConfig(), await stack.node.latestTimestamp()));
    for (const event of ["Promotion window", "Epoch ends", `Claims for epoch ${epoch} open`]) {
      await page
        .getByRole("row", { name: new RegExp(event) })
        .getByRole("timer")
        .waitFor();
    }
    await expectAccessible(page);
    await page.screenshot({ path: join(SCREENS, "market.png"), fullPage: true });
  });

  it("wallet: the wrong chain with its switch, a refused signature and a refused call in plain words, an account change", async () => {
    const user = account(22);
    const wallet = new TestWallet(user, stack.node, { chainId: 1 });
    const page = await open(wallet, "#/request");
    await connect(page);
    const alert = page.getByRole("alert").filter({ hasText: "Your wallet is on chain 1" });
    await alert.waitFor();
    await page.getByRole("button", { name: "Switch to chain 31337" }).click();
    await alert.waitFor({ state: "detached" });
    expect(wallet.chainId).to.equal(31337);

    await page.getByRole("button", { name: /^Faucet/ }).click();
    await page.getByText(/^Received 100 test tokens/).waitFor();
    const before = await tokenBalance(user.address);
    const nonce = await stack.node.provider.getTransactionCount(user.address);
    wallet.rejectNext = true;
    await page.getByLabel("Input").fill(SCORED);
    await page.getByRole("button", { name: /^Pay/ }).click();
    await page
      .getByRole("alert")
      .filter({ hasText: "You declined in your wallet, so nothing was signed or sent." })
      .waitFor();

    // A fee above the max accepted: the SDK's check before sending finds the custom error, and nothing is sent.
    await page.getByLabel(/^Max fee/).fill("0.5");
    await page.getByLabel(/^Approve/).check();
    await page.getByRole("button", { name: /^Pay/ }).click();
    await page
      .getByRole("alert")
      .filter({
        hasText:
          "The fee is above the most you accept. The market refused the transaction: " +
          "MarketFeeAboveMax(fee=1.0 tUSD (1000000000000000000), maxFee=0.5 tUSD (500000000000000000)).",
      })
      .waitFor();
    expect(await tokenBalance(user.address)).to.equal(before);
    expect(await stack.node.provider.getTransactionCount(user.address)).to.equal(nonce);

    const other = account(25);
    await wallet.switchAccount(page, other);
    await page
      .getByRole("status")
      .filter({ hasText: "Your wallet switched to account" })
      .locator(`[title="${other.address}"]`)
      .waitFor();
    await page.getByText("Connected with Test Wallet").locator(`[title="${other.address}"]`).waitFor();
  });

  it("request: pays by permit (one signature, one transaction) shown pending, then both answers and the combined result", async () => {
    const user = account(23);
    const wallet = new TestWallet(user, stack.node);
    const page = await open(wallet, "#/request");
    await connect(page);
    const tokensBefore = await tokenBalance(user.address);
    await page.getByRole("button", { name: /^Faucet/ }).click();
    await page.getByText(/^Received 100 test tokens/).waitFor();
    const funded = await tokenBalance(user.address);
    expect(funded - tokensBefore).to.equal(parseUnits("100", 18));
    const rows = await pastRequests(page);
    const nonce = await stack.node.provider.getTransactionCount(user.address);

    await page.getByLabel("Input").fill(SCORED);
    await page.getByLabel(/^Permit/).check();
    // The node holds its blocks for a moment, so the page shows the transaction pending with its hash.
    await stack.node.rpc("evm_setAutomine", [false]);
    await stack.node.rpc("evm_setIntervalMining", [0]);
    try {
      await page.getByRole("button", { name: /^Pay/ }).click();
      await page
        .locator(".txs li")
        .filter({ hasText: /^requestWithPermit 0x[0-9a-f]{64} waiting to be mined$/ })
        .waitFor();
    } finally {
      await stack.node.rpc("evm_setAutomine", [true]);
      await stack.node.rpc("evm_setIntervalMining", [MINE_INTERVAL_MS]);
    }
    await stack.node.rpc("evm_mine");
    await page
      .getByTestId("answer-count")
      .filter({ hasText: `${MODELERS.length} of ${MODELERS.length}` })
      .waitFor({
        timeout: 60_000,
      });
    await page
      .getByTestId("request-status")
      .filter({ hasText: /^answered$/ })
      .waitFor();
    const first = await page.getByTestId("combined-first").textContent();
    expect(first).to.match(/^\d+$/);
    expect(await page.getByTestId("combined-majority").textContent()).to.equal(first);
    expect(await page.getByTestId("combined-median").textContent()).to.equal(first);
    const mined = page.locator(".txs li").filter({ hasText: "requestWithPermit" });
    expect(await mined.textContent()).to.match(/0x[0-9a-f]{64} mined/);

    expect(await tokenBalance(user.address)).to.equal(funded - FEE);
    expect(await stack.node.provider.getTransactionCount(user.address)).to.equal(nonce + 1);
    const { contract: token } = await stack.market.token();
    expect(await token.allowance(user.address, stack.deployment.market)).to.equal(0n);
    await page.waitForFunction((n) => document.querySelectorAll("[data-testid=past-request]").length === n, rows + 1, {
      timeout: 30_000,
    });
    await expectAccessible(page);
    await page.screenshot({ path: join(SCREENS, "request.png"), fullPage: true });
  });

  it("without a wallet: the page says so; a burner funded by the faucet pays; error answers stay out of the result", async () => {
    const context = await stack.browser.newContext();
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${stack.url}/#/request`);
    await page.getByRole("status").filter({ hasText: "No browser wallet was found" }).waitFor();
    const burner = (await page
      .getByText(/^Burner wallet/)
      .locator(".address")
      .getAttribute("title"))!;
    await page.getByRole("button", { name: /^Faucet/ }).click();
    await page.getByText(/^Received 100 test tokens/).waitFor();
    const funded = await tokenBalance(burner);

    // An input the model refuses: each host answers with an error, which the combined result leaves out.
    await page.getByLabel("Input").fill("not a wallet address");
    await page.getByRole("button", { name: /^Pay/ }).click();
    await page
      .getByTestId("request-status")
      .filter({ hasText: /^answered$/ })
      .waitFor({ timeout: 60_000 });
    const answers = page.getByRole("region", { name: /^Request \d+$/ }).getByRole("listitem");
    expect(await answers.count()).to.equal(MODELERS.length);
    for (const text of await answers.allTextContents()) {
      expect(text).to.match(/: error: invalid-input: .* \(an error answer, left out of the result\)$/);
    }
    expect(await page.getByTestId("combined-first").textContent()).to.equal("no result");
    expect(await page.getByTestId("combined-median").textContent()).to.equal("no result");
    expect(await tokenBalance(burner)).to.equal(funded - FEE);
  });

  it("request: two expire with the hosts stopped; one is refunded as it ends, the other from the history", async () => {
    await stack.stopHosts();
    const user = account(24);
    const wallet = new TestWallet(user, stack.node);
    const page = await open(wallet, "#/request");
    await connect(page);
    await page.getByRole("button", { name: /^Faucet/ }).click();
    await page.getByText(/^Received 100 test tokens/).waitFor();
    const before = await tokenBalance(user.address);

    /** Pays for one request with `method` and returns its id once the page follows it instead of `previous`. */
    const pay = async (method: RegExp, previous?: bigint) => {
      await page.getByLabel("Input").fill(SCORED);
      await page.getByLabel(method).check();
      await page.getByRole("button", { name: /^Pay/ }).click();
      await page.waitForFunction(
        (shown) =>
          /^Request \d+$/.test(document.getElementById("watch-title")?.textContent ?? shown) &&
          document.getElementById("watch-title")!.textContent !== shown,
        `Request ${previous}`,
        { timeout: 30_000 },
      );
      const watched = page.getByRole("region", { name: /^Request \d+$/ });
      const id = BigInt((await watched.getByRole("heading", { level: 2 }).textContent())!.replace("Request ", ""));
      await watched.getByText(/^waiting for answers$/).waitFor();
      await watched.getByRole("timer").filter({ hasText: "Time for answers" }).waitFor();
      return id;
    };
    const older = await pay(/^Approve/);
    const newer = await pay(/^Permit/, older);
    expect(newer).to.be.greaterThan(older);
    expect(await tokenBalance(user.address)).to.equal(before - 2n * FEE);

    const { sla } = await stack.market.timeConfig();
    await stack.node.advance(Number(sla) + 1);
    await page.getByRole("button", { name: /^Refund 1\.0 tUSD/ }).click({ timeout: 30_000 });
    await page
      .getByTestId("request-status")
      .filter({ hasText: /^refunded$/ })
      .waitFor();
    expect((await stack.market.requestState(newer)).status).to.equal(RequestStatus.Refunded);

    await page.getByRole("button", { name: `Refund request ${older}` }).click({ timeout: 30_000 });
    await page.getByRole("button", { name: `Refund request ${older}` }).waitFor({ state: "detached", timeout: 30_000 });
    expect((await stack.market.requestState(older)).status).to.equal(RequestStatus.Refunded);
    expect(await tokenBalance(user.address)).to.equal(before);
    await page.screenshot({ path: join(SCREENS, "request-refunded.png"), fullPage: true });
  });

  rolePageJourneys({ stack: () => stack, open, connect, expectAccessible, tokenBalance });
});
