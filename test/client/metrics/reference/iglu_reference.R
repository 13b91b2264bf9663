# Regenerates the iglu 4.3.0 reference numbers the metrics tests compare with (to 4 decimals).
#
#   Rscript test/client/metrics/reference/iglu_reference.R <iglu source dir> [<shared fixtures dir>]
#
# <iglu source dir>: a checkout of irinagain/iglu at 4.3.0 (commit 33d72695d77900c62d4f408a748d821a08df9b0e);
# its R/ files are sourced, never copied here. Needs Debian's r-base-core, r-cran-dplyr, r-cran-tidyr,
# r-cran-lubridate, r-cran-zoo, r-cran-catools, r-cran-magrittr, r-cran-tibble, r-cran-jsonlite.
# Debian ships dplyr 1.0, which lacks dplyr 1.1's reframe(); it is provided below with 1.1's meaning
# (a multi-row summary that always returns an ungrouped table).
#
# Writes, beside this script: synthetic_<name>.csv (generated data, ours to commit) and
# expected_<name>.json (iglu's numbers) for each synthetic set and for the cgmquantify Clarity file.
# Times given to iglu are the patient's local wall clock read as UTC (TZ=UTC): that is how Steward
# folds days, whatever zone the viewer is in. active_percent gets the true UTC times.

Sys.setenv(TZ = "UTC")
suppressPackageStartupMessages({
  library(magrittr)
  library(dplyr)
})

args <- commandArgs(trailingOnly = TRUE)
iglu_dir <- args[1]
fixtures <- if (length(args) > 1) args[2] else NA
here <- dirname(normalizePath(sub("--file=", "", grep("--file=", commandArgs(), value = TRUE))))

reframe_1_1 <- function(.data, ...) dplyr::summarise(.data, ..., .groups = "drop")
for (f in list.files(file.path(iglu_dir, "R"), pattern = "\\.[rR]$", full.names = TRUE)) {
  code <- readLines(f, warn = FALSE)
  code <- gsub("dplyr::reframe(", "reframe_1_1(", code, fixed = TRUE)
  code <- gsub("iglu::", "", code, fixed = TRUE)
  eval(parse(text = code), envir = globalenv())
}

# ---- synthetic data -------------------------------------------------------------------------
set.seed(20260704)
MIN <- 60
base_utc <- as.POSIXct("2026-03-02 00:00:00", tz = "UTC")

# A day-like glucose curve: a slow daily wave, three meal peaks, a night low on some days, noise.
curve <- function(minutes, day) {
  tod <- minutes %% 1440
  meal <- function(at, height) height * exp(-((tod - at) / 50)^2) * (tod >= at - 90)
  low <- ifelse(day %% 3 == 1, -60 * exp(-((tod - 180) / 40)^2), 0)
  g <- 125 + 15 * sin(2 * pi * tod / 1440) + meal(480, 90 + 10 * day) + meal(780, 120) + meal(1140, 150 - 5 * day) + low
  round(pmax(40, pmin(400, g + rnorm(length(minutes), 0, 6))))
}

make_set <- function(days, step, offset_min) {
  minutes <- seq(0, days * 1440 - step, by = step)
  data.frame(time_utc = base_utc + minutes * MIN - offset_min * MIN, offset_min = offset_min, gl = curve(minutes, minutes %/% 1440))
}

sets <- list()
# Gaps of 30 min (interpolated over), 2 h (left empty) and 5 h (splits MAGE into segments).
g <- make_set(10, 5, 60)
drop <- with(g, (time_utc >= base_utc + 2 * 1440 * MIN + 600 * MIN & time_utc < base_utc + 2 * 1440 * MIN + 630 * MIN) |
  (time_utc >= base_utc + 4 * 1440 * MIN + 200 * MIN & time_utc < base_utc + 4 * 1440 * MIN + 320 * MIN) |
  (time_utc >= base_utc + 7 * 1440 * MIN + 900 * MIN & time_utc < base_utc + 7 * 1440 * MIN + 1200 * MIN))
sets$gaps <- g[!drop, ]
# Repeated readings at one time (a re-sent reading with another value) and an out-of-order stretch.
d <- make_set(4, 5, 0)
rep_rows <- d[seq(100, 1000, by = 97), ]
rep_rows$gl <- rep_rows$gl + 7
d <- rbind(d, rep_rows)
d <- d[order(d$time_utc), ]
swap <- 300:310
d[swap, ] <- d[rev(swap), ]
sets$duplicates <- d
# The patient flies from Berlin (UTC+1) to New York (UTC-5) on day 3: local days follow the clock.
z <- make_set(7, 5, 60)
z$offset_min[z$time_utc >= base_utc + 3 * 1440 * MIN + 600 * MIN] <- -300
sets$zonechange <- z
# A day with little data (six readings) between full days, sampled every 15 minutes (Libre-like).
s <- make_set(6, 15, 0)
day3 <- s$time_utc >= base_utc + 3 * 1440 * MIN & s$time_utc < base_utc + 4 * 1440 * MIN
keep <- !day3 | (seq_len(nrow(s)) %% 16 == 0)
sets$sparseday <- s[keep, ]
# Long highs for extended hyperglycaemia (> 250 mg/dL for at least 2 h, iglu all_metrics): 3 h,
# 110 min (too short), exactly 2 h, and 4 h with a 10-minute dip to 240 and a 30-minute gap.
h <- make_set(5, 5, 0)
minute <- as.numeric(difftime(h$time_utc, base_utc, units = "mins"))
high <- function(day, from, length) minute >= day * 1440 + from & minute < day * 1440 + from + length
for (stretch in list(c(0, 1200, 180), c(1, 1140, 110), c(2, 1140, 120), c(3, 1080, 240))) {
  at <- high(stretch[1], stretch[2], stretch[3])
  h$gl[at] <- pmax(262, round(290 + rnorm(sum(at), 0, 8)))
}
h$gl[high(3, 1140, 10)] <- 240
sets$sustainedhigh <- h[!high(3, 1200, 30), ]
# A sensor's first 75 minutes (16 readings, not on the minute grid): an AGP of 15 points, where
# loess builds its k-d tree down to single points.
f <- make_set(1, 5, 60)[85:100, ]
f$time_utc <- f$time_utc + 137
sets$firsthour <- f

for (name in names(sets)) {
  out <- sets[[name]]
  write.csv(data.frame(time_utc = format(out$time_utc, "%Y-%m-%dT%H:%M:%SZ"), offset_min = out$offset_min, gl = out$gl),
    file.path(here, paste0("synthetic_", name, ".csv")), row.names = FALSE, quote = FALSE)
}

# ---- metrics ----------------------------------------------------------------------------------
num <- function(x) as.numeric(unlist(x))[length(unlist(x))]
episode_row <- function(r) list(avg_ep_per_day = r$avg_ep_per_day, avg_ep_duration = r$avg_ep_duration, avg_ep_gl = r$avg_ep_gl, total_episodes = r$total_episodes)
metrics <- function(utc, local) {
  data <- data.frame(id = "s", time = local$time, gl = local$gl)
  one <- function(f, ...) num(f(data, ...)[, -1, drop = FALSE])
  ep <- episode_calculation(data)
  sdm <- sd_measures(data)
  cvm <- cv_measures(data)
  night <- calculate_sleep_wake(data, function(x) {
    cbind(mean_glu(x), in_range_percent(x, list(c(70, 180)))[, -1], below_percent(x, c(54, 70))[, -1], above_percent(x, c(180, 250))[, -1], sd_glu(x)[, -1])
  }, calculate = "both")
  ip <- CGMS2DayByDay(data)
  q <- apply(ip$gd2d, 2, quantile, probs = c(0.05, 0.25, 0.5, 0.75, 0.95), na.rm = TRUE)
  x <- seq(ip$dt0 * 60, 86400, by = ip$dt0 * 60)
  # na.exclude keeps the fitted values aligned with x where a time of day has no data.
  smooth <- function(surface) apply(q, 1, function(row) fitted(loess(row ~ x, span = 0.3, surface = surface, na.action = na.exclude)))
  # Extended hyperglycaemia as all_metrics computes it: level 2 hyper episodes with dur_length = 120.
  ext <- suppressWarnings(episode_calculation(data, dur_length = 120))
  ext <- ext[ext$type == "hyper" & ext$level == "lv2", ]
  list(
    n = nrow(data),
    mean = one(mean_glu), sd = one(sd_glu), cv = one(cv_glu), gmi = one(gmi),
    active_percent = num(active_percent(data.frame(id = "s", time = utc$time, gl = utc$gl))$active_percent),
    in_range_70_180 = num(in_range_percent(data, list(c(70, 180)))[, 2]),
    in_range_70_140 = num(in_range_percent(data, list(c(70, 140)))[, 2]),
    in_range_63_140 = num(in_range_percent(data, list(c(63, 140)))[, 2]),
    below_54 = num(below_percent(data, 54)[, 2]), below_70 = num(below_percent(data, 70)[, 2]),
    below_63 = num(below_percent(data, 63)[, 2]),
    above_180 = num(above_percent(data, 180)[, 2]), above_250 = num(above_percent(data, 250)[, 2]),
    above_140 = num(above_percent(data, 140)[, 2]),
    gri = one(gri),
    mage = one(mage), mage_service = one(mage, direction = "service"), mage_max = one(mage, direction = "max"),
    mage_plus = one(mage, direction = "plus"), mage_minus = one(mage, direction = "minus"),
    modd = one(modd), conga_1 = one(conga, n = 1), conga_24 = one(conga, n = 24),
    j_index = one(j_index), lbgi = one(lbgi), hbgi = one(hbgi), adrr = one(adrr), ea1c = one(ea1c),
    iqr = one(iqr_glu), mad = one(mad_glu), m_value = one(m_value), gvp = one(gvp), mag = one(mag),
    mag_60 = one(mag, n = 60),
    hyper_index = one(hyper_index), hypo_index = one(hypo_index), igc = one(igc),
    grade = one(grade), grade_eugly = one(grade_eugly), grade_hyper = one(grade_hyper), grade_hypo = one(grade_hypo),
    cogi = one(cogi), auc = one(auc),
    sd_measures = as.list(sdm[, c("SDw", "SDhhmm", "SDwsh", "SDdm", "SDb", "SDbdm")]),
    cv_measures = list(CVmean = cvm$CVmean, CVsd = cvm$CVsd),
    episodes = c(
      lapply(split(ep, paste(ep$type, ep$level)), episode_row),
      list("hyper extended" = episode_row(ext))
    ),
    all_metrics_extended_hyper = num(all_metrics(data, metrics_to_include = "consensus_only")$total_extended_hyper_episodes),
    sleep_wake = as.list(night[1, -1]),
    agp = list(minutes = x / 60, p5 = q[1, ], p25 = q[2, ], p50 = q[3, ], p75 = q[4, ], p95 = q[5, ]),
    agp_loess_direct = as.list(as.data.frame(smooth("direct"))),
    agp_loess_interpolate = as.list(as.data.frame(smooth("interpolate")))
  )
}

write_expected <- function(name, utc_time, offset_min, gl) {
  # iglu's handling of repeated times depends on row order; it gets the readings in local-time
  # order (ties in file order), as Steward sorts them.
  by_local <- order(utc_time + offset_min * MIN)
  utc <- data.frame(time = utc_time, gl = gl)[order(utc_time), ]
  local <- data.frame(time = utc_time + offset_min * MIN, gl = gl)[by_local, ]
  result <- suppressWarnings(suppressMessages(metrics(utc, local)))
  jsonlite::write_json(result, file.path(here, paste0("expected_", name, ".json")), digits = NA, auto_unbox = TRUE, na = "null")
  cat("wrote", name, "\n")
}

for (name in names(sets)) with(sets[[name]], write_expected(name, time_utc, offset_min, gl))

clarity <- file.path(fixtures, "dexcom-clarity-cgmquantify", "test_file.csv")
if (!is.na(fixtures) && file.exists(clarity)) {
  raw <- read.csv(clarity, check.names = FALSE, stringsAsFactors = FALSE)
  egv <- raw[raw[["Event Type"]] == "EGV", ]
  # The export has no offset: its wall clock is read as the patient's (UTC for the test).
  write_expected("clarity", as.POSIXct(egv[[2]], format = "%Y-%m-%dT%H:%M:%S", tz = "UTC"), 0, as.numeric(egv[["Glucose Value (mg/dL)"]]))
} else {
  cat("Clarity fixture not found; expected_clarity.json left as it is\n")
}
