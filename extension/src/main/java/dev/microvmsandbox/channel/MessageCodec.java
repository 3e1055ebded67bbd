package dev.microvmsandbox.channel;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

/** JSON for {@link Message}s, with limits on what a peer can make the reader do. */
final class MessageCodec {

    static final int MAX_MESSAGE_BYTES = 256 * 1024;
    static final int MAX_NESTING = 64;
    static final int MAX_STRING = 128 * 1024;

    private final ObjectMapper mapper;

    MessageCodec() {
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(StreamReadConstraints.builder()
                        .maxNestingDepth(MAX_NESTING)
                        .maxStringLength(MAX_STRING)
                        .maxNumberLength(32)
                        .maxDocumentLength(MAX_MESSAGE_BYTES)
                        .build())
                .build();
        mapper = JsonMapper.builder(factory)
                .disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .build();
    }

    byte[] encode(Message message) {
        try {
            return mapper.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(
                    "cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    Message decode(byte[] json) throws ProtocolException {
        if (json.length > MAX_MESSAGE_BYTES) {
            throw new ProtocolException("message of " + json.length + " bytes exceeds " + MAX_MESSAGE_BYTES);
        }
        try {
            Message message = mapper.readValue(json, Message.class);
            if (message == null) {
                throw new ProtocolException("empty message");
            }
            return message;
        } catch (ProtocolException e) {
            throw e;
        } catch (Exception e) {
            throw new ProtocolException("invalid message: " + firstLine(e.getMessage()), e);
        }
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        return line.length() > 200 ? line.substring(0, 200) + "..." : line;
    }
}
