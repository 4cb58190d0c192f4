import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
import { BrowserProvider, JsonRpcProvider, JsonRpcSigner, Network, type Eip1193Provider, type Signer } from "ethers";
import { useQuery } from "@tanstack/react-query";
import { useConnection } from "wagmi";
import { IndexerClient } from "../../../sdk/indexer";
import { Market } from "../../../sdk/market";
import { LOCAL_CHAIN_ID, type AppConfig } from "../config";
import { burnerWallet } from "./burner";
import { trackedSend, type TrackedTx } from "./tracked-send";

/** Who acts on the page: the connected injected wallet, or on the local chain the burner. */
export interface Account {
  address: string;
  kind: "injected" | "burner";
}

export interface Session {
  config: AppConfig;
  local: boolean;
  /** The market read straight from the deployment's RPC, with or without a wallet. */
  reader: Market;
  rpc: JsonRpcProvider;
  /** History: the requests, lists and epochs the indexer keeps. */
  indexer: IndexerClient;
  /** The fee token's symbol and decimals, once read. */
  token?: { symbol: string; decimals: number };
  account?: Account;
  /** The market client that signs as `account`; undefined without an account or while the wallet is on another chain. */
  writer?: Market;
  /** The wallet's chain when it is not the deployment's. */
  wrongChainId?: number;
  txs: TrackedTx[];
}

const SessionContext = createContext<Session | undefined>(undefined);

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession outside SessionProvider");
  return session;
}

/** Polls quickly: a local chain mines every second, and a request's answers come within seconds. */
const POLL_MS = 500;

export function SessionProvider({ config, children }: { config: AppConfig; children: ReactNode }) {
  const local = config.chainId === LOCAL_CHAIN_ID;
  const rpc = useMemo(() => {
    const network = Network.from(config.chainId);
    return new JsonRpcProvider(config.rpcUrl, network, { staticNetwork: network, pollingInterval: POLL_MS });
  }, [config]);
  const reader = useMemo(() => Market.connect(config.market, rpc), [config, rpc]);
  const indexer = useMemo(() => new IndexerClient(config.indexerUrl), [config]);
  const { data: token } = useQuery({
    queryKey: ["token", config.market],
    queryFn: async () => {
      const { symbol, decimals } = await reader.token();
      return { symbol, decimals };
    },
    staleTime: Infinity,
  });

  const [txs, setTxs] = useState<TrackedTx[]>([]);
  const onTx = useCallback(
    (tx: TrackedTx) => setTxs((all) => [tx, ...all.filter((t) => t.hash !== tx.hash)].slice(0, 10)),
    [],
  );

  const connection = useConnection();
  const wrongChainId =
    connection.status === "connected" && connection.chainId !== config.chainId ? connection.chainId : undefined;
  const [signer, setSigner] = useState<{ signer: Signer; account: Account }>();
  const connector = connection.status === "connected" ? connection.connector : undefined;
  const address = connection.status === "connected" ? connection.address : undefined;
  const burner = useRef<ReturnType<typeof burnerWallet>>(undefined);

  useEffect(() => {
    let live = true;
    if (connector && address) {
      // Nobody acts while the wallet's provider is read, nor while the wallet is on another chain.
      setSigner(undefined);
      if (wrongChainId !== undefined) return;
      void connector.getProvider().then((eip1193) => {
        if (!live) return;
        const network = Network.from(config.chainId);
        const browser = new BrowserProvider(eip1193 as Eip1193Provider, network, {
          staticNetwork: network,
          pollingInterval: POLL_MS,
        });
        setSigner({ signer: new JsonRpcSigner(browser, address), account: { address, kind: "injected" } });
      });
    } else if (local && connection.status === "disconnected") {
      const { address: own, signer } = (burner.current ??= burnerWallet(rpc));
      setSigner({ signer, account: { address: own, kind: "burner" } });
    } else {
      setSigner(undefined);
    }
    return () => {
      live = false;
    };
  }, [connector, address, wrongChainId, local, rpc, config.chainId, connection.status]);

  const writer = useMemo(
    () => signer && Market.connect(config.market, signer.signer, { send: trackedSend(signer.signer, onTx) }),
    [signer, config.market, onTx],
  );

  const session: Session = {
    config,
    local,
    reader,
    rpc,
    indexer,
    token,
    account: signer?.account,
    writer,
    wrongChainId,
    txs,
  };
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}
