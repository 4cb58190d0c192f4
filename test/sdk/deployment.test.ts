import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { deploymentPath, readDeployment, writeDeployment, type Deployment } from "../../sdk/deployment";

describe("sdk/deployment", () => {
  const d: Deployment = {
    network: "sdk-test-network",
    chainId: 31337,
    market: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    token: "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    startBlock: 7,
    deployedAt: "2026-11-20T00:00:00Z",
  };

  it("writes deployments/<network>.json at the project root and reads it back by network or by path", () => {
    const path = writeDeployment(d);
    try {
      expect(path).to.equal(resolve(__dirname, "../../deployments/sdk-test-network.json"));
      expect(deploymentPath(d.network)).to.equal(path);
      expect(readDeployment(d.network)).to.deep.equal(d);
      expect(readDeployment(path)).to.deep.equal(d);
    } finally {
      rmSync(path);
    }
  });

  it("writes to another path when given one", () => {
    const dir = mkdtempSync(join(tmpdir(), "deployment-"));
    try {
      const path = join(dir, "nested", "side.json");
      expect(writeDeployment(d, path)).to.equal(path);
      expect(readDeployment(path)).to.deep.equal(d);
      expect(() => readDeployment(d.network)).to.throw(/no deployment file/);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it("names the missing file and the invalid fields", () => {
    expect(() => readDeployment("no-such-network")).to.throw(/no deployment file .*no-such-network\.json/);
    const dir = mkdtempSync(join(tmpdir(), "deployment-"));
    try {
      const path = join(dir, "bad.json");
      writeFileSync(path, JSON.stringify({ ...d, market: "0x1234", startBlock: -1 }));
      expect(() => readDeployment(path)).to.throw(`${path}: missing or invalid market, startBlock`);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});
