package io.peregrine.flink.sql;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.flink.formats.avro.RowDataToAvroConverters.RowDataToAvroConverter;

/**
 * Flink's row-to-Avro converter turns a {@code STRING} column into a {@code Utf8} whatever the
 * target schema says, and Avro's writer refuses a {@code Utf8} where the schema has an enum. Our
 * topics use enums (Avro maps them to {@code STRING} columns), so a sink writing with the topic's
 * own schema needs the strings turned back into enum symbols: this converter does that after
 * Flink's, walking the schema. A string that is not one of the enum's symbols is an error naming
 * the enum and its symbols.
 */
final class EnumSymbols implements RowDataToAvroConverter {
    private static final long serialVersionUID = 1L;

    private final RowDataToAvroConverter flink;

    EnumSymbols(RowDataToAvroConverter flink) {
        this.flink = flink;
    }

    @Override
    public Object convert(Schema schema, Object object) {
        return conform(schema, flink.convert(schema, object));
    }

    /** {@code value} with every string at an enum position of {@code schema} made an enum symbol. */
    static Object conform(Schema schema, Object value) {
        if (value == null) {
            return null;
        }
        switch (schema.getType()) {
            case ENUM:
                if (value instanceof CharSequence s) {
                    String symbol = s.toString();
                    if (!schema.hasEnumSymbol(symbol)) {
                        throw new IllegalArgumentException("'" + symbol + "' is not a symbol of enum "
                                + schema.getFullName() + " " + schema.getEnumSymbols());
                    }
                    return new GenericData.EnumSymbol(schema, symbol);
                }
                return value;
            case UNION:
                List<Schema> branches = schema.getTypes().stream().filter(b -> b.getType() != Schema.Type.NULL).toList();
                return branches.size() == 1 ? conform(branches.get(0), value) : value;
            case RECORD:
                if (value instanceof GenericRecord r) {
                    for (Schema.Field f : schema.getFields()) {
                        r.put(f.pos(), conform(f.schema(), r.get(f.pos())));
                    }
                }
                return value;
            case ARRAY:
                if (value instanceof List<?> list) {
                    List<Object> out = new ArrayList<>(list.size());
                    for (Object item : list) {
                        out.add(conform(schema.getElementType(), item));
                    }
                    return out;
                }
                return value;
            case MAP:
                if (value instanceof Map<?, ?> map) {
                    Map<Object, Object> out = new LinkedHashMap<>();
                    map.forEach((k, v) -> out.put(k, conform(schema.getValueType(), v)));
                    return out;
                }
                return value;
            default:
                return value;
        }
    }
}
