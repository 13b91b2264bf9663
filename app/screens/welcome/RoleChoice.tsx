// Whose account this is, for recovery and linking (a patient's or a clinician's/caregiver's).
export type Role = "patient" | "grantee";

export function RoleChoice({ role, onChange }: { role: Role; onChange: (role: Role) => void }) {
  return (
    <fieldset>
      <legend>This account is</legend>
      <label>
        <input type="radio" name="role" checked={role === "patient"} onChange={() => onChange("patient")} /> My own (I
        live with diabetes)
      </label>
      <label>
        <input type="radio" name="role" checked={role === "grantee"} onChange={() => onChange("grantee")} /> A
        clinician's or caregiver's
      </label>
    </fieldset>
  );
}
