package io.peregrine.flink.slo;

import java.io.Serializable;
import java.math.BigDecimal;

/**
 * One service level objective: the share of requests that must be good, as a ratio (0.999), and
 * its error budget {@code 1 - objective} computed in decimal so that 99.9 % gives exactly 0.001.
 *
 * @param enabled false turns the SLO (and its alerts) off for the applications it applies to
 */
public record Objective(boolean enabled, double objective, double errorBudget) implements Serializable {

    public Objective {
        if (!(objective > 0 && objective < 1)) {
            throw new IllegalArgumentException("objective must be in (0, 1), got " + objective);
        }
    }

    /** From a percentage as written in peregrine.yaml, e.g. {@code "99.9"}. */
    public static Objective percent(String percent, boolean enabled) {
        BigDecimal p = new BigDecimal(percent);
        if (p.signum() <= 0 || p.compareTo(BigDecimal.valueOf(100)) >= 0) {
            throw new IllegalArgumentException("objective must be a percentage in (0, 100), got " + percent);
        }
        return new Objective(enabled, p.movePointLeft(2).doubleValue(),
                BigDecimal.valueOf(100).subtract(p).movePointLeft(2).doubleValue());
    }

    public Objective withEnabled(boolean on) {
        return new Objective(on, objective, errorBudget);
    }

    /** "99.9" */
    public String percentText() {
        return BigDecimal.valueOf(objective).movePointRight(2).stripTrailingZeros().toPlainString();
    }
}
