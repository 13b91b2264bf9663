// The patients who shared with this account, each grant with its terms and countdown, the shares
// that ended, and the safety-number check by handle for a patient who has not shared yet. Checks
// again every few seconds, so an accepted invite appears as soon as the patient's device confirms it.
import { useEffect, useState } from "preact/hooks";
import type { Grantee, Scope } from "../../../client/index.js";
import { ErrorText } from "../../components/ErrorText.js";
import { GrantSummary } from "../../components/GrantSummary.js";
import { useLoad } from "../../components/useAsync.js";
import { type EndedShare, endedShares, forgetEnded, noteShares } from "../../endedShares.js";
import { dateTime, scopeNames } from "../../format.js";
import { CompareByHandle, VerifyPatient } from "./VerifyPatient.js";

const REFRESH_MS = 5_000;

export function Patients({ grantee }: { grantee: Grantee }) {
  const [ended, setEnded] = useState<EndedShare[]>(() => endedShares(grantee.accountId));
  const shares = useLoad(async () => {
    const list = await grantee.shares();
    // Offline the list is an old copy: it cannot tell what ended since.
    setEnded(grantee.sharesAsOf === undefined ? noteShares(grantee.accountId, list) : endedShares(grantee.accountId));
    return list;
  }, [grantee]);
  useEffect(() => {
    const timer = setInterval(() => void shares.reload(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [shares.reload]);
  const list = shares.value ?? [];
  return (
    <>
      <h1>Patients who shared with you</h1>
      <p class="hint">
        Your handle is <strong>@{grantee.handle}</strong>: a patient finds you by it. Compare safety numbers with them
        once, so you both know the keys are really each other's.
      </p>
      <ErrorText error={shares.error} />
      {shares.value && grantee.sharesAsOf !== undefined && (
        <p class="hint" data-testid="shares-offline">
          You are offline: this is the list as of {new Date(grantee.sharesAsOf).toLocaleString()}. A share the patient
          ended since then still shows until you are back online.
        </p>
      )}
      {shares.value && list.length === 0 && (
        <p class="empty">
          {ended.length > 0
            ? "Nobody shares with you at the moment."
            : "Nobody has shared with you yet. If you accepted an invite, it appears here once the patient's device confirms it."}
        </p>
      )}
      <ul class="shares" aria-label="Shared with you">
        {list.map((s) => (
          <li key={s.grantId} class="card" data-testid="share">
            <h2>@{s.patient.handle ?? s.patient.accountId}</h2>
            <GrantSummary terms={s} />
            {s.patientVerified ? (
              <p class="ok-text">Keys verified.</p>
            ) : (
              <VerifyPatient grantee={grantee} patient={s.patient} onVerified={() => void shares.reload()} />
            )}
            <div class="actions">
              <a class="button" href={`#/patients/${s.grantId}/${s.live ? "live" : "report"}`}>
                Open {s.live ? "live view" : "report"}
              </a>
              <a class="button secondary" href={`#/patients/${s.grantId}/${s.live ? "report" : "live"}`}>
                {s.live ? "Report" : "Latest readings"}
              </a>
            </div>
          </li>
        ))}
      </ul>
      {ended.length > 0 && (
        <section aria-labelledby="ended-shares">
          <h2 id="ended-shares">Shares that ended</h2>
          <ul class="shares">
            {ended.map((e) => (
              <li key={e.grantId} class="card ended" data-testid="ended-share">
                <p>
                  <strong>{e.patient}</strong> stopped sharing {scopeNames(e.scopes as Scope[])} (noticed{" "}
                  {dateTime(e.endedAt)}). Its data was deleted from this device and is no longer shown here; what was
                  already seen cannot be taken back.
                </p>
                <button
                  type="button"
                  class="secondary"
                  onClick={() => {
                    forgetEnded(grantee.accountId, e.grantId);
                    setEnded(endedShares(grantee.accountId));
                  }}
                >
                  Remove from this list
                </button>
              </li>
            ))}
          </ul>
        </section>
      )}
      <CompareByHandle grantee={grantee} onVerified={() => void shares.reload()} />
    </>
  );
}
