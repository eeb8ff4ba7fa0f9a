package io.peregrine.agent.procfs;

/**
 * A command line for display: arguments joined by single spaces, at most a given number of UTF-8
 * bytes, ending in {@code ...} when it was cut ({@code truncated}).
 */
public record Cmdline(String text, boolean truncated) {
}
