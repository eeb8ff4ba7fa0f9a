package io.peregrine.streams.servicemap;

import io.peregrine.schema.AppId;
import io.peregrine.streams.internal.Bytes;

/**
 * An application as the query API lists it: identity, when it was first and last seen in a closed
 * window, and in which roles.
 */
public record AppSummary(AppId app, long firstSeenMs, long lastSeenMs, boolean server, boolean client, boolean usage) {

    private static final int VERSION = 1;

    public AppSummary merge(AppSummary o) {
        return new AppSummary(o.lastSeenMs >= lastSeenMs ? o.app : app, Math.min(firstSeenMs, o.firstSeenMs),
                Math.max(lastSeenMs, o.lastSeenMs), server || o.server, client || o.client, usage || o.usage);
    }

    byte[] encode() {
        Bytes.Writer w = new Bytes.Writer(96).writeByte(VERSION);
        AppIds.write(w, app);
        return w.writeLong(firstSeenMs).writeLong(lastSeenMs).writeBoolean(server).writeBoolean(client)
                .writeBoolean(usage).toByteArray();
    }

    public static AppSummary decode(byte[] data) {
        Bytes.Reader r = new Bytes.Reader(data);
        if (r.readByte() != VERSION) {
            throw new Bytes.CorruptDataException("app summary format unknown");
        }
        return new AppSummary(AppIds.read(r), r.readLong(), r.readLong(), r.readBoolean(), r.readBoolean(),
                r.readBoolean());
    }
}
