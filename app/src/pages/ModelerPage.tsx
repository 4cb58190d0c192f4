import { useState } from "react";
import { ChallengeSelect, useChosenChallenge } from "../components/ChallengeSelect";
import { useSession } from "../wallet/session";
import { ModelerEpochs } from "./ModelerEpochs";
import { Registration } from "./Registration";

/** A modeler's challenge: registering and naming its host, its points against the eviction rule, its claims. */
export function ModelerPage() {
  const { account } = useSession();
  const [chosen, setChosen] = useState("");
  const challengeId = useChosenChallenge(chosen);
  return (
    <>
      <ChallengeSelect value={chosen} onChange={setChosen} />
      {!account ? (
        <p>Connect a wallet to act as a modeler.</p>
      ) : challengeId === undefined ? (
        <p>Reading the challenges…</p>
      ) : (
        <>
          <Registration key={`${challengeId}`} challengeId={challengeId} modeler={account.address} />
          <ModelerEpochs challengeId={challengeId} modeler={account.address} />
        </>
      )}
    </>
  );
}
