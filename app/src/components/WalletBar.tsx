import { useEffect, useRef, useState } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { formatEther } from "ethers";
import { useConnect, useConnection, useConnectors, useDisconnect, useSwitchChain, type Connector } from "wagmi";
import { useAmount } from "../format";
import { FAUCET_ETH, FAUCET_TOKENS, faucet } from "../wallet/faucet";
import { plainError } from "../wallet/plain-error";
import { useSession } from "../wallet/session";
import { Address } from "./Address";

/**
 * The wallets to offer: each one announced through EIP-6963 by name; the bare window.ethereum connector only
 * when no wallet announced itself (every current wallet does, and would otherwise appear twice).
 */
function offered(connectors: readonly Connector[]): Connector[] {
  const announced = connectors.filter((c) => c.id !== "injected");
  if (announced.length > 0) return announced;
  return typeof window !== "undefined" && "ethereum" in window ? [...connectors] : [];
}

export function WalletBar() {
  const { config, local, account, wrongChainId } = useSession();
  const connection = useConnection();
  const connectors = useConnectors();
  const connect = useConnect();
  const { disconnect } = useDisconnect();
  const switchChain = useSwitchChain();
  const wallets = offered(connectors);
  const changed = useAccountChange(connection.status === "connected" ? connection.address : undefined);
  const error = connect.error ?? switchChain.error;

  return (
    <section aria-label="Wallet" className="wallet">
      {connection.status === "connected" ? (
        <p>
          Connected with {connection.connector.name}: <Address address={connection.address} />{" "}
          <button type="button" onClick={() => disconnect()}>
            Disconnect
          </button>
        </p>
      ) : wallets.length > 0 ? (
        <p>
          {wallets.map((c) => (
            <button
              key={c.uid}
              type="button"
              disabled={connect.isPending}
              onClick={() => connect.mutate({ connector: c })}
            >
              Connect {c.name}
            </button>
          ))}
        </p>
      ) : (
        <p role="status">
          No browser wallet was found. Install one such as MetaMask or Rabby to pay from your own account
          {local ? "; until then this page uses a burner wallet." : "."}
        </p>
      )}
      {wrongChainId !== undefined && (
        <div role="alert" className="notice">
          Your wallet is on chain {wrongChainId}, but this market lives on {config.network} (chain {config.chainId}
          ).{" "}
          <button
            type="button"
            disabled={switchChain.isPending}
            onClick={() => switchChain.mutate({ chainId: config.chainId })}
          >
            Switch to chain {config.chainId}
          </button>
        </div>
      )}
      {changed && (
        <p role="status" className="notice">
          Your wallet switched to account <Address address={changed} />: the page now acts for it.
        </p>
      )}
      {error && (
        <p role="alert" className="error">
          {plainError(error)}
        </p>
      )}
      {account?.kind === "burner" && (
        <p>
          Burner wallet <Address address={account.address} /> (local chain only; its key stays in this browser).
        </p>
      )}
      {account && <Balances address={account.address} />}
    </section>
  );
}

/** The address the connected wallet moved to, once it moves while the page is open. */
function useAccountChange(address: string | undefined): string | undefined {
  const previous = useRef(address);
  const [changed, setChanged] = useState<string>();
  useEffect(() => {
    if (previous.current && address && previous.current !== address) setChanged(address);
    if (!address) setChanged(undefined);
    previous.current = address;
  }, [address]);
  return changed;
}

function Balances({ address }: { address: string }) {
  const { reader, rpc, local, token, config } = useSession();
  const amount = useAmount();
  const queries = useQueryClient();
  const balances = useQuery({
    queryKey: ["balances", address],
    queryFn: async () => {
      const { contract } = await reader.token();
      const [tokens, eth] = await Promise.all([contract.balanceOf(address), rpc.getBalance(address)]);
      return { tokens, eth };
    },
    refetchInterval: 3_000,
  });
  const [faucetState, setFaucetState] = useState<{ busy: boolean; message?: string; failed?: boolean }>({
    busy: false,
  });
  const pour = async () => {
    setFaucetState({ busy: true, message: "Sending test tokens and ETH…" });
    try {
      await faucet(rpc, config.token, token?.decimals ?? 18, address);
      await queries.invalidateQueries({ queryKey: ["balances", address] });
      setFaucetState({
        busy: false,
        message: `Received ${FAUCET_TOKENS} test tokens; ETH topped up to ${FAUCET_ETH}.`,
      });
    } catch (err) {
      setFaucetState({ busy: false, message: plainError(err), failed: true });
    }
  };
  return (
    <div className="balances">
      <p aria-live="polite">
        Balance:{" "}
        {balances.data ? (
          <span data-testid="balance">
            {amount(balances.data.tokens)} and {formatEther(balances.data.eth)} ETH
          </span>
        ) : (
          "reading…"
        )}
      </p>
      {local && (
        <p>
          <button type="button" disabled={faucetState.busy} onClick={pour}>
            Faucet: get {FAUCET_TOKENS} test tokens and ETH
          </button>{" "}
          {faucetState.message && <span role={faucetState.failed ? "alert" : "status"}>{faucetState.message}</span>}
        </p>
      )}
    </div>
  );
}
