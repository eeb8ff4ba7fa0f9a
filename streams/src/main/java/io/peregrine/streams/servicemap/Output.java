package io.peregrine.streams.servicemap;

/**
 * One record the window task emits, tagged with the topic it goes to (a tombstone of the
 * compacted topology topic has no value to tell it by).
 */
record Output(Kind kind, Object value) {

    enum Kind { SERVICE_MAP, TOPOLOGY, SLI, APP_USAGE }
}
