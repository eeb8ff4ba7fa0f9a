package io.peregrine.flink.slo;

import io.peregrine.flink.config.Durations;
import io.peregrine.schema.Severity;
import java.io.Serializable;
import java.time.Duration;
import java.util.List;

/**
 * One row of the multi-window, multi-burn-rate table (Google SRE workbook, "Alerting on SLOs",
 * table 5-8): the tier fires when the error budget burns faster than {@code burnRate} over both
 * the long and the short window. Burn rate = error ratio / error budget; 1 spends exactly the
 * budget over the SLO period (30 days for the default table).
 */
public record BurnRateTier(Severity severity, Duration longWindow, Duration shortWindow, double burnRate)
        implements Serializable {

    /** Table 5-8 for a 30-day period: 2 % of the budget in 1 h, 5 % in 6 h (pages), 10 % in 3 d (ticket). */
    public static final List<BurnRateTier> WORKBOOK = List.of(
            new BurnRateTier(Severity.PAGE, Duration.ofHours(1), Duration.ofMinutes(5), 14.4),
            new BurnRateTier(Severity.PAGE, Duration.ofHours(6), Duration.ofMinutes(30), 6),
            new BurnRateTier(Severity.TICKET, Duration.ofDays(3), Duration.ofHours(6), 1));

    public BurnRateTier {
        if (severity != Severity.PAGE && severity != Severity.TICKET) {
            throw new IllegalArgumentException("severity must be PAGE or TICKET, got " + severity);
        }
        if (shortWindow.isNegative() || shortWindow.isZero() || shortWindow.compareTo(longWindow) >= 0) {
            throw new IllegalArgumentException("short window " + shortWindow + " must be positive and shorter than the long window "
                    + longWindow);
        }
        if (!(burnRate > 0)) {
            throw new IllegalArgumentException("burn rate must be positive, got " + burnRate);
        }
    }

    /** {@code 1h/5m}: the label and text naming the tier. */
    public String windows() {
        return Durations.format(longWindow) + "/" + Durations.format(shortWindow);
    }

    /** Rank for suppression: a PAGE tier outranks any TICKET tier. */
    int rank() {
        return severity == Severity.PAGE ? 0 : 1;
    }
}
