package io.peregrine.streams.servicemap;

import io.peregrine.streams.internal.Bytes;
import java.util.Set;
import java.util.TreeSet;

/** Resource use of one application in one window, mergeable across tasks. */
final class UsageStats {

    /** Distinct (node, instance) and nodes; bounded by the instances of one application. */
    final Set<String> instances = new TreeSet<>();
    final Set<String> nodes = new TreeSet<>();
    /** Purchase options of the nodes ("NONE" outside a cloud). */
    final Set<String> lifecycles = new TreeSet<>();
    double cpuSeconds;
    double memoryByteSeconds;
    long bytesSent;
    long bytesReceived;
    long crossZoneBytesSent;
    long crossZoneBytesReceived;
    long internetBytesSent;
    long internetBytesReceived;

    void merge(UsageStats o) {
        instances.addAll(o.instances);
        nodes.addAll(o.nodes);
        lifecycles.addAll(o.lifecycles);
        cpuSeconds += o.cpuSeconds;
        memoryByteSeconds += o.memoryByteSeconds;
        bytesSent += o.bytesSent;
        bytesReceived += o.bytesReceived;
        crossZoneBytesSent += o.crossZoneBytesSent;
        crossZoneBytesReceived += o.crossZoneBytesReceived;
        internetBytesSent += o.internetBytesSent;
        internetBytesReceived += o.internetBytesReceived;
    }

    void write(Bytes.Writer w) {
        writeSet(w, instances);
        writeSet(w, nodes);
        writeSet(w, lifecycles);
        w.writeDouble(cpuSeconds).writeDouble(memoryByteSeconds);
        w.writeLong(bytesSent).writeLong(bytesReceived).writeLong(crossZoneBytesSent).writeLong(crossZoneBytesReceived)
                .writeLong(internetBytesSent).writeLong(internetBytesReceived);
    }

    static UsageStats read(Bytes.Reader r) {
        UsageStats s = new UsageStats();
        readSet(r, s.instances);
        readSet(r, s.nodes);
        readSet(r, s.lifecycles);
        s.cpuSeconds = r.readDouble();
        s.memoryByteSeconds = r.readDouble();
        s.bytesSent = r.readLong();
        s.bytesReceived = r.readLong();
        s.crossZoneBytesSent = r.readLong();
        s.crossZoneBytesReceived = r.readLong();
        s.internetBytesSent = r.readLong();
        s.internetBytesReceived = r.readLong();
        return s;
    }

    private static void writeSet(Bytes.Writer w, Set<String> set) {
        w.writeInt(set.size());
        for (String s : set) {
            w.writeString(s);
        }
    }

    private static void readSet(Bytes.Reader r, Set<String> into) {
        int n = r.readSize();
        for (int i = 0; i < n; i++) {
            into.add(r.readString());
        }
    }
}
