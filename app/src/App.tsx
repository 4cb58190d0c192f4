import { useEffect, useMemo, useState } from "react";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { WagmiProvider } from "wagmi";
import type { AppConfig } from "./config";
import { MarketPage } from "./pages/MarketPage";
import { RequestPage } from "./pages/RequestPage";
import { ModelerPage } from "./pages/ModelerPage";
import { FeesPage } from "./pages/FeesPage";
import { OperatorPage } from "./pages/OperatorPage";
import { ErrorBoundary } from "./components/ErrorBoundary";
import { TxList } from "./components/TxList";
import { WalletBar } from "./components/WalletBar";
import { SessionProvider } from "./wallet/session";
import { wagmiConfig } from "./wagmi";

const PAGES = [
  { path: "#/", title: "Market", Page: MarketPage },
  { path: "#/request", title: "Request", Page: RequestPage },
  { path: "#/modeler", title: "Modeler", Page: ModelerPage },
  { path: "#/fees", title: "Fees", Page: FeesPage },
  { path: "#/operator", title: "Operator", Page: OperatorPage },
] as const;

/** The page named by the URL's hash: a static host serves the one index.html for every page. */
function useHashPage() {
  const [hash, setHash] = useState(window.location.hash || "#/");
  useEffect(() => {
    const onChange = () => setHash(window.location.hash || "#/");
    window.addEventListener("hashchange", onChange);
    return () => window.removeEventListener("hashchange", onChange);
  }, []);
  return PAGES.find((p) => p.path === hash) ?? PAGES[0];
}

export function App({ config }: { config: AppConfig }) {
  const wagmi = useMemo(() => wagmiConfig(config), [config]);
  const queries = useMemo(() => new QueryClient({ defaultOptions: { queries: { retry: 1 } } }), []);
  const page = useHashPage();
  useEffect(() => {
    document.title = `${page.title} · Inference market`;
  }, [page]);
  return (
    <WagmiProvider config={wagmi}>
      <QueryClientProvider client={queries}>
        <SessionProvider config={config}>
          <header>
            <p className="brand">Inference market</p>
            <nav aria-label="Pages">
              <ul>
                {PAGES.map((p) => (
                  <li key={p.path}>
                    <a href={p.path} aria-current={p === page ? "page" : undefined}>
                      {p.title}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <WalletBar />
          </header>
          <main>
            <h1>{page.title}</h1>
            <ErrorBoundary key={page.path}>
              <page.Page />
            </ErrorBoundary>
            <TxList />
          </main>
        </SessionProvider>
      </QueryClientProvider>
    </WagmiProvider>
  );
}
