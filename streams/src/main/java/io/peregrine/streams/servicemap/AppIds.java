package io.peregrine.streams.servicemap;

import io.peregrine.schema.AppId;
import io.peregrine.schema.AppKind;
import io.peregrine.streams.internal.Bytes;

/** Binary form of {@link AppId} inside internal records. */
final class AppIds {

    private static final AppKind[] KINDS = AppKind.values();

    private AppIds() {
    }

    static void write(Bytes.Writer w, AppId a) {
        w.writeInt(a.getKind().ordinal());
        w.writeString(a.getId());
        w.writeString(a.getName());
        w.writeString(a.getNamespace());
        w.writeString(a.getWorkload());
        w.writeString(a.getContainer());
    }

    static AppId read(Bytes.Reader r) {
        int kind = r.readInt();
        if (kind < 0 || kind >= KINDS.length) {
            throw new Bytes.CorruptDataException("app kind " + kind + " out of range");
        }
        return AppId.newBuilder()
                .setKind(KINDS[kind])
                .setId(r.readString())
                .setName(r.readString())
                .setNamespace(r.readString())
                .setWorkload(r.readString())
                .setContainer(r.readString())
                .build();
    }
}
