import { useQuery } from "@tanstack/react-query";
import { useSession } from "../wallet/session";

/** The ids of every challenge, 1 to the market's count. */
export function useChallengeIds() {
  const { reader } = useSession();
  return useQuery({
    queryKey: ["challenge-ids", reader.address],
    queryFn: async () => {
      const count = await reader.contract.challengeCount();
      return Array.from({ length: Number(count) }, (_, i) => BigInt(i + 1));
    },
    refetchInterval: 10_000,
  });
}
