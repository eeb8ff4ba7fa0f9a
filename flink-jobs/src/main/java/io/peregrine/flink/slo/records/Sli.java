package io.peregrine.flink.slo.records;

import io.peregrine.schema.AlertKind;

/** The two request SLIs every SLI window carries as good/total counts. */
public enum Sli {
    AVAILABILITY("availability", AlertKind.SLO_AVAILABILITY),
    LATENCY("latency", AlertKind.SLO_LATENCY);

    private final String label;
    private final AlertKind kind;

    Sli(String label, AlertKind kind) {
        this.label = label;
        this.kind = kind;
    }

    /** The value of the {@code slo} label. */
    public String label() {
        return label;
    }

    public AlertKind kind() {
        return kind;
    }
}
