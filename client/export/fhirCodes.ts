// Codes and units the HL7 CGM IG 1.0.0 (STU1) binds its profiles to, in one place so the exporter and
// docs/fhir.md can be checked against the IG's FSH sources (`input/fsh/profiles.fsh`).
export const LOINC = "http://loinc.org";
export const UCUM = "http://unitsofmeasure.org";
export const OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category";
export const CGM_IG = "http://hl7.org/fhir/uv/cgm/StructureDefinition";

/**
 * LOINC code of each CGM observation. Displays are the IG's own comments where they are unambiguous; the
 * other range bands and the sensor reading get none rather than a guessed one.
 */
export const CGM_CODES = {
  summary: { code: "107931-8", display: "Continuous glucose monitoring summary panel - Reporting Period" },
  timesInRanges: { code: "106793-3", display: "Continuous glucose monitoring time in ranges panel" },
  meanGlucose: {
    code: "97507-8",
    display: "Glucose [Mass/volume] in Serum or Plasma by Continuous glucose monitoring",
  },
  gmi: { code: "97506-0", display: "Glucose management indicator by Continuous glucose monitoring" },
  cv: { code: "104638-2", display: "Coefficient of variation of glucose by Continuous glucose monitoring" },
  daysOfWear: { code: "104636-6", display: "Continuous glucose monitoring duration of use" },
  sensorActive: { code: "104637-4", display: "Continuous glucose monitoring sensor wear time active" },
  timeInVeryLow: { code: "104642-4" },
  timeInLow: { code: "104641-6" },
  timeInTarget: { code: "97510-2", display: "Continuous glucose monitoring time in range" },
  timeInHigh: { code: "104640-8" },
  timeInVeryHigh: { code: "104639-0" },
  sensorReading: { code: "99504-3" },
} as const;

/** The IG profile each observation claims in `meta.profile`. */
export const CGM_PROFILES = {
  summary: `${CGM_IG}/cgm-summary`,
  timesInRanges: `${CGM_IG}/cgm-summary-times-in-ranges`,
  meanGlucose: `${CGM_IG}/cgm-summary-mean-glucose-mass-per-volume`,
  gmi: `${CGM_IG}/cgm-summary-gmi`,
  cv: `${CGM_IG}/cgm-summary-coefficient-of-variation`,
  daysOfWear: `${CGM_IG}/cgm-summary-days-of-wear`,
  sensorActive: `${CGM_IG}/cgm-summary-sensor-active-percentage`,
  sensorReading: `${CGM_IG}/cgm-sensor-reading-mass-per-volume`,
  device: `${CGM_IG}/cgm-device`,
} as const;

/** UCUM units as the IG fixes them: code, then the human-readable unit. */
export const UNITS = {
  percent: { code: "%", unit: "%" },
  mgdl: { code: "mg/dL", unit: "mg/dl" },
  days: { code: "d", unit: "days" },
} as const;
