// Request bodies as xDrip+ and AndroidAPS send them to Nightscout's v1 API, written for these
// tests from Nightscout's API description (lib/server/swagger.yaml: Entry, Treatment,
// Devicestatus) and the fields those apps are documented to fill; no third-party fixture copied.
const MINUTE = 60_000;
const iso = (t: number) => new Date(t).toISOString();

/** xDrip+'s entries upload: sensor readings with raw values, a finger-stick and a calibration. */
export function xdripEntries(now: number): Record<string, unknown>[] {
  const sgv = (minutesAgo: number, value: number, direction: string, delta: number) => {
    const date = now - minutesAgo * MINUTE;
    return {
      device: "xDrip-DexcomG6",
      date,
      dateString: iso(date),
      sgv: value,
      delta,
      direction,
      type: "sgv",
      filtered: value * 1000,
      unfiltered: value * 1000 + 500,
      rssi: 100,
      noise: 1,
      sysTime: iso(date),
    };
  };
  return [
    sgv(10, 110, "Flat", 0.5),
    sgv(5, 118, "FortyFiveUp", 8),
    sgv(0, 131, "SingleUp", 13),
    {
      device: "xDrip-DexcomG6",
      type: "mbg",
      date: now - 7 * MINUTE,
      dateString: iso(now - 7 * MINUTE),
      mbg: 125,
      sysTime: iso(now - 7 * MINUTE),
    },
    {
      device: "xDrip-DexcomG6",
      type: "cal",
      date: now - 7 * MINUTE,
      dateString: iso(now - 7 * MINUTE),
      slope: 1000,
      intercept: 0,
      scale: 1,
    },
  ];
}

/** xDrip+'s treatments: insulin and carbs as an event without a type of its own, and a note. */
export function xdripTreatments(now: number): Record<string, unknown>[] {
  return [
    {
      timestamp: now - 20 * MINUTE,
      eventType: "<none>",
      enteredBy: "xdrip",
      uuid: "2d2c4e0a-6a4b-4b8e-9a55-6f1d0e3c2b11",
      carbs: 45,
      insulin: 4.5,
      created_at: iso(now - 20 * MINUTE),
      notes: "",
    },
    {
      timestamp: now - 15 * MINUTE,
      eventType: "Note",
      enteredBy: "xdrip",
      uuid: "a8a1f0b3-63a6-4f4d-8d6f-0f0e2b3c4d55",
      notes: "pizza",
      created_at: iso(now - 15 * MINUTE),
    },
  ];
}

/** xDrip+'s device status: the phone's battery. */
export function xdripDeviceStatus(): Record<string, unknown> {
  return { device: "xDrip-DexcomG6", uploader: { battery: 84 } };
}

/** AndroidAPS's treatments (NSClient, API v1): boluses, an SMB, carbs, temp basals, and events Steward does not keep. */
export function aapsTreatments(now: number): Record<string, unknown>[] {
  const at = (minutesAgo: number) => ({
    created_at: iso(now - minutesAgo * MINUTE),
    date: now - minutesAgo * MINUTE,
    enteredBy: "openaps://AndroidAPS",
    isValid: true,
  });
  return [
    {
      ...at(30),
      eventType: "Meal Bolus",
      insulin: 5.2,
      carbs: 52,
      pumpId: 4101,
      pumpType: "OMNIPOD_DASH",
      pumpSerial: "4241",
      isSMB: false,
    },
    {
      ...at(25),
      eventType: "Correction Bolus",
      insulin: 0.4,
      isSMB: true,
      pumpId: 4102,
      pumpType: "OMNIPOD_DASH",
      pumpSerial: "4241",
    },
    { ...at(24), eventType: "Carb Correction", carbs: 15, notes: "juice" },
    { ...at(20), eventType: "Temp Basal", duration: 30, absolute: 0.35, rate: 0.35, type: "NORMAL", pumpId: 4103 },
    { ...at(19), eventType: "Temp Basal", duration: 60, percent: -40, type: "NORMAL", pumpId: 4104 },
    {
      ...at(18),
      eventType: "Temporary Target",
      duration: 60,
      targetBottom: 140,
      targetTop: 140,
      reason: "Activity",
      units: "mg/dl",
    },
    { ...at(17), eventType: "Profile Switch", profile: "Default", duration: 0, percentage: 100, timeshift: 0 },
    { ...at(16), eventType: "BG Check", glucose: 6.5, glucoseType: "Finger", units: "mmol" },
    { ...at(15), eventType: "Site Change", notes: "left arm" },
  ];
}

/** AndroidAPS's device status: pump, loop (openaps) and uploader. */
export function aapsDeviceStatus(now: number): Record<string, unknown> {
  return {
    device: "openaps://samsung SM-G970F",
    created_at: iso(now - 2 * MINUTE),
    pump: {
      clock: iso(now - 2 * MINUTE),
      battery: { percent: 75 },
      reservoir: 120.5,
      status: { status: "normal", timestamp: iso(now - 2 * MINUTE) },
      extended: { Version: "3.2.0", ActiveProfile: "Default" },
    },
    openaps: {
      suggested: {
        bg: 131,
        temp: "absolute",
        rate: 0.35,
        duration: 30,
        reason: "COB: 20, Dev: 12, BGI: -1.2",
        COB: 20,
        IOB: 1.25,
        timestamp: iso(now - 2 * MINUTE),
      },
      enacted: {
        bg: 131,
        rate: 0.35,
        duration: 30,
        reason: "COB: 20, Dev: 12, BGI: -1.2",
        received: true,
        timestamp: iso(now - 2 * MINUTE),
      },
      iob: { iob: 1.25, basaliob: 0.3, activity: 0.01, time: iso(now - 2 * MINUTE) },
    },
    uploaderBattery: 80,
    isCharging: false,
    configuration: { pump: "Omnipod Dash", version: "3.2.0.4", insulin: 5, sensitivity: 2, smoothing: "NO_SMOOTHING" },
  };
}

/** CareLink Connect's JSON as minimed-connect-to-nightscout reads it (pump clock in UTC here). */
export function careLinkData(now: number): Record<string, unknown> {
  const pumpTime = (t: number) =>
    new Date(t)
      .toLocaleString("en-US", {
        timeZone: "UTC",
        month: "short",
        day: "numeric",
        year: "numeric",
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hourCycle: "h23",
      })
      .replace(/^(\w+ \d+), (\d+),/, "$1, $2");
  return {
    currentServerTime: now,
    lastMedicalDeviceDataUpdateServerTime: now - MINUTE,
    sMedicalDeviceTime: pumpTime(now),
    medicalDeviceFamily: "NGP",
    medicalDeviceBatteryLevelPercent: 75,
    conduitBatteryLevel: 88,
    reservoirRemainingUnits: 96,
    activeInsulin: { amount: 1.5 },
    sensorState: "NO_ERROR_MESSAGE",
    calibStatus: "LESS_THAN_TWELVE_HRS",
    sensorDurationHours: 100,
    timeToNextCalibHours: 6,
    conduitInRange: true,
    conduitMedicalDeviceInRange: true,
    conduitSensorInRange: true,
    lastSGTrend: "UP",
    sgs: [
      { kind: "SG", sg: 140, datetime: pumpTime(now - 11 * MINUTE) },
      { kind: "SG", sg: 0, datetime: pumpTime(now - 6 * MINUTE) },
      { kind: "SG", sg: 152, datetime: pumpTime(now - MINUTE) },
    ],
  };
}
