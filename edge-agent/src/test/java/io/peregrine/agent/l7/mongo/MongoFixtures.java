package io.peregrine.agent.l7.mongo;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.bson.BsonArray;
import org.bson.BsonBinaryWriter;
import org.bson.BsonBoolean;
import org.bson.BsonDocument;
import org.bson.BsonDouble;
import org.bson.BsonInt32;
import org.bson.BsonInt64;
import org.bson.BsonString;
import org.bson.codecs.BsonDocumentCodec;
import org.bson.codecs.EncoderContext;
import org.bson.io.BasicOutputBuffer;

/**
 * Writes the MongoDB fixtures of src/test/resources/l7/mongo: MongoDB is not packaged in Debian, so
 * they are encoded, not captured: messages laid out by the wire protocol specification, their BSON
 * encoded by the official encoder (org.mongodb:bson), with commands as the Java driver sends them
 * and replies as MongoDB documents them; the folder's README.md says how to run it.
 */
public final class MongoFixtures {

    private MongoFixtures() {}

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        BsonDocument lsid = BsonDocument.parse("{id: {$binary: {base64: 'AAECAwQFBgcICQoLDA0ODw==', subType: '04'}}}");
        write(dir, "op-msg-find",
                opMsg(101, doc("find", new BsonString("orders")).append("filter", BsonDocument.parse("{status: 'A', qty: {$gt: 5}}"))
                        .append("limit", new BsonInt32(10)).append("lsid", lsid).append("$db", new BsonString("shop"))),
                reply(101, BsonDocument.parse("{cursor: {firstBatch: [{_id: 1, status: 'A', qty: 7}], id: {$numberLong: '0'},"
                        + " ns: 'shop.orders'}, ok: 1.0}")));
        BsonDocument[] many = new BsonDocument[40];
        for (int i = 0; i < many.length; i++) {
            many[i] = BsonDocument.parse("{_id: " + i + ", status: 'A', note: 'a long enough note to fill the capture'}");
        }
        write(dir, "op-msg-find-large-reply",
                opMsg(102, doc("find", new BsonString("orders")).append("$db", new BsonString("shop"))),
                cut(reply(102, new BsonDocument("cursor", new BsonDocument("firstBatch", new BsonArray(Arrays.asList(many)))
                        .append("id", new BsonInt64(0)).append("ns", new BsonString("shop.orders")))
                        .append("ok", new BsonDouble(1)))));
        write(dir, "op-msg-insert-sequence",
                opMsgWithSequence(103, doc("insert", new BsonString("orders")).append("ordered", BsonBoolean.TRUE)
                        .append("$db", new BsonString("shop")), "documents",
                        List.of(BsonDocument.parse("{_id: 10, qty: 1}"), BsonDocument.parse("{_id: 11, qty: 2}"))),
                reply(103, BsonDocument.parse("{n: 2, ok: 1.0}")));
        write(dir, "op-msg-insert-duplicate-key",
                opMsgWithSequence(104, doc("insert", new BsonString("orders")).append("ordered", BsonBoolean.TRUE)
                        .append("$db", new BsonString("shop")), "documents", List.of(BsonDocument.parse("{_id: 10}"))),
                reply(104, BsonDocument.parse("{n: 0, writeErrors: [{index: 0, code: 11000, errmsg: 'E11000 duplicate key error"
                        + " collection: shop.orders index: _id_ dup key: { _id: 10 }'}], ok: 1.0}")));
        write(dir, "op-msg-ping",
                opMsg(105, doc("ping", new BsonInt32(1)).append("$db", new BsonString("admin"))),
                reply(105, BsonDocument.parse("{ok: 1.0}")));
        write(dir, "op-msg-unknown-command",
                opMsg(106, doc("frobnicate", new BsonInt32(1)).append("$db", new BsonString("shop"))),
                reply(106, BsonDocument.parse("{ok: 0.0, errmsg: \"no such command: 'frobnicate'\", code: 59,"
                        + " codeName: 'CommandNotFound'}")));
        write(dir, "op-msg-getmore",
                opMsg(107, doc("getMore", new BsonInt64(8_123_456_789L)).append("collection", new BsonString("orders"))
                        .append("batchSize", new BsonInt32(100)).append("$db", new BsonString("shop"))),
                reply(107, BsonDocument.parse("{cursor: {nextBatch: [], id: {$numberLong: '0'}, ns: 'shop.orders'}, ok: 1.0}")));
        write(dir, "op-msg-unauthorized",
                opMsg(108, doc("find", new BsonString("secrets")).append("$db", new BsonString("vault"))),
                reply(108, BsonDocument.parse("{ok: 0.0, errmsg: 'Command find requires authentication', code: 13,"
                        + " codeName: 'Unauthorized'}")));
        write(dir, "op-query-ismaster",
                opQuery(109, "admin.$cmd", doc("isMaster", new BsonInt32(1)).append("helloOk", BsonBoolean.TRUE)
                        .append("client", BsonDocument.parse("{driver: {name: 'mongo-java-driver', version: '5.2.1'}}"))),
                opReply(109, BsonDocument.parse("{helloOk: true, ismaster: true, maxWireVersion: 21, ok: 1.0}")));
    }

    private static BsonDocument doc(String key, org.bson.BsonValue value) {
        return new BsonDocument(key, value);
    }

    static byte[] bson(BsonDocument d) {
        BasicOutputBuffer out = new BasicOutputBuffer();
        new BsonDocumentCodec().encode(new BsonBinaryWriter(out), d, EncoderContext.builder().build());
        return out.toByteArray();
    }

    private static byte[] header(int length, int requestId, int responseTo, int opCode) {
        return ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putInt(length).putInt(requestId)
                .putInt(responseTo).putInt(opCode).array();
    }

    private static byte[] opMsg(int requestId, BsonDocument body) {
        return message(requestId, 0, MongoDecoder.OP_MSG, new byte[4], new byte[] {0}, bson(body));
    }

    private static byte[] opMsgWithSequence(int requestId, BsonDocument body, String id, List<BsonDocument> docs) {
        ByteArrayOutputStream seq = new ByteArrayOutputStream();
        byte[] name = (id + "\0").getBytes(StandardCharsets.UTF_8);
        int size = 4 + name.length;
        for (BsonDocument d : docs) {
            size += bson(d).length;
        }
        seq.write(1);
        seq.writeBytes(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(size).array());
        seq.writeBytes(name);
        for (BsonDocument d : docs) {
            seq.writeBytes(bson(d));
        }
        return message(requestId, 0, MongoDecoder.OP_MSG, new byte[4], new byte[] {0}, bson(body), seq.toByteArray());
    }

    private static byte[] reply(int responseTo, BsonDocument body) {
        return message(900 + responseTo, responseTo, MongoDecoder.OP_MSG, new byte[4], new byte[] {0}, bson(body));
    }

    private static byte[] opQuery(int requestId, String collection, BsonDocument query) {
        byte[] name = (collection + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] skipReturn = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putInt(0).putInt(-1).array();
        return message(requestId, 0, MongoDecoder.OP_QUERY, new byte[4], name, skipReturn, bson(query));
    }

    private static byte[] opReply(int responseTo, BsonDocument doc) {
        byte[] fields = ByteBuffer.allocate(20).order(ByteOrder.LITTLE_ENDIAN).putInt(8).putLong(0).putInt(0).putInt(1).array();
        return message(900 + responseTo, responseTo, MongoDecoder.OP_REPLY, fields, bson(doc));
    }

    private static byte[] message(int requestId, int responseTo, int opCode, byte[]... parts) {
        int length = 16;
        for (byte[] p : parts) {
            length += p.length;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(header(length, requestId, responseTo, opCode));
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** What the eBPF sensor keeps of a long message: its first 1024 bytes. */
    private static byte[] cut(byte[] b) {
        return Arrays.copyOf(b, Math.min(b.length, 1024));
    }

    private static void write(Path dir, String name, byte[] request, byte[] response) throws Exception {
        Files.write(dir.resolve(name + ".req"), cut(request));
        Files.write(dir.resolve(name + ".resp"), cut(response));
    }
}
