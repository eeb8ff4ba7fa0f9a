package io.peregrine.agent.procfs;

/**
 * Pressure stall information of one resource (Documentation/accounting/psi.rst), from
 * /proc/pressure/&lt;resource&gt; or a cgroup v2 &lt;resource&gt;.pressure file. Averages are shares
 * of wall time in percent (0-100); totals are cumulative microseconds. {@code some}: at least one
 * task stalled; {@code full}: all non-idle tasks stalled at once. Kernels before 5.13 print no
 * {@code full} line for cpu: its fields are then 0.
 */
public record PressureStall(
    double someAvg10,
    double someAvg60,
    double someAvg300,
    long someTotalMicros,
    double fullAvg10,
    double fullAvg60,
    double fullAvg300,
    long fullTotalMicros) {
}
