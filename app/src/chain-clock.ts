import { useEffect, useState } from "react";
import { useQuery } from "@tanstack/react-query";
import { useSession } from "./wallet/session";

/**
 * The chain's "now" (the latest block's time, which the contract judges by), read every two seconds and counted
 * on by the wall clock in between, so countdowns tick each second and follow the chain when its clock jumps.
 */
export function useChainNow(): bigint | undefined {
  const { reader } = useSession();
  const { data, dataUpdatedAt } = useQuery({
    queryKey: ["chain-now", reader.address],
    queryFn: () => reader.now(),
    refetchInterval: 2_000,
  });
  const [tick, setTick] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setTick(Date.now()), 1_000);
    return () => clearInterval(timer);
  }, []);
  if (data === undefined) return undefined;
  return data + BigInt(Math.max(0, Math.floor((tick - dataUpdatedAt) / 1_000)));
}
