// An invite link opened on a device that already has a clinician or caregiver account.
import { useEffect } from "preact/hooks";
import type { Grantee } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { useAction } from "../../components/useAsync.js";
import { invitedBy } from "../../invitedBy.js";
import { go } from "../../router.js";

export function AcceptInvite({ grantee, invite }: { grantee: Grantee; invite: string }) {
  const accept = useAction(async () => {
    await grantee.acceptInvite(invite);
    go("/");
  });
  useEffect(() => {
    void accept.run();
  }, [invite]);
  return (
    <>
      <h1>Accepting the invite{invitedBy(invite) ? ` from @${invitedBy(invite)}` : ""}…</h1>
      <ErrorText error={accept.error} />
    </>
  );
}
