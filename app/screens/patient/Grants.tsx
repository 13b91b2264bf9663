// Who can see what: active grants with their countdowns and revoke buttons, and "revoke
// everything" for a suspected breach, saying plainly what revoking can and cannot undo.
import type { Patient } from "../../../client/index.js";
import { ConfirmButton } from "../../components/ConfirmButton.js";
import { ErrorText } from "../../components/ErrorText.js";
import { GrantSummary } from "../../components/GrantSummary.js";
import { useAction, useLoad } from "../../components/useAsync.js";

type GrantInfo = Awaited<ReturnType<Patient["grants"]>>[number];

export function Grants({ patient }: { patient: Patient }) {
  const grants = useLoad(() => patient.grants(), [patient]);
  const active = (grants.value ?? []).filter((g) => g.status === "active");
  const ended = (grants.value ?? []).filter((g) => g.status !== "active");
  return (
    <>
      <h1>Who has access</h1>
      <ErrorText error={grants.error} />
      {grants.value && active.length === 0 && <p class="empty">Nobody can see your data right now.</p>}
      <ul class="grants" aria-label="Active grants">
        {active.map((g) => (
          <GrantItem key={g.grantId} patient={patient} grant={g} onChange={() => void grants.reload()} />
        ))}
      </ul>
      {active.length > 0 && <RevokeEverything patient={patient} onDone={() => void grants.reload()} />}
      {ended.length > 0 && (
        <>
          <h2>Ended</h2>
          <ul class="grants ended">
            {ended.map((g) => (
              <li key={g.grantId}>
                @{g.grantee.handle ?? g.grantee.accountId}: {g.status}
              </li>
            ))}
          </ul>
        </>
      )}
    </>
  );
}

function GrantItem({ patient, grant, onChange }: { patient: Patient; grant: GrantInfo; onChange: () => void }) {
  const revoke = useAction(async () => {
    await patient.revoke(grant.grantId);
    onChange();
  });
  const who = `@${grant.grantee.handle ?? grant.grantee.accountId}`;
  return (
    <li class="card" data-testid="grant">
      <h2>{who}</h2>
      <GrantSummary terms={grant} />
      <ErrorText error={revoke.error} />
      <div class="actions">
        <ConfirmButton
          label={`Revoke ${who}'s access`}
          confirmLabel={`Yes, revoke ${who}'s access`}
          cancelLabel="Keep"
          busy={revoke.busy}
          onConfirm={() => void revoke.run()}
        />
      </div>
    </li>
  );
}

function RevokeEverything({ patient, onDone }: { patient: Patient; onDone: () => void }) {
  const revoke = useAction(async () => {
    await patient.revokeEverything();
    onDone();
  });
  return (
    <section class="card" aria-labelledby="revoke-all">
      <h2 id="revoke-all">Think someone got in who should not have?</h2>
      <p>"Revoke everything" ends every grant at once and replaces all your data keys.</p>
      <ul>
        <li>
          <strong>What it stops:</strong> from now on, nobody you shared with can download anything more, and nothing
          you add or import later can be read with the old keys.
        </li>
        <li>
          <strong>What it cannot undo:</strong> data someone already opened may have been copied to their device. No app
          can take that back.
        </li>
        <li>You can share again afterwards with the people you trust.</li>
      </ul>
      <ErrorText error={revoke.error} />
      <div class="actions">
        <ConfirmButton
          label="Revoke everything"
          confirmLabel="Yes, revoke everything"
          busy={revoke.busy}
          onConfirm={() => void revoke.run()}
        />
      </div>
    </section>
  );
}
