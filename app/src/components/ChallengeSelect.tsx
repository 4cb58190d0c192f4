import { useId } from "react";
import { useChallengeIds } from "../pages/challenges";

/** The challenge a page acts on; "" stands for the first one, so a page works before the ids are read. */
export function ChallengeSelect({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const ids = useChallengeIds();
  const selectId = useId();
  return (
    <p>
      <label htmlFor={selectId}>Challenge</label>
      <select id={selectId} value={value || ids.data?.[0]?.toString() || ""} onChange={(e) => onChange(e.target.value)}>
        {(ids.data ?? []).map((id) => (
          <option key={id.toString()} value={id.toString()}>
            Challenge {id.toString()}
          </option>
        ))}
      </select>
    </p>
  );
}

/** The chosen challenge's id, or undefined while no challenge is known. */
export function useChosenChallenge(value: string): bigint | undefined {
  const ids = useChallengeIds();
  const id = value || ids.data?.[0]?.toString();
  return id ? BigInt(id) : undefined;
}
