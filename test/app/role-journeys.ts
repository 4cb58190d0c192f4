/*
 * The Modeler, Fees and Operator pages, run inside the app suite's describe (journeys.test.ts) on its one stack
 * and browser, after its journeys: the host agents are stopped by then, so the test answers as a host itself and
 * moves the clock where each journey needs it. Balances and state are checked on chain after each journey.
 */
import { join } from "node:path";
import { expect } from "chai";
import { NonceManager, id, parseUnits, type HDNodeWallet } from "ethers";
import type { Page } from "playwright-core";
import { TestToken__factory } from "../../typechain-types";
import { IndexerClient } from "../../sdk/indexer";
import { Market } from "../../sdk/market";
import { claimsOpenAt, epochOf, startOf, windowStart } from "../../sdk/time";
import { ROOT, account } from "../e2e/harness";
import { CHALLENGE, DEPLOYER, FEE, KEEPER, LEADERBOARD_HASH, type AppStack } from "./stack";
import { TestWallet } from "./wallet";

const SCREENS = join(ROOT, "reports", "screens");
const MODELER = account(26);
const HOST = account(27);
/** Pays for the requests the modeler answers, and later meets the pause. */
const USER = account(29);
const MODELER_LEADERBOARD = id("modeler journey leaderboard");

/** What the suite's describe lends these journeys. */
export interface Suite {
  stack(): AppStack;
  open(wallet: TestWallet, path: string): Promise<Page>;
  connect(page: Page): Promise<void>;
  expectAccessible(page: Page): Promise<void>;
  tokenBalance(address: string): Promise<bigint>;
}

export function rolePageJourneys(suite: Suite): void {
  // One client per account, so that its nonces are counted in one place across the journeys.
  const clients = new Map<string, Market>();
  const as = (w: HDNodeWallet) => {
    const { deployment, node } = suite.stack();
    if (!clients.has(w.address))
      clients.set(w.address, Market.connect(deployment.market, new NonceManager(w.connect(node.provider))));
    return clients.get(w.address)!;
  };
  /** Mines a block at `t`, or one second on when the chain is past it already. */
  const mineAtOrAfter = async (t: bigint) => {
    const { node } = suite.stack();
    const now = await node.latestTimestamp();
    await node.mineAt(t > now ? t : now + 1n);
  };
  /** A request by USER in the current epoch, answered in time by the modeler's host as list position 0. */
  const answeredRequest = async () => {
    const made = await as(USER).request(CHALLENGE, "0x0000000000000000000000000000000000000001");
    await as(HOST).answer(made.requestId, made.key, 0, "42");
  };

  it("modeler: registers and sets its host, then after two served epochs claims both in one click", async () => {
    const { node, deployment } = suite.stack();
    const wallet = new TestWallet(MODELER, node);
    const page = await suite.open(wallet, "#/modeler");
    await suite.connect(page);
    await page
      .getByTestId("registration")
      .filter({ hasText: /^Not registered/ })
      .waitFor();
    await page.getByRole("button", { name: "Register" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: /^Registered for challenge 1 with host/ })
      .waitFor();
    await page.getByLabel("Host address").fill(HOST.address);
    await page.getByRole("button", { name: "Set host" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `Your host is now ${HOST.address}.` })
      .waitFor();
    const info = await suite.stack().market.contract.modelerInfo(CHALLENGE, MODELER.address);
    expect(info.host).to.equal(HOST.address);

    // The keeper lists the modeler in this epoch's window; it serves the next two epochs and their claims open.
    const market = suite.stack().market;
    const time = await market.timeConfig();
    const epoch = epochOf(time, await node.latestTimestamp());
    await mineAtOrAfter(windowStart(time, epoch));
    await as(KEEPER).promote(CHALLENGE, [MODELER.address], MODELER_LEADERBOARD);
    const token = TestToken__factory.connect(deployment.token, as(USER).runner);
    await (await token.mint(USER.address, parseUnits("10", 18))).wait();
    const served = [epoch + 1n, epoch + 2n];
    for (const e of served) {
      await node.mineAt(startOf(time, e));
      await answeredRequest();
    }
    await node.mineAt(claimsOpenAt(time, served[1]));

    // ethers shares a read of the latest block made within the last moment: ask until it has the new clock.
    let owed = await market.claimable(CHALLENGE, MODELER.address, served);
    for (let tries = 0; tries < 20 && !owed.every((c) => c.open); tries++) {
      await new Promise((r) => setTimeout(r, 250));
      owed = await market.claimable(CHALLENGE, MODELER.address, served);
    }
    const total = owed.reduce((sum, c) => sum + c.amount, 0n);
    expect(owed.filter((c) => !c.open || c.amount === 0n).map((c) => `${c.epoch}: ${c.amount}`)).to.deep.equal([]);
    const before = await suite.tokenBalance(MODELER.address);
    const nonce = await node.provider.getTransactionCount(MODELER.address);
    const claim = page.getByRole("button", { name: /^Claim 2 epochs: / });
    await claim.click({ timeout: 30_000 });
    await page
      .getByRole("status")
      .filter({ hasText: `Claimed 1.7 tUSD for epochs ${served.join(", ")}.` })
      .waitFor();
    expect(await suite.tokenBalance(MODELER.address)).to.equal(before + total);
    expect(await node.provider.getTransactionCount(MODELER.address)).to.equal(nonce + 1);
    for (const c of await market.claimable(CHALLENGE, MODELER.address, served)) expect(c.amount).to.equal(0n);

    await page.getByRole("button", { name: "Nothing to claim now" }).waitFor();
    expect(await page.getByTestId("modeler-epoch").count()).to.equal(served.length);
    await page.locator("figure.chart svg").waitFor();
    await suite.expectAccessible(page);
    await page.screenshot({ path: join(SCREENS, "modeler.png"), fullPage: true });
  });

  it("fees: the creator claims its share of every open epoch in one transaction", async () => {
    const { node, indexer } = suite.stack();
    const market = suite.stack().market;
    const wallet = new TestWallet(DEPLOYER, node);
    const page = await suite.open(wallet, "#/fees");
    await suite.connect(page);
    const epochs = (await new IndexerClient(indexer.url).feeShares(CHALLENGE)).map((e) => e.epoch);
    const owed = (await market.claimable(CHALLENGE, "creator", epochs)).filter((c) => c.open && c.amount > 0n);
    const total = owed.reduce((sum, c) => sum + c.amount, 0n);
    expect(total > 0n).to.equal(true);
    const before = await suite.tokenBalance(DEPLOYER.address);
    const nonce = await node.provider.getTransactionCount(DEPLOYER.address);

    const claim = page.getByRole("button", {
      name: new RegExp(`^Claim the creator share of ${owed.length} epochs?: `),
    });
    await claim.click({ timeout: 30_000 });
    await page
      .getByRole("status")
      .filter({ hasText: /^Claimed .* of the creator share for epochs/ })
      .waitFor();
    expect(await suite.tokenBalance(DEPLOYER.address)).to.equal(before + total);
    expect(await node.provider.getTransactionCount(DEPLOYER.address)).to.equal(nonce + 1);
    for (const c of await market.claimable(CHALLENGE, "creator", epochs)) expect(c.amount).to.equal(0n);
    await page.getByRole("button", { name: "Creator share: nothing to claim now" }).waitFor();
    await suite.expectAccessible(page);
    await page.screenshot({ path: join(SCREENS, "fees.png"), fullPage: true });
  });

  it("operator: creates a challenge and sets its fee, pauses so a request is refused with the decoded error, unpauses", async () => {
    const { node } = suite.stack();
    const market = suite.stack().market;
    const wallet = new TestWallet(DEPLOYER, node);
    const page = await suite.open(wallet, "#/operator");
    await suite.connect(page);
    await page
      .getByTestId("roles")
      .filter({ hasText: /challenge manager.*pauser/ })
      .waitFor();
    const promotions = page.getByTestId("promotion");
    await promotions.filter({ hasText: LEADERBOARD_HASH }).waitFor();
    await promotions.filter({ hasText: MODELER_LEADERBOARD }).waitFor({ timeout: 30_000 });

    const count = await market.contract.challengeCount();
    await page.getByLabel("Description").fill("operator journey");
    await page.getByLabel(/^Fee per request/).fill("2");
    await page.getByRole("button", { name: "Create the challenge" }).click();
    const created = count + 1n;
    await page
      .getByRole("status")
      .filter({ hasText: `Created challenge ${created}.` })
      .waitFor();
    expect(await market.contract.challengeCount()).to.equal(count + 1n);
    await page.getByLabel("Challenge you administer").selectOption(created.toString(), { timeout: 15_000 });
    await page.getByLabel(/^New fee/).fill("3");
    await page.getByRole("button", { name: "Set the fee" }).click();
    await page
      .getByRole("status")
      .filter({ hasText: `The fee of challenge ${created} is now 3 tUSD.` })
      .waitFor();
    expect((await market.contract.challenge(created)).fee).to.equal(3n * FEE);

    await page.getByRole("button", { name: "Pause the market" }).click();
    await page
      .getByTestId("paused")
      .filter({ hasText: /^Paused/ })
      .waitFor();
    expect(await market.contract.paused()).to.equal(true);
    await suite.expectAccessible(page);
    await page.screenshot({ path: join(SCREENS, "operator.png"), fullPage: true });

    // Another account in the same wallet: no control is offered to it, and the market refuses its request.
    await wallet.switchAccount(page, USER);
    await page
      .getByTestId("roles")
      .filter({ hasText: /^This account holds no role/ })
      .waitFor();
    expect(await page.getByRole("button", { name: /pause the market/i }).count()).to.equal(0);
    expect(await page.getByRole("button", { name: "Create the challenge" }).count()).to.equal(0);
    const balance = await suite.tokenBalance(USER.address);
    const nonce = await node.provider.getTransactionCount(USER.address);
    await page.getByRole("link", { name: "Request" }).click();
    await page.getByLabel("Input").fill("0x0000000000000000000000000000000000000001");
    await page.getByRole("button", { name: /^Pay/ }).click();
    await page
      .getByRole("alert")
      .filter({
        hasText: "The market is paused and takes no new request. The market refused the transaction: EnforcedPause().",
      })
      .waitFor();
    expect(await suite.tokenBalance(USER.address)).to.equal(balance);
    expect(await node.provider.getTransactionCount(USER.address)).to.equal(nonce);

    await wallet.switchAccount(page, DEPLOYER);
    await page.getByRole("link", { name: "Operator" }).click();
    await page.getByRole("button", { name: "Unpause the market" }).click();
    await page
      .getByTestId("paused")
      .filter({ hasText: /^Running/ })
      .waitFor();
    expect(await market.contract.paused()).to.equal(false);
  });
}
