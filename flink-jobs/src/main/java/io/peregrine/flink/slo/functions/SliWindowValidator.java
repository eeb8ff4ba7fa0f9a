package io.peregrine.flink.slo.functions;

import io.peregrine.flink.kafka.RecordValidator;
import io.peregrine.schema.ServiceSliWindow;

/**
 * The rules an SLI window must follow before its counts enter an application's history: a window
 * that ends after it starts, an application id, and {@code 0 <= latency_good <= availability_good
 * <= total} (an error is never good, so latency_good cannot exceed availability_good). One broken
 * record would otherwise poison three days of burn rates.
 */
public final class SliWindowValidator implements RecordValidator<ServiceSliWindow> {
    private static final long serialVersionUID = 1L;

    @Override
    public String violation(ServiceSliWindow w) {
        if (w.getApp() == null || w.getApp().getId() == null || w.getApp().getId().isEmpty()) {
            return "app.id is empty";
        }
        if (!w.getWindowEnd().isAfter(w.getWindowStart())) {
            return "window_end " + w.getWindowEnd() + " is not after window_start " + w.getWindowStart();
        }
        if (w.getTotal() < 0) {
            return "total is negative: " + w.getTotal();
        }
        if (w.getAvailabilityGood() < 0 || w.getAvailabilityGood() > w.getTotal()) {
            return "availability_good " + w.getAvailabilityGood() + " is outside [0, total " + w.getTotal() + "]";
        }
        if (w.getLatencyGood() < 0 || w.getLatencyGood() > w.getAvailabilityGood()) {
            return "latency_good " + w.getLatencyGood() + " is outside [0, availability_good "
                    + w.getAvailabilityGood() + "]";
        }
        return null;
    }
}
