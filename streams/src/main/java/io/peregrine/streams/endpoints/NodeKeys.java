package io.peregrine.streams.endpoints;

import io.peregrine.schema.NodeId;

/** The string identity of a node used in Peregrine's internal keys: host name and machine id. */
public final class NodeKeys {

    private NodeKeys() {
    }

    public static String of(NodeId node) {
        return node.getHostname() + "/" + node.getMachineId();
    }
}
