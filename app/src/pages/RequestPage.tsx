import { useState } from "react";
import type { MadeRequest } from "../../../sdk/types";
import { PastRequests } from "./PastRequests";
import { RequestForm } from "./RequestForm";
import { RequestWatch } from "./RequestWatch";

export function RequestPage() {
  const [made, setMade] = useState<MadeRequest>();
  return (
    <>
      <RequestForm onMade={setMade} />
      {made && <RequestWatch key={made.requestId.toString()} request={made} />}
      <PastRequests />
    </>
  );
}
