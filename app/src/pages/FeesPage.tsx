import { useQuery } from "@tanstack/react-query";
import { useSession } from "../wallet/session";
import { useChallengeIds } from "./challenges";
import { ChallengeFees } from "./ChallengeFees";

/** The creator's, admin's and platform's shares that the connected account receives, challenge by challenge. */
export function FeesPage() {
  const { reader, account } = useSession();
  const ids = useChallengeIds();
  const treasury = useQuery({
    queryKey: ["treasury", reader.address],
    queryFn: () => reader.contract.treasury(),
    refetchInterval: 10_000,
  });
  if (!account) return <p>Connect a wallet to see the fee shares it receives.</p>;
  if (!ids.data || treasury.data === undefined) return <p>Reading the challenges…</p>;
  if (ids.data.length === 0) return <p>No challenge exists yet.</p>;
  return (
    <>
      <p>
        Each challenge pays its creator, its admin and the platform&apos;s treasury a share of every epoch&apos;s
        settled fees. Claims of an epoch open a day after it ends; one transaction claims every open epoch of a share.
      </p>
      {ids.data.map((id) => (
        <ChallengeFees key={id.toString()} challengeId={id} address={account.address} treasury={treasury.data} />
      ))}
    </>
  );
}
